"""`awmc import awm`: the AWM pipeline's JSONL files -> .awm specs (awmlang/import_awm/, docs/import.md).

Fixtures (tests/awm_fixtures/README.md): e_commerce_33 (the official gen_db sample, a gen_spec written
to match tools.e_commerce_33.json, the official gen_tasks), library (gen_db + gen_sample + gen_spec +
gen_tasks + gen_scenario, made to be imported exactly) and messy (broken lines, broken SQL, shapes
awm can only approximate).
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

import awmlang
from awmlang.cli import main
from awmlang.import_awm import CLOCK, NEEDS_VERIFIER, affinity, import_awm, pin_now

FIXTURES = Path(__file__).resolve().parent / "awm_fixtures"
ECOM, LIBRARY, MESSY = FIXTURES / "e_commerce_33", FIXTURES / "library", FIXTURES / "messy"


def imported(tmp_path_factory, folder: Path, scenario: str) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp(scenario)
    (result,) = import_awm([str(folder)], out, [scenario]).as_json()["scenarios"]
    return out / f"{scenario}.awm", result


@pytest.fixture(scope="module")
def ecom(tmp_path_factory):
    return imported(tmp_path_factory, ECOM, "e_commerce_33")


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return imported(tmp_path_factory, LIBRARY, "library_9")


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def pipeline_database(folder: Path) -> sqlite3.Connection:
    """The database the AWM pipeline builds from gen_db + gen_sample: the DDL, the indexes, then
    each INSERT in order, skipping those that fail; with its clock fixed to the env's clock
    (`'now'`, CURRENT_TIMESTAMP, CURRENT_DATE), as docs/import.md says the importer does."""

    def pinned(sql: str) -> str:
        sql = re.sub(r"'now'", f"'{CLOCK}'", sql, flags=re.IGNORECASE)
        return sql.replace("CURRENT_TIMESTAMP", f"'{CLOCK}'").replace("CURRENT_DATE", f"'{CLOCK[:10]}'")

    db = sqlite3.connect(":memory:", isolation_level=None)
    for table in records(folder / "gen_db.jsonl")[0]["db_schema"]["tables"]:
        for sql in [table["ddl"], *table["indexes"]]:
            db.execute(pinned(sql))
    for table in records(folder / "gen_sample.jsonl")[0]["sample_data"]["tables"]:
        for sql in table["insert_statements"]:
            try:
                db.execute(pinned(sql))
            except sqlite3.Error:
                pass
    return db


def user_tables(db) -> list[str]:
    return sorted(
        r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    )


def rows(db, table: str) -> list[tuple]:
    return [tuple((type(v).__name__, v) for v in r) for r in db.execute(f'SELECT * FROM "{table}" ORDER BY rowid')]


# ---- e_commerce_33: the official gen_db sample ---------------------------------------------------


def ecom_catalog() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    for table in records(ECOM / "gen_db.e_commerce_33.jsonl")[0]["db_schema"]["tables"]:
        for sql in [table["ddl"], *table["indexes"]]:
            db.execute(sql)
    return db


def test_e_commerce_imports_all_tables_and_compiles(ecom):
    spec, result = ecom
    assert result["status"] == "imported" and result["compiled"] is True and not result["errors"]
    assert result["tables"] == 19
    assert result["database"]["equal"] is True
    env = awmlang.load(spec)
    assert sorted(user_tables(env.session().db)) == sorted(user_tables(ecom_catalog()))


def test_e_commerce_keeps_columns_keys_defaults_and_checks(ecom):
    spec, _ = ecom
    original, seeded = ecom_catalog(), awmlang.load(spec).session().db
    for table in user_tables(original):
        info_a = original.execute(f"PRAGMA table_info({table})").fetchall()
        info_b = seeded.execute(f"PRAGMA table_info({table})").fetchall()
        # name, NOT NULL, default, primary key: all equal (cid, name, type, notnull, dflt_value, pk)
        assert [(r[1], r[3], r[4], r[5]) for r in info_a] == [(r[1], r[3], r[4], r[5]) for r in info_b], table
        for a, b in zip(info_a, info_b):
            if affinity(a[2]) != "NUMERIC":  # DATETIME columns are TEXT in awm (docs/import.md)
                assert affinity(a[2]) == affinity(b[2]), (table, a, b)
        sql_a, sql_b = (
            db.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
            for db in (original, seeded)
        )
        assert sql_a.count("CHECK") == sql_b.count("CHECK"), table


def test_e_commerce_keeps_foreign_keys_and_indexes(ecom):
    spec, _ = ecom
    original, seeded = ecom_catalog(), awmlang.load(spec).session().db

    def fks(db, table):
        return sorted(
            (r[3], r[2], r[4], r[6].replace("NO ACTION", "RESTRICT"))
            for r in db.execute(f"PRAGMA foreign_key_list({table})")
        )

    def indexes(db, table):
        out = set()
        for _, name, unique, origin, _ in db.execute(f"PRAGMA index_list({table})"):
            if origin != "pk":
                out.add((bool(unique), tuple(r[2] for r in db.execute(f"PRAGMA index_info({name})"))))
        return out

    for table in user_tables(original):
        expected = fks(original, table)
        if table == "product_aggregates":  # its primary key is also the foreign key: kept as a plain @id
            assert expected == [("product_id", "products", "id", "RESTRICT")] and fks(seeded, table) == []
        else:
            assert fks(seeded, table) == expected, table
        have = indexes(seeded, table)
        for unique, cols in indexes(original, table):  # every index is there (a unique one covers a plain one)
            assert (unique, cols) in have or (True, cols) in have, (table, cols)


def test_e_commerce_tools_match_the_mcp_tool_list(ecom):
    spec, result = ecom
    expected = {t["name"]: t for t in json.loads((ECOM / "tools.e_commerce_33.json").read_text())["tools"]}
    tools = {t["function"]["name"]: t["function"]["parameters"] for t in awmlang.load(spec).tools}
    assert set(tools) == set(expected)
    for name, t in expected.items():
        assert sorted(tools[name].get("properties", {})) == sorted(t["params"]), name
        assert sorted(tools[name].get("required", [])) == sorted(t["required"]), name
    assert result["tools"] == {"total": 39, "complete": 17, "signature_only": 22}


def test_e_commerce_tool_bodies(ecom):
    spec, _ = ecom
    text = spec.read_text()
    assert "tool remove_cart_item = delete CartItem" in text
    assert "tool create_product_review = create ProductReview(product, rating, title, body) with user = me" in text
    assert "return UserAddress where user == me order by id" in text
    search = text[text.index("tool search_products(") :]
    assert search.index('fail not_implemented "search_products is not implemented yet') < search.index("}")
    s = awmlang.load(spec).session()
    failed = s.call("get_product_by_id", {"product_id": 1})
    assert failed["error"]["code"] == "not_implemented" and "{product_id}" in failed["error"]["message"]
    assert s.call("list_user_addresses", {}) == {"ok": True, "result": []}


def test_e_commerce_tasks_need_verifiers(ecom):
    spec, result = ecom
    assert result["tasks"] == {"total": 10, "needs_verifier": 10}
    assert spec.read_text().count(f"\n  {NEEDS_VERIFIER}\n") == 10
    env = awmlang.load(spec)
    report = env.session().verify("task_01", answer="")
    assert report["passed"] is False and report["checks"][0]["expect"] == NEEDS_VERIFIER.removeprefix("expect ")


# ---- library: the database carries over exactly -------------------------------------------------


def test_library_seeded_database_equals_the_pipelines(library):
    spec, result = library
    assert result["compiled"] is True and result["database"]["equal"] is True
    original, seeded = pipeline_database(LIBRARY), awmlang.load(spec).session().db
    assert user_tables(seeded) == user_tables(original)  # sqlite_sequence (AUTOINCREMENT) aside
    for table in user_tables(original):
        info_a = original.execute(f'PRAGMA table_info("{table}")').fetchall()
        info_b = seeded.execute(f'PRAGMA table_info("{table}")').fetchall()
        assert [r[1] for r in info_a] == [r[1] for r in info_b], table
        for a, b in zip(info_a, info_b):
            if affinity(a[2]) != "NUMERIC":  # DATETIME, DATE, BOOLEAN, DECIMAL: see docs/import.md
                assert affinity(a[2]) == affinity(b[2]), (table, a[1])
        assert rows(seeded, table) == rows(original, table), table
    assert result["rows"] == 16


def test_library_checks_accept_and_reject_what_sqlite_did(library):
    """CHECK constraints translated to @check keep SQL's meaning, NULL included."""
    spec, _ = library
    original, seeded = pipeline_database(LIBRARY), awmlang.load(spec).session().db
    seeded.execute("PRAGMA foreign_keys = OFF")
    probes = [
        "INSERT INTO books (id, isbn, title, branch_code, copies) VALUES (50, 'x', 'T', 'DT', -1)",
        "INSERT INTO books (id, isbn, title, branch_code, price) VALUES (51, 'x', 'T', 'DT', NULL)",
        "INSERT INTO books (id, isbn, title, branch_code, price) VALUES (52, 'y', 'T', 'DT', -0.5)",
        "INSERT INTO books (id, isbn, title, branch_code, rating) VALUES (53, 'z', 'T', 'DT', 5.5)",
        "INSERT INTO books (id, isbn, title, branch_code, rating) VALUES (54, 'w', 'T', 'DT', NULL)",
        "INSERT INTO loans (id, book_id, user_id, due_on, status) VALUES (50, 1, 1, '2025-01-02', 'lost')",
        "INSERT INTO loans (id, book_id, user_id, due_on, status) VALUES (51, 1, 1, '2025-01-02', 'gone')",
        "INSERT INTO loans (id, book_id, user_id, borrowed_at, due_on, returned_at) "
        "VALUES (52, 1, 1, '2025-01-02 00:00:00', '2025-01-09', '2025-01-01 00:00:00')",
        "INSERT INTO books (id, isbn, title, branch_code, tags) VALUES (55, 'v', 'T', 'DT', '')",
        "INSERT INTO books (id, isbn, title, branch_code, tags) VALUES (56, 'u', 'T', 'DT', NULL)",
        "INSERT INTO users (id, email, full_name) VALUES (50, 'n@x', '')",
        "INSERT INTO users (id, email, full_name, tier) VALUES (51, 'm@x', 'M', NULL)",
    ]

    def accepts(db, sql):
        try:
            db.execute(sql)
            return True
        except sqlite3.Error:
            return False

    assert [accepts(seeded, p) for p in probes] == [accepts(original, p) for p in probes]


