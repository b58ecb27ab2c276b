"""Phase 3b: the Model -> the functions of the Python handlers module (handlers_module.py
assembles them into its text).

Handlers run against a session (`rt`) and its SQLite connection (`db`). Values inside a
handler: entity values are row keys, decimals are `Decimal`, dates are ISO text, records
are dicts. Every SQL statement is a module constant; every value reaches SQL as a `?`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlglot import exp

from . import nodes as n
from .handlers_module import column_marker, handlers_module, placeholder
from .lower_sql import LoweringError, SqlCompiler, col, ident, sql, table, to_storage
from .nodes import children
from .pyformat import LIMIT, parenthesized
from .types import DURATION_SECONDS, FLOAT, INT, ClockDefault, Model, T, ToolInfo

GROUP_FUNCTIONS: dict[str, type[exp.Expression]] = {"sum": exp.Sum, "avg": exp.Avg, "min": exp.Min, "max": exp.Max}


def _runtime_helper(helper: str) -> Callable[[Emitter, n.Call], str]:
    """The lowering of a builtin that is one runtime function over its arguments (null passes)."""

    def lower(emitter: Emitter, e: n.Call) -> str:
        return emitter.runtime_call(e, helper)

    return lower


def negated(code: str) -> str:
    return f"not {code}" if parenthesized(code) else f"not ({code})"


@dataclass
class Emitter:
    """Writes one generated function. Its code names each SQL statement by a placeholder
    (`\\x00<k>\\x00`, k from 1) that lower_python replaces with the module's shared constant
    name, and its temporaries are numbered from 1, so the code of a function depends only on
    what it is lowered from: an unchanged tool lowers to the same text in any build."""

    model: Model
    owner: str
    sql_constants: dict[str, str] = field(default_factory=dict)  # sql text -> placeholder
    lines: list[str] = field(default_factory=list)
    line_spans: list[n.Span | None] = field(default_factory=list)
    temp: int = 0
    local_functions: dict[object, str] = field(default_factory=dict)  # what it does -> its name
    local_lines: list[str] = field(default_factory=list)  # their definitions (at depth 1)
    rows_cache: bool = False  # a tool: rows read by key are kept in `_rows` while nothing is written
    uses_rows: bool = False
    columns_used: set[tuple[str, str]] = field(default_factory=set)  # (entity, column) indexes named

    # ---- output plumbing ------------------------------------------------------------
    def emit(self, depth: int, text: str, span: n.Span | None = None):
        self.lines.append("    " * depth + text)
        self.line_spans.append(span)

    def sql_const(self, text: str) -> str:
        if text not in self.sql_constants:
            self.sql_constants[text] = placeholder(len(self.sql_constants) + 1)
        return self.sql_constants[text]

    def local_function(self, key, stem: str, params: str, body: Callable[[], list[str]]) -> str:
        """A function defined at the top of the generated one (instead of a lambda called on
        the spot); `body` is made on first use, its lines relative to the function's body."""
        if key not in self.local_functions:
            name = self.local_functions[key] = f"_{stem}{len(self.local_functions) + 1}"
            lines = [f"    def {name}({params}):"]  # reserved before the body adds its own
            at = len(self.local_lines)
            self.local_lines.append("")
            lines += ["        " + line for line in body()]
            self.local_lines[at : at + 1] = lines
        return self.local_functions[key]

    def constants(self) -> list[tuple[str, str]]:
        return [(name, text) for text, name in self.sql_constants.items()]

    def row_const(self, entity) -> str:
        """The SELECT of one whole row by key (the one out_<Entity> runs), for `_rows`."""
        self.uses_rows = True
        return self.sql_const(sql(row_select(entity)))

    def column_index(self, entity, column: str) -> str:
        """The position of a column in the entity's rows, as the module names it (`COL_ORDER_STATUS`)."""
        self.columns_used.add((entity.name, column))
        return column_marker(entity.name, column)

    def fresh(self, stem: str) -> str:
        self.temp += 1
        return f"_{stem}{self.temp}"

    def t(self, e) -> T:
        return self.model.types[e]

    # ---- SQL with Python parameters -------------------------------------------------
    def compiler(self) -> SqlCompiler:
        return SqlCompiler(self.model, python=self.storage)

    def run_sql(self, statement: exp.Expression, params: list[str]) -> tuple[str, str]:
        name = self.sql_const(sql(statement))
        return name, "(" + ", ".join(params) + ("," if len(params) == 1 else "") + ")"

    def storage(self, e: n.Expr, t: T) -> str:
        """Python code for the SQLite-stored form of e's value as a `t` (an int stored in a
        decimal field is converted to cents, a decimal in a float field to a float)."""
        code = self.expr(e)
        return to_storage_code(
            code if t.kind == "decimal" else coerce_code(code, self.t(e), t), t
        )  # cents() takes any number

    def query_call(self, e: n.Expr, what: str, agg=None) -> str:
        c = self.compiler()
        select = c.select(e, what, agg)
        const, params = self.run_sql(select, c.params)
        helper = {
            "rows": "rows",
            "keys": "column",
            "first": "scalar",
            "count": "scalar",
            "exists": "exists",
            "agg": "scalar",
        }[what]
        return f"{helper}(db, {const}, {params})"

    # ---- expressions ------------------------------------------------------------------
    def expr(self, e) -> str:
        t = self.t(e)
        if t.kind == "query" and not isinstance(e, n.Call):
            return self.query_call(e, "keys")
        return getattr(self, "x_" + type(e).__name__)(e)

    def x_Literal(self, e: n.Literal) -> str:
        if e.kind == "decimal" and self.t(e).kind == "float":
            return repr(float(e.value))
        if e.kind == "decimal":
            return f'D("{e.value}")'
        if e.kind == "text" and self.t(e).kind == "enum":
            return repr(e.value)
        return repr(e.value)

    def x_Template(self, e: n.Template) -> str:
        parts = [repr(p) if isinstance(p, str) else f"to_text({self.expr(p)})" for p in e.parts]
        return "(" + " + ".join(parts) + ")" if parts else "''"

    def x_Name(self, e) -> str:
        b = self.model.bindings[e]
        if b.kind == "param":
            return f"p_{b.name}"
        if b.kind in ("local", "loop", "result"):
            return f"v_{b.name}"
        if b.kind == "answer":
            return "answer"
        if b.kind == "enum_member":
            return repr(b.name)
        raise LoweringError(
            f"`{e.name}` cannot be used as a value here",
            e.span,
            help="a field is read from its row (`row.field`); an entity name is the query of all "
            "its rows (`count(Product)`, `for p in Product`)",
        )

    x_OuterName = x_Name

    def x_Me(self, e) -> str:
        return "rt.me"

    def x_Member(self, e: n.Member) -> str:
        obj_t = self.t(e.obj)
        if obj_t.kind == "enum":
            return repr(e.name.name)
        obj = self.expr(e.obj)
        if obj_t.kind in ("record", "union"):
            return from_json_code(f"{obj}.get({e.name.name!r})", self.t(e))
        if obj_t.kind == "json":
            return f"json_get({obj}, {e.name.name!r})"
        entity = self.model.entities[obj_t.decl_name]
        f = entity.fields.get(e.name.name)
        if f is None:  # `row.parent_id`
            f = entity.fields[e.name.name[:-3]]
        if f.is_id:
            return obj
        if f.backref is not None:
            return self.query_call(e, "keys")
        if self.rows_cache:
            index = self.column_index(entity, f.column)
            return from_storage_code(f"cached_field(db, _rows, {self.row_const(entity)}, {obj}, {index})", f.type)
        lookup = (
            exp.select(col(f.column))
            .from_(table(entity), copy=False)
            .where(exp.EQ(this=col(entity.id_field.column), expression=exp.Placeholder()), copy=False)
        )
        const = self.sql_const(sql(lookup))
        return from_storage_code(f"scalar(db, {const}, ({obj},))", f.type)

    def x_Index(self, e: n.Index) -> str:
        obj_t = self.t(e.obj)
        if (
            obj_t.kind == "query"
            and self.model.bindings.get(e.obj) is not None
            and self.model.bindings[e.obj].kind == "entity"
        ):  # `Product[3]`: a key lookup
            entity = self.model.entities[obj_t.elem.decl_name]
            return self.must_exist(entity, entity.id_field.column, self.expr(e.index))
        if obj_t.kind == "json":
            return f"json_get({self.expr(e.obj)}, {self.expr(e.index)})"
        return f"item({self.expr(e.obj)}, {self.expr(e.index)})"

    def check_keys(self, code: str, t: T, depth: int):
        """Fail with not_found before the body runs if an argument names a missing row:
        directly, in a list, or in a record's fields."""
        if t.optional and self.needs_key_check(t):
            self.emit(depth, f"if {code} is not None:")
            depth += 1
        if t.kind == "entity":
            entity = self.model.entities[t.decl_name]
            self.emit(depth, self.must_exist(entity, entity.id_field.column, code))
        elif t.kind == "list" and self.needs_key_check(t.elem):
            item = self.fresh("k")
            self.emit(depth, f"for {item} in {code}:")
            self.check_keys(item, t.elem, depth + 1)
        elif t.kind == "record" and t.name in self.model.records:
            for name, f in self.model.records[t.name].fields.items():
                if self.needs_key_check(f.type):
                    self.check_keys(f"{code}[{name!r}]", f.type, depth)

    def needs_key_check(self, t: T) -> bool:
        if t.kind == "entity":
            return True
        if t.kind == "list":
            return self.needs_key_check(t.elem)
        if t.kind == "record" and t.name in self.model.records:
            return any(self.needs_key_check(f.type) for f in self.model.records[t.name].fields.values())
        return False

    def must_exist(self, entity, column: str, value: str) -> str:
        if self.rows_cache and column == entity.id_field.column:
            index = self.column_index(entity, column)
            const = self.row_const(entity)
            return f"must_row(db, _rows, {const}, {value}, {entity.name!r}, {column!r}, {index})"
        lookup = (
            exp.select(col(entity.id_field.column))
            .from_(table(entity), copy=False)
            .where(exp.EQ(this=col(column), expression=exp.Placeholder()), copy=False)
        )
        const = self.sql_const(sql(lookup))
        return f"must(db, {const}, {value}, {entity.name!r}, {column!r})"

    def x_LookupBy(self, e: n.LookupBy) -> str:
        entity = self.model.entities[self.t(e.obj).elem.decl_name]
        f = entity.fields[e.field.name]
        return self.must_exist(entity, f.column, self.storage(e.value, f.type))

    def x_ListLit(self, e: n.ListLit) -> str:
        return "[" + ", ".join(self.expr(x) for x in e.items) + "]"

    def x_RecordLit(self, e: n.RecordLit) -> str:
        return "{" + ", ".join(f"{f.name.name!r}: {self.expr(f.value)}" for f in e.fields) + "}"

    def insert_sql(self, entity, values) -> tuple[str, str]:
        given = {fv.name.name: fv.value for fv in values}
        columns, params = [], []
        for f in entity.columns:
            if f.name in given:
                columns.append(f.column)
                params.append(self.storage(given[f.name], f.type))
            elif f.default is not None:
                columns.append(f.column)
                params.append(self.default_code(f))
        statement = exp.Insert(
            this=exp.Schema(this=exp.Table(this=ident(entity.table)), expressions=[ident(c) for c in columns]),
            expression=exp.Values(expressions=[exp.Tuple(expressions=[exp.Placeholder() for _ in columns])]),
            returning=exp.Returning(expressions=[col(entity.id_field.column)]),
        )
        if not columns:
            statement = exp.Insert(
                this=exp.Table(this=ident(entity.table)),
                expression=exp.var("DEFAULT VALUES"),
                returning=exp.Returning(expressions=[col(entity.id_field.column)]),
            )
        return self.run_sql(statement, params)

    def default_code(self, f) -> str:
        value = f.default_value
        if isinstance(value, ClockDefault):
            return "rt.now" if value.unit == "now" else "rt.now[:10]"
        return repr(to_storage(value, f.type))

    def x_Insert(self, e: n.Insert) -> str:
        entity = self.model.entities[e.entity.name]
        const, params = self.insert_sql(entity, e.values)
        return f"scalar(db, {const}, {params})"

    def x_Upsert(self, e: n.Upsert) -> str:
        entity = self.model.entities[e.entity.name]
        given = {fv.name.name: fv.value for fv in e.values}
        find = exp.select(col(entity.id_field.column)).from_(table(entity), copy=False)
        find_params = []
        for k in e.keys:
            f = entity.fields[k.name]
            find = find.where(exp.Is(this=col(f.column), expression=exp.Placeholder()), copy=False)
            find_params.append(self.storage(given[k.name], f.type))
        find_const, find_args = self.run_sql(find, find_params)
        assigns = e.on_conflict or tuple(
            n.Assign(fv.name, fv.value, fv.span) for fv in e.values if fv.name.name not in {k.name for k in e.keys}
        )
        ins_const, ins_args = self.insert_sql(entity, e.values)
        if not assigns:
            return f"upsert(db, {find_const}, {find_args}, None, (), {ins_const}, {ins_args})"
        upd_const, upd_args = self.update_by_key(entity, assigns, None)
        return f"upsert(db, {find_const}, {find_args}, {upd_const}, {upd_args}, {ins_const}, {ins_args})"

    def update_by_key(self, entity, assigns, key_code: str | None) -> tuple[str, str]:
        """UPDATE ... WHERE key = ?; with key_code None the key is appended by the caller."""
        c = self.compiler()
        alias = "u"
        sets = []
        for a in assigns:
            f = entity.fields[a.name.name]
            value = c.assigned(a.value, f.type, [alias], [entity.name])
            sets.append(exp.EQ(this=col(f.column), expression=value))
        statement = exp.Update(
            this=table(entity, alias),
            expressions=sets,
            where=exp.Where(this=exp.EQ(this=col(entity.id_field.column, alias), expression=exp.Placeholder())),
        )
        params = c.params + ([key_code] if key_code else [])
        return self.run_sql(statement, params)

    def x_Unary(self, e: n.Unary) -> str:
        inner = self.expr(e.operand)
        if e.op == "not":
            return f"(not {inner})"
        return f"maybe(neg, {inner})" if self.t(e.operand).optional else f"(-{inner})"

    def x_IsNull(self, e: n.IsNull) -> str:
        return f"({self.expr(e.operand)} is {'not ' if e.negated else ''}None)"

    def x_Binary(self, e: n.Binary) -> str:
        op = e.op
        lt, rt = self.t(e.left), self.t(e.right)
        left, right = self.expr(e.left), self.expr(e.right)
        if op in ("and", "or"):  # null is false, as in SQL (the result is never null)
            return f"({truth(left, lt)} {op} {truth(right, rt)})"
        if op in ("contains", "in", "not_in") and mixes_decimal_and_float(lt, rt):
            items, value = (left, right) if op == "contains" else (right, left)
            return f"list_has({items}, {value}, {op == 'not_in'})"
        if op in ("contains", "matches", "starts_with", "ends_with", "in", "not_in"):
            if lt.optional or rt.optional:  # null on either side makes the test false, as in SQL
                return f"text_test({op!r}, {left}, {right})"
            return {
                "contains": f"({right} in {left})",
                "matches": f"(ascii_lower({right}) in ascii_lower({left}))",
                "starts_with": f"{left}.startswith({right})",
                "ends_with": f"{left}.endswith({right})",
                "in": f"({left} in {right})",
                "not_in": f"({left} not in {right})",
            }[op]
        if {lt.kind, rt.kind} == {"decimal", "float"}:  # compared and computed as floats
            left, right = coerce_code(left, lt, FLOAT), coerce_code(right, rt, FLOAT)
        if op in ("==", "!="):
            return f"({left} {op} {right})"
        if op in ("<", "<=", ">", ">="):
            if lt.optional or rt.optional:
                return f"ordered({left}, {op!r}, {right})"
            return f"({left} {op} {right})"
        if lt.kind in ("date", "datetime"):
            return f"shift_time({left}, {'-' if op == '-' else ''}{right})"
        result = self.t(e).kind
        if op == "/" and result == "decimal":
            return f"decimal_div({left}, {right})"
        if op == "*" and lt.kind == rt.kind == "decimal":
            return f"decimal_mul({left}, {right})"
        if op == "/":
            return f"true_div({left}, {right})"
        if op == "%":
            return f"int_mod({left}, {right})"
        return f"({left} {op} {right})"

    # ---- builtin calls: one `call_<name>` per name of compiler/builtins.py ------------------
    def x_Call(self, e: n.Call) -> str:
        return getattr(self, f"call_{e.func.name}")(e)

    def over_query(self, e: n.Call) -> bool:
        """Is the call's first argument a query (`count(Order where ...)`), not a list?"""
        return bool(e.args) and self.t(e.args[0]).kind == "query"

    def numbers_as_result(self, e: n.Call) -> list[str]:
        """The arguments, a number converted to the call's numeric type (`min(1, 2.5)` is a decimal)."""
        values = [self.expr(a) for a in e.args]
        if self.t(e).kind in ("int", "float", "decimal"):
            values = [coerce_code(v, self.t(a), self.t(e)) for v, a in zip(values, e.args)]
        return values

    def runtime_call(self, e: n.Call, helper: str, null_propagating: bool = False) -> str:
        """A runtime helper over the argument values; a null-propagating one gives null for null."""
        values = [self.expr(a) for a in e.args]
        if null_propagating and self.t(e.args[0]).optional:
            return f"maybe({helper}, {values[0]})"
        return f"{helper}({', '.join(values)})"

    def call_count(self, e: n.Call) -> str:
        return self.query_call(e.args[0], "count") if self.over_query(e) else f"len({self.expr(e.args[0])})"

    def call_exists(self, e: n.Call) -> str:
        return self.query_call(e.args[0], "exists")  # the checker takes only a query

    def call_first(self, e: n.Call) -> str:
        return self.query_call(e.args[0], "first") if self.over_query(e) else f"first_of({self.expr(e.args[0])})"

    def aggregate(self, e: n.Call) -> str:
        """`sum`, `avg`, `min`, `max`: over a query's rows, a list, or (min, max) several values."""
        name = e.func.name
        if self.over_query(e):
            return from_storage_code(self.query_call(e.args[0], "agg", (name, e.args[1])), self.t(e))
        values = self.numbers_as_result(e) if name in ("min", "max") else [self.expr(a) for a in e.args]
        return f"list_{name}({values[0]})" if len(values) == 1 else f"{name}_of({', '.join(values)})"

    call_sum = call_avg = call_min = call_max = aggregate

    def call_len(self, e: n.Call) -> str:
        if self.over_query(e):
            return self.query_call(e.args[0], "count")
        if self.t(e.args[0]).kind == "json":
            return f"json_len({self.expr(e.args[0])})"
        return self.runtime_call(e, "len", null_propagating=True)

    def call_round(self, e: n.Call) -> str:
        values = [self.expr(a) for a in e.args]
        places = values[1] if len(values) > 1 else "0"
        kind = self.t(e).kind
        return (
            f"round_half_up({values[0]}, {places}, {'int' if kind == 'int' else 'D' if kind == 'decimal' else 'float'})"
        )

    def call_coalesce(self, e: n.Call) -> str:
        return f"coalesce({', '.join(self.numbers_as_result(e))})"

    def call_now(self, e: n.Call) -> str:
        return "rt.now"

    def call_today(self, e: n.Call) -> str:
        return "rt.now[:10]"

    def duration(self, e: n.Call) -> str:
        """`days(n)` and the other units: a number of seconds."""
        return f"({self.expr(e.args[0])} * {DURATION_SECONDS[e.func.name]})"

    call_days = call_hours = call_minutes = call_seconds = duration

    def call_before(self, e: n.Call) -> str:
        """The same expression, read from the state the task started from."""
        value = self.expr(e.args[0])
        return f"{self.local_function(('before', value), 'before', 'db', lambda: [f'return {value}'])}(before_db)"

    def call_abs(self, e: n.Call) -> str:
        return self.runtime_call(e, "abs", null_propagating=True)

    def call_trim(self, e: n.Call) -> str:
        return self.runtime_call(e, "trim", null_propagating=True)

    call_lower = _runtime_helper("ascii_lower")
    call_upper = _runtime_helper("ascii_upper")
    call_sort = _runtime_helper("sorted")
    call_reverse = _runtime_helper("reversed_list")
    call_text = _runtime_helper("to_text")
    call_int = _runtime_helper("to_int")
    call_float = _runtime_helper("to_float")
    call_decimal = _runtime_helper("to_decimal")
    call_date = _runtime_helper("to_date")
    call_days_between = _runtime_helper("days_between")
    call_range = _runtime_helper("int_range")
    call_contains_number = _runtime_helper("contains_number")

    def x_GroupBy(self, e: n.GroupBy) -> str:
        c = self.compiler()
        q = c.flatten(e.source)
        entity = self.model.entities[q.entity]
        alias = c.new_alias()
        key_fields = [entity.fields[k.name] for k in e.keys]
        projection: list[exp.Expression] = [col(f.column, alias) for f in key_fields]
        converters = [from_storage_code("{}", f.type if not f.is_relation else INT) for f in key_fields]
        names = [f.column for f in key_fields]
        for agg in e.aggregates:
            call = agg.value
            assert isinstance(call, n.Call)  # the checker reports a group field that is not an aggregate call
            t = self.t(call)
            if call.func.name == "count":
                projection.append(exp.Count(this=exp.Star()))
            else:
                inner = c.value(call.args[0], [alias], [entity.name])
                fn = GROUP_FUNCTIONS[call.func.name]
                projection.append(fn(this=inner))
            converters.append(from_storage_code("{}", t))
            names.append(agg.name.name)
        select = exp.select(*projection).from_(table(entity, alias), copy=False)
        if q.limit is not None or q.offset is not None:  # group the limited rows only
            keys = c.select(e.source, "keys")
            select = select.where(
                exp.In(this=col(entity.id_field.column, alias), query=exp.Subquery(this=keys)), copy=False
            )
        else:
            select = c.where(select, q, [alias], [entity.name])
        select = select.group_by(*[col(f.column, alias) for f in key_fields], copy=False).order_by(
            *[col(f.column, alias) for f in key_fields], copy=False
        )
        const, params = self.run_sql(select, c.params)
        row_code = (
            "{"
            + ", ".join(f"{nm!r}: {conv.format(f'r[{i}]')}" for i, (nm, conv) in enumerate(zip(names, converters)))
            + "}"
        )
        return f"[{row_code} for r in rows(db, {const}, {params})]"

    # ---- output (JSON-ready results) ----------------------------------------------------
    def out(self, code: str, t: T) -> str:
        k = t.kind
        if k == "entity" and self.rows_cache:
            self.uses_rows = True
            return f"out_{t.name}(db, {code}, _rows)"
        if k == "entity":
            return f"out_{t.name}(db, {code})"
        if k == "query":
            return f"[out_{t.elem.name}(db, k) for k in {code}]"
        if k == "list":
            inner = self.out("x", t.elem)
            return code if inner == "x" else f"[{inner} for x in {code}]"
        if k == "decimal":
            return f"money({code})"
        if k == "record" and t.fields:

            def body():
                parts = ", ".join(f"{name!r}: {self.out(f'_r[{name!r}]', ft)}" for name, ft in t.fields)
                return [f"return {{{parts}}}"]

            return f"{self.local_function(('out', t), 'out', '_r', body)}({code})"
        if k == "record" and t.name in self.model.records:
            fields = self.model.records[t.name].fields

            def body():
                parts = ", ".join(f"{fn!r}: {self.out(f'_r.get({fn!r})', f.type)}" for fn, f in fields.items())
                return ["if _r is None:", "    return None", f"return {{{parts}}}"]

            return f"{self.local_function(('out', t), 'out', '_r', body)}({code})"
        return code

    def output(self, e: n.Expr) -> str:
        """The JSON-ready value of a returned expression. In a tool, a query's rows are read
        in one statement (not a key, then each row), and a record literal's fields are output
        in place when none of them writes (a field's output reads the rows as they were when
        all the fields had been computed)."""
        t = self.t(e)
        if self.rows_cache and t.kind == "query" and not isinstance(e, n.Call):
            return self.query_rows(e)
        fields = None  # the record's fields, in the order its output has them
        if t.kind == "record" and t.fields:
            fields = list(t.fields)
        elif t.kind == "record" and t.name in self.model.records:
            fields = [(name, f.type) for name, f in self.model.records[t.name].fields.items()]
        if (
            self.rows_cache
            and isinstance(e, n.RecordLit)
            and fields is not None
            and [f.name.name for f in e.fields] == [name for name, _ in fields]
            and not writes(e)
        ):
            parts = []
            for f, (name, ft) in zip(e.fields, fields):
                vt = self.t(f.value)
                if vt.kind == "query" and ft.kind in ("query", "list") and ft.elem == vt.elem or vt == ft:
                    code = self.output(f.value)
                else:
                    code = self.out(self.expr(f.value), ft)
                parts.append(f"{name!r}: {code}")
            return "{" + ", ".join(parts) + "}"
        return self.out(self.expr(e), t)

    def query_rows(self, e: n.Expr) -> str:
        """`[row_<Entity>(r) for r in rows(...)]`: the output of a query's rows, in one SELECT."""
        entity = self.model.entities[self.t(e).elem.decl_name]
        c = self.compiler()
        const, params = self.run_sql(c.select(e, "rows"), c.params)
        return f"[row_{entity.name}(r) for r in rows(db, {const}, {params})]"

    def loop_keys(self, e: n.Expr) -> str:
        """The keys a `for` visits; in a tool, their whole rows are read in the same SELECT and
        kept in `_rows`, so the body's field reads need no statement until it writes."""
        t = self.t(e)
        if not (self.rows_cache and t.kind == "query" and not isinstance(e, n.Call)):
            return self.expr(e)
        entity = self.model.entities[t.elem.decl_name]
        c = self.compiler()
        const, params = self.run_sql(c.select(e, "rows"), c.params)
        index = self.column_index(entity, entity.id_field.column)
        return f"prefetched(db, _rows, {const}, {params}, {self.row_const(entity)}, {index})"

    # ---- statements ----------------------------------------------------------------------
    def block(self, block: n.Block, depth: int):
        start = len(self.lines)
        for s in block.stmts:
            self.stmt(s, depth)
        if len(self.lines) == start:
            self.emit(depth, "pass")

    def stmt(self, s, depth: int):
        sp = s.span
        if isinstance(s, n.Let):
            if s.type is None and self.t(s.value).kind == "query":
                return  # a query let is inlined where it is used
            value = self.expr(s.value)
            if s.type is not None:
                value = coerce_code(value, self.t(s.value), self.model.types[s])
            self.emit(depth, f"v_{s.name.name} = {value}", sp)
        elif isinstance(s, n.Reassign):
            b = self.model.bindings[s]
            self.emit(depth, f"v_{s.name.name} = {coerce_code(self.expr(s.value), self.t(s.value), b.type)}", sp)
        elif isinstance(s, n.Require):
            self.emit(depth, f"if {negated(self.expr(s.cond))}:", sp)
            self.stmt(s.fail, depth + 1)
        elif isinstance(s, n.Fail):
            self.emit(depth, f"raise Fail({s.code.name!r}, {self.expr(s.message)})", sp)
        elif isinstance(s, n.If):
            self.if_chain(s, depth, "if")
        elif isinstance(s, n.For):
            iterable = self.loop_keys(s.iterable)
            if s.index is not None:
                self.emit(depth, f"for v_{s.index.name}, v_{s.var.name} in enumerate({iterable}):", sp)
            else:
                self.emit(depth, f"for v_{s.var.name} in {iterable}:", sp)
            self.block(s.body, depth + 1)
        elif isinstance(s, n.Update):
            self.update(s, depth)
        elif isinstance(s, n.Delete):
            self.delete(s, depth)
        elif isinstance(s, n.ExprStmt):
            self.emit(depth, self.expr(s.expr), sp)
        elif isinstance(s, n.Return):
            self.emit(depth, f"return {self.output(s.value)}", sp)
        elif isinstance(s, n.Match):
            subject = self.fresh("m")
            self.emit(depth, f"{subject} = {self.expr(s.subject)}", sp)
            for i, arm in enumerate(s.arms):
                kw = "if" if i == 0 else "elif"
                self.emit(depth, f"{kw} {subject}.get('kind') == {arm.variant.name!r}:", arm.span)
                self.emit(depth + 1, f"v_{arm.var.name} = {subject}", arm.span)
                self.block(arm.body, depth + 1)
        else:
            raise AssertionError(type(s).__name__)

    def if_chain(self, s: n.If, depth: int, kw: str):
        self.emit(depth, f"{kw} {self.expr(s.cond)}:", s.span)
        self.block(s.then, depth + 1)
        if isinstance(s.orelse, n.If):
            self.if_chain(s.orelse, depth, "elif")
        elif s.orelse is not None:
            self.emit(depth, "else:", s.orelse.span)
            self.block(s.orelse, depth + 1)

    def target_keys(self, target: n.Expr) -> tuple[bool, str, exp.Expression | None, list[str]]:
        """(single, key code or '', key subquery, params) for an update/delete target."""
        t = self.t(target)
        if t.kind == "entity":
            return True, self.expr(target), None, []
        c = self.compiler()
        select = c.select(target, "keys")
        return False, "", select, c.params

    def update(self, s: n.Update, depth: int):
        t = self.t(s.target)
        entity = self.model.entities[t.decl_name if t.kind == "entity" else t.elem.decl_name]
        single, key, subquery, sub_params = self.target_keys(s.target)
        if single:
            const, params = self.update_by_key(entity, s.assigns, key)
            self.emit(depth, f"execute(db, {const}, {params})", s.span)
            return
        c = self.compiler()
        fields = [entity.fields[a.name.name] for a in s.assigns]
        sets = [
            exp.EQ(this=col(f.column), expression=c.assigned(a.value, f.type, ["u"], [entity.name]))
            for f, a in zip(fields, s.assigns)
        ]
        statement = exp.Update(
            this=table(entity, "u"),
            expressions=sets,
            where=exp.Where(this=exp.In(this=col(entity.id_field.column, "u"), query=exp.Subquery(this=subquery))),
        )
        const, params = self.run_sql(statement, c.params + sub_params)
        self.emit(depth, f"execute(db, {const}, {params})", s.span)

    def delete(self, s: n.Delete, depth: int):
        t = self.t(s.target)
        entity = self.model.entities[t.decl_name if t.kind == "entity" else t.elem.decl_name]
        single, key, subquery, params = self.target_keys(s.target)
        condition = (
            exp.EQ(this=col(entity.id_field.column), expression=exp.Placeholder())
            if single
            else exp.In(this=col(entity.id_field.column), query=exp.Subquery(this=subquery))
        )
        statement = exp.Delete(this=exp.Table(this=ident(entity.table)), where=exp.Where(this=condition))
        const, args = self.run_sql(statement, [key] if single else params)
        self.emit(depth, f"execute(db, {const}, {args})", s.span)


