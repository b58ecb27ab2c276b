"""The generated functions: a tool, an entity's output, a task; a tool's parameter schemas; and
the handlers module they make."""

from __future__ import annotations

from decimal import Decimal

from .. import nodes as n
from ..handlers_module import handlers_module
from ..lower_sql import owner_sql, sql
from ..pyformat import LIMIT
from ..types import INT, ClockDefault, Model, T, ToolInfo
from .snippets import ends_with_return, from_storage_code, row_select
from .statements import Emitter


def param_spec(model: Model, p, t: T | None = None) -> dict:
    """What the runtime's argument validator needs to know about a parameter type."""
    t = t or p.type
    spec: dict = {"kind": t.kind, "optional": t.optional}
    if t.kind == "enum":
        spec["members"] = model.enums[t.decl_name]
    elif t.kind == "entity":
        entity = model.entities[t.decl_name]
        spec["entity"] = t.name
        spec["key"] = entity.id_field.type.kind
    elif t.kind == "list":
        spec["items"] = param_spec(model, None, t.elem)
    elif t.kind == "record":
        fields = model.records[t.decl_name].fields
        spec["fields"] = {k: param_spec(model, None, f.type) for k, f in fields.items()}
    elif t.kind == "union":
        spec["variants"] = {
            v: {k: param_spec(model, None, f.type) for k, f in r.fields.items()}
            for v, r in model.unions[t.decl_name].variants.items()
        }
    return spec


def tool_params(model: Model, tool: ToolInfo) -> list[dict]:
    out = []
    for p in tool.params:
        spec = param_spec(model, p)
        entry = {"name": p.name, "type": spec, "required": p.required}
        if p.default is not None:
            entry["default"] = json_default(p.default_value)
        if p.range:
            entry["range"] = [json_default(x) for x in p.range]
        if p.length:
            entry["length"] = list(p.length)
        out.append(entry)
    return out


def json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, ClockDefault):
        return f"${value.unit}"
    return value


def lower_python(
    model: Model,
    spec_name: str,
    locate,
    invariants: dict[str, str] | None = None,
    lowered: dict | None = None,
    width: int | None = LIMIT,
) -> str:
    """The handlers module; `locate(span)` names a span as "file:line" for the line map and
    the comments before each statement; `invariants` maps each invariant to its SELECT of
    violating keys; `lowered` holds the tools and tasks already lowered by this build (the check's
    probe for AWM2007), by ("tool" or "task", name). The functions made, `handlers_module`
    names their SQL statements, adds the source comments and breaks lines longer than `width`
    (None: no breaking, for tests comparing the two)."""
    lowered = lowered or {}
    functions = [lowered.get(("tool", name)) or lower_tool(model, model.tools[name]) for name in sorted(model.tools)]
    tasks = [
        lowered.get(("task", task.name)) or lower_task(model, task)
        for task in sorted(model.tasks, key=lambda t: t.name)
    ]
    outputs = [lower_output(model, name) for name in sorted(model.entities)]
    return handlers_module(model, spec_name, functions, tasks, outputs, invariants or {}, locate, width)


def lower_tool(model: Model, tool: ToolInfo) -> dict:
    emitter = Emitter(model, f"tool_{tool.name}", rows_cache=True)
    params = tool_params(model, tool)
    for p in tool.params:
        emitter.emit(1, f"p_{p.name} = args[{p.name!r}]")
    for p in tool.params:
        emitter.check_keys(f"p_{p.name}", p.type, 1)
    emitter.block(tool.body, 1)
    if tool.returns.kind == "void" or not ends_with_return(tool.body):
        emitter.emit(1, "return None")
    if emitter.uses_rows:
        emitter.local_lines.insert(0, "    _rows = {}  # rows read by key in this call (support.cached_row)")
    return {
        "name": tool.name,
        "lines": emitter.local_lines + emitter.lines,
        "spans": [None] * len(emitter.local_lines) + emitter.line_spans,
        "constants": emitter.constants(),
        "columns": sorted(emitter.columns_used),
        "writes": model.tables_of(tool.written),  # the tables a call may change: () for a read
        "params": params,
        "description": tool.description,
    }


def lower_output(model: Model, name: str) -> dict:
    """The `out_<Entity>` function of one entity: the SELECT of one row and the conversions
    that make it a JSON-ready dict."""
    entity = model.entities[name]
    emitter = Emitter(model, f"out_{name}")
    const = emitter.sql_const(sql(row_select(entity)))
    conversions = [
        (f.json_name, from_storage_code(f"r[{i}]", f.type if not f.is_relation else INT))
        for i, f in enumerate(entity.columns)
    ]
    conversions = [
        (
            field,
            "money_cents(" + code[4:]
            if code.startswith("dec(")
            else code[len("decimals(") : -1]
            if code.startswith("decimals(")
            else code,
        )  # JSON numbers as they are
        for field, code in conversions
    ]
    owner = owner_sql(model, entity)
    user_column = next((f.column for f in entity.columns if f.is_relation and f.type.name == model.user_entity), None)
    return {
        "name": name,
        "sql": const,
        "fields": conversions,
        "table": entity.table,
        "key": entity.id_field.column,
        "owner": owner,
        "user_column": user_column,
        "constants": emitter.constants(),
    }


def lower_task(model: Model, task) -> dict:
    """The gold solution (a function of a `call` that runs one tool call) and the verifier
    (a list of checks, each a condition and an observed value to report)."""
    decl = task.decl
    emitter = Emitter(model, f"task_{task.name}")
    solution = solution_spans = None
    if decl.solution is not None:
        answer = "None"
        for step in decl.solution:
            if isinstance(step, n.SolutionAnswer):
                answer = f"to_text({emitter.expr(step.value)})"
                continue
            args = "{" + ", ".join(f"{a.name.name!r}: {emitter.expr(a.value)}" for a in step.args) + "}"
            if step.fails is not None:  # must fail with this code, and the solution goes on
                emitter.emit(1, f"call({step.tool.name!r}, to_plain({args}), fails={step.fails.name!r})", step.span)
                continue
            target = f"v_{step.var.name} = " if step.var is not None else ""
            emitter.emit(1, f"{target}call({step.tool.name!r}, to_plain({args}))", step.span)
        emitter.emit(1, f"return {answer}")
        solution = emitter.local_lines + emitter.lines
        solution_spans = [None] * len(emitter.local_lines) + emitter.line_spans
        emitter.local_lines, emitter.local_functions = [], {}
    checks = []
    for e in decl.expects:
        cond = emitter.expr(e.cond)
        if isinstance(e.cond, n.Binary) and e.cond.op in ("==", "!=", "<", "<=", ">", ">="):
            observed = emitter.out(emitter.expr(e.cond.left), emitter.t(e.cond.left))
        else:
            observed = cond
        checks.append((e.source, e.weight, cond, observed))
    return {
        "name": task.name,
        "instruction": task.instruction,
        "solution": solution,
        "solution_spans": solution_spans,
        "checks": checks,
        "locals": emitter.local_lines,
        "constants": emitter.constants(),
    }