def test_library_failed_inserts_are_reported_and_skipped(library):
    _, result = library
    failures = [e for e in result["errors"] if "fails in SQLite" in e["message"]]
    assert len(failures) == 5 == result["inserts"]["failed"]
    assert all(Path(e["file"]).name == "gen_sample.jsonl" and e["line"] == 1 for e in failures)
    assert any("UNIQUE constraint failed: users.email" in e["message"] for e in failures)
    assert any("no column named shelf" in e["message"] for e in failures)


def test_library_tools_run(library):
    spec, result = library
    text = spec.read_text()
    assert "tool get_book = get Book" in text and "tool list_books = list Book(branch_code)" in text
    assert "tool update_note = update Note(body) where user == me" in text
    assert result["tools"] == {"total": 8, "complete": 6, "signature_only": 2}
    s = awmlang.load(spec).session(user=1)
    assert s.call("get_book", {"book_id": 3})["result"]["price"] == 0.00001
    assert [b["id"] for b in s.call("list_books", {"branch_code": "NB"})["result"]] == [2, 3]
    assert [loan["id"] for loan in s.call("list_my_loans", {"status": "open"})["result"]] == [2]
    note = s.call("create_note", {"body": "hi {there}", "pinned": True})["result"]
    assert (note["pinned"], note["body"], note["created_at"]) == (1, "hi {there}", "2025-01-01 09:00:04")  # 4th call
    assert s.call("update_note", {"note_id": 7, "body": "not mine"})["error"]["code"] == "not_found"
    assert s.call("delete_note", {"note_id": note["id"]}) == {"ok": True, "result": {"deleted": note["id"]}}
    assert s.call("search_books", {"query": "linux"})["error"]["code"] == "not_implemented"