# kind -> (handler value to SQLite value, SQLite value to handler value): runtime.support helpers
STORAGE = {
    "decimal": ("cents", "dec"),
    "bool": ("as_bool_int", "as_bool"),
    "json": ("to_json_text", "from_json_text"),
    "list": ("to_json_text", "from_json_text"),
    "record": ("to_json_text", "from_json_text"),
    "union": ("to_json_text", "from_json_text"),
}


def to_storage_code(code: str, t: T) -> str:
    return f"{STORAGE[t.kind][0]}({code})" if t.kind in STORAGE else code


def from_storage_code(code: str, t: T) -> str:
    if holds_decimals(t):
        return f"decimals(from_json_text({code}))"
    return f"{STORAGE[t.kind][1]}({code})" if t.kind in STORAGE else code


def holds_decimals(t: T) -> bool:
    """A list of decimals (or of lists of them): JSON gives their items back as floats."""
    return t.kind == "list" and (t.elem.kind == "decimal" or holds_decimals(t.elem))


def from_json_code(code: str, t: T) -> str:
    """A value read out of JSON (a record's field) as the handlers hold a value of type t."""
    if t.kind == "decimal":
        return f"to_decimal({code})"
    return f"decimals({code})" if holds_decimals(t) else code


def truth(code: str, t: T) -> str:
    """A bool operand of and/or: null counts as false."""
    return f"bool({code})" if t.optional else code


