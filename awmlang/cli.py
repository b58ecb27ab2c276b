"""`awmc`: the command line, a thin layer over awmlang's phases.

Exit codes: 0 ok, 1 spec errors (or failed checks), 2 usage, configuration or I/O errors, 141
when the reader of stdout went away (`awmc ... | head`), as for a process killed by SIGPIPE.
Results (tables, reports, `--json`) go to stdout; diagnostics, progress and logs go to stderr.
Colour is used on a terminal unless NO_COLOR is set (https://no-color.org).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import sys
import textwrap
import time
from pathlib import Path

from awmlang.compiler.build import build_spec, is_up_to_date
from awmlang.compiler.diagnostics import CODES, render_human, to_json
from awmlang.console import EXIT_CLOSED_PIPE, EXIT_OK, EXIT_SPEC, EXIT_USAGE, UsageError, load_env, table
from awmlang.mutate import MUTATE_EXAMPLES
from awmlang.text import counted, wants_color


def find_specs(paths: list[str]) -> list[Path]:
    """Spec files named directly, or found (sorted) in directories. Files named `_*.awm` are
    partials meant for `import` and are not built on their own."""
    specs: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            specs.extend(sorted(x for x in p.rglob("*.awm") if not x.name.startswith("_")))
        elif p.is_file():
            specs.append(p)
        else:
            raise UsageError(f"no such file or directory: {raw}")
    if not specs:
        raise UsageError(f"no .awm specs found in {', '.join(paths)}")
    return specs


# ---- commands ----------------------------------------------------------------------------


def cmd_build(args) -> int:
    if args.watch and args.json:
        raise UsageError("--watch reports progress for people; it does not combine with --json")
    out_root = Path(args.output)
    specs = find_specs(args.paths)
    worst, watched = build_specs(specs, out_root, args)
    if args.watch:
        watch(args, out_root, watched)
    return worst


def build_specs(
    specs: list[Path], out_root: Path, args, force: bool = False
) -> tuple[int, dict[Path, dict[str, str | None]]]:
    """Build each spec (skipping unchanged ones unless forced), report progress and a summary.
    Returns the exit code and, per spec, the digest of every file its build read."""
    from awmlang import write_outputs
    from awmlang.compiler.build import STATE_FILE, source_digests

    rows, reports, worst, watched = [], [], EXIT_OK, {}
    for i, spec in enumerate(specs, 1):
        target = out_root / spec.stem
        start = time.perf_counter()
        if not (args.force or force) and is_up_to_date(target):
            status, counts = "unchanged", json.loads((target / "manifest.json").read_text())["counts"]
            diagnostics = []
            watched[spec] = json.loads((target / STATE_FILE).read_text())["sources"]
            reports.append({"spec": str(spec), "status": status, "diagnostics": []})
        else:
            result = build_spec(spec)
            diagnostics = result.diagnostics
            watched[spec] = source_digests(result.sources) or {str(spec.resolve()): None}
            if result.ok:
                write_outputs(result, target)
                status, counts = "built", json.loads(result.outputs["manifest.json"])["counts"]
            else:
                status, counts = "failed", {}
                worst = EXIT_SPEC
            if diagnostics and not args.json:
                sys.stderr.write(render_human(diagnostics, result.sources, color=wants_color(sys.stderr)))
            reports.append(
                {"spec": str(spec), "status": status, "diagnostics": [to_json(d, result.sources) for d in diagnostics]}
            )
        ms = (time.perf_counter() - start) * 1000
        errors = sum(d.is_error for d in diagnostics)
        warnings = len(diagnostics) - errors
        if not args.json:
            sys.stderr.write(
                f"[{i}/{len(specs)}] {spec}: {status} in {ms:.1f} ms"
                + (f" ({counted(errors, 'error')}, {counted(warnings, 'warning')})" if diagnostics else "")
                + "\n"
            )
        rows.append(
            (
                spec.stem,
                status,
                counts.get("entities", "-"),
                counts.get("tools", "-"),
                counts.get("seed_rows", "-"),
                errors,
                warnings,
                f"{ms:.1f}",
            )
        )
    if args.json:
        print(json.dumps(reports, indent=2, sort_keys=True))
    else:
        sys.stdout.write(table(("spec", "status", "entities", "tools", "seed rows", "errors", "warnings", "ms"), rows))
        sys.stdout.write(
            f"{sum(r[1] != 'failed' for r in rows)} of {counted(len(rows), 'spec')} ok; outputs in {out_root}/\n"
        )
        sys.stdout.flush()  # under --watch the summary must show before the next wait
    return worst, watched


WATCH_INTERVAL_S = 0.25


def watch(args, out_root: Path, watched: dict[Path, dict[str, str | None]]) -> None:
    """Rebuild each spec when a file its last build read changes (the spec, its imports, its
    seed files), until interrupted. Builds share this process's parse memo, so an edit parses
    again only the declarations it touched."""
    from awmlang.compiler.build import file_digest

    sys.stderr.write("watching for changes (Ctrl-C to stop)\n")
    # Ctrl-C only raises a flag, checked between builds: a KeyboardInterrupt raised inside a build
    # could be swallowed (SQLite turns one raised in a Python SQL function into an error)
    interrupted: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: interrupted.append(number))
    try:
        while not interrupted:
            time.sleep(WATCH_INTERVAL_S)
            try:
                specs = find_specs(args.paths)
            except UsageError:
                continue  # every spec was removed: wait for one to come back
            changed = [
                spec
                for spec in specs
                if spec not in watched or any(file_digest(p) != d for p, d in watched[spec].items())
            ]
            if changed and not interrupted:
                _, rebuilt = build_specs(changed, out_root, args, force=True)
                watched.update(rebuilt)
    finally:
        signal.signal(signal.SIGINT, previous)
    sys.stderr.write("stopped watching\n")


def cmd_tools(args) -> int:
    env = load_env(args.spec)
    tools = env.mcp_tools if args.format == "mcp" else env.tools
    if args.json or args.format in ("openai", "mcp"):
        print(json.dumps(tools, indent=2, sort_keys=True))
        return EXIT_OK
    for tool in env.tools:
        fn = tool["function"]
        props = fn["parameters"].get("properties", {})
        required = set(fn["parameters"].get("required", []))
        params = ", ".join(f"{k}{'' if k in required else '?'}" for k in props)
        print(f"{fn['name']}({params})\n    {fn['description']}")
    return EXIT_OK


def cmd_call(args) -> int:
    from awmlang.runtime.errors import json_text

    env = load_env(args.spec)
    arguments = call_arguments(args.arguments)
    image = _read_image(args.db, env) if args.db and Path(args.db).exists() else None
    try:
        session = open_session(env, _user(args.user), clock=args.clock, image=image)
    except ValueError:
        raise UsageError(f'--clock must look like "2025-01-01 09:00:00", not {args.clock!r}')
    result = session.call(args.tool, arguments)
    if args.db and result["ok"]:
        session.save(args.db)
    print(json_text(result, indent=2, sort_keys=True))
    return EXIT_OK if result["ok"] else EXIT_SPEC


def call_arguments(text: str | None):
    """The JSON arguments of `awmc call`: the command-line text, or standard input when it is
    `-` or absent (absent on a terminal is a usage error: nothing is silently defaulted)."""
    source = "the arguments"
    if text is None or text == "-":
        if text is None and sys.stdin.isatty():
            raise UsageError(
                "give the arguments as a JSON object ('{}' for none), "
                "or pipe them on standard input (or give - to read them from it)"
            )
        # surrogateescape: bytes that are not UTF-8 reach the tool as text it refuses, by name,
        # as they would on the command line
        text = sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
        source = "the arguments on standard input"
        if not text.strip():
            raise UsageError(f"{source} are empty: send a JSON object ('{{}}' for none)")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{source} are not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")


def open_session(env, user, **options):
    """A session; an unknown user or a database of another spec is a usage error."""
    from awmlang.runtime.errors import SessionError

    try:
        return env.session(user=user, **options)
    except SessionError as exc:
        raise UsageError(str(exc))


def _user(value):
    if value is None:
        return None  # the runtime's default user
    return int(value) if value.isdigit() else value


def _read_image(path: str, env) -> bytes:
    """The database in a file, if it is a database of `env`'s spec (else a usage error)."""
    import sqlite3

    from awmlang.runtime.errors import SessionError

    if not Path(path).is_file():
        raise UsageError(f"no such database file: {path}")
    if Path(path).stat().st_size == 0:
        raise UsageError(f"{path} is empty, not a database of `{env.name}`")
    try:
        src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        src.execute("SELECT count(*) FROM sqlite_master")  # "file is not a database" if not
        image = src.serialize()
        src.close()
    except sqlite3.Error as exc:
        raise UsageError(f"{path} is not a SQLite database ({exc})")
    try:
        env.load_image(sqlite3.connect(":memory:"), image, path)
    except SessionError as exc:
        raise UsageError(str(exc))
    return image