def test_library_text_is_quoted_and_dates_follow_the_clock(library):
    spec, _ = library
    text = spec.read_text()
    assert 'description "A lending library: members borrow books from branches, with loans, fees and notes."' in text
    assert 'task task_2 "Write a note saying \\"return {all} books\\" and pin it." {' in text
    s = awmlang.load(spec).session()
    (users,) = s.query("SELECT full_name, joined_at FROM users WHERE id = 3")
    assert users == ("Cy {the librarian} \\\\ Zoë", CLOCK)  # an omitted CURRENT_TIMESTAMP: the clock
    assert s.query("SELECT joined_at FROM users WHERE id = 1") == [
        ("2024-12-02 09:00:00",)
    ]  # datetime('now', '-30 days')
    assert s.query("SELECT body FROM notes WHERE id = 1") == [
        ('Line one\nline\ttwo with "quotes" and a \\\\ backslash',)
    ]


def test_reimport_is_byte_identical(library, tmp_path):
    spec, _ = library
    report = import_awm([str(LIBRARY)], tmp_path, ["library_9"]).as_json()
    assert report["scenarios"][0]["compiled"] is True
    assert (tmp_path / "library_9.awm").read_bytes() == spec.read_bytes()


# ---- broken input: reported with file and line, never a traceback ----------------------------------


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    import io
    import sys

    out = tmp_path_factory.mktemp("messy")
    stdout, stderr = io.StringIO(), io.StringIO()
    old = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = stdout, stderr
    try:
        code = main(["import", "awm", str(MESSY), "-o", str(out), "--json"])
    finally:
        sys.stdout, sys.stderr = old
    return code, json.loads(stdout.getvalue()), stderr.getvalue(), out


