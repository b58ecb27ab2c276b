"""The spec text of one scenario: the env, the entities, the tools, the tasks and the seeds."""

from __future__ import annotations

from awmlang.import_awm.entities import EntityPlan, FieldPlan, SchemaPlan
from awmlang.import_awm.literals import awm_text, comment
from awmlang.import_awm.naming import env_name
from awmlang.import_awm.read import Scenario
from awmlang.import_awm.seeds import render_seeds
from awmlang.import_awm.sql import CLOCK
from awmlang.import_awm.tasks import render_tasks
from awmlang.import_awm.tools import ToolText
from awmlang.text import snake


def render_spec(
    scenario: Scenario, schema: SchemaPlan, tools: list[ToolText], tasks: list[str], description: str
) -> str:
    out = render_env(scenario, schema, description)
    if schema.entities:
        out += ["# ---- entities: one per table ----", ""]
    for entity in schema.entities:
        out += render_entity(entity) + [""]
    if tools:
        complete = sum(t.complete for t in tools)
        out += [f"# ---- tools: {complete} complete, {len(tools) - complete} signature only ----", ""]
        for t in tools:
            out += [t.text, ""]
    if tasks:
        out += render_tasks(tasks, scenario.records["tasks"].where)
    seeds = render_seeds(schema)
    if seeds:
        out += ["# ---- seed data: the rows of the pipeline's database, as SQLite stored them ----", ""] + seeds
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def render_env(scenario: Scenario, schema: SchemaPlan, description: str) -> list[str]:
    """The header comments (where the spec comes from) and the `env` block."""
    sources = ", ".join(f"{r.kind}: {r.where.short()}" for r in sorted(scenario.records.values(), key=lambda r: r.kind))
    props = [f"  description {awm_text(description)}"] if description else []
    if schema.user is not None:
        props.append(f"  user {schema.user.name}")
    props.append(f'  clock "{CLOCK}"')
    return [
        comment(f"Imported from the AWM pipeline by `awmc import awm` (scenario {scenario.name})."),
        comment(f"Sources: {sources}."),
        "# docs/import.md says what carries over exactly, what is approximated and what is left to complete.",
        "",
        f"env {env_name(scenario.name)} {awm_text(scenario.name)} {{",
        *props,
        "}",
        "",
    ]


def render_entity(entity: EntityPlan) -> list[str]:
    table = entity.table
    out = [comment(f"table {table.name} ({table.where.short()})")] + [
        comment(f"approximated: {n}") for n in entity.notes
    ]
    out.append(f"entity {entity.name} {{")
    if table.name != snake(entity.name):
        out.append(f"  @@table({awm_text(table.name)})")
    out += [f"  {render_field(f)}" for f in entity.fields]
    out += [f"  @@unique({', '.join(f.name for f in u)})" for u in entity.uniques]
    out += [f"  @@index({', '.join(f.name for f in i)})" for i in entity.indexes]
    return out + ["}"]


def render_field(f: FieldPlan) -> str:
    """`name: type? = default @attributes`; `@column` only where the column's name is not the default."""
    parts = [f"{f.name}: {f.type}{'?' if f.optional else ''}"]
    if f.default is not None:
        parts.append(f"= {f.default}")
    parts += ["@id"] * f.is_id + ["@unique"] * f.unique + ["@index"] * f.index
    parts += [f"@check({c})" for c in f.checks]
    if f.on_delete in ("cascade", "set_null"):
        parts.append(f"@{f.on_delete}")
    if f.column is not None and f.column != f.default_column():
        parts.append(f"@column({awm_text(f.column)})")
    return " ".join(parts)