def mixes_decimal_and_float(lt: T, rt: T) -> bool:
    """A membership test between decimals and floats (compared as floats, not exactly)."""
    kinds = {x.elem.kind if x.kind == "list" else x.kind for x in (lt, rt)}
    return kinds == {"decimal", "float"}


def coerce_code(code: str, src: T, dst: T) -> str:
    """A number as another numeric type (the to_* helpers let null through)."""
    if src.kind == "int" and dst.kind == "decimal":
        return f"to_decimal({code})" if src.optional else f"D({code})"
    if src.kind in ("int", "decimal") and dst.kind == "float":
        return f"to_float({code})" if src.optional else f"float({code})"
    if src.kind == "float" and dst.kind == "decimal":
        return f"to_decimal({code})"
    return code


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
        "writes": tool.writes,
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
    owner = entity.fields[entity.owner[0]].column if entity.owner else None
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


def row_select(entity) -> exp.Select:
    """SELECT every column of one row by key."""
    return (
        exp.select(*[col(f.column) for f in entity.columns])
        .from_(table(entity), copy=False)
        .where(exp.EQ(this=col(entity.id_field.column), expression=exp.Placeholder()), copy=False)
    )


def writes(e) -> bool:
    """Does computing e write (an insert or upsert inside it)?"""
    return isinstance(e, (n.Insert, n.Upsert)) or any(writes(c) for c in children(e))


def ends_with_return(block: n.Block) -> bool:
    if not block.stmts:
        return False
    last = block.stmts[-1]
    if isinstance(last, (n.Return, n.Fail)):
        return True
    if isinstance(last, n.If) and last.orelse is not None:
        other = last.orelse if isinstance(last.orelse, n.Block) else n.Block((last.orelse,), last.span)
        return ends_with_return(last.then) and ends_with_return(other)
    return False
