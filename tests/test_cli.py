"""awmc's manners: results on stdout and logs on stderr, defaults in --help, NO_COLOR, a quiet
exit on a closed pipe, and counts in good English."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from awmlang.cli import EXIT_CLOSED_PIPE, main, parser
from awmlang.text import counted, plural

ROOT = Path(__file__).resolve().parent.parent
SHOP = ROOT / "specs" / "shop.awm"

TINY = """env t "Test" { description "d" user User }
entity User { id: int @id  name: text }
invariant named "Every user has a name": all User u: u.name != ""
tool rename = update User(name) "Rename a user."
task t1 "Rename user 1." { solution { rename(user_id: 1, name: "x") }  expect User[1].name == "x" }
seed User(id, name) { (1, "a") }
"""

UNSOLVED = """env t "Test" { description "d" user User }
entity User { id: int @id  name: text }
tool rename = update User(name) "Rename a user."
""" + "".join(f'task t{i} "Do {i}." {{ expect User[1].name == "{i}" }}\n' for i in range(1, 7))

BROKEN = 'env t "Test" { description "d" }\nentity P { id: int @id  n: int = "x" }\n'


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# ---- results on stdout, progress and logs on stderr ----------------------------------------


def test_build_prints_its_table_on_stdout_and_progress_on_stderr(tmp_path, capsys):
    spec = write(tmp_path, "tiny.awm", TINY)
    assert main(["build", str(spec), "-o", str(tmp_path / "out")]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0].split() == [
        "spec",
        "status",
        "entities",
        "tools",
        "seed",
        "rows",
        "errors",
        "warnings",
        "ms",
    ]
    assert out.splitlines()[2].split()[:4] == ["tiny", "built", "1", "1"]
    assert out.splitlines()[-1] == f"1 of 1 spec ok; outputs in {tmp_path / 'out'}/"
    assert err.startswith(f"[1/1] {spec}: built in ") and "spec" not in err.split(":", 1)[1].split()[0]
    assert len(err.splitlines()) == 1


def test_build_diagnostics_go_to_stderr_and_json_alone_to_stdout(tmp_path, capsys):
    spec = write(tmp_path, "broken.awm", BROKEN)
    assert main(["build", str(spec), "-o", str(tmp_path / "out")]) == 1
    out, err = capsys.readouterr()
    assert "error[AWM2001]" in err and "AWM2001" not in out and "0 of 1 spec ok" in out
    assert main(["build", str(spec), "-o", str(tmp_path / "out"), "--json"]) == 1
    out, err = capsys.readouterr()
    assert json.loads(out)[0]["diagnostics"][0]["code"] == "AWM2001" and err == ""


def test_check_prints_its_report_on_stdout_in_good_english(tmp_path, capsys):
    spec = write(tmp_path, "tiny.awm", TINY)
    assert main(["check", str(spec), "--max-examples", "20", "--steps", "2", "--save-dir", str(tmp_path / "f")]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.splitlines() == [
        f"[1/1] {spec}",
        "  compiled: 1 entity, 1 tool, 1 seed row; the seed satisfies 1 invariant",
        out.splitlines()[2],
        "  coverage: 1 of 1 tool succeeded at least once",
        "  tasks: 1 of 1 ok",
        "1 of 1 spec passed every check",
    ]
    explored = r"  explored: \d+ call sequences of up to 2 calls \(seed 0\), \d+ calls in [\d.]+ s \([\d,]+ calls/s\): no problems"
    assert re.fullmatch(explored, out.splitlines()[2]), out.splitlines()[2]


def test_check_names_a_problem_shared_by_many_tasks_once(tmp_path, capsys):
    spec = write(tmp_path, "unsolved.awm", UNSOLVED)
    assert main(["check", str(spec), "--max-examples", "2", "--steps", "1", "--save-dir", str(tmp_path / "f")]) == 1
    out = capsys.readouterr().out
    task_lines = [line for line in out.splitlines() if "gold solution" in line]
    assert task_lines == [
        "  6 tasks (t1, t2, t3 and 3 more): no gold solution: nothing shows that the task can be done"
    ]
    assert (
        main(["check", str(spec), "--max-examples", "2", "--steps", "1", "--save-dir", str(tmp_path / "f"), "--json"])
        == 1
    )
    problems = json.loads(capsys.readouterr().out)[0]["problems"]
    assert [p["task"] for p in problems if p["kind"] == "task"] == [f"t{i}" for i in range(1, 7)]


def test_import_prints_its_report_on_stdout(tmp_path, capsys):
    fixtures = ROOT / "tests" / "awm_fixtures" / "library"
    main(["import", "awm", str(fixtures), "-o", str(tmp_path)])
    out, err = capsys.readouterr()
    assert "library_9: imported" in out and err == ""


# ---- --help shows the defaults --------------------------------------------------------------


def help_of(*command: str) -> str:
    sub = parser()
    for name in command:
        sub = next(a for a in sub._actions if a.dest in ("command", "format")).choices[name]
    return " ".join(sub.format_help().split())  # unwrapped


@pytest.mark.parametrize(
    "command, shown",
    [
        (
            ("check",),
            [
                "call sequences to try per spec (default: 500)",
                "longest call sequence (default: 20)",
                "where failing sequences are saved (default: check-failures)",
                "(default: 0)",
            ],
        ),
        (("serve",), ["(default: 127.0.0.1)", "(default: 8001)", "(default: 1; a client may add ?user=N)"]),
        (("build",), ["output directory (default: build)"]),
        (("bench",), ["spec files or directories of specs (default: specs)", "(default: 1000)"]),
        (("agent",), ["(default: 20)", "(default: 4)", "(default: 120.0)"]),
        (("import", "awm"), ["output folder (default: specs/imported)"]),
    ],
)
def test_help_shows_defaults(command, shown):
    text = help_of(*command)
    for phrase in shown:
        assert phrase in text


def test_no_help_shows_an_empty_default_or_says_it_twice():
    top = parser()
    commands = next(a for a in top._actions if a.dest == "command").choices
    texts = [help_of(name) for name in commands if name != "import"] + [help_of("import", "awm")]
    for text in texts:
        assert "(default: None)" not in text and "(default: False)" not in text
        assert text.count("(default") == text.count("default:") and "(default " not in text


# ---- colour -----------------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("no_color, coloured", [(None, True), ("", True), ("1", False), ("anything", False)])
def test_diagnostics_are_coloured_on_a_terminal_unless_no_color(tmp_path, monkeypatch, no_color, coloured):
    spec = write(tmp_path, "broken.awm", BROKEN)
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["build", str(spec), "-o", str(tmp_path / "out")]) == 1
    assert "error[AWM2001]" in terminal.getvalue()
    assert ("\x1b[" in terminal.getvalue()) is coloured


@pytest.mark.parametrize("no_color, coloured", [(None, True), ("1", False)])
def test_the_server_log_honours_no_color(monkeypatch, no_color, coloured):
    import uvicorn
    from awmlang.runtime.serve_mcp import serve_http

    import awmlang

    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)
    monkeypatch.setattr(sys, "stderr", Terminal())
    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(options))
    serve_http({"shop": awmlang.load(SHOP)}, "127.0.0.1", 0)
    assert seen["use_colors"] is coloured


# ---- a closed pipe -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, code",
    [
        (["explain", "AWM2001"], EXIT_CLOSED_PIPE),
        (["tools", str(SHOP), "--format", "mcp"], EXIT_CLOSED_PIPE),
        (["build", str(ROOT / "tests" / "diagnostics" / "bad_default.awm"), "-o", "{out}"], EXIT_CLOSED_PIPE),
        (["check", "--help"], 0),  # argparse itself ignores a failed write of the help
    ],
)
def test_a_closed_pipe_is_a_quiet_exit(tmp_path, argv, code):
    argv = [a.replace("{out}", str(tmp_path / "out")) for a in argv]
    process = subprocess.Popen(
        [sys.executable, "-m", "awmlang.cli", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path
    )
    process.stdout.close()  # the reader is gone before awmc writes anything
    err = process.stderr.read().decode()
    assert process.wait(timeout=60) == code
    assert "BrokenPipe" not in err and "internal error" not in err and "Traceback" not in err
    if "build" in argv:  # stderr is still open: the diagnostics and progress got there
        assert "error[AWM2009]" in err and "failed in" in err


# ---- counts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "n, noun, text",
    [
        (1, "retry", "1 retry"),
        (2, "retry", "2 retries"),
        (0, "turn", "0 turns"),
        (1, "turn", "1 turn"),
        (3, "entity", "3 entities"),
        (2, "day", "2 days"),
        (2, "match", "2 matches"),
        (2, "seed row", "2 seed rows"),
        (1, "tool call", "1 tool call"),
        (2, "box", "2 boxes"),
    ],
)
def test_counted(n, noun, text):
    assert counted(n, noun) == text


def test_plural_of_a_vowel_y():
    assert plural("key") == "keys" and plural("query") == "queries"


def test_describe_episode_says_one_turn_and_one_retry():
    from awmlang.agent import describe_episode

    trajectory = {
        "task": "t",
        "reward": 1.0,
        "passed": True,
        "turns": [{}],
        "calls": [{}],
        "seconds": 0.5,
        "stopped": "answer",
        "retries": [{}],
        "error": None,
    }
    assert (
        describe_episode(trajectory) == "t: reward 1.0 (passed), 1 turn, 1 tool call, 0.50 s; stopped: answer; 1 retry"
    )


def test_runtime_messages_count_in_the_singular(tmp_path):
    from awmlang.runtime.episode import Episode

    import awmlang

    spec = write(
        tmp_path,
        "one.awm",
        """env t "Test" { description "d" user User }
