"""Expressions over rows as SQL: `SqlCompiler` (queries flattened and selected, values, members, operators, tests)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp

from .. import nodes as n
from ..nodes import children
from ..types import FLOAT, EntityInfo, Model, T, is_numeric, numeric_join
from .calls import BuiltinCalls
from .trees import COMPUTE_FIRST, LoweringError, col, convert, function_call, table

# Expressions a query cannot hold: what the message calls them, and what to write instead.
# (Only an expression that reads the row gets here: any other is computed before the query.)
NOT_IN_QUERY = {
    "Index": ("indexing a list (`xs[i]`)", "test a list field with `list_field contains value`, or " + COMPUTE_FIRST),
    "Template": (
        "a string with `{...}` holes",
        "compare the parts with `starts with`, `ends with` or `contains`, or " + COMPUTE_FIRST,
    ),
    "ListLit": ("a list", None),
    "RecordLit": ("a record", None),
    "LookupBy": (
        "a lookup by field (`E[field: value]`)",
        "follow the relation instead (`owner.name`), or " + COMPUTE_FIRST,
    ),
    "GroupBy": ("`group by`", "use `count(...)`, `sum(...)` or the other aggregates over a query, or " + COMPUTE_FIRST),
}


@dataclass(frozen=True)
class BackRef:
    """The condition of `owner.children`: the child's relation column equals the owner's key.
    `owner` None means the enclosing query's row `depth` levels out (`Order where count(items) > 2`)."""

    column: str
    owner: n.Expr | None
    depth: int = 0


@dataclass
class Query:
    """A query flattened from `source where ... order by ... limit ... offset ...`."""

    entity: str
    conds: list[n.Expr | BackRef] = field(default_factory=list)
    order: list[n.OrderKey] = field(default_factory=list)
    limit: n.Expr | None = None
    offset: n.Expr | None = None


