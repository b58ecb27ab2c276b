"""Seed blocks: rows written in the spec and rows read from a seed file."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

from ...text import counted
from .. import nodes as n
from ..constants import NOT_CONST
from ..diagnostics import did_you_mean
from ..types import EntityInfo, FieldInfo, SeedInfo, SeedRef
from .state import CheckerState


class SeedsMixin(CheckerState):
    """Seed rows: each value a constant of its column's type, or a reference to a row by a unique field."""

    def check_seed(self, decl: n.SeedDecl):
        entity = self.entity_named(decl.entity)
        if entity is None:
            return
        if decl.file is not None:
            self.load_seed_file(decl, decl.file, entity)
            return
        fields = []
        for c in decl.columns:
            f = self.column_of(entity, c)
            if f is None:
                return
            fields.append(f)
        seed = SeedInfo(entity.name, [f.name for f in fields], [], decl)
        for row in decl.rows:
            if len(row.values) != len(fields):
                self.error(
                    "AWM3001",
                    f"this row has {counted(len(row.values), 'value')}, "
                    f"but the seed lists {counted(len(fields), 'column')}",
                    row.span,
                    help=f"columns: ({', '.join(f.name for f in fields)})",
                )
                continue
            values = [self.seed_value(v, f) for v, f in zip(row.values, fields)]
            seed.rows.append((row.span, values))
        self.seeds.append(seed)

    def seed_value(self, expr: n.Expr, f: FieldInfo):
        if f.type.kind == "any":
            return None  # the field's type is unknown, and reported
        if f.is_relation and isinstance(expr, n.LookupBy) and isinstance(expr.obj, n.Name):
            target = self.entities.get(expr.obj.name)
            if target is None or expr.obj.name != f.type.name:
                self.error("AWM3002", f"`{f.name}` refers to `{f.type.name}`, not `{expr.obj.name}`", expr.obj.span)
                return None
            tf = target.fields.get(expr.field.name)
            if tf is None or not (tf.unique or tf.is_id):
                self.error(
                    "AWM3002",
                    f"`{expr.field.name}` is not a unique field of `{target.name}`",
                    expr.field.span,
                    help=did_you_mean(expr.field.name, [x.name for x in target.columns if x.unique or x.is_id]),
                )
                return None
            return SeedRef(target.name, tf.column, self.seed_value(expr.value, tf))
        value = self.const_value(expr, f.type, seed_clock=self.clock)
        if value is NOT_CONST:
            self.error("AWM3002", f"a seed value must be a constant (for `{f.name}: {f.type}`)", expr.span)
            return None
        if f.type.kind == "enum" and isinstance(value, str):
            self.note_member_stored(f.type.decl_name, value)
        return value

    def load_seed_file(self, decl: n.SeedDecl, file: str, entity: EntityInfo):
        from ..seedfile import read_seed_file

        rows, error = read_seed_file(self.file_of[decl], file)
        if error:
            self.error("AWM0012", error, decl.span)
            return
        columns = sorted({k for r in rows for k in r})
        for c in columns:
            if c not in entity.fields and not any(f.column == c for f in entity.columns):
                self.error(
                    "AWM1003",
                    f"`{decl.file}` has a column `{c}` that `{entity.name}` does not have",
                    decl.span,
                    help=did_you_mean(c, [x.name for x in entity.columns]),
                )
                return
        by_name = {f.name: f for f in entity.columns} | {f.column: f for f in entity.columns}
        seed = SeedInfo(entity.name, [by_name[c].name for c in columns], [], decl)
        for row in rows:
            values = []
            for c in columns:
                v = row.get(c)
                values.append(self.file_value(v, by_name[c], decl))
            seed.rows.append((decl.span, values))
        self.seeds.append(seed)

    def file_value(self, v, f: FieldInfo, decl):
        if v is None or v == "" and f.type.optional:
            return None
        kind = f.type.kind if f.type.kind != "entity" else self.key_type(f.type.decl_name).kind
        try:
            if kind == "int":
                return int(v)
            if kind == "float":
                return float(v)
            if kind == "decimal":
                return Decimal(str(v))
            if kind == "bool":
                return v if isinstance(v, bool) else str(v).lower() in ("1", "true", "yes")
            if kind in ("json", "list", "record", "union") and isinstance(v, str):
                return json.loads(v)
            if kind == "enum" and v in self.enums[f.type.decl_name]:
                self.note_member_stored(f.type.decl_name, v)
            if kind == "enum" and v not in self.enums[f.type.decl_name]:
                self.error(
                    "AWM3002",
                    f"`{v}` is not a member of `{f.type.name}` (column `{f.name}` in `{decl.file}`)",
                    decl.span,
                )
            return v
        except (ValueError, InvalidOperation):  # json.JSONDecodeError is a ValueError
            self.error("AWM3002", f"`{v}` is not a valid {kind} (column `{f.name}` in `{decl.file}`)", decl.span)
            return None
