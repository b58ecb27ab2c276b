"""Phase 3c: tool parameter lists -> JSON Schemas (through pydantic), in OpenAI and MCP formats."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import ConfigDict, Field, create_model

from .diagnostics import with_article
from .lower_python import tool_params
from .types import Model

_TYPES: dict[str, Any] = {"int": int, "float": float, "decimal": float, "bool": bool, "text": str, "json": Any}


def _python_type(spec: dict, owner: str, name: str):
    kind = spec["kind"]
    if kind in _TYPES:
        base = _TYPES[kind]
    elif kind == "date":
        base = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$", json_schema_extra={"format": "date"})]
    elif kind == "datetime":
        base = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")]
    elif kind == "enum":
        base = Literal[tuple(spec["members"])]
    elif kind == "entity":
        key = int if spec["key"] == "int" else str
        base = Annotated[key, Field(description=f"the key of {with_article(spec['entity'])}")]
    elif kind == "list":
        base = list[_python_type(spec["items"], owner, name)]  # type: ignore[misc]  # item type known at run time
    elif kind == "record":
        base = _record_model(spec["fields"], f"{owner}_{name}")
    elif kind == "union":
        variants = []
        for variant, fields in spec["variants"].items():
            fields = dict(fields)
            variants.append(_record_model(fields, f"{owner}_{name}_{variant}", kind_literal=variant))
        union = Union[tuple(variants)]  # type: ignore[valid-type]  # built at run time: `X | Y` cannot be
        base = Annotated[union, Field(discriminator="kind")] if len(variants) > 1 else variants[0]
    else:
        base = Any
    return Optional[base] if spec.get("optional") else base


def _record_model(fields: dict, model_name: str, kind_literal: str | None = None):
    definitions: dict[str, Any] = {}
    if kind_literal is not None:
        definitions["kind"] = (Literal[kind_literal], ...)
    for fname, fspec in fields.items():
        t = _python_type(fspec, model_name, fname)
        definitions[fname] = (t, None if fspec.get("optional") else ...)
    return create_model(model_name, __config__=ConfigDict(extra="forbid"), **definitions)


def parameters_schema(params: list[dict], tool_name: str) -> dict:
    """The JSON Schema of a tool's arguments (memoised: pydantic model creation is slow, and
    most tools are unchanged between two builds of a spec)."""
    return json.loads(_cached_schema(json.dumps(params), tool_name))


@lru_cache(maxsize=4096)
def _cached_schema(params_json: str, tool_name: str) -> str:
    return json.dumps(_build_schema(json.loads(params_json), tool_name))


def clear_schema_memo() -> None:
    """Forget the memoised schemas (for measuring a build from nothing)."""
    _cached_schema.cache_clear()
    _rendered_entries.cache_clear()


def _build_schema(params: list[dict], tool_name: str) -> dict:
    definitions: dict[str, Any] = {}
    for p in params:
        t = _python_type(p["type"], tool_name, p["name"])
        constraints: dict[str, Any] = {}
        if "range" in p:
            lo, hi = p["range"]
            if lo is not None:
                constraints["ge"] = float(lo) if isinstance(lo, str) else lo
            if hi is not None:
                constraints["le"] = float(hi) if isinstance(hi, str) else hi
        if "length" in p:
            lo, hi = p["length"]
            if lo is not None:
                constraints["min_length"] = lo
            if hi is not None:
                constraints["max_length"] = hi
        if "default" in p and not str(p["default"]).startswith("$"):
            default = p["default"]
            if p["type"]["kind"] == "decimal" and default is not None:
                default = float(default)
            definitions[p["name"]] = (t, Field(default, **constraints))
        elif p["required"]:
            definitions[p["name"]] = (t, Field(..., **constraints))
        else:
            definitions[p["name"]] = (t, Field(None, **constraints))
    model = create_model(f"{tool_name}_args", __config__=ConfigDict(extra="forbid"), **definitions)
    schema = model.model_json_schema()
    schema.pop("title", None)
    _strip_titles(schema)
    schema.setdefault("properties", {})
    return schema


def _strip_titles(node):
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict):
            for value in props.values():
                if isinstance(value, dict):
                    value.pop("title", None)
        for value in node.values():
            _strip_titles(value)
    elif isinstance(node, list):
        for value in node:
            _strip_titles(value)


def tool_entries(model: Model, name: str) -> tuple[dict, dict]:
    """One tool's entry in the OpenAI format and in the MCP format."""
    tool = model.tools[name]
    return _entries(name, tool.description, parameters_schema(tool_params(model, tool), name))


def _entries(name: str, description: str, schema: dict) -> tuple[dict, dict]:
    return (
        {"type": "function", "function": {"name": name, "description": description, "parameters": schema}},
        {"name": name, "description": description, "inputSchema": schema},
    )


def tool_schemas(model: Model) -> dict:
    """{"openai": [...], "mcp": [...]} for every tool, sorted by name."""
    entries = [tool_entries(model, name) for name in sorted(model.tools)]
    return {"openai": [e[0] for e in entries], "mcp": [e[1] for e in entries]}


def render_tools_json(model: Model) -> str:
    """tools.json: `tool_schemas` as JSON with two-space indents. Each tool's entries are
    rendered on their own, then joined exactly as `json.dumps(tool_schemas(model), indent=2)`
    would join them."""
    rendered = [
        _rendered_entries(json.dumps(tool_params(model, model.tools[name])), name, model.tools[name].description)
        for name in sorted(model.tools)
    ]
    lists = [",\n".join(r[i] for r in rendered) for i in (0, 1)]
    if not rendered:
        return '{\n  "openai": [],\n  "mcp": []\n}\n'
    return '{\n  "openai": [\n' + lists[0] + '\n  ],\n  "mcp": [\n' + lists[1] + "\n  ]\n}\n"


@lru_cache(maxsize=4096)
def _rendered_entries(params_json: str, name: str, description: str) -> tuple[str, str]:
    """A tool's two entries as indented JSON text (memoised with the schema: json's indenting
    encoder is pure Python, about a tenth of a build)."""
    schema = json.loads(_cached_schema(params_json, name))
    openai, mcp = _entries(name, description, schema)
    return _indented(openai), _indented(mcp)


def _indented(entry: dict) -> str:
    # key order is kept as built (parameters in declaration order), which is deterministic
    return "\n".join("    " + line for line in json.dumps(entry, indent=2).split("\n"))
