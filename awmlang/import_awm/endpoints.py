"""Reading the gen_spec endpoints (REST operations) and their request parameters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from awmlang.import_awm.naming import field_name, valid_name
from awmlang.import_awm.problems import Problems, Where
from awmlang.import_awm.read import AwmRecord, get_list, record_items, text_of, unknown_fields

SPEC_TYPES = {
    "integer": "int",
    "int": "int",
    "number": "float",
    "float": "float",
    "double": "float",
    "decimal": "float",
    "string": "text",
    "str": "text",
    "boolean": "bool",
    "bool": "bool",
    "array": "json",
    "object": "json",
}


@dataclass
class AwmParam:
    """A request parameter of a gen_spec endpoint."""

    name: str  # the awm name (the spec's name when it is valid)
    spec_name: str
    type: str  # awm type from the spec's type
    location: str
    required: bool
    description: str
    example: Any = None
    has_example: bool = False


@dataclass
class AwmEndpoint:
    """A gen_spec endpoint: what the importer makes a tool of."""

    name: str
    method: str
    path: str
    summary: str
    description: str
    group: str
    params: list[AwmParam]
    tables: list[str]
    where: Where


def read_endpoints(record: AwmRecord, problems: Problems) -> list[AwmEndpoint]:
    where = record.where
    groups = record_items(record, "api_spec", "api_groups", "api group", problems)
    if groups is None:
        return []
    out, names = [], set()
    for g, group in groups:
        unknown_fields(group, "api_group", where, problems, f" (group #{g})")
        gname = str(group.get("group_name") or f"#{g}")
        for i, raw in enumerate(get_list(group, "endpoints", where, problems, f"group {gname}"), 1):
            endpoint = read_endpoint(raw, gname, i, where, problems, names)
            if endpoint is not None:
                out.append(endpoint)
    return out


def read_endpoint(
    raw, group: str, number: int, where: Where, problems: Problems, names: set[str]
) -> AwmEndpoint | None:
    label = f"group {group}, endpoint #{number}"
    if not isinstance(raw, dict):
        problems.error(f"{label} is not an object; skipped", where)
        return None
    op = raw.get("operation_id")
    if not isinstance(op, str) or not op.strip():
        problems.error(f"{label} has no `operation_id`; skipped", where)
        return None
    label = f"endpoint {op}"
    unknown_fields(raw, "endpoint", where, problems, f" ({label})")
    name = op if valid_name(op) else field_name(op, set())
    if name != op:
        problems.warn(f"{label}: `{op}` is not a valid awm name; the tool is named `{name}`", where)
    if name in names:
        problems.error(f"{label}: a second endpoint with this operation_id; skipped", where)
        return None
    names.add(name)
    path = str(raw.get("path") or "")
    params = read_params(raw.get("request_params"), path, label, where, problems)
    tables = [t for t in raw.get("required_tables") or [] if isinstance(t, str)]
    return AwmEndpoint(
        name,
        str(raw.get("method") or "").upper(),
        path,
        text_of(raw.get("summary")),
        text_of(raw.get("description")),
        group,
        params,
        tables,
        where,
    )


def read_params(raw, path: str, label: str, where: Where, problems: Problems) -> list[AwmParam]:
    raw = params_by_name(raw, label, where, problems)
    params = []
    taken = {name for name in raw if isinstance(name, str) and valid_name(name)}  # valid names keep theirs
    for spec_name, p in raw.items():
        param = read_param(spec_name, p, taken, label, where, problems)
        if param is not None:
            taken.add(param.name)
            params.append(param)
    return params + path_params(path, params, label, where, problems)


def params_by_name(raw, label: str, where: Where, problems: Problems) -> dict:
    """`request_params` as {name: parameter}."""
    if isinstance(raw, list):  # a variant: a list of {name, ...}
        raw = {p.get("name"): p for p in raw if isinstance(p, dict) and isinstance(p.get("name"), str)}
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        problems.error(f"{label}: `request_params` must be an object; ignored", where)
        raw = {}
    return raw


def read_param(spec_name, p, taken: set[str], label: str, where: Where, problems: Problems) -> AwmParam | None:
    if not isinstance(p, dict):
        problems.error(f"{label}: parameter `{spec_name}` is not an object; skipped", where)
        return None
    unknown_fields(p, "param", where, problems, f" ({label}, parameter {spec_name})")
    name = spec_name if valid_name(spec_name) else field_name(spec_name, taken)
    if name != spec_name:
        problems.warn(f"{label}: parameter `{spec_name}` is not a valid awm name; it is named `{name}`", where)
    spec_type = str(p.get("type") or "string").lower()
    if spec_type not in SPEC_TYPES:
        problems.warn(f"{label}: parameter `{spec_name}` has the unknown type `{spec_type}`; it takes any JSON", where)
    return AwmParam(
        name,
        spec_name,
        SPEC_TYPES.get(spec_type, "json"),
        str(p.get("param_type") or "query"),
        bool(p.get("required")),
        text_of(p.get("description")),
        p.get("example"),
        "example" in p,
    )


def path_params(path: str, params: list[AwmParam], label: str, where: Where, problems: Problems) -> list[AwmParam]:
    """The path's `{placeholders}` that request_params leaves out, as required parameters."""
    added: list[AwmParam] = []
    for placeholder in re.findall(r"\{([^}]+)\}", path):
        known = params + added
        if placeholder not in {p.spec_name for p in known} | {p.name for p in known} and valid_name(placeholder):
            problems.warn(f"{label}: path parameter `{placeholder}` is not in request_params; added as required", where)
            added.append(
                AwmParam(placeholder, placeholder, "int" if placeholder.endswith("id") else "text", "path", True, "")
            )
    return added
