"""Declarations: the names of types and tools, the types of fields, entity attributes, relations, the env header, owners."""

from __future__ import annotations

import datetime as dt

from ...runtime.support import CLOCK_FORMAT
from ...text import counted, snake
from .. import nodes as n
from ..diagnostics import Label, did_you_mean
from ..types import ANY, BOOL, SCALARS, EntityInfo, FieldInfo, RecordInfo, T, UnionInfo, is_numeric, query_of
from .state import CheckerState, Ctx, Scope, column_of, valid_sql_name


class DeclarationsMixin(CheckerState):
    """Passes 1 and 2: the names of types and tools (`collect`), then the types of fields and what the
    attributes of entities say (`resolve_types`), relations pointing back, the env header, owners."""

    def collect(self, decls):
        """Pass 1: the env header, and the name of every type and tool (each once)."""
        self.collect_env([d for d in decls if isinstance(d, n.EnvDecl)], decls)
        seen: dict[tuple[str, str], n.Ident] = {}
        for d in decls:
            if isinstance(d, (n.EnumDecl, n.RecordDecl, n.UnionDecl, n.EntityDecl)):
                key = ("type", d.name.name)
            elif isinstance(d, n.ToolDecl):
                key = ("tool", d.name.name)
            else:
                continue
            if key in seen:
                self.error(
                    "AWM1001",
                    f"`{d.name.name}` is declared twice",
                    d.name.span,
                    labels=[Label(seen[key].span, "first declared here")],
                )
                continue
            if key[0] == "type" and key[1] in SCALARS + ("list",):
                self.error("AWM1015", f"`{d.name.name}` is a built-in type name", d.name.span)
                continue
            seen[key] = d.name
            self.type_spans[d.name.name] = d.name.span
            self.collect_type(d)

    def collect_env(self, envs: list[n.EnvDecl], decls):
        if not envs:
            first = next((d for d in decls if hasattr(d, "span")), None)
            self.error(
                "AWM1009",
                "the spec has no `env` header",
                first.span if first else None,
                help='start the spec with `env name "Title" { description "..." }`',
            )
        for extra in envs[1:]:
            self.error(
                "AWM1009",
                f"a second `env` header `{extra.name.name}`",
                extra.name.span,
                help="a spec declares exactly one environment",
            )
        if envs:
            self.env = envs[0]

    def collect_type(self, d):
        """The table entry of a type declaration (a tool's comes with its check)."""
        if isinstance(d, n.EnumDecl):
            self.collect_enum(d)
        elif isinstance(d, n.EntityDecl):
            self.entities[d.name.name] = EntityInfo(d.name.name, snake(d.name.name), {}, d)
        elif isinstance(d, n.RecordDecl):
            self.records[d.name.name] = RecordInfo(d.name.name, {})
        elif isinstance(d, n.UnionDecl):
            self.unions[d.name.name] = UnionInfo(d.name.name, {})

    def collect_enum(self, d: n.EnumDecl):
        members = []
        for m in d.members:
            if m.name in members:
                self.error("AWM1001", f"enum member `{m.name}` is listed twice in `{d.name.name}`", m.span)
            else:
                members.append(m.name)
        self.enums[d.name.name] = members
        self.enum_decls[d.name.name] = d

    def resolve_type(self, ref: n.TypeRef, allow_many: bool = False) -> T:
        if ref.many:
            return self.resolve_backref_type(ref, allow_many)
        if ref.args:
            return self.resolve_generic(ref)
        if ref.name in SCALARS:
            return T(ref.name, optional=ref.optional)
        for kind, table in (
            ("enum", self.enums),
            ("entity", self.entities),
            ("record", self.records),
            ("union", self.unions),
        ):
            if ref.name in table:
                self.used.add(ref.name)
                return T(kind, ref.name, optional=ref.optional)
        if ref.name == "list":
            self.error(
                "AWM1002",
                "`list` needs an element type",
                ref.span,
                help="write `list<int>`, `list<text>` or `list<RecordName>`",
            )
            return ANY
        self.unknown_type(ref)
        return ANY

    def resolve_backref_type(self, ref: n.TypeRef, allow_many: bool) -> T:
        """`Entity[]`: the rows of another entity that point at this one."""
        if not allow_many:
            self.error("AWM1002", f"`{ref.name}[]` (rows pointing back) is only allowed on entity fields", ref.span)
            return ANY
        if ref.name not in self.entities:
            self.unknown_type(ref)
            return ANY
        self.used.add(ref.name)
        return query_of(ref.name)

    def resolve_generic(self, ref: n.TypeRef) -> T:
        """`name<...>`: only `list<T>` is one."""
        if ref.name == "map":
            self.error(
                "AWM1002",
                "there is no `map<K, V>` type",
                ref.span,
                help="use `json` for a free-form object, or a list of records: "
                "`list<Entry>` with `record Entry { key: text  value: decimal }`",
            )
            return ANY
        if ref.name != "list":
            self.error(
                "AWM1002",
                f"unknown generic type `{ref.name}<...>`",
                ref.span,
                help="the only generic type is `list<T>`",
            )
            return ANY
        if len(ref.args) != 1:
            self.error(
                "AWM1002", "`list` takes one element type", ref.span, help="write `list<int>` or `list<RecordName>`"
            )
            return ANY
        return T("list", args=(self.resolve_type(ref.args[0]),), optional=ref.optional)

    def unknown_type(self, ref: n.TypeRef):
        names = list(SCALARS) + list(self.enums) + list(self.entities) + list(self.records) + list(self.unions)
        self.error("AWM1002", f"unknown type `{ref.name}`", ref.span, help=did_you_mean(ref.name, names))

    def resolve_types(self, decls):
        for d in decls:
            if isinstance(d, n.RecordDecl) and d.name.name in self.records:
                self.records[d.name.name].fields = self.plain_fields(d.fields, d.name.name)
            elif isinstance(d, n.UnionDecl) and d.name.name in self.unions:
                variants = {}
                for v in d.variants:
                    if v.name.name in variants:
                        self.error("AWM1001", f"variant `{v.name.name}` is declared twice", v.name.span)
                    variants[v.name.name] = RecordInfo(v.name.name, self.plain_fields(v.fields, v.name.name))
                self.unions[d.name.name].variants = variants
        entity_decls = [
            d
            for d in decls
            if isinstance(d, n.EntityDecl)
            and self.entities.get(d.name.name, None)
            and self.entities[d.name.name].decl is d
        ]
        for d in entity_decls:
            self.resolve_entity_fields(self.entities[d.name.name])
        for d in entity_decls:
            self.resolve_backrefs(self.entities[d.name.name])
        if self.env is not None:
            self.check_env(self.env)

    def plain_fields(self, fields, owner: str) -> dict[str, FieldInfo]:
        out = {}
        for f in fields:
            if f.name.name in out:
                self.error("AWM1001", f"field `{f.name.name}` is declared twice in `{owner}`", f.name.span)
                continue
            t = self.resolve_type(f.type)
            out[f.name.name] = FieldInfo(f.name.name, t, f.name.name, f, default=f.default)
            for a in f.attrs:
                self.error("AWM1008", f"`@{a.name.name}` is not allowed on record fields", a.name.span)
        return out

    def resolve_entity_fields(self, e: EntityInfo):
        for f in e.decl.fields:
            name = f.name.name
            if name in e.fields:
                self.error("AWM1001", f"field `{name}` is declared twice in `{e.name}`", f.name.span)
                continue
            t = self.resolve_type(f.type, allow_many=True)
            if t.kind == "query":
                e.fields[name] = FieldInfo(name, t, name, f, backref=(t.elem.decl_name, ""))
                continue
            # a record or union is stored as JSON text, in the column of the field's name
            column = f"{name}_id" if t.kind == "entity" else name
            info = FieldInfo(name, t, column, f, default=f.default)
            self.apply_field_attrs(e, info, f)
            e.fields[name] = info
        self.check_key(e)
        self.check_columns(e)
        for ta in e.decl.table_attrs:
            self.apply_table_attr(e, ta)

    def check_key(self, e: EntityInfo):
        """One `@id` field, an `int` or a `text`."""
        keys = [f for f in e.fields.values() if f.is_id]
        if len(keys) != 1:
            self.error(
                "AWM1012",
                f"entity `{e.name}` has {counted(len(keys), '`@id` field') if keys else 'no `@id` field'}",
                e.decl.name.span,
                help="add `id: int @id` as its first field",
            )
            return
        e.key = keys[0]
        if e.key.type.kind not in ("int", "text") or e.key.type.optional:
            self.error("AWM1012", f"the `@id` field of `{e.name}` must be `int` or `text`", e.key.declared.type.span)

    def check_columns(self, e: EntityInfo):
        """No two fields stored in one column."""
        columns: dict[str, FieldInfo] = {}
        for f in e.fields.values():
            if f.is_column and f.column in columns:
                self.error(
                    "AWM1015",
                    f"fields `{columns[f.column].name}` and `{f.name}` of `{e.name}` share the column `{f.column}`",
                    f.declared.name.span,
                    help='rename a field, or give it another column with `@column("...")`',
                )
            elif f.is_column:
                columns[f.column] = f

    def apply_table_attr(self, e: EntityInfo, ta):
        """`@@table("name")`, or `@@unique`, `@@index` or `@@owned_by` over fields."""
        if ta.name.name == "table":
            if ta.text is None or not valid_sql_name(ta.text):
                self.error(
                    "AWM2011", '`@@table` takes the table\'s name as a string: `@@table("order_items")`', ta.span
                )
            else:
                e.table = ta.text
            return
        if ta.text is not None:
            self.error("AWM2011", f"`@@{ta.name.name}` takes field names, not a string", ta.span)
            return
        if ta.path:
            if ta.name.name == "owned_by":
                e.owner = (tuple(ident.name for ident in ta.fields), ta)  # a path: check_owner follows it
            else:
                self.error("AWM2011", f"`@@{ta.name.name}` takes field names, not a path", ta.span)
            return
        names = [ident.name for ident in ta.fields if column_of(e, ident, self.error) is not None]
        if ta.name.name == "unique":
            e.uniques.append(tuple(names))
        elif ta.name.name == "index":
            e.indexes.append(tuple(names))
        elif ta.name.name == "owned_by":
            if len(ta.fields) != 1:
                self.error("AWM2002", "`@@owned_by` names one field: the relation to the row's owner", ta.span)
            elif names:
                e.owner = ((names[0],), ta)
        else:
            self.error(
                "AWM1008",
                f"unknown table attribute `@@{ta.name.name}`",
                ta.name.span,
                help=did_you_mean(ta.name.name, ["unique", "index", "owned_by"])
                or "use `@@unique(a, b)` or `@@index(a, b)`",
            )

    FIELD_ATTRS = ("id", "unique", "index", "check", "range", "length", "cascade", "set_null", "restrict", "column")

    def apply_field_attrs(self, e: EntityInfo, info: FieldInfo, f: n.Field):
        for a in f.attrs:
            name = a.name.name
            if name == "id":
                info.is_id = True
            elif name == "unique":
                info.unique = True
            elif name == "index":
                info.index = True
            elif name == "check":
                if len(a.args) != 1:
                    self.error("AWM2002", "`@check` takes one boolean expression", a.span)
                else:
                    info.checks.append(a.args[0])
            elif name in ("range", "length"):
                bounds = self.const_bounds(a)
                if bounds is not None:
                    setattr(info, name, bounds)
            elif name == "column":
                arg = a.args[0] if len(a.args) == 1 else None
                if not (isinstance(arg, n.Literal) and arg.kind == "text" and valid_sql_name(arg.value)):
                    self.error("AWM2011", '`@column` takes the column\'s name as a string: `@column("owner")`', a.span)
                else:
                    info.column = arg.value
            elif name in ("cascade", "set_null", "restrict"):
                if info.type.kind != "entity":
                    self.error("AWM1008", f"`@{name}` only applies to relation fields", a.name.span)
                elif name == "set_null" and not info.type.optional:
                    self.error(
                        "AWM2011",
                        "`@set_null` needs an optional relation",
                        a.name.span,
                        help=f"write `{f.name.name}: {info.type.name}?`",
                    )
                info.on_delete = name
            else:
                self.error(
                    "AWM1008", f"unknown attribute `@{name}`", a.name.span, help=did_you_mean(name, self.FIELD_ATTRS)
                )

    def resolve_backrefs(self, e: EntityInfo):
        for info in e.fields.values():
            if info.backref is None:
                continue
            child = self.entities[info.backref[0]]
            pointing = [f for f in child.fields.values() if f.is_relation and f.type.name == e.name]
            via = info.declared.type.via
            unresolved = {f.name for f in child.fields.values() if f.type.kind == "any"}
            if unresolved and (via.name in unresolved if via is not None else len(pointing) < 2):
                continue  # the field meant to point here has an unknown type, reported already
            if via is not None:
                match = [f for f in pointing if f.name == via.name]
                if not match:
                    self.error(
                        "AWM1013",
                        f"`{child.name}` has no field `{via.name}` pointing at `{e.name}`",
                        via.span,
                        help=did_you_mean(via.name, [f.name for f in pointing]),
                    )
                    continue
                info.backref = (child.name, match[0].name)
            elif len(pointing) == 1:
                info.backref = (child.name, pointing[0].name)
            else:
                self.error(
                    "AWM1013",
                    f"`{child.name}` has {counted(len(pointing), 'field') if pointing else 'no fields'} pointing at `{e.name}`",
                    info.declared.type.span,
                    help=f"name one with `{child.name}[] via field`"
                    if pointing
                    else f"add a field `{snake(e.name)}: {e.name}` to `{child.name}`",
                )

    def check_env(self, env: n.EnvDecl):
        for p in env.props:
            key = p.key.name
            if key == "user":
                if p.value not in self.entities:
                    self.user_unresolved = True
                    self.error(
                        "AWM1010",
                        f"`user` names `{p.value}`, which is not an entity",
                        p.value_span,
                        help=did_you_mean(p.value, self.entities),
                    )
                else:
                    self.user_entity = p.value
                    self.used.add(p.value)
            elif key == "clock":
                try:
                    dt.datetime.strptime(p.value, CLOCK_FORMAT)
                    self.clock = p.value
                except ValueError:
                    self.error(
                        "AWM1010", f'`clock` must look like "2025-01-01 09:00:00", got "{p.value}"', p.value_span
                    )
            elif key != "description":
                self.error(
                    "AWM1010",
                    f"unknown env property `{key}`",
                    p.key.span,
                    help=did_you_mean(key, ["description", "user", "clock"]) or "use description, user or clock",
                )

    def check_entity_exprs(self, e: EntityInfo):
        for info in e.fields.values():
            if info.default is not None and info.is_column:
                info.default_value = self.check_default(info.default, info.type, info.name)
                self.note_enum_write(info.type, info.default)
            for c in info.checks:
                self.check_bool_over_row(c, e)
            if info.range and not is_numeric(info.type):
                self.error("AWM2011", "`@range` applies to numeric fields", info.declared.type.span)
            if info.length and info.type.kind != "text":
                self.error("AWM2011", "`@length` applies to text fields", info.declared.type.span)

    def check_owner(self, e: EntityInfo):
        """`@@owned_by(field)` or `@@owned_by(a.b)`: each step a relation, the last one to the
        env's user entity."""
        if e.owner is None:
            return
        path, attr = e.owner
        entity = e
        for i, name in enumerate(path):
            f = entity.fields.get(name)
            if f is None:
                self.error(
                    "AWM1003",
                    f"`{entity.name}` has no field `{name}`",
                    attr.fields[i].span,
                    help=did_you_mean(name, list(entity.fields)),
                )
                e.owner = None
                return
            if self.user_unresolved or f.type.kind == "any":
                e.owner = None  # the env's `user` or the field's type is already reported
                return
            last = i == len(path) - 1
            if self.user_entity is None or not f.is_relation or (last and f.type.name != self.user_entity):
                if not last:
                    wanted = "a relation"
                elif self.user_entity:
                    wanted = f"a relation to the user entity `{self.user_entity}`"
                else:
                    wanted = "a relation to the user entity (the env header names none)"
                shown, step = ".".join(path), ".".join(path[: i + 1])
                self.error("AWM2011", f"`@@owned_by({shown})` needs `{step}` to be {wanted}", attr.span)
                e.owner = None
                return
            entity = self.entities[f.type.decl_name]

    def check_bool_over_row(self, expr: n.Expr, e: EntityInfo):
        ctx = Ctx(Scope(), (e.name,))
        t = self.expr(expr, ctx, BOOL)
        if t.kind not in ("bool", "any"):
            self.error("AWM2010", f"`@check` needs a boolean, got `{t}`", expr.span)
        self.record_constants(expr)