entity User { id: int @id  name: text }
tool rename(user: User, name: text @length(1, 1)) "Rename a user." { update user set name = name }
task t1 "Rename user 1." { solution { rename(user: 1, name: "x") }  expect User[1].name == "x" }
seed User(id, name) { (1, "a") }
""",
    )
    env = awmlang.load(spec)
    result = env.session().call("rename", {"user": 1, "name": "xy"})
    assert result["error"]["message"] == "1 invalid argument for `rename`"
    assert result["error"]["details"]["problems"][0]["problem"] == "must have at most 1 character"
    episode = Episode(env, "t1", max_steps=1)
    episode.step({"name": "rename", "arguments": {"user": 1, "name": "z"}})
    stepped = episode.step({"name": "rename", "arguments": {"user": 1, "name": "z"}})
    assert "at most 1 tool call" in json.dumps(stepped)


def test_a_build_folder_of_another_format_is_a_clear_error(tmp_path, capsys):
    import json
    import shutil

    import awmlang

    built = awmlang.load(Path(__file__).parent / "cases" / "mini_shop" / "spec.awm").build_dir
    old = tmp_path / "shop"
    shutil.copytree(built, old)
    manifest = json.loads((old / "manifest.json").read_text())
    manifest["format"] = 1
    (old / "manifest.json").write_text(json.dumps(manifest))
    assert main(["tools", str(old)]) == 2
    err = capsys.readouterr().err
    assert "awmc: error:" in err and "build its spec again with `awmc build`" in err and "internal" not in err
