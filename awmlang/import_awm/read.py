"""Reading the pipeline's files: the JSONL inputs found in folders, each line's record grouped by
scenario (its kind follows from its keys), and warnings for fields the importer does not know."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from awmlang.console import UsageError
from awmlang.import_awm.problems import Problems, Where

KNOWN_FIELDS = {
    "db": {"scenario", "db_schema", "db_path"},
    "db_schema": {"tables"},
    "db_table": {"name", "ddl", "indexes"},
    "sample": {"scenario", "sample_data", "tables_count", "inserts_count"},
    "sample_data": {"tables"},
    "sample_table": {"table_name", "reasoning", "insert_statements"},
    "spec": {"scenario", "api_spec"},
    "api_spec": {"api_groups"},
    "api_group": {"group_name", "endpoints"},
    "endpoint": {
        "path",
        "method",
        "summary",
        "description",
        "operation_id",
        "tags",
        "request_params",
        "response",
        "required_tables",
        "required_fields",
    },
    "param": {"type", "param_type", "required", "description", "example"},
    "tasks": {"scenario", "tasks"},
    "info": {"name", "description"},
}


@dataclass
class AwmRecord:
    """One JSONL line of the pipeline: a gen_db, gen_sample, gen_spec, gen_tasks or gen_scenario record."""

    kind: str  # db | sample | spec | tasks | info
    data: dict
    where: Where


@dataclass
class Scenario:
    name: str
    records: dict[str, AwmRecord] = field(default_factory=dict)
    problems: Problems = field(default_factory=Problems)


def record_kind(data: dict) -> str | None:
    for key, kind in (("db_schema", "db"), ("sample_data", "sample"), ("api_spec", "spec"), ("tasks", "tasks")):
        if key in data:
            return kind
    if "name" in data and "description" in data:
        return "info"
    return None


IGNORED_KINDS = {"full_code": "gen_envs (generated server code)", "verification": "gen_verifier (verifier code)"}


TOOL_LIST_FILE = re.compile(r"tools\.(.+)\.json")  # MCP tool names per scenario, beside the JSONL files


def find_input_files(paths: list[str]) -> tuple[list[Path], Problems]:
    """The JSONL files named or found (sorted) in folders, and a warning for each JSON file
    that is not read: a folder's `*.json`, or a `tools.<scenario>.json` named directly."""
    files: list[Path] = []
    problems = Problems()
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files.extend(sorted(x for x in p.rglob("*.jsonl") if x.is_file()))
            for unread in sorted(x for x in p.rglob("*.json") if x.is_file()):
                problems.warn(f"not imported: {unread_reason(unread)}; file skipped", Where(str(unread), 0))
        elif p.is_file() and TOOL_LIST_FILE.fullmatch(p.name):
            problems.warn(f"not imported: {unread_reason(p)}; file skipped", Where(str(p), 0))
        elif p.is_file():
            files.append(p)
        else:
            raise UsageError(f"no such file or directory: {raw}")
    if not files:
        raise UsageError(f"no .jsonl files found in {', '.join(paths)}")
    return list(dict.fromkeys(files)), problems


def unread_reason(path: Path) -> str:
    tools = TOOL_LIST_FILE.fullmatch(path.name)
    if tools:
        return (
            f"it lists the MCP tool names of scenario `{tools.group(1)}`; the importer takes each tool, "
            "with its parameters, from the scenario's api_spec (gen_spec.jsonl)"
        )
    return "only JSONL files (*.jsonl, one record per line) are read"


def read_inputs(files: list[Path]) -> tuple[dict[str, Scenario], Problems]:
    """Scenarios by name, and the problems that belong to no scenario (unreadable lines)."""
    scenarios: dict[str, Scenario] = {}
    problems = Problems()
    for path in files:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            problems.error(f"cannot read the file: {exc}", Where(str(path), 0))
            continue
        for number, line in enumerate(text.split("\n"), 1):  # JSON strings may hold U+2028 and friends
            if line.strip():
                read_line(line, Where(str(path), number), scenarios, problems)
    return scenarios, problems


def read_line(line: str, where: Where, scenarios: dict[str, Scenario], problems: Problems) -> None:
    record = parse_record(line, where, problems)
    if record is None:
        return
    kind, data = record.kind, record.data
    name = data.get("name" if kind == "info" else "scenario")
    if not isinstance(name, str) or not name.strip():
        problems.error(f"{kind} record without a scenario name; line skipped", where)
        return
    scenario = scenarios.setdefault(name, Scenario(name))
    if kind in scenario.records:
        first = scenario.records[kind].where
        scenario.problems.error(
            f"a second {kind} record for `{name}` (the first is at {first.file}:{first.line}); this one is ignored",
            where,
        )
        return
    scenario.records[kind] = record
    unknown_fields(data, "info" if kind == "info" else kind, where, scenario.problems)


def parse_record(line: str, where: Where, problems: Problems) -> AwmRecord | None:
    """The line's record, or None (reported) if it is not JSON, not an object, or of no kind."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        problems.error(f"not valid JSON ({exc.msg} at column {exc.colno}); line skipped", where)
        return None
    if not isinstance(data, dict):
        problems.error(f"a line must hold a JSON object, not {type(data).__name__}; line skipped", where)
        return None
    kind = record_kind(data)
    if kind is None:
        ignored = next((what for key, what in IGNORED_KINDS.items() if key in data), None)
        if ignored:
            problems.warn(f"{ignored} is not imported; line skipped", where)
        else:
            problems.error(f"unrecognised record (keys: {', '.join(sorted(data)) or 'none'}); line skipped", where)
        return None
    return AwmRecord(kind, data, where)


def unknown_fields(data, kind: str, where: Where, problems: Problems, context: str = "") -> None:
    if not isinstance(data, dict):
        return
    for key in sorted(set(data) - KNOWN_FIELDS[kind]):
        problems.warn(f"unknown field `{key}` in the {kind.replace('_', ' ')} record{context}; ignored", where)


def get_list(data: dict, key: str, where: Where, problems: Problems, what: str) -> list:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        problems.error(f"`{key}` of {what} must be a list, not {type(value).__name__}; ignored", where)
        return []
    return value


def text_of(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def record_items(record: AwmRecord, key: str, list_key: str, what: str, problems: Problems) -> Iterator | None:
    """The objects of `record.data[key][list_key]` as (number from 1, object), reported as they go
    by: an item that is not an object is skipped. None (reported) if `key` holds no object."""
    where = record.where
    container = record.data.get(key)
    if not isinstance(container, dict):
        problems.error(f"`{key}` must be an object with `{list_key}`", where)
        return None
    unknown_fields(container, key, where, problems)
    return numbered_objects(get_list(container, list_key, where, problems, key), what, where, problems)


def numbered_objects(items: list, what: str, where: Where, problems: Problems) -> Iterator[tuple[int, dict]]:
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict):
            problems.error(f"{what} #{i} is not an object; skipped", where)
            continue
        yield i, item
