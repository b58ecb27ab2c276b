"""Endpoints to tools: a CRUD plan where method, path and table say what the endpoint does (written
in the one-line form or as a full tool), otherwise a signature whose body fails `not_implemented`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from awmlang.import_awm.endpoints import AwmEndpoint, AwmParam
from awmlang.import_awm.entities import EntityPlan, FieldPlan, SchemaPlan
from awmlang.import_awm.literals import awm_text, comment
from awmlang.text import snake

VERBS = {
    "get": {"get", "fetch", "read", "show", "retrieve", "view", "describe", "lookup", "find"},
    "list": {"list", "get", "fetch", "find", "search", "browse", "show", "retrieve", "view"},
    "create": {"create", "add", "new", "register", "post", "insert", "make", "open"},
    "update": {"update", "edit", "set", "modify", "change", "patch", "rename"},
    "delete": {"delete", "remove", "drop", "destroy"},
}


@dataclass
class ParamBinding:
    """A tool parameter that sets or filters one field."""

    param: AwmParam
    field: FieldPlan
    awm_type: str  # the parameter's awm type
    bool_to_int: bool = False  # a boolean parameter for an int column

    def value(self) -> str:
        return f"int(${self.param.name})" if self.bool_to_int else f"${self.param.name}"


@dataclass
class ToolPlan:
    op: str  # get | list | create | update | delete
    entity: EntityPlan
    key: AwmParam | None = None
    bindings: list[ParamBinding] = field(default_factory=list)
    limit: AwmParam | None = None
    offset: AwmParam | None = None
    scoped: bool = False  # rows of the acting user only (`user == me`)


def derive_tool(endpoint: AwmEndpoint, schema: SchemaPlan) -> tuple[ToolPlan | None, str]:
    """The CRUD meaning of an endpoint, or why it has none."""
    op = {"GET": "get", "POST": "create", "PUT": "update", "PATCH": "update", "DELETE": "delete"}.get(endpoint.method)
    if op is None:
        return None, f"method {endpoint.method or '?'}"
    last = endpoint.path.rstrip("/").rsplit("/", 1)[-1]
    by_key = bool(re.fullmatch(r"\{[^}]+\}", last))
    if op == "get" and not by_key:
        op = "list"
    if op in ("update", "delete") and not by_key or op == "create" and by_key:
        return None, f"{endpoint.method} {endpoint.path} is not a plain {op}"
    verb = endpoint.name.split("_")
    if verb[0] not in VERBS[op] or len(verb) > 1 and verb[1] == "or":
        return None, f"its name does not say {op} ({endpoint.method} {endpoint.path})"
    if len(endpoint.tables) != 1:
        return (
            None,
            f"it reads several tables ({', '.join(endpoint.tables)})" if endpoint.tables else "it names no table",
        )
    entity = schema.entity_of_table(endpoint.tables[0])
    if entity is None:
        return None, f"table {endpoint.tables[0]} is not imported"
    return plan_for(op, entity, endpoint, last[1:-1] if by_key else None)


def plan_for(op: str, entity: EntityPlan, endpoint: AwmEndpoint, key_name: str | None) -> tuple[ToolPlan | None, str]:
    """The plan of a CRUD endpoint on one entity: every parameter is its key, a column or
    limit/offset."""
    plan = ToolPlan(op, entity)
    for p in endpoint.params:
        if p.spec_name == key_name and op in ("get", "update", "delete"):
            if not refers_to_key(p, entity):
                return None, f"`{p.name}` is not the key of {entity.table.name}"
            plan.key = p
            continue
        if op == "list" and p.name in ("limit", "offset") and p.type == "int":
            setattr(plan, p.name, p)
            continue
        if op in ("get", "delete"):
            return None, f"`{p.name}` is more than the key"
        binding = bind(p, entity)
        if binding is None:
            return None, f"`{p.name}` is not a column of {entity.table.name}"
        plan.bindings.append(binding)
    owner = entity.owner
    gives_owner = owner is not None and any(b.field is owner for b in plan.bindings)
    parent_filter = any(b.field.relation is not None and b.param.required for b in plan.bindings)
    plan.scoped = owner is not None and not gives_owner and not (op == "list" and parent_filter)
    if op == "create":
        return check_create(plan)
    if op == "update" and not plan.bindings:
        return None, "it updates no column"
    return plan, ""


def refers_to_key(p: AwmParam, entity: EntityPlan) -> bool:
    key = entity.key
    if key.column is None or p.type != key.type:
        return False
    crud_name = f"{snake(entity.name)}_{key.name}"
    tail = p.name[: -len(key.name) - 1] if p.name.endswith(f"_{key.name}") else None
    return p.name in (crud_name, key.column) or (
        tail is not None and (snake(entity.name) == tail or snake(entity.name).endswith("_" + tail))
    )


def bind(p: AwmParam, entity: EntityPlan) -> ParamBinding | None:
    f = entity.by_column(p.spec_name)
    if f is None or f.is_id and f.type == "int":
        return None
    if f.relation is not None:
        return ParamBinding(p, f, f.type) if p.type == f.relation.key.type else None
    if p.type == f.type or (p.type, f.type) in (("int", "float"), ("text", "datetime"), ("text", "date")):
        return ParamBinding(p, f, f.type)
    if p.type == "bool" and f.type == "int":
        return ParamBinding(p, f, "bool", bool_to_int=True)
    return None


def check_create(plan: ToolPlan) -> tuple[ToolPlan | None, str]:
    given = {b.field.name for b in plan.bindings}
    for f in plan.entity.fields:
        needed = not f.optional and f.default is None and not (f.is_id and f.type == "int")
        if needed and f.name not in given and not (plan.scoped and f is plan.entity.owner):
            return None, f"it does not set the required column `{f.key_column}`"
    for b in plan.bindings:
        if not b.param.required and not b.field.optional and b.field.default is None:
            return None, f"the optional `{b.param.name}` sets a required column"
        if b.bool_to_int and not b.param.required and b.field.default not in (None, "0", "1"):
            return None, f"`{b.param.name}` is a boolean but its column's default is {b.field.default}"
    return plan, ""


def param_decl(name: str, awm_type: str, required: bool) -> str:
    return f"{name}: {awm_type}{'' if required else '?'}"


def crud_line(plan: ToolPlan, endpoint: AwmEndpoint) -> str | None:
    """The one-line CRUD form, if it has exactly the endpoint's parameters."""
    e = plan.entity
    crud_key = f"{snake(e.name)}_{e.key.name}"
    if plan.key is not None and plan.key.name != crud_key:
        return None
    if any(b.bool_to_int or b.param.name != b.field.column or b.awm_type != b.field.type for b in plan.bindings):
        return None
    scope = f" where {e.owner.name} == me" if plan.scoped else ""
    fields = f"({', '.join(b.field.name for b in plan.bindings)})" if plan.bindings else ""
    if plan.op in ("get", "delete"):
        return f"{plan.op} {e.name}{scope}"
    if plan.op == "list":
        if (
            not (plan.limit and plan.offset)
            or plan.limit.required
            or plan.offset.required
            or any(b.param.required for b in plan.bindings)
        ):
            return None
        return f"list {e.name}{fields}{scope}"
    if plan.op == "create":
        if any(b.param.required != (not b.field.optional and b.field.default is None) for b in plan.bindings):
            return None
        owner = f" with {e.owner.name} = me" if plan.scoped else ""
        return f"create {e.name}{fields}{owner}"
    if any(b.param.required for b in plan.bindings):
        return None
    stamp = updated_at(plan)
    return f"update {e.name}{fields}{scope}{' with ' + stamp.name + ' = now()' if stamp else ''}"


