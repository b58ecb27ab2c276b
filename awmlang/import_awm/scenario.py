"""Importing one scenario: rebuild, plan, write the spec, compile it and compare the databases."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from awmlang.compiler.build import build_spec
from awmlang.compiler.diagnostics import to_json
from awmlang.import_awm.catalog import read_tables
from awmlang.import_awm.compare import compare_databases
from awmlang.import_awm.endpoints import read_endpoints
from awmlang.import_awm.entities import SchemaPlan
from awmlang.import_awm.problems import Problems
from awmlang.import_awm.read import Scenario, text_of
from awmlang.import_awm.rebuild import Rebuilt, rebuild
from awmlang.import_awm.render import render_spec
from awmlang.import_awm.schema import plan_schema
from awmlang.import_awm.sql import CLOCK
from awmlang.import_awm.tasks import read_tasks
from awmlang.import_awm.tools import ToolText, render_tool


@dataclass
class Result:
    """One scenario's import: the spec text and the report."""

    scenario: str
    text: str = ""
    output: str | None = None
    counts: dict = field(default_factory=dict)
    problems: Problems = field(default_factory=Problems)
    compiled: bool | None = None
    database: dict = field(default_factory=dict)
    rebuilt: Rebuilt | None = None
    schema: SchemaPlan | None = None

    @property
    def ok(self) -> bool:
        return self.compiled is not False and not self.problems.has_errors()

    @property
    def status(self) -> str:
        if not self.text:
            return "failed" if self.problems.has_errors() else "skipped"
        return "failed" if self.compiled is False else "imported"

    def as_json(self) -> dict:
        return {
            "scenario": self.scenario,
            "status": self.status,
            "output": self.output,
            "compiled": self.compiled,
            **self.counts,
            "database": self.database,
            "errors": [p.as_json() for p in self.problems if p.level == "error"],
            "warnings": [p.as_json() for p in self.problems if p.level == "warning"],
        }


def import_scenario(scenario: Scenario, target: Path | None) -> Result:
    """Import one scenario into the spec file `target`; never raises (a crash is reported as an
    error of this scenario)."""
    result = Result(scenario.name, problems=scenario.problems)
    try:
        convert(scenario, result)
        if target is not None and result.text:
            write_and_check(result, target)
    except Exception as exc:  # noqa: BLE001 - one scenario's failure must not stop the others
        result.problems.error(f"internal error while importing: {type(exc).__name__}: {exc}")
        result.compiled = False if result.compiled is None else result.compiled
    return result


def convert(scenario: Scenario, result: Result) -> None:
    problems = result.problems
    db = scenario.records.get("db")
    if db is None:
        kinds = ", ".join(sorted(scenario.records))
        problems.warn(f"no gen_db record (only {kinds}), so no tables: scenario skipped")
        return
    rebuilt = rebuild(db, scenario.records.get("sample"), problems, CLOCK)
    tables = read_tables(rebuilt, problems)
    schema = plan_schema(scenario.name, tables, problems)
    endpoints = read_endpoints(scenario.records["spec"], problems) if "spec" in scenario.records else []
    tools = [render_tool(e, schema) for e in endpoints]
    tasks = read_tasks(scenario.records["tasks"], problems) if "tasks" in scenario.records else []
    info = scenario.records.get("info")
    description = text_of(info.data.get("description")) if info else ""
    result.text = render_spec(scenario, schema, tools, tasks, description)
    result.counts = counts(rebuilt, schema, tools, tasks)
    result.rebuilt, result.schema = rebuilt, schema


def counts(rebuilt: Rebuilt, schema: SchemaPlan, tools: list[ToolText], tasks: list[str]) -> dict:
    """What the report counts: tables, columns, rows, statements, tools and tasks."""
    return {
        "tables": len(schema.entities),
        "columns": sum(len(e.table.columns) for e in schema.entities),
        "rows": sum(len(e.table.rows) for e in schema.entities),
        "inserts": {"total": rebuilt.inserts, "failed": rebuilt.failed_inserts},
        "tools": {
            "total": len(tools),
            "complete": sum(t.complete for t in tools),
            "signature_only": sum(not t.complete for t in tools),
        },
        "tasks": {"total": len(tasks), "needs_verifier": len(tasks)},
    }


def write_and_check(result: Result, target: Path) -> None:
    write_atomic(target, result.text)
    result.output = str(target)
    built = build_spec(target)
    result.compiled = built.ok
    for d in built.diagnostics:
        info = to_json(d, built.sources)
        text = f"{d.code} {d.message} ({Path(info.get('file') or target).name}:{info.get('line')})"
        if d.is_error:
            result.problems.error(f"the generated spec does not compile: {text}")
        else:
            result.problems.warn(f"the compiler warns: {text}")
    if built.ok:
        result.database = compare_databases(result.rebuilt.data, built.outputs["initial.db"], result.schema)


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8", errors="replace")  # lone surrogates from JSON escapes
    tmp.replace(path)