def cmd_verify(args) -> int:
    """Score a final database (and answer) against a task of the spec."""
    from awmlang.runtime.errors import json_text

    env = load_env(args.spec)
    if args.task not in env.tasks:
        raise UsageError(str(env.unknown_task(args.task)))
    before = _read_image(args.before, env) if args.before else env.initial_image
    session = open_session(env, _user(args.user), image=_read_image(args.db, env))
    report = session.verify(args.task, answer=args.answer, before=before)
    print(json_text(report, indent=2, sort_keys=True))
    return EXIT_OK if report["passed"] else EXIT_SPEC


def cmd_check(args) -> int:
    """Compile, explore each spec's tools with hypothesis, and run every task's checks."""
    if args.mutate:
        return cmd_check_mutate(args)
    specs = find_specs(args.paths)
    reports, worst = [], EXIT_OK
    out = (lambda text: None) if args.json else print
    for i, spec in enumerate(specs, 1):
        out(f"[{i}/{len(specs)}] {spec}")
        report = {"spec": str(spec), "problems": []}
        reports.append(report)
        result = build_spec(spec)
        if not result.ok:
            if not args.json:
                sys.stdout.flush()  # the diagnostics follow the spec's header line
                sys.stderr.write(render_human(result.diagnostics, result.sources, color=wants_color(sys.stderr)))
            report["problems"].append(
                {"kind": "spec_errors", "diagnostics": [to_json(d, result.sources) for d in result.errors]}
            )
            worst = EXIT_SPEC
            continue
        for d in result.diagnostics:
            if d.code == "AWM4005":  # a state no tool can reach: a missing tool or a dead member
                worst = EXIT_SPEC
                report["problems"].append(
                    {"kind": "unreachable_enum_value", "message": d.message, **to_json(d, result.sources)}
                )
                out(
                    f"  FOUND unreachable_enum_value: {d.message} ({to_json(d, result.sources)['file']}:{to_json(d, result.sources)['line']})"
                )
        env = load_env(str(spec))
        counts = json.loads(result.outputs["manifest.json"])["counts"]
        out(
            f"  compiled: {counted(counts['entities'], 'entity')}, {counted(counts['tools'], 'tool')}, "
            f"{counted(counts['seed_rows'], 'seed row')}; the seed satisfies {counted(len(env.invariants), 'invariant')}"
        )
        if not explore_spec(env, spec, args, report, out):
            worst = EXIT_SPEC
        if not check_tasks(env, report, out):
            worst = EXIT_SPEC
    if args.json:
        print(json.dumps(reports, indent=2, sort_keys=True, ensure_ascii=False))
    else:
        bad = sum(bool(r["problems"]) for r in reports)
        print(f"{len(reports) - bad} of {counted(len(reports), 'spec')} passed every check")
    return worst


