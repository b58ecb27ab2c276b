"""Expressions in handlers: values, rows read by key, inserts, operators, group by, and output."""

from __future__ import annotations

from sqlglot import exp

from .. import nodes as n
from ..lower_sql import LoweringError, col, ident, sql, table, to_storage
from ..types import FLOAT, INT, ClockDefault, T
from .calls import BuiltinCalls
from .snippets import coerce_code, from_json_code, from_storage_code, mixes_decimal_and_float, truth, writes

GROUP_FUNCTIONS: dict[str, type[exp.Expression]] = {"sum": exp.Sum, "avg": exp.Avg, "min": exp.Min, "max": exp.Max}


class Expressions(BuiltinCalls):
    """Expressions (`x_<Kind>` per node kind), writes inside them (insert, upsert) and the
    JSON-ready output of a tool's result."""

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