def updated_at(plan: ToolPlan) -> FieldPlan | None:
    f = next((x for x in plan.entity.fields if x.column == "updated_at" and x.type in ("datetime", "text")), None)
    return f if f is not None and f.default == "now()" and all(b.field is not f for b in plan.bindings) else None


def tool_params(plan: ToolPlan, endpoint: AwmEndpoint) -> list[str]:
    out = []
    for p in endpoint.params:
        if p is plan.key:
            out.append(f"{p.name}: {plan.entity.name}")
        elif p is plan.limit:
            out.append("limit: int" + (" @range(1, 200)" if p.required else " = 50 @range(1, 200)"))
        elif p is plan.offset:
            out.append("offset: int" + (" @range(0, null)" if p.required else " = 0 @range(0, null)"))
        else:
            b = next(b for b in plan.bindings if b.param is p)
            out.append(param_decl(p.name, b.awm_type, p.required))
    return out


def tool_body(plan: ToolPlan) -> tuple[str, list[str]]:
    """(return type, statements) of the full-tool form."""
    e = plan.entity
    if plan.op == "list":
        return f"list<{e.name}>", [f"return {list_query(plan)}"]
    if plan.op == "create":
        values = [f"{e.owner.name}: me"] if plan.scoped else []
        values += [f"{b.field.name}: {create_value(b)}" for b in plan.bindings]
        return e.name, [f"return insert {e.name}({', '.join(values)})"]
    guard = owner_guard(plan)
    k = plan.key.name
    if plan.op == "get":
        return e.name, guard + [f"return {k}"]
    if plan.op == "delete":
        return "json", guard + [f"let deleted = {k}.{e.key.name}", f"delete {k}", "return {deleted: deleted}"]
    return e.name, guard + [f"update {k} set {', '.join(update_sets(plan))}", f"return {k}"]