def cmd_check_mutate(args) -> int:
    """`awmc check --mutate`: the mutation audit (awmlang/mutate.py)."""
    from awmlang.mutate import KINDS, Budget, check_specs

    kinds = set(args.mutate_kinds.split(",")) if args.mutate_kinds else None
    if kinds is not None and not kinds <= set(KINDS):
        raise UsageError(f"--mutate-kinds takes a comma-separated list of {', '.join(KINDS)}")
    budget = Budget(seed=args.seed, max_examples=args.mutate_examples, steps=args.steps)
    return check_specs(find_specs(args.paths), budget, kinds, args.mutate_limit, args.json)


def explore_spec(env, spec: Path, args, report: dict, out) -> bool:
    """Explore a spec's tools into `report`, print what was found; True when nothing was."""
    from awmlang.runtime.explore import explore

    if not env.tool_names:
        report["exploration"] = {"sequences": 0, "calls": 0, "tools": 0, "seed": args.seed, "seconds": 0.0}
        out("  explored: nothing to explore: the spec has no tools")
        return True
    exploration = explore(env, seed=args.seed, max_examples=args.max_examples, steps=args.steps)
    report["exploration"] = {"max_steps": args.steps, "seed": args.seed, **exploration.as_json()}
    finding = exploration.finding
    out(
        f"  explored: {counted(exploration.sequences, 'call sequence')} of up to {counted(args.steps, 'call')} "
        f"(seed {args.seed}), {counted(exploration.calls, 'call')} in {exploration.seconds:.1f} s "
        f"({exploration.calls_per_second:,.0f} calls/s)" + (": no problems" if finding is None else "")
    )
    out(f"  coverage: {exploration.coverage.summary()}")
    if finding is None:
        return True
    data = finding.as_json(str(spec), args.seed)
    saved = Path(args.save_dir) / finding_file_name(spec, data)
    saved.parent.mkdir(parents=True, exist_ok=True)
    saved.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    report["problems"].append({**data, "saved": str(saved)})
    print_finding(finding, spec, saved, out)
    return False


