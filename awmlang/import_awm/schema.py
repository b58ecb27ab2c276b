"""The plan of a scenario's entities: tables to entities, relations, constraints and the seed order."""

from __future__ import annotations

from awmlang.import_awm.catalog import AwmTable
from awmlang.import_awm.checks import plan_check
from awmlang.import_awm.entities import EntityPlan, SchemaPlan, plan_entity, plan_indexes
from awmlang.import_awm.naming import entity_names
from awmlang.import_awm.problems import Problems
from awmlang.import_awm.relations import link_relations
from awmlang.import_awm.seeds import order_rows_by_parent, seed_order


def plan_schema(scenario: str, tables: list[AwmTable], problems: Problems) -> SchemaPlan:
    names = entity_names([t.name for t in tables])
    schema = SchemaPlan(scenario, [], None, problems)
    for table in tables:
        schema.entities.append(plan_entity(names[table.name], table, problems))
    user = schema.entity_of_table("users") or schema.entity_of_table("user")
    schema.user = user if user is not None and user.key.type == "int" else None
    for entity in schema.entities:
        link_relations(schema, entity, problems)
    schema.seed_order = seed_order(schema, problems)
    for entity in schema.entities:
        plan_constraints(entity, problems)
        order_rows_by_parent(entity, problems)
    return schema


def plan_constraints(entity: EntityPlan, problems: Problems) -> None:
    plan_indexes(entity, problems)
    for column, cond in entity.table.checks:
        plan_check(entity, column, cond, problems)
