"""Build outputs: goldens, determinism, incremental rebuilds and the CLI's exit codes."""

from __future__ import annotations

import json
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from awmlang.compiler.build import OUTPUT_FILES, build_spec
from awmlang.compiler.parse import build_strict_parser

from awmlang.cli import main

CASES = Path(__file__).parent / "cases"
GOLDEN_FILES = ("schema.sql", "seed.sql", "tools.json", "handlers.py")


def _build_in(case: Path):
    return build_spec(case / "spec.awm")


def test_grammar_has_no_lalr_conflicts():
    build_strict_parser()


@pytest.mark.parametrize("case", sorted(p for p in CASES.iterdir() if p.is_dir()), ids=lambda p: p.name)
def test_golden_outputs(case: Path):
    result = _build_in(case)
    assert result.ok, [d.message for d in result.errors]
    for name in GOLDEN_FILES:
        golden = case / "expected" / name
        if os.environ.get("AWM_UPDATE_GOLDEN"):
            golden.parent.mkdir(exist_ok=True)
            golden.write_text(result.outputs[name])
        assert golden.exists(), f"{golden} is missing: regenerate goldens with AWM_UPDATE_GOLDEN=1"
        assert result.outputs[name] == golden.read_text(), f"{name} differs from its golden"


def test_rebuild_is_byte_identical():
    first = _build_in(CASES / "mini_shop")
    second = _build_in(CASES / "mini_shop")
    assert set(first.outputs) == set(OUTPUT_FILES)
    for name in OUTPUT_FILES:
        assert first.outputs[name] == second.outputs[name], name


def test_outputs_do_not_depend_on_the_working_directory(tmp_path, monkeypatch):
    """A spec with an import and a seed file, built from its folder, from its parent folder and
    from elsewhere by absolute path, gives the same bytes (the cache is off: nothing is reused)."""
    case = CASES / "features"
    builds = []
    for cwd, path in [(case, "spec.awm"), (case.parent, "features/spec.awm"), (tmp_path, str(case / "spec.awm"))]:
        monkeypatch.chdir(cwd)
        builds.append(build_spec(path, memo=False))
    assert all(b.ok for b in builds)
    for name in OUTPUT_FILES:
        assert builds[0].outputs[name] == builds[1].outputs[name] == builds[2].outputs[name], name
    assert "_shared.awm" in json.loads(builds[2].outputs["manifest.json"])["sources"]


def test_initial_db_holds_schema_and_seed(tmp_path):
    result = _build_in(CASES / "mini_shop")
    path = tmp_path / "initial.db"
    path.write_bytes(result.outputs["initial.db"])
    db = sqlite3.connect(path)
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"user", "product", "cart_item", "order", "order_item"}
    assert db.execute("SELECT price FROM product WHERE name = 'USB-C cable'").fetchone() == (999,)
    assert db.execute("SELECT user_id, product_id, quantity FROM cart_item").fetchall() == [(1, 1, 2)]
    manifest = json.loads(result.outputs["manifest.json"])
    assert manifest["counts"] == {"entities": 5, "tools": 10, "seed_rows": 6, "enums": 1}


def test_cli_build_writes_outputs_and_skips_unchanged(tmp_path, capsys):
    spec = tmp_path / "shop.awm"
    spec.write_text((CASES / "mini_shop" / "spec.awm").read_text())
    out = tmp_path / "out"
    assert main(["build", str(spec), "-o", str(out)]) == 0
    assert sorted(p.name for p in (out / "shop").iterdir() if not p.name.startswith(".")) == sorted(OUTPUT_FILES)
    first = (out / "shop" / "handlers.py").stat().st_mtime_ns
    assert main(["build", str(spec), "-o", str(out)]) == 0
    assert "unchanged" in capsys.readouterr().err
    assert (out / "shop" / "handlers.py").stat().st_mtime_ns == first
    spec.write_text(spec.read_text().replace("Desk lamp", "Desk light"))
    assert main(["build", str(spec), "-o", str(out)]) == 0
    assert "built" in capsys.readouterr().err


def test_a_spec_with_windows_line_endings_is_up_to_date_after_its_build(tmp_path, capsys):
    spec = tmp_path / "shop.awm"
    spec.write_bytes((CASES / "mini_shop" / "spec.awm").read_text().replace("\n", "\r\n").encode())
    out = tmp_path / "out"
    assert main(["build", str(spec), "-o", str(out)]) == 0
    assert main(["build", str(spec), "-o", str(out)]) == 0
    assert "unchanged" in capsys.readouterr().err


def test_watch_rebuilds_what_changes_until_interrupted(tmp_path):
    specs = tmp_path / "specs"
    specs.mkdir()
    shop = specs / "shop.awm"
    shop.write_text((CASES / "mini_shop" / "spec.awm").read_text())
    process = subprocess.Popen(
        [sys.executable, "-m", "awmlang.cli", "build", str(specs), "-o", str(tmp_path / "out"), "--watch"],
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    incoming: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [incoming.put(line) for line in process.stderr], daemon=True).start()

    def wait_for(fragment: str) -> str:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                line = incoming.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            lines.append(line)
            if fragment in line:
                return line
        raise AssertionError(f"no {fragment!r} in:\n{''.join(lines)}")

    try:
        wait_for("watching for changes")
        shop.write_text(shop.read_text().replace("price: decimal", "price: decimel", 1))
        assert "shop.awm: failed" in wait_for("shop.awm: ")
        shop.write_text(shop.read_text().replace("price: decimel", "price: decimal", 1))
        assert "shop.awm: built" in wait_for("shop.awm: ")
        (specs / "copy.awm").write_text(shop.read_text())
        assert "copy.awm: built" in wait_for("copy.awm: ")
        process.send_signal(signal.SIGINT)
        wait_for("stopped watching")
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
    assert "error[AWM1002]: unknown type `decimel`" in "".join(lines)
    assert (tmp_path / "out" / "copy" / "handlers.py").exists()