def finding_file_name(spec: Path, finding: dict) -> str:
    """`<spec>-<kind>-<tool>-<hash>.json`: the kind, the tool of the failing call and a short hash
    of the sequence, so a saved failure is never overwritten by another bug's."""
    calls = [{"tool": c["tool"], "arguments": c["arguments"], "user": c.get("user")} for c in finding["calls"]]
    digest = hashlib.sha256(json.dumps([finding["kind"], calls], sort_keys=True, default=str).encode()).hexdigest()
    tool = calls[-1]["tool"] if calls else "state"
    return f"{spec.stem}-{finding['kind']}-{tool}-{digest[:8]}.json"


def print_finding(finding, spec: Path, saved: Path, out) -> None:
    """The problem, its shortest call sequence (each call's user when several act) and how to replay it."""
    out(f"  FOUND {finding.kind}: {finding.message}")
    users = finding.users
    start = f" after the gold solution of task {finding.start_task}" if finding.start_task else ""
    acting = f"as user {users[0]!r}" if len(users) == 1 else f"as users {', '.join(map(repr, users))}"
    out(f"    shortest call sequence ({counted(len(finding.calls), 'call')} {acting}{start}), saved to {saved}:")
    for n, c in enumerate(finding.calls, 1):
        status = "ok" if c["result"]["ok"] else c["result"]["error"]["code"]
        who = f"user {c['user']!r}: " if len(users) > 1 else ""
        out(f"      {n}. {who}{c['tool']}({json.dumps(c['arguments'], ensure_ascii=False)}) -> {status}")
    out(f"    reproduce: awmc replay {spec} {saved}")


def check_tasks(env, report: dict, out) -> bool:
    """Run every task's checks into `report`; print each problem once, with the tasks that have
    it (an imported spec's tasks often share one). True when every task is fine."""
    from awmlang.runtime.explore import check_task

    tasks_with: dict[str, list[str]] = {}
    for task in sorted(env.tasks):
        for problem in check_task(env, task):
            report["problems"].append({"kind": "task", "task": task, "message": problem})
            tasks_with.setdefault(problem, []).append(task)
    for problem, tasks in tasks_with.items():
        out(
            f"  task {tasks[0]}: {problem}"
            if len(tasks) == 1
            else f"  {counted(len(tasks), 'task')} ({name_list(tasks)}): {problem}"
        )
    bad = {task for tasks in tasks_with.values() for task in tasks}
    report["tasks"] = {"total": len(env.tasks), "ok": len(env.tasks) - len(bad)}
    out(f"  tasks: {len(env.tasks) - len(bad)} of {len(env.tasks)} ok")
    return not bad