def where(problem) -> str:
    return f"{Path(problem['file']).name}:{problem['line']}" if problem["file"] else "-"


def test_messy_input_is_reported_with_file_and_line(messy):
    code, report, stderr, _ = messy
    assert code == 1 and "Traceback" not in stderr
    top = {(where(p), p["message"].split(" (")[0].split(";")[0]) for p in report["problems"]}
    assert ("gen_db.jsonl:2", "not valid JSON") in top
    assert ("gen_db.jsonl:3", "a line must hold a JSON object, not list") in top
    assert any(w == "gen_db.jsonl:4" and m.startswith("unrecognised record") for w, m in top)
    assert ("gen_sample.jsonl:3", "not valid JSON") in top


def test_messy_scenarios_still_import(messy):
    _, report, _, out = messy
    by_name = {s["scenario"]: s for s in report["scenarios"]}
    assert by_name["fine_one"]["status"] == "imported" and by_name["fine_one"]["database"]["equal"] is True
    odd = by_name["odd_shapes"]
    assert odd["status"] == "imported" and odd["compiled"] is True  # the rest of its tables import
    assert (out / "odd_shapes.awm").exists() and (out / "fine_one.awm").exists()


def test_messy_sql_and_fields_are_reported(messy):
    _, report, _, _ = messy
    odd = next(s for s in report["scenarios"] if s["scenario"] == "odd_shapes")
    errors = [(where(p), p["message"]) for p in odd["errors"]]
    warnings = [(where(p), p["message"]) for p in odd["warnings"]]

    def has(items, place, *words):
        return any(w == place and all(x in m for x in words) for w, m in items)

    assert has(errors, "gen_db.jsonl:1", "table broken", "fails in SQLite")
    assert has(errors, "gen_db.jsonl:6", "second db record")
    assert has(errors, "gen_sample.jsonl:1", "statement 2", "fails in SQLite", "INSERT INTO items VALUES (")
    assert has(errors, "gen_sample.jsonl:1", "not an INSERT", "DROP")
    assert has(errors, "gen_spec.jsonl:1", "no `operation_id`")
    assert has(errors, "gen_tasks.jsonl:1", "task #2")
    assert has(warnings, "gen_db.jsonl:1", "unknown field `comment`")
    assert has(warnings, "gen_sample.jsonl:1", "unknown field `notes`")
    assert has(warnings, "gen_spec.jsonl:1", "unknown field `extra`")
    assert has(warnings, "gen_db.jsonl:1", "virtual table `docs`")
    assert has(warnings, "gen_db.jsonl:1", "trigger `trg_items`")
    assert has(warnings, "gen_db.jsonl:1", "table tags", "does not parse with sqlglot")
    assert has(warnings, "gen_db.jsonl:1", "composite primary key (a, b)")
    assert has(warnings, "gen_db.jsonl:1", "CHECK (name GLOB")
    assert has(warnings, "gen_db.jsonl:1", "foreign key (person_id)", "missing parents")
    assert has(warnings, "gen_db.jsonl:1", "table hens", "refer to each other")
    assert has(warnings, "gen_db.jsonl:1", "composite primary key (person_id, kid_id)")
    assert odd["database"]["equal"] is False and "docs: not imported" in odd["database"]["differences"]