def test_cli_exit_codes(tmp_path, capsys):
    bad = tmp_path / "bad.awm"
    bad.write_text('env t "T" { }\nentity P { id: int @id  price: decimel }\n')
    assert main(["build", str(bad), "-o", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "error[AWM1002]: unknown type `decimel`" in err and "did you mean `decimal`" in err
    assert main(["build", str(tmp_path / "missing.awm")]) == 2
    assert main(["frobnicate"]) == 2
    assert main(["build", str(bad), "-o", str(tmp_path / "o"), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report[0]["diagnostics"][0]["code"] == "AWM1002"


def test_cli_call_and_tools(tmp_path, capsys):
    spec = str(CASES / "mini_shop" / "spec.awm")
    assert main(["call", spec, "get_product", '{"product_id": 2}']) == 0
    assert json.loads(capsys.readouterr().out)["result"]["name"] == "Desk lamp"
    assert main(["call", spec, "get_product", '{"product_id": 99}']) == 1
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "not_found"
    assert main(["call", spec, "get_product", "{not json"]) == 2
    db = tmp_path / "state.db"
    assert (
        main(["call", spec, "create_product", '{"name": "Pen", "category": "office", "price": 1.5}', "--db", str(db)])
        == 0
    )
    capsys.readouterr()
    assert main(["call", spec, "list_products", '{"category": "office"}', "--db", str(db)]) == 0
    assert [p["name"] for p in json.loads(capsys.readouterr().out)["result"]] == ["Pen"]
    assert main(["tools", spec]) == 0
    assert "search_products(query, category?, max_price?, limit?)" in capsys.readouterr().out
    assert main(["tools", spec, "--format", "mcp"]) == 0
    assert {t["name"] for t in json.loads(capsys.readouterr().out)} >= {"checkout", "add_to_cart"}
    assert main(["explain", "AWM2001"]) == 0
    assert "type mismatch" in capsys.readouterr().out
    assert main(["explain", "AWM9999"]) == 2


def test_load_rebuilds_when_any_source_changes(tmp_path):
    import awmlang

    spec = tmp_path / "g.awm"
    (tmp_path / "_part.awm").write_text("entity E { id: int @id  n: int }\n")
    (tmp_path / "rows.csv").write_text("id,n\n2,20\n")
    body = 'env g "G" {}\nimport "_part.awm"\nseed E(id, n) { (1, 10) }\nseed E from "rows.csv"\ntool get_e = get E "DESC"\n'
    spec.write_text(body.replace("DESC", "Get one row."))
    env = awmlang.load(spec)
    assert env.session().call("get_e", {"e_id": 1})["result"]["n"] == 10
    spec.write_text(body.replace("DESC", "Get a row.").replace("(1, 10)", "(1, 99)"))
    env = awmlang.load(spec)
    assert env.session().call("get_e", {"e_id": 1})["result"]["n"] == 99
    assert env.tools[0]["function"]["description"] == "Get a row."
    (tmp_path / "rows.csv").write_text("id,n\n2,21\n")
    assert awmlang.load(spec).session().call("get_e", {"e_id": 2})["result"]["n"] == 21
    (tmp_path / "_part.awm").write_text("entity E { id: int @id  n: int  m: int = 7 }\n")
    assert awmlang.load(spec).session().call("get_e", {"e_id": 2})["result"]["m"] == 7


def test_a_spec_without_entities_builds_and_runs(tmp_path):
    import awmlang

    spec = tmp_path / "empty.awm"
    spec.write_text('env empty "Nothing yet" { description "An environment with no entities." }\n')
    result = build_spec(spec)
    assert result.ok and len(result.outputs["initial.db"]) > 0
    assert awmlang.load(spec).session().call("anything", {})["error"]["code"] == "unknown_tool"


def test_bench_reports_every_figure_with_raw_sqlite3_beside_calls(tmp_path, capsys):
    spec = tmp_path / "shop.awm"
    spec.write_text((CASES / "mini_shop" / "spec.awm").read_text())
    report_path = tmp_path / "bench.json"
    assert main(["bench", str(spec), "--quick", "--sessions", "20", "--json", str(report_path)]) == 0
    rows = {r["metric"]: r for r in json.loads(report_path.read_text())["rows"]}
    assert {
        "session_create_us",
        "session_reset_us",
        "build_cold_ms",
        "build_warm_ms",
        "rebuild_nochange_ms",
        "rss_20_sessions_mb",
        "rss_20_sessions_after_a_write_mb",
        "explore_calls_per_s",
    } <= rows.keys()
    assert rows["explore_calls_per_s"]["ours"] > 0 and " calls in " in rows["explore_calls_per_s"]["detail"]
    written = rows["rss_20_sessions_after_a_write_mb"]
    assert written["ours"] >= rows["rss_20_sessions_mb"]["ours"] and written["detail"].endswith(" call each")
    for metric in ("session_create_us", "session_reset_us"):
        assert rows[metric]["ours"] > 0 and rows[metric]["raw_sqlite3"] > 0
    kinds = set(rows["build_warm_ms"]["by_kind"])
    assert kinds and kinds <= {
        "env",
        "enum",
        "entity",
        "record",
        "union",
        "tool",
        "seed",
        "invariant",
        "task",
        "comment",
    }
    assert "build_warm_ms" in capsys.readouterr().out