def name_list(names: list[str], shown: int = 3) -> str:
    """`a, b, c and 7 more`: a long list of names cut to its first few."""
    if len(names) <= shown + 1:
        return ", ".join(names)
    return f"{', '.join(names[:shown])} and {len(names) - shown} more"


def cmd_replay(args) -> int:
    """Re-run a call sequence saved by `awmc check` and report whether the problem recurs."""
    from awmlang.runtime.errors import SessionError
    from awmlang.runtime.explore import replay

    env = load_env(args.spec)
    try:
        saved = json.loads(Path(args.file).read_text())
        calls = saved["calls"]
        if not isinstance(calls, list) or not all(isinstance(c, dict) and "tool" in c for c in calls):
            raise ValueError("`calls` must be a list of {tool, arguments}")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{args.file} is not a saved call sequence: {exc}")
    try:
        results, problem = replay(env, calls, saved.get("user", 1), saved.get("start_task"))
    except SessionError as exc:
        raise UsageError(f"{args.file} cannot be replayed on {args.spec}: {exc}")
    several = len({repr(c.get("user")) for c in calls}) > 1
    for n, (c, r) in enumerate(zip(calls, results), 1):
        status = "ok" if r["ok"] else f"{r['error']['code']}: {r['error']['message']}"
        who = f"user {c.get('user')!r}: " if several else ""
        print(f"{n}. {who}{c['tool']}({json.dumps(c.get('arguments'), ensure_ascii=False)}) -> {status}")
    if problem is None:
        print("no problem: the sequence runs cleanly now")
        return EXIT_OK
    print(f"{problem[0]}: {problem[1]}")
    return EXIT_SPEC


def cmd_serve(args) -> int:
    """Serve environments over MCP: streamable HTTP at /mcp/<name>, or one over stdio."""
    import asyncio

    from awmlang.runtime.serve_mcp import serve_http, serve_stdio

    specs = find_specs(args.paths)
    envs = {spec.stem: load_env(str(spec)) for spec in specs}
    record_dir = Path(args.record) if args.record else None
    if args.stdio:
        if len(envs) != 1:
            raise UsageError("--stdio serves exactly one environment: name one spec")
        ((name, env),) = envs.items()
        asyncio.run(
            serve_stdio(name, env, user=_user(args.user), record_dir=record_dir, record_limit=args.record_limit)
        )
        return EXIT_OK
    serve_http(
        envs,
        args.host,
        args.port,
        user=_user(args.user),
        record_dir=record_dir,
        max_sessions=args.max_sessions,
        idle_timeout=args.idle_timeout,
        record_limit=args.record_limit,
    )
    return EXIT_OK