def test_scenarios_without_a_schema_are_skipped():
    report = import_awm([str(ECOM)], None).as_json()  # None: generate only, write nothing
    status = {s["scenario"]: s["status"] for s in report["scenarios"]}
    assert status == {"code_hosting_2": "skipped", "content_platform_1": "skipped", "e_commerce_33": "imported"}


def test_human_report_and_usage_errors(tmp_path, capsys):
    assert main(["import", "awm", str(LIBRARY), "-o", str(tmp_path)]) == 1  # five INSERTs fail
    out, err = capsys.readouterr()
    assert err == "" and "library_9: imported" in out and "tools 8: 6 complete, 2 signature only" in out
    assert "seeded database equal to the pipeline's: yes" in out
    assert main(["import", "awm", str(ECOM), "-o", str(tmp_path), "--scenario", "nope"]) == 2
    assert "no scenario nope" in capsys.readouterr().err
    assert main(["import", "awm", str(tmp_path / "missing"), "-o", str(tmp_path)]) == 2
    assert main(["import", "awm", str(ECOM), "-o", str(tmp_path), "--scenario", "e_commerce_33", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["scenarios"][0]["tables"] == 19


# ---- pieces -----------------------------------------------------------------------------------------


def test_pin_now_replaces_only_readings_of_the_clock():
    sql = (
        "INSERT INTO t VALUES (datetime('now', '-3 days'), CURRENT_TIMESTAMP, current_date, 'now', "
        "date('NOW', 'localtime'), julianday())"
    )
    assert pin_now(sql, CLOCK) == (
        f"INSERT INTO t VALUES (datetime('{CLOCK}', '-3 days'), '{CLOCK}', '2025-01-01', 'now', "
        f"date('{CLOCK}', '+0 seconds'), julianday('{CLOCK}'))"
    )


def test_names_with_line_breaks_cannot_inject_spec_code(tmp_path):
    """A newline in a path, group or table name must stay inside its comment."""
    import json as _json

    from awmlang.cli import main as awmc

    db = {"scenario": "inj", "db_schema": {"tables": [{"name": "t", "ddl": "CREATE TABLE t (id INTEGER PRIMARY KEY)"}]}}
    spec = {
        "scenario": "inj",
        "api_spec": {
            "api_groups": [
                {
                    "group_name": "G\nentity Evil { id: int @id }",
                    "endpoints": [
                        {
                            "operation_id": "get_t",
                            "method": "GET",
                            "path": '/t\ntool evil() -> json "x" { return 1 }\n#',
                        }
                    ],
                }
            ]
        },
    }
    source = tmp_path / "in"
    source.mkdir()
    (source / "gen_db.jsonl").write_text(_json.dumps(db) + "\n")
    (source / "gen_spec.jsonl").write_text("\ufeff" + _json.dumps(spec, ensure_ascii=False) + "\n")
    out = tmp_path / "out"
    assert awmc(["import", "awm", str(source), "-o", str(out)]) in (0, 1)
    text = (out / "inj.awm").read_text()
    assert "\ntool evil" not in text and "\nentity Evil" not in text


def test_line_separators_inside_json_strings_do_not_split_lines(tmp_path):
    import json as _json

    from awmlang.cli import main as awmc

    db = {
        "scenario": "sep",
        "db_schema": {
            "tables": [{"name": "t", "ddl": "CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT DEFAULT 'a\u2028b')"}]
        },
    }
    source = tmp_path / "in"
    source.mkdir()
    (source / "gen_db.jsonl").write_text(_json.dumps(db, ensure_ascii=False) + "\n")
    assert awmc(["import", "awm", str(source), "-o", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "sep.awm").exists()


def test_renamed_parameters_never_collide(tmp_path):
    import json as _json

    from awmlang.cli import main as awmc

    db = {"scenario": "dup", "db_schema": {"tables": [{"name": "x", "ddl": "CREATE TABLE x (id INTEGER PRIMARY KEY)"}]}}
    endpoints = [
        {
            "operation_id": "s1",
            "method": "GET",
            "path": "/s1",
            "request_params": {"a b": {"type": "string"}, "a_b": {"type": "string"}},
        },
        {
            "operation_id": "s2",
            "method": "GET",
            "path": "/x/{item_id}",
            "request_params": {"item id": {"type": "integer"}},
        },
    ]
    source = tmp_path / "in"
    source.mkdir()
    (source / "gen_db.jsonl").write_text(_json.dumps(db) + "\n")
    (source / "gen_spec.jsonl").write_text(
        _json.dumps({"scenario": "dup", "api_spec": {"api_groups": [{"group_name": "G", "endpoints": endpoints}]}})
        + "\n"
    )
    out = tmp_path / "out"
    awmc(["import", "awm", str(source), "-o", str(out)])
    from awmlang.compiler.build import build_spec

    result = build_spec(out / "dup.awm")
    assert result.ok, [d.message for d in result.errors]


def test_temp_tables_are_reported_and_skipped(tmp_path):
    import json as _json

    from awmlang.cli import main as awmc

    db = {
        "scenario": "tt",
        "db_schema": {
            "tables": [
                {"name": "tmp1", "ddl": "CREATE TEMP TABLE tmp1 (id INTEGER PRIMARY KEY)"},
                {"name": "real1", "ddl": "CREATE TABLE real1 (id INTEGER PRIMARY KEY)"},
            ]
        },
    }
    source = tmp_path / "in"
    source.mkdir()
    (source / "gen_db.jsonl").write_text(_json.dumps(db) + "\n")
    assert awmc(["import", "awm", str(source), "-o", str(tmp_path / "out")]) == 0
    text = (tmp_path / "out" / "tt.awm").read_text()
    assert "entity Real1" in text and "entity Tmp1" not in text


# ---- files the importer does not read, and repeated warnings ---------------------------------------


def test_a_tools_json_beside_the_jsonl_files_is_reported_not_silently_ignored(tmp_path):
    report = import_awm([str(ECOM)], None).as_json()  # the folder holds tools.e_commerce_33.json
    [skipped] = [p for p in report["problems"] if p["file"].endswith("tools.e_commerce_33.json")]
    assert skipped["level"] == "warning" and skipped["line"] == 0
    assert skipped["message"].startswith("not imported: it lists the MCP tool names of scenario `e_commerce_33`")
    named = import_awm(
        [str(ECOM / "tools.e_commerce_33.json"), str(ECOM / "gen_db.e_commerce_33.jsonl")], None
    ).as_json()
    assert [p["file"] for p in named["problems"]] == [str(ECOM / "tools.e_commerce_33.json")]
    assert named["files"] == [str(ECOM / "gen_db.e_commerce_33.jsonl")]  # not read as JSONL


def test_a_warning_repeated_on_every_line_is_printed_once(tmp_path, capsys):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for f in LIBRARY.iterdir():
        (inputs / f.name).write_bytes(f.read_bytes())
    verifier = inputs / "gen_verifier.jsonl"
    verifier.write_text(
        "".join(
            json.dumps({"scenario": "library_9", "task_idx": i, "verification": {"code": "x"}}) + "\n"
            for i in range(250)
        )
    )
    main(["import", "awm", str(inputs), "-o", str(tmp_path / "out")])
    out = capsys.readouterr().out
    skipped = [line for line in out.splitlines() if "gen_verifier" in line]
    assert skipped == [
        f"warning: 250 lines skipped: gen_verifier (verifier code) is not imported (first at {verifier}:1)"
    ]
    main(["import", "awm", str(inputs), "-o", str(tmp_path / "out"), "--json"])
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert [p["line"] for p in problems if p["file"] == str(verifier)] == list(range(1, 251))  # JSON keeps each line


def test_repeated_problems_are_counted_with_the_first_place():
    from awmlang.import_awm import Problem, Where, aggregated

    problems = [Problem("warning", "odd value", Where("a.jsonl", n)) for n in (3, 7)] + [
        Problem("error", "odd value", Where("a.jsonl", 9)),
        Problem("warning", "no gen_db"),
        Problem("warning", "no gen_db"),
    ]
    assert aggregated(problems) == [
        "warning: odd value (2 times; first at a.jsonl:3)",
        "a.jsonl:9: error: odd value",
        "warning: no gen_db (2 times)",
    ]