def owner_guard(plan: ToolPlan) -> list[str]:
    """A scoped tool given a key answers not_found for another user's row."""
    if not (plan.scoped and plan.key is not None):
        return []
    e = plan.entity
    message = awm_text(e.name + " not found", "double")
    return [f"require {plan.key.name}.{e.owner.name} == me else fail not_found {message}"]


def list_query(plan: ToolPlan) -> str:
    """The query of a list tool; an optional filter left out (null) does not filter."""
    e = plan.entity
    conds = [f"{e.owner.name} == me"] if plan.scoped else []
    for b in plan.bindings:
        test = f"{b.field.name} == {b.value()}"
        conds.append(test if b.param.required else f"(${b.param.name} is null or {test})")
    query = e.name + (f" where {' and '.join(conds)}" if conds else "") + f" order by {e.key.name}"
    query += " limit $limit" if plan.limit else ""
    query += " offset $offset" if plan.offset else ""
    return query


def update_sets(plan: ToolPlan) -> list[str]:
    """`field = value` for each binding (an optional one left out keeps the value), and the stamp."""
    sets = [
        f"{b.field.name} = " + (b.value() if b.param.required else f"coalesce({b.value()}, {b.field.name})")
        for b in plan.bindings
    ]
    stamp = updated_at(plan)
    if stamp:
        sets.append(f"{stamp.name} = now()")
    return sets


def create_value(b: ParamBinding) -> str:
    if b.param.required or b.field.default is None:
        return b.value()
    if b.bool_to_int:
        return f"int(coalesce(${b.param.name}, {'true' if b.field.default == '1' else 'false'}))"
    return f"coalesce(${b.param.name}, {b.field.default})"


def tool_description(endpoint: AwmEndpoint) -> str:
    text = endpoint.summary
    if endpoint.description and endpoint.description != endpoint.summary:
        text = f"{text.rstrip('.')}. {endpoint.description}" if text else endpoint.description
    docs = []
    for p in endpoint.params:
        doc = p.description
        if p.has_example and p.example is not None:
            doc = f"{doc.rstrip('.')}{'. ' if doc else ''}Example: {json.dumps(p.example, ensure_ascii=False)}."
        if doc:
            docs.append(f"{p.name}: {doc}")
    if docs:
        text = f"{text.rstrip()} Parameters: " + " ".join(d if d.endswith(".") else d + "." for d in docs)
    return text or f"{endpoint.method} {endpoint.path}"


@dataclass
class ToolText:
    text: str
    complete: bool


def render_tool(endpoint: AwmEndpoint, schema: SchemaPlan) -> ToolText:
    plan, why = derive_tool(endpoint, schema)
    where = f"{endpoint.method} {endpoint.path}".strip()
    params = ", ".join(f"{p.spec_name} ({p.location}{', required' if p.required else ''})" for p in endpoint.params)
    head = [comment(f"{where} (group {endpoint.group}; tables: {', '.join(endpoint.tables) or '-'})")]
    if params:
        head.append(comment(f"params: {params}"))
    desc = awm_text(tool_description(endpoint))
    if plan is not None:
        line = crud_line(plan, endpoint)
        if line is not None:
            return ToolText("\n".join(head + [f"tool {endpoint.name} = {line}", f"  {desc}"]), True)
        returns, body = tool_body(plan)
        sig = f"tool {endpoint.name}({', '.join(tool_params(plan, endpoint))}) -> {returns}"
        return ToolText("\n".join(head + [sig, f"  {desc} {{"] + [f"  {s}" for s in body] + ["}"]), True)
    sig_params = ", ".join(param_decl(p.name, p.type, p.required) for p in endpoint.params)
    message = awm_text(f"{endpoint.name} is not implemented yet ({where})", braces="double")
    head.insert(0, comment(f"SIGNATURE ONLY ({why}): complete the body"))
    return ToolText(
        "\n".join(
            head
            + [f"tool {endpoint.name}({sig_params}) -> json", f"  {desc} {{", f"  fail not_implemented {message}", "}"]
        ),
        False,
    )