def _positive(kind: type, what: str):
    """An argparse type: a positive int or float, else a usage error naming the flag's meaning."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not value > 0 or value == float("inf"):
            raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of {what}")
        return value

    return parse


def _record_limit(text: str):
    from awmlang.runtime.serve_mcp import parse_record_limit

    try:
        return parse_record_limit(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc))


def cmd_explain(args) -> int:
    code = args.code.upper()
    if code not in CODES:
        raise UsageError(f"unknown diagnostic code {args.code} (docs/diagnostics.md lists them all)")
    from awmlang.compiler.diagnostic_examples import render_example

    title, text = CODES[code]
    example = render_example(code, lambda snippet: textwrap.indent(snippet.rstrip("\n"), "    "))
    print(f"{code}: {title}\n\n{text}" + (f"\n\n{example}" if example else ""))
    return EXIT_OK


def cmd_bench(args) -> int:
    from awmlang.bench import run_bench

    specs = find_specs(args.paths)
    report = run_bench(specs, quick=args.quick, sessions=args.sessions, mcp=args.mcp)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    return EXIT_OK


class HelpFormatter(argparse.HelpFormatter):
    """argparse's help with each option's default shown, as ArgumentDefaultsHelpFormatter does,
    except where there is nothing to show: flags, options without a default, and help texts
    that already say what the default is."""

    def _get_help_string(self, action):
        text, default = action.help or "", action.default
        if (
            default is None
            or default is argparse.SUPPRESS
            or isinstance(default, bool)
            or "default" in text
            or (not action.option_strings and action.nargs not in ("?", "*"))
        ):
            return action.help
        shown = " ".join(map(str, default)) if isinstance(default, list) else str(default)
        return f"{text} (default: {shown.replace('%', '%%')})".lstrip()

    def _split_lines(self, text, width):
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)  # not "check-\nfailures"


class Parser(argparse.ArgumentParser):
    """awmc's parser and every subcommand's (argparse makes subparsers of the parent's class)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)


def add_mutate_options(k: argparse.ArgumentParser) -> None:
    k.add_argument(
        "--mutate",
        action="store_true",
        help="audit the spec's own checks instead: make small mutants of it (a dropped require, a "
        "moved comparison, a flipped sign, a dropped write, a weakened expect), check each, and list "
        "those nothing notices",
    )
    k.add_argument(
        "--mutate-examples",
        type=_positive(int, "call sequences"),
        default=MUTATE_EXAMPLES,
        help="call sequences per mutant",
    )
    k.add_argument(
        "--mutate-limit",
        type=_positive(int, "mutants"),
        help="run at most this many mutants per spec, a sample fixed by --seed (default: all)",
    )
    k.add_argument("--mutate-kinds", help="only these kinds: guard,comparison,sign,write,expect (default: all)")


def parser() -> argparse.ArgumentParser:
    p = Parser(prog="awmc", description="Compile and run awmlang tool-use environments.")
    p.add_argument("--debug", action="store_true", help="show Python tracebacks for internal errors")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="compile specs into build directories")
    b.add_argument("paths", nargs="+", help="spec files or directories of specs")
    b.add_argument("-o", "--output", default="build", help="output directory")
    b.add_argument("--force", action="store_true", help="rebuild even unchanged specs")
    b.add_argument(
        "--json", action="store_true", help="print the report (status and diagnostics per spec) as JSON on stdout"
    )
    b.add_argument(
        "--watch",
        action="store_true",
        help="after building, rebuild a spec whenever a file it reads changes (incrementally), until Ctrl-C",
    )
    b.set_defaults(fn=cmd_build)

    t = sub.add_parser("tools", help="list a spec's tools")
    t.add_argument("spec", help="a .awm spec or a build directory")
    t.add_argument(
        "--format",
        choices=["text", "openai", "mcp"],
        default="text",
        help="a one-line signature per tool, or the JSON schemas in OpenAI or MCP form",
    )
    t.add_argument("--json", action="store_true", help="print the JSON schemas (OpenAI form unless --format mcp)")
    t.set_defaults(fn=cmd_tools)

    c = sub.add_parser("call", help="call one tool and print the result")
    c.add_argument("spec", help="a .awm spec or a build directory")
    c.add_argument("tool", help="the tool's name")
    c.add_argument(
        "arguments",
        nargs="?",
        help="JSON object of arguments; - or none: read them from standard input (none on a terminal is an error)",
    )
    c.add_argument(
        "--db", help="a database file to start from (the seed if it does not exist); saved back after a successful call"
    )
    c.add_argument("--user", help="the acting user's key (default: 1)")
    c.add_argument("--clock", help='the start time, "YYYY-MM-DD HH:MM:SS"')
    c.set_defaults(fn=cmd_call)

    v = sub.add_parser("verify", help="score a final database (and answer) against a task")
    v.add_argument("spec", help="a .awm spec or a build directory")
    v.add_argument("--task", required=True, help="the task's name")
    v.add_argument("--db", required=True, help="the final database file")
    v.add_argument("--answer", help="the agent's final answer text")
    v.add_argument("--before", help="the starting database (default: the spec's seeded state)")
    v.add_argument("--user", help="the acting user's key (default: 1)")
    v.set_defaults(fn=cmd_verify)

    k = sub.add_parser("check", help="explore specs' tools for invariant breaks and crashes; check every task")
    k.add_argument("paths", nargs="+", help="spec files or directories of specs")
    k.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives the same run")
    k.add_argument("--max-examples", type=int, default=500, help="call sequences to try per spec")
    k.add_argument("--steps", type=int, default=20, help="longest call sequence")
    k.add_argument("--save-dir", default="check-failures", help="where failing sequences are saved")
    k.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    add_mutate_options(k)
    k.set_defaults(fn=cmd_check)

    r = sub.add_parser("replay", help="re-run a call sequence saved by `awmc check`")
    r.add_argument("spec", help="a .awm spec or a build directory")
    r.add_argument("file", help="a call sequence saved by `awmc check`")
    r.set_defaults(fn=cmd_replay)

    from awmlang.import_awm import register as register_import

    register_import(sub)
    m = sub.add_parser("serve", help="serve environments to agents over MCP")
    m.add_argument("paths", nargs="+", help="spec files or directories of specs")
    m.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    m.add_argument("--port", type=int, default=8001, help="the port to listen on")
    m.add_argument("--stdio", action="store_true", help="serve one environment over stdio instead")
    m.add_argument("--user", help="the acting user's key in every session (default: 1; a client may add ?user=N)")
    m.add_argument(
        "--record",
        help="keep each ended session's initial.db, final.db and calls.json in this folder "
        "(sessions still open at shutdown too)",
    )
    m.add_argument(
        "--record-limit",
        type=_record_limit,
        default="1GB",
        help="stop recording after this many sessions (500) or this much disk space (200MB, 2GB)",
    )
    m.add_argument(
        "--max-sessions",
        type=_positive(int, "sessions"),
        default=1000,
        help="live sessions across all environments; a new session beyond it gets HTTP 503",
    )
    m.add_argument(
        "--idle-timeout",
        type=_positive(float, "seconds"),
        default=1800.0,
        help="end a session (and free its instance) after this many seconds without a request",
    )
    m.set_defaults(fn=cmd_serve)

    from awmlang.agent import register as register_agent

    register_agent(sub)
    e = sub.add_parser("explain", help="explain a diagnostic code")
    e.add_argument("code", help="a diagnostic code, such as AWM2001")
    e.set_defaults(fn=cmd_explain)

    bench = sub.add_parser("bench", help="measure sessions, calls and builds against raw sqlite3")
    bench.add_argument("paths", nargs="*", default=["specs"], help="spec files or directories of specs")
    bench.add_argument("--json", help="also write the report as JSON to this file")
    bench.add_argument("--quick", action="store_true", help="fewer repetitions (for smoke tests)")
    bench.add_argument("--sessions", type=int, default=1000, help="live sessions for the memory measurement")
    bench.add_argument(
        "--mcp", action="store_true", help="also load-test `awmc serve` (100 sessions x 50 calls, 1,000 idle sessions)"
    )
    bench.set_defaults(fn=cmd_bench)
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        code = run(argv)
        sys.stdout.flush()  # buffered output meets a closed pipe here, not at exit
        return code
    except BrokenPipeError:
        # The reader went away (`awmc explain X | head -2`): stop quietly. Point the standard
        # streams at /dev/null so that flushing them at exit does not complain again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        for stream in (sys.stdout, sys.stderr):
            try:
                os.dup2(devnull, stream.fileno())
            except (OSError, ValueError):  # a stream without a file descriptor (tests)
                pass
        os.close(devnull)
        return EXIT_CLOSED_PIPE


def run(argv: list[str] | None) -> int:
    p = parser()
    try:
        args = p.parse_args(argv)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code not in (0, None) else EXIT_OK
    from awmlang.runtime.errors import SessionError

    try:
        return args.fn(args)
    except (UsageError, SessionError) as exc:  # a SessionError: a build folder or user this awmc cannot use
        sys.stderr.write(f"awmc: error: {exc}\n")
        return EXIT_USAGE
    except SystemExit as exc:
        return int(exc.code or 0)
    except BrokenPipeError:
        raise
    except Exception as exc:  # a crash is reported, with a traceback only on --debug
        if args.debug:
            raise
        sys.stderr.write(f"awmc: internal error: {type(exc).__name__}: {exc} (run with --debug for a traceback)\n")
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