class SqlCompiler(BuiltinCalls):
    """Compiles expressions over rows into sqlglot trees (its state is `CompilerState`'s, builtin
    calls are `BuiltinCalls`')."""

    # queries
    def flatten(self, e: n.Expr) -> Query:
        if isinstance(e, n.Where):
            q = self.flatten(e.source)
            q.conds.append(e.cond)
            return q
        if isinstance(e, n.OrderBy):
            q = self.flatten(e.source)
            q.order = list(e.keys)
            return q
        if isinstance(e, n.Limit):
            q = self.flatten(e.source)
            q.limit = e.count
            return q
        if isinstance(e, n.Offset):
            q = self.flatten(e.source)
            q.offset = e.count
            return q
        b = self.binding(e) if isinstance(e, (n.Name, n.OuterName)) else None
        if b is not None and b.kind == "entity":
            return Query(b.name)
        if b is not None and b.kind == "query_let":
            assert b.query is not None  # the checker gives every query_let binding its query
            return self.flatten(b.query)
        if b is not None and b.kind == "field" and b.target.backref is not None:
            child_name, child_field = b.target.backref
            child = self.model.entities[child_name]
            return Query(child_name, conds=[BackRef(child.fields[child_field].column, None, b.depth)])
        if isinstance(e, n.Member):
            owner_t = self.type_of(e.obj)
            f = self.model.entities[owner_t.decl_name].fields[e.name.name]
            assert f.backref is not None  # a member typed as a query is a relation list (`Child[]`)
            child_name, child_field = f.backref
            child = self.model.entities[child_name]
            return Query(child_name, conds=[BackRef(child.fields[child_field].column, e.obj)])
        raise LoweringError(
            "this query cannot be compiled",
            e.span,
            help="a query starts from an entity (`Product`), a row's relation list (`order.items`) "
            "or a `let` bound to one",
        )

    def where(self, select: exp.Select, q: Query, aliases: list, entities: list) -> exp.Select:
        """Add the query's conditions; parameters are bound in the order they appear in the SQL."""
        for cond in q.conds:
            if isinstance(cond, BackRef):
                outer_aliases, outer_entities = aliases[:-1], entities[:-1]
                if cond.owner is None:  # correlated with an enclosing row
                    parent = self.model.entities[outer_entities[-1 - cond.depth]]
                    owner: exp.Expression = col(parent.id_field.column, outer_aliases[-1 - cond.depth])
                elif self.row_free(cond.owner):
                    owner = self.param(cond.owner)
                else:
                    owner = self.value(cond.owner, outer_aliases, outer_entities)
                select = select.where(exp.EQ(this=col(cond.column, aliases[-1]), expression=owner), copy=False)
            else:
                select = select.where(self.value(cond, aliases, entities), copy=False)
        return select

    def order_key(self, key: n.OrderKey, aliases: list, entities: list) -> exp.Ordered:
        value = self.value(key.expr, aliases, entities)
        t = self.type_of(key.expr)
        if t.kind == "enum":  # enums sort in declaration order, not alphabetically
            members = self.model.enums[t.decl_name]
            value = exp.Case(
                this=value,
                ifs=[exp.If(this=exp.Literal.string(m), true=exp.Literal.number(i)) for i, m in enumerate(members)],
            )
        return exp.Ordered(this=value, desc=key.descending)

    def projection(self, what: str, entity: EntityInfo, alias: str, agg, aliases: list, entities: list) -> list:
        if what == "rows":
            return [col(f.column, alias) for f in entity.columns]
        if what == "keys":
            return [col(entity.id_field.column, alias)]
        if what == "count":
            return [exp.Count(this=exp.Star())]
        if what == "exists":
            return [exp.Literal.number(1)]
        fname, value = agg
        inner = self.value(value, aliases, entities)
        if fname == "avg" and self.type_of(value).kind == "decimal":
            return [exp.Round(this=exp.Avg(this=inner))]
        if fname == "sum":  # the sum of no rows is 0, not null
            return [exp.Coalesce(this=exp.Sum(this=inner), expressions=[exp.Literal.number(0)])]
        fn = {"avg": exp.Avg, "min": exp.Min, "max": exp.Max}[fname]
        return [fn(this=inner)]

    def select(
        self,
        e: n.Expr,
        what: str,
        agg: tuple[str, n.Expr | None] | None = None,
        outer_aliases: list | None = None,
        outer_entities: list | None = None,
    ) -> exp.Select:
        """SELECT for a query: what = rows | keys | first | count | exists | agg. Rows and keys
        come in a deterministic order (the key breaks ties); `first` is ordered only if asked,
        so a lookup by an indexed field stays an index lookup."""
        if what == "first":
            q = self.flatten(e)
            select = self.select(e, "keys", agg, outer_aliases, outer_entities)
            if q.limit is not None or q.offset is not None:  # keep its LIMIT ? and OFFSET ? in place
                select = exp.select(exp.Star()).from_(exp.Subquery(this=select), copy=False)
            elif not q.order:
                select.set("order", None)
            return select.limit(exp.Literal.number(1), copy=False)
        q = self.flatten(e)
        entity = self.model.entities[q.entity]
        alias = self.new_alias()
        aliases = (outer_aliases or []) + [alias]
        entities = (outer_entities or []) + [q.entity]
        projection = self.projection(what, entity, alias, agg, aliases, entities)
        select = exp.select(*projection).from_(table(entity, alias), copy=False)
        limited = q.limit is not None or q.offset is not None
        if limited and what in ("count", "exists", "agg"):
            # aggregate over the limited rows: WHERE key IN (the keys query with its limit)
            keys = self.select(e, "keys", outer_aliases=outer_aliases, outer_entities=outer_entities)
            select = select.where(
                exp.In(this=col(entity.id_field.column, alias), query=exp.Subquery(this=keys)), copy=False
            )
        else:
            select = self.where(select, q, aliases, entities)
            if what in ("rows", "keys"):
                order = [self.order_key(k, aliases, entities) for k in q.order]
                key = col(entity.id_field.column, alias)
                if not any(o.this == key for o in order):
                    order.append(exp.Ordered(this=key))  # a stable, deterministic order
                select = select.order_by(*order, copy=False)
            if limited:
                select = select.limit(
                    self.param(q.limit) if q.limit is not None else exp.Literal.number(-1), copy=False
                )
                if q.offset is not None:
                    select = select.offset(self.param(q.offset), copy=False)
        if what == "exists":
            select = select.limit(exp.Literal.number(1), copy=False)
        return select

    def row_free(self, e) -> bool:
        """True if e can be computed in Python and bound as a parameter. Aggregates over queries
        stay in SQL as subqueries, which is right whether or not they read an enclosing row."""
        if id(e) in self.model.row_dependent:
            return False
        return not self._reads_query(e)

    def _reads_query(self, e) -> bool:
        """Does e contain a query (other than the entity set of a key lookup like `User[3]`)?"""
        if isinstance(e, (n.Index, n.LookupBy)) and _has_query(e.obj, self.model):
            return self._reads_query(e.index if isinstance(e, n.Index) else e.value)
        if _has_query(e, self.model) or isinstance(e, (n.Where, n.OrderBy, n.GroupBy)):
            return True
        return any(self._reads_query(c) for c in children(e))

    def value(self, e: n.Expr, aliases: list, entities: list) -> exp.Expression:
        """An expression in row context. decimals are produced in cents."""
        if self.row_free(e) and not isinstance(e, (n.Literal,)):
            return self.param(e)
        if isinstance(e, n.Literal):
            if e.kind == "null":
                return exp.Null()
            return self.param(e)
        if isinstance(e, (n.Name, n.OuterName)):
            b = self.binding(e)
            if b is not None and b.kind == "field":
                return col(b.target.column, aliases[-1 - b.depth])
            if b is not None and b.kind == "row":  # `p` in `all Product p: ...`: the row's key
                return col(self.model.entities[b.type.decl_name].id_field.column, aliases[-1 - b.depth])
            if b is not None and b.kind == "enum_member":
                return exp.Literal.string(e.name)
            return self.param(e)
        if isinstance(e, n.Member):
            return self.member(e, aliases, entities)
        if isinstance(e, n.Unary):
            inner = self.value(e.operand, aliases, entities)
            if e.op == "not":
                return exp.Not(this=exp.Paren(this=self.truth(inner, e.operand)))
            return exp.Neg(this=exp.Paren(this=inner))
        if isinstance(e, n.IsNull):
            inner = self.value(e.operand, aliases, entities)
            test = exp.Is(this=inner, expression=exp.Null())
            # parenthesised: `(a is null) == (b is null)` must not print as `a IS NULL IS b IS NULL`
            return exp.Paren(this=exp.Not(this=test) if e.negated else test)
        if isinstance(e, n.Binary):
            return self.binary(e, aliases, entities)
        if isinstance(e, n.Call):
            return self.call(e, aliases, entities)
        what, help = NOT_IN_QUERY.get(type(e).__name__, (f"`{type(e).__name__}`", None))
        raise LoweringError(f"{what} cannot be computed inside a query", e.span, help=help or COMPUTE_FIRST)

    def assigned(self, e: n.Expr, field_type: T, aliases: list, entities: list) -> exp.Expression:
        """The value of e stored in a field of field_type (`set total = 5` stores 500 cents)."""
        value = convert(self.value(e, aliases, entities), self.type_of(e), field_type)
        if field_type.kind == "int" and isinstance(e, (n.Binary, n.Unary)):
            return function_call("awm_int", value)  # SQLite turns an overflowing int into a REAL: refuse it
        return value

    def member(self, e: n.Member, aliases, entities) -> exp.Expression:
        """`a.b.c` inside a query: follow relations with scalar subqueries."""
        obj_t = self.type_of(e.obj)
        if obj_t.kind == "enum":
            return exp.Literal.string(e.name.name)
        if obj_t.kind != "entity":
            raise LoweringError(
                "only fields of rows can be read inside a query",
                e.span,
                help="read a field of the row or of a related row (`owner.name`), or " + COMPUTE_FIRST,
            )
        parent = self.model.entities[obj_t.decl_name]
        name = e.name.name
        f = parent.fields.get(name)
        if f is None and name.endswith("_id"):
            f = parent.fields[name[:-3]]
            name = f.name
        assert f is not None  # the checker resolved the member to a field (or a relation's `_id`)
        b = self.binding(e.obj) if isinstance(e.obj, (n.Name, n.OuterName)) else None
        if b is not None and b.kind == "row":  # a field of a named row: its own column
            return col(f.column, aliases[-1 - b.depth])
        key = self.value(e.obj, aliases, entities)
        if f.is_id or (e.name.name.endswith("_id") and f.is_relation):
            return key if f.is_id else self._lookup(parent, f.column, key)
        return self._lookup(parent, f.column, key)

    def _lookup(self, parent: EntityInfo, column: str, key: exp.Expression) -> exp.Expression:
        alias = self.new_alias()
        sub = (
            exp.select(col(column, alias))
            .from_(table(parent, alias), copy=False)
            .where(exp.EQ(this=col(parent.id_field.column, alias), expression=key), copy=False)
        )
        return exp.Subquery(this=sub)

    def numeric_operands(self, e: n.Binary, aliases, entities):
        """Both sides in one numeric form: the join of their types for `+`, `-` and comparisons;
        for `*` and `/` a decimal meets a float as a float (decimals are integer cents)."""
        lt, rt = self.type_of(e.left), self.type_of(e.right)
        left = self.value(e.left, aliases, entities)
        right = self.value(e.right, aliases, entities)
        if is_numeric(lt) and is_numeric(rt):
            kinds = {lt.kind, rt.kind}
            target = numeric_join(lt, rt) if e.op not in ("*", "/", "%") or kinds == {"decimal", "float"} else None
            if target is not None:
                left, right = convert(left, lt, target), convert(right, rt, target)
        return left, right, lt.kind, rt.kind

    def binary(self, e: n.Binary, aliases, entities) -> exp.Expression:
        op = e.op
        if op in ("and", "or"):
            cls = exp.And if op == "and" else exp.Or
            left, right = (self.truth(self.value(x, aliases, entities), x) for x in (e.left, e.right))
            return exp.Paren(this=cls(this=left, expression=right))
        kinds = {self.type_of(e.left).kind, self.type_of(e.right).kind}
        if "json" in kinds and len(kinds - {"null"}) > 1:  # SQL holds json as its text: '3' is not 3
            raise LoweringError(
                f"a `json` value compared with `{' '.join(sorted(kinds - {'json'}))}` inside a query",
                e.span,
                help='convert the json value first (`int(x) == 3`, `text(x) == "a"`), or ' + COMPUTE_FIRST,
            )
        if op in ("contains", "matches", "starts_with", "ends_with", "in", "not_in"):
            return self.null_is_false(e, self.test(e, aliases, entities))
        left, right, lt, rt = self.numeric_operands(e, aliases, entities)
        if op == "==":
            return exp.Paren(this=exp.Is(this=left, expression=exp.Null() if _is_null_lit(e.right) else right))
        if op == "!=":
            return exp.Paren(this=exp.Not(this=exp.Paren(this=exp.Is(this=left, expression=right))))
        cmp = {"<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}
        if op in cmp:
            return self.null_is_false(e, exp.Paren(this=cmp[op](this=left, expression=right)))
        if op == "+" and lt == "text":
            return exp.DPipe(this=left, expression=right)
        if op == "+" and lt == "list":
            return function_call("awm_list_concat", left, right)
        if op in ("+", "-") and lt in ("date", "datetime"):  # durations are seconds
            return function_call("awm_shift_time", left, right if op == "+" else exp.Neg(this=exp.Paren(this=right)))
        if "decimal" in (lt, rt) and "float" not in (lt, rt) and op in ("*", "/"):
            return self.cents_product(op, left, right, lt, rt)
        if op == "/":
            return function_call("awm_div", left, right)  # true division; zero fails the call
        if op == "%":
            return function_call("awm_mod", left, right)  # Python's sign rule; zero fails the call
        arith = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul}
        return exp.Paren(this=arith[op](this=left, expression=right))

    @staticmethod
    def cents_product(op: str, left, right, lt: str, rt: str) -> exp.Expression:
        """`*` and `/` with a decimal side, in integer cents, rounded half away from zero."""

        def times(x, k):
            return exp.Mul(this=exp.Paren(this=x), expression=exp.Literal.number(k))

        if op == "*":
            if lt == rt:  # cents * cents / 100
                return function_call("awm_cents_div", exp.Mul(this=left, expression=right), exp.Literal.number(100))
            return exp.Paren(this=exp.Mul(this=left, expression=right))
        if lt == rt:
            return function_call("awm_cents_div", times(left, 100), right)
        if lt == "decimal":
            return function_call("awm_cents_div", left, right)
        return function_call("awm_cents_div", times(left, 10000), right)

    def null_is_false(self, e: n.Binary, test: exp.Expression) -> exp.Expression:
        """In a tool, a test with a null side is false, not SQL's null, as in handlers: a stored
        flag (`set overdue = due < today()`) must not become null. Checks and invariants keep
        SQL's rule: a condition that is null breaks nothing."""
        if self.python is not None and (self.type_of(e.left).optional or self.type_of(e.right).optional):
            return exp.Coalesce(this=test, expressions=[exp.Literal.number(0)])
        return test

    def truth(self, value: exp.Expression, e: n.Expr) -> exp.Expression:
        """An operand of not/and/or in a tool: a null bool counts as false, as in handlers."""
        if self.python is not None and self.type_of(e).optional:
            return exp.Coalesce(this=value, expressions=[exp.Literal.number(0)])
        return value

    def test(self, e: n.Binary, aliases, entities) -> exp.Expression:
        """contains, matches, starts with, ends with, in, not in."""
        op = e.op
        if op in ("in", "not_in"):
            if isinstance(e.right, n.ListLit):
                left = self.value(e.left, aliases, entities)
                lt = self.type_of(e.left)
                target = numeric_join(lt, self.type_of(e.right).elem) if is_numeric(lt) else None
                items = [self.value(x, aliases, entities) for x in e.right.items]
                if target is not None and is_numeric(self.type_of(e.right).elem):
                    left = convert(left, lt, target)
                    items = [convert(v, self.type_of(x), target) for v, x in zip(items, e.right.items)]
                test: exp.Expression = exp.In(this=left, expressions=items)
            elif self.type_of(e.right).kind == "text":  # a substring: instr(right, left)
                haystack = self.value(e.right, aliases, entities)  # compiled in SQL order
                test = exp.GT(
                    this=function_call("instr", haystack, self.value(e.left, aliases, entities)),
                    expression=exp.Literal.number(0),
                )
            else:
                test = self.list_has(e.right, e.left, aliases, entities)
            return self.negated(op, test)
        return self.text_match(e, aliases, entities)

    @staticmethod
    def negated(op: str, test: exp.Expression) -> exp.Expression:
        return exp.Not(this=exp.Paren(this=test)) if op == "not_in" else test

    def list_has(self, items: n.Expr, value: n.Expr, aliases, entities) -> exp.Expression:
        """Is `value` an element of the list `items`? Lists are JSON text, which holds decimals
        as numbers, not cents."""
        value_t = self.type_of(value)
        listed = self.value(items, aliases, entities)  # compiled in SQL order: its parameters first
        element = self.value(value, aliases, entities)
        if "decimal" in (value_t.kind, self.type_of(items).elem.kind):
            element = convert(element, value_t, FLOAT)
        return function_call("awm_list_has", listed, element)

    def text_match(self, e: n.Binary, aliases, entities) -> exp.Expression:
        if e.op == "contains" and self.type_of(e.left).kind == "list":
            return self.list_has(e.left, e.right, aliases, entities)
        if e.op == "ends_with":
            return self.ends_with(e, aliases, entities)
        left = self.value(e.left, aliases, entities)
        right = self.value(e.right, aliases, entities)
        if e.op == "matches":
            return exp.GT(
                this=exp.Anonymous(this="instr", expressions=[exp.Lower(this=left), exp.Lower(this=right)]),
                expression=exp.Literal.number(0),
            )
        if e.op == "contains":
            return exp.GT(this=exp.Anonymous(this="instr", expressions=[left, right]), expression=exp.Literal.number(0))
        if e.op == "starts_with":
            return exp.EQ(this=exp.Anonymous(this="instr", expressions=[left, right]), expression=exp.Literal.number(1))
        raise AssertionError(e.op)

    def ends_with(self, e: n.Binary, aliases, entities) -> exp.Expression:
        """`(length(r) = 0 AND l IS NOT NULL) OR substr(l, -length(r)) = r`. A side that appears
        several times is compiled each time, in the order it appears in the SQL, so that each
        copy's parameters are bound in place."""

        def side(x):
            return self.value(x, aliases, entities)

        empty = exp.EQ(this=exp.Length(this=side(e.right)), expression=exp.Literal.number(0))
        present = exp.Not(this=exp.Is(this=side(e.left), expression=exp.Null()))
        part = exp.Anonymous(this="substr", expressions=[side(e.left), exp.Neg(this=exp.Length(this=side(e.right)))])
        return exp.Paren(
            this=exp.Or(
                this=exp.Paren(this=exp.And(this=empty, expression=present)),
                expression=exp.EQ(this=part, expression=side(e.right)),
            )
        )


def _is_null_lit(e) -> bool:
    return isinstance(e, n.Literal) and e.kind == "null"


def _has_query(e, model: Model) -> bool:
    t = model.types.get(e)
    return t is not None and t.kind == "query"
