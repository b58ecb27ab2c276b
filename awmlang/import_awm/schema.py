"""The plan of a scenario's entities: tables to entities, relations, constraints and the seed order."""

from __future__ import annotations

from awmlang.import_awm.catalog import Table
from awmlang.import_awm.checks import plan_check
from awmlang.import_awm.entities import Entity, Model, plan_entity, plan_indexes
from awmlang.import_awm.naming import entity_names
from awmlang.import_awm.problems import Problems
from awmlang.import_awm.relations import link_relations
from awmlang.import_awm.seeds import order_rows_by_parent, seed_order


def build_model(scenario: str, tables: list[Table], problems: Problems) -> Model:
    names = entity_names([t.name for t in tables])
    model = Model(scenario, [], None, problems)
    for table in tables:
        model.entities.append(plan_entity(names[table.name], table, problems))
    user = model.entity_of_table("users") or model.entity_of_table("user")
    model.user = user if user is not None and user.key.type == "int" else None
    for entity in model.entities:
        link_relations(model, entity, problems)
    model.seed_order = seed_order(model, problems)
    for entity in model.entities:
        plan_constraints(entity, problems)
        order_rows_by_parent(entity, problems)
    return model


def plan_constraints(entity: Entity, problems: Problems) -> None:
    plan_indexes(entity, problems)
    for column, cond in entity.table.checks:
        plan_check(entity, column, cond, problems)
