"""Expressions: the type of each (`expr`), names, members, literals, operators."""

from __future__ import annotations

from .. import nodes as n
from ..diagnostics import did_you_mean, with_article
from ..nodes import children
from ..types import (
    ANY,
    BOOL,
    DECIMAL,
    FLOAT,
    INT,
    JSON,
    NULL,
    NUMERIC,
    TEXT,
    Binding,
    FieldInfo,
    T,
    assignable,
    entity_t,
    is_numeric,
    list_of,
    numeric_join,
    query_of,
)
from .state import CheckerState, Ctx

ORDERING = ("<", "<=", ">", ">=")
ARITHMETIC = ("+", "-", "*", "/", "%")
TEXT_TESTS = ("contains", "matches", "starts_with", "ends_with")
TESTS = ("==", "!=") + ORDERING + TEXT_TESTS + ("in", "not_in")  # the operators that give a bool


class ExpressionsMixin(CheckerState):
    """`expr` gives an expression its type (recorded in `types`), by an `e_<Node>` method per kind."""

    def expect_bool(self, e: n.Expr, ctx: Ctx) -> None:
        t = self.expr(e, ctx, BOOL)
        if t.kind not in ("bool", "any"):
            self.error("AWM2001", f"expected a condition (bool), got `{t}`", e.span)

    def expect_assignable(self, t: T, want: T, e: n.Expr) -> None:
        if not assignable(t, want):
            help = None
            if t.optional and assignable(t.required(), want):
                help = "the value may be null; use `coalesce(value, fallback)` or test `is not null` first"
            self.error("AWM2001", f"expected `{want}`, found `{t}`", e.span, help=help)
        elif t.optional and not want.optional and t.kind not in ("null", "any") and want.kind != "json":
            self.error(
                "AWM2001",
                f"expected `{want}`, found `{t}` which may be null",
                e.span,
                help="use `coalesce(value, fallback)`, or declare the target optional",
            )
        elif t.kind == "null" and not want.optional and want.kind not in ("json", "any"):
            self.error("AWM2001", f"`null` is not {with_article(f'`{want}`')}", e.span)

    def expr(self, e: n.Expr, ctx: Ctx, expected: T | None = None) -> T:
        t = self._expr(e, ctx, expected)
        self.types[e] = t
        return t

    def mark_row(self, e):
        self.row_dependent.add(id(e))

    def _expr(self, e, ctx: Ctx, expected: T | None) -> T:
        method = getattr(self, "e_" + type(e).__name__)
        t = method(e, ctx, expected)
        if any(id(c) in self.row_dependent for c in children(e)):
            self.mark_row(e)
        return t

    def e_Literal(self, e: n.Literal, ctx, expected):
        if e.kind == "text" and expected is not None and expected.kind == "enum":
            if e.value not in self.enums.get(expected.name, []):
                self.error(
                    "AWM1007",
                    f'"{e.value}" is not a member of enum `{expected.name}`',
                    e.span,
                    help=did_you_mean(e.value, self.enums.get(expected.name, [])),
                )
            return T("enum", expected.name)
        if e.kind == "decimal" and len(e.value.split(".")[1]) > 2:
            return FLOAT  # more than two places cannot be an exact money amount
        return {"int": INT, "decimal": DECIMAL, "text": TEXT, "bool": BOOL, "null": NULL}[e.kind]

    def e_Template(self, e: n.Template, ctx, expected):
        for part in e.parts:
            if not isinstance(part, str):
                self.expr(part, ctx)
        return TEXT

    def resolve_name(self, name: str, ctx: Ctx, outer: bool) -> Binding | None:
        if not outer:
            row_vars = (None,) * (len(ctx.rows) - len(ctx.row_vars)) + ctx.row_vars
            for depth, (entity, var) in enumerate(zip(reversed(ctx.rows), reversed(row_vars))):
                if var == name:
                    self.used.add(entity)
                    return Binding("row", entity_t(entity), name, depth=depth)
                f = self.entities[entity].fields.get(name)
                if f is not None:
                    return Binding("field", f.type, name, depth=depth, target=f)
        b = ctx.scope.lookup(name)
        if b is not None:
            return b
        if name in self.entities:
            self.used.add(name)
            return Binding("entity", query_of(name), name)
        return None

    def e_Name(self, e: n.Name, ctx, expected):
        b = self.resolve_name(e.name, ctx, outer=False)
        wants_member = expected is not None and expected.kind == "enum" and e.name in self.enums.get(expected.name, [])
        if wants_member and (b is None or b.type.kind != "enum" or b.type.name != expected.name):
            b = Binding("enum_member", T("enum", expected.name), e.name)
        if b is None:
            enum_hits = [k for k, members in self.enums.items() if e.name in members]
            if len(enum_hits) == 1 and (expected is None or expected.kind in ("any",)):
                b = Binding("enum_member", T("enum", enum_hits[0]), e.name)
        if b is None:
            candidates = set(ctx.scope.names()) | set(self.entities)
            for entity in ctx.rows:
                candidates |= set(self.entities[entity].fields)
            if expected is not None and expected.kind == "enum":
                candidates |= set(self.enums.get(expected.name, []))
                self.error(
                    "AWM1007",
                    f"`{e.name}` is not a member of enum `{expected.name}`",
                    e.span,
                    help=did_you_mean(e.name, self.enums.get(expected.name, [])) or did_you_mean(e.name, candidates),
                )
            else:
                self.error("AWM1004", f"unknown name `{e.name}`", e.span, help=did_you_mean(e.name, candidates))
            return ANY
        if b.kind == "row":
            self.mark_row(e)
        if b.kind == "field":
            self.mark_row(e)
            shadowed = ctx.scope.lookup(e.name)
            if shadowed is not None and shadowed.kind == "param":
                self.shadowed.append((e, ctx.rows[-1 - b.depth]))
        self.note_read(b)
        self.bindings[e] = b
        return b.type

    def note_read(self, b: Binding | None) -> None:
        """A read of a `let`: it is used (no AWM4002)."""
        if b is not None and b.kind in ("local", "query_let") and b.target is not None:
            self.local_reads.add(id(b.target))

    def e_OuterName(self, e: n.OuterName, ctx, expected):
        self.outer_names.add(e.name)
        b = self.resolve_name(e.name, ctx, outer=True)
        if b is None or b.kind == "entity":
            self.error(
                "AWM1004",
                f"unknown parameter or variable `${e.name}`",
                e.span,
                help=did_you_mean(e.name, ctx.scope.names()),
            )
            return ANY
        self.note_read(b)
        self.bindings[e] = b
        return b.type

    def e_Me(self, e: n.Me, ctx, expected):
        if self.user_entity is None:
            if self.user_unresolved:
                return ANY
            self.error(
                "AWM1014",
                "`me` needs the env header to name the acting user's entity",
                e.span,
                help="add `user User` inside `env ... { }`",
            )
            return ANY
        return entity_t(self.user_entity)

    def e_Member(self, e: n.Member, ctx, expected):
        if isinstance(e.obj, n.Name) and e.obj.name in self.enums and ctx.scope.lookup(e.obj.name) is None:
            return self.enum_member(e, e.obj)
        t = self.qualified_row(e.obj, ctx) or self.expr(e.obj, ctx)
        if t.kind == "any":
            return ANY
        if t.kind == "json":  # a JSON value (a json column, a solution's call result)
            return JSON
        fields = self.fields_of(t)
        if fields is None:
            self.error("AWM1003", f"`{t}` has no fields (`.{e.name.name}`)", e.name.span)
            return ANY
        f = fields.get(e.name.name)
        if f is None:
            return self.relation_key(e, t, fields)
        ft = f.type
        if t.optional and ft.kind != "query":
            ft = ft.opt(True)
        return ft

    def enum_member(self, e: n.Member, enum: n.Name) -> T:
        """`Enum.member` (`enum` is `e.obj`)."""
        if e.name.name not in self.enums[enum.name]:
            self.error(
                "AWM1007",
                f"`{e.name.name}` is not a member of enum `{enum.name}`",
                e.name.span,
                help=did_you_mean(e.name.name, self.enums[enum.name]),
            )
        self.used.add(enum.name)
        self.types[enum] = T("enum", enum.name)
        return T("enum", enum.name)

    def relation_key(self, e: n.Member, t: T, fields: dict[str, FieldInfo]) -> T:
        """`row.owner_id`: the key of the relation `owner` (its column); else the field is unknown."""
        if t.kind == "entity" and e.name.name.endswith("_id") and e.name.name[:-3] in fields:
            f = fields[e.name.name[:-3]]
            if f.is_relation:
                key = self.entities[f.type.decl_name].key
                return (key.type if key else INT).opt(t.optional or f.type.optional)
        self.error(
            "AWM1003",
            f"unknown field `{e.name.name}` on `{t.required()}`",
            e.name.span,
            help=did_you_mean(e.name.name, fields),
        )
        return ANY

    def qualified_row(self, obj, ctx: Ctx) -> T | None:
        """`Ticket.owner` inside a query over `Ticket`: the current row's field, written with the
        entity's name (as SQL's `table.column`), never a parameter or local of that name."""
        if not (
            isinstance(obj, n.Name)
            and obj.name in self.entities
            and obj.name in ctx.rows
            and ctx.scope.lookup(obj.name) is None
        ):
            return None
        depth = ctx.rows[::-1].index(obj.name)
        self.bindings[obj] = Binding("row", entity_t(obj.name), obj.name, depth=depth)
        self.types[obj] = entity_t(obj.name)
        self.mark_row(obj)
        self.used.add(obj.name)
        return entity_t(obj.name)

    def fields_of(self, t: T) -> dict[str, FieldInfo] | None:
        if t.kind == "entity" and t.name in self.entities:
            return self.entities[t.name].fields
        if t.kind == "record" and t.name:
            if t.name in self.records:
                return self.records[t.name].fields
            if "." in t.name:
                union, variant = t.name.split(".", 1)
                return self.unions[union].variants[variant].fields
        if t.kind == "record" and t.fields:
            return {k: FieldInfo(k, v, k, None) for k, v in t.fields}
        if t.kind == "union":
            return {"kind": FieldInfo("kind", TEXT, "kind", None)}
        return None

    def e_Index(self, e: n.Index, ctx, expected):
        t = self.expr(e.obj, ctx)
        if (
            t.kind == "query"
            and isinstance(e.obj, n.Name)
            and self.bindings.get(e.obj, Binding("", ANY, "")).kind == "entity"
        ):
            entity = self.entities[t.elem.decl_name]
            key_t = entity.key.type if entity.key else INT
            it = self.expr(e.index, ctx, key_t)
            if not assignable(it, key_t) and it.kind != "entity":
                self.error("AWM2001", f"the key of `{entity.name}` is `{key_t}`, found `{it}`", e.index.span)
            return entity_t(entity.name)
        it = self.expr(e.index, ctx, INT)
        if t.kind == "any":
            return ANY
        if t.kind in ("list", "query"):  # a query's rows, in its order, are a list
            if it.kind not in ("int", "any"):
                self.error("AWM2001", f"a list index must be an int, found `{it}`", e.index.span)
            return t.elem
        if t.kind == "json":
            return JSON
        self.error(
            "AWM2001",
            f"`{t}` cannot be indexed",
            e.span,
            help="index lists with `xs[i]` and look rows up with `Entity[key]`",
        )
        return ANY

    def e_ListLit(self, e: n.ListLit, ctx, expected):
        elem_expected = expected.elem if expected is not None and expected.kind == "list" else None
        elem = None
        for item in e.items:
            t = self.expr(item, ctx, elem_expected)
            if elem_expected is not None and t.kind not in ("json", "any") and not assignable(t, elem_expected):
                self.error("AWM2001", f"an item of a `{list_of(elem_expected)}` cannot be `{t}`", item.span)
                continue
            if elem is None or elem.kind == "any":
                elem = t
            elif is_numeric(elem) and is_numeric(t):
                elem = numeric_join(elem, t)
            elif not assignable(t, elem):
                self.error("AWM2001", f"list items must share a type: `{elem}` and `{t}`", item.span)
        return list_of(elem_expected or elem or ANY)

    def e_RecordLit(self, e: n.RecordLit, ctx, expected):
        if expected is not None and expected.kind == "union" and expected.name in self.unions:
            return self.union_literal(e, ctx, expected)
        target_fields = None
        if expected is not None and expected.kind == "record" and expected.name in self.records:
            target_fields = self.records[expected.name].fields
        fields = []
        for fv in e.fields:
            want = target_fields[fv.name.name].type if target_fields and fv.name.name in target_fields else None
            fields.append((fv.name.name, self.expr(fv.value, ctx, want)))
        if target_fields is not None:
            for fname, tf in target_fields.items():
                if fname not in dict(fields) and not tf.type.optional:
                    self.error("AWM2004", f"missing field `{fname}` of `{expected.name}`", e.span)
            return T("record", expected.name)
        return T("record", None, fields=tuple(fields))

    def union_literal(self, e: n.RecordLit, ctx, expected: T) -> T:
        """`{kind: "card", number: "..."}` where a union is expected: checked against the variant."""
        union = self.unions[expected.decl_name]
        kind = next((f.value for f in e.fields if f.name.name == "kind"), None)
        if not (isinstance(kind, n.Literal) and kind.kind == "text" and kind.value in union.variants):
            self.error(
                "AWM2001",
                f"{with_article(f'`{expected.name}`')} value needs `kind:` naming one of its variants "
                f"({', '.join(union.variants)})",
                e.span,
            )
            return ANY
        self.types[kind] = TEXT
        variant = union.variants[kind.value]
        for fv in e.fields:
            if fv.name.name == "kind":
                continue
            f = variant.fields.get(fv.name.name)
            if f is None:
                self.error(
                    "AWM1003",
                    f"variant `{kind.value}` of `{expected.name}` has no field `{fv.name.name}`",
                    fv.name.span,
                    help=did_you_mean(fv.name.name, variant.fields),
                )
                self.expr(fv.value, ctx)
                continue
            self.expect_assignable(self.expr(fv.value, ctx, f.type), f.type, fv.value)
        given = {fv.name.name for fv in e.fields}
        missing = [name for name, f in variant.fields.items() if name not in given and not f.type.optional]
        if missing:
            self.error("AWM2004", f"variant `{kind.value}` needs {', '.join(f'`{m}`' for m in missing)}", e.span)
        return T("union", expected.name)

    def e_Unary(self, e: n.Unary, ctx, expected):
        if e.op == "not":
            self.expect_bool(e.operand, ctx)
            return BOOL
        t = self.expr(e.operand, ctx, expected)
        if not is_numeric(t) and t.kind != "any":
            self.error("AWM2001", f"`-` needs a number, got `{t}`", e.operand.span)
            return ANY
        return t

    def e_IsNull(self, e: n.IsNull, ctx, expected):
        self.expr(e.operand, ctx)
        return BOOL

    def operands(self, e: n.Binary, ctx) -> tuple[T, T]:
        """Type both sides, letting a bare enum member on one side take the other's enum type."""
        left_free = isinstance(e.left, n.Name) and self.resolve_name(e.left.name, ctx, False) is None
        if left_free:
            rt = self.expr(e.right, ctx)
            lt = self.expr(e.left, ctx, rt if rt.kind == "enum" else (rt.elem if rt.kind == "list" else None))
        else:
            lt = self.expr(e.left, ctx)
            want = lt.required() if lt.kind == "enum" else None
            if e.op in ("in", "not_in") and lt.kind == "enum":
                want = list_of(lt.required())
            if e.op == "contains" and lt.kind == "list":
                want = lt.elem
            if e.op == "+" and lt.kind == "list" and isinstance(e.right, n.ListLit):  # `prices + [0.5]`
                want = lt.required()
            rt = self.expr(e.right, ctx, want)
        return lt, rt

    def e_Binary(self, e: n.Binary, ctx, expected):
        op = e.op
        if op in ("and", "or"):
            self.expect_bool(e.left, ctx)
            self.expect_bool(e.right, ctx)
            return BOOL
        lt, rt = self.operands(e, ctx)
        if op in ORDERING + ARITHMETIC and "json" in (lt.kind, rt.kind) and ctx.tool is not None:
            self.error(
                "AWM2001",
                f"`{op}` on a `json` value, which may hold anything (a list, text, a number)",
                e.span,
                help="convert it first: `int(x)`, `float(x)`, `decimal(x)` or `text(x)`",
            )
            return BOOL if op in ORDERING else ANY
        if "any" in (lt.kind, rt.kind):
            return BOOL if op in TESTS else ANY
        if op in ("==", "!="):
            return self.equality(e, lt, rt)
        if op in ORDERING:
            if not (comparable(lt, rt) and lt.kind in NUMERIC + ("text", "date", "datetime")):
                self.error("AWM2001", f"cannot order `{lt}` and `{rt}` with `{op}`", e.span)
            return BOOL
        if op in TEXT_TESTS:
            if not (op == "contains" and lt.kind == "list") and (lt.kind != "text" or rt.kind != "text"):
                self.error(
                    "AWM2001", f"`{op.replace('_', ' ')}` needs text on both sides, got `{lt}` and `{rt}`", e.span
                )
            return BOOL
        if op in ("in", "not_in"):
            if not (rt.kind == "text" and lt.kind == "text") and (rt.kind != "list" or not comparable(lt, rt.elem)):
                self.error("AWM2001", f"`in` needs a list of `{lt}`, got `{rt}`", e.right.span)
            return BOOL
        if "json" in (lt.kind, rt.kind):
            return JSON  # a JSON value (a call result in a solution) is checked when it runs
        return self.arithmetic(e, lt, rt)

    def equality(self, e: n.Binary, lt: T, rt: T) -> T:
        if {lt.kind, rt.kind} == {"date", "datetime"}:  # "2025-01-02" never equals "2025-01-02 10:00:00"
            self.error(
                "AWM2001",
                f"`{e.op}` between a `datetime` and a `date` is never true",
                e.span,
                help="compare the datetime's date part: `date(at) == day`",
            )
        elif not comparable(lt, rt):
            self.error("AWM2001", f"cannot compare `{lt}` with `{rt}`", e.span)
        return BOOL

    def arithmetic(self, e: n.Binary, lt: T, rt: T) -> T:
        """`+ - * / %` on numbers, `+` on text and on lists, dates moved by durations."""
        op = e.op
        # over a row's fields it runs in SQL, where null simply propagates; elsewhere a null
        # operand would be an error at run time, so the checker asks for coalesce
        in_sql = any(id(side) in self.row_dependent for side in (e.left, e.right))
        nullable = (lt.optional and lt.kind != "null") or (rt.optional and rt.kind != "null")
        if not in_sql:
            for side, t in ((e.left, lt), (e.right, rt)):
                if t.optional and t.kind != "null":
                    self.error(
                        "AWM2001",
                        f"`{op}` on a value that may be null (`{t}`)",
                        side.span,
                        help="use `coalesce(value, 0)` or test `is not null` first",
                    )
        lt, rt = lt.required(), rt.required()
        if is_numeric(lt) and is_numeric(rt):
            if op == "%" and (lt.kind != "int" or rt.kind != "int"):
                self.error("AWM2001", "`%` needs ints", e.span)
            if op == "/" and lt.kind == rt.kind == "int":  # true division: 7 / 2 is 3.5
                return FLOAT.opt(in_sql and nullable)
            return numeric_join(lt, rt).opt(in_sql and nullable)
        if op == "+" and lt.kind == "text" and rt.kind == "text":
            return TEXT
        if op == "+" and lt.kind == "list" and rt.kind == "list":
            return self.joined_lists(e, lt, rt)
        if op in "+-" and lt.kind in ("date", "datetime") and rt.kind == "duration":
            return lt
        self.error(
            "AWM2001",
            f"`{op}` does not apply to `{lt}` and `{rt}`",
            e.span,
            help="dates move by durations: `d + days(3)`" if lt.kind in ("date", "datetime") else None,
        )
        return ANY

    def joined_lists(self, e: n.Binary, lt: T, rt: T) -> T:
        joined = joined_items(lt.elem, rt.elem)
        if joined is None:
            self.error(
                "AWM2001",
                f"`+` joins lists of one item type, got `{lt}` and `{rt}`",
                e.span,
                help="convert the items first, e.g. `[decimal(x)]`",
            )
            return lt
        return T("list", args=(joined,))


def comparable(a: T, b: T) -> bool:
    if "any" in (a.kind, b.kind) or "null" in (a.kind, b.kind):
        return True
    if is_numeric(a) and is_numeric(b):
        return True
    if a.kind == b.kind:
        return a.name == b.name or a.kind not in ("entity", "enum", "record")
    if {a.kind, b.kind} == {"enum", "text"}:
        return True
    if {a.kind, b.kind} <= {"date", "datetime", "text"}:
        return True
    if a.kind == "entity" and b.kind in ("int", "text") or b.kind == "entity" and a.kind in ("int", "text"):
        return True
    return "json" in (a.kind, b.kind)


def joined_items(a: T, b: T) -> T | None:
    """The item type of two lists joined with `+`: the same type, or ints with another number
    (an int is exact as either); None if they do not join."""
    if a.required() == b.required() or b.kind in ("any", "null"):
        return a.opt(a.optional or b.optional)
    if a.kind in ("any", "null"):
        return b.opt(a.optional or b.optional)
    if {a.kind, b.kind} in ({"int", "float"}, {"int", "decimal"}):
        return (a if a.kind != "int" else b).opt(a.optional or b.optional)
    return None
