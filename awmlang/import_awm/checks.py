"""CHECK constraints translated to awm `@check` expressions with the same meaning, NULL included."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlglot import exp

from awmlang.import_awm.entities import EntityPlan, FieldPlan, note
from awmlang.import_awm.literals import DATE_RE, DATETIME_RE, awm_number, awm_text
from awmlang.import_awm.problems import Problems
from awmlang.import_awm.sql import sql_constant


class NotExpressible(Exception):
    pass


@dataclass
class Term:
    text: str
    kind: str  # num | text | datetime | date | bool | null
    nullable: bool = False
    field: FieldPlan | None = None


def plan_check(entity: EntityPlan, column: str | None, cond: exp.Expression, problems: Problems) -> None:
    sql = cond.sql("sqlite")
    try:
        term = CheckTranslator(entity).translate(cond)
        if term.kind != "bool":
            raise NotExpressible("it is not a condition")
    except NotExpressible as exc:
        note(entity, problems, f"CHECK ({sql}) is not imported: {exc}")
        return
    target = entity.by_column(column) if column else None
    if target is None or target.relation is not None:
        target = next((f for f in CheckTranslator(entity).fields_in(cond) if f.relation is None), None)
    if target is None:
        note(entity, problems, f"CHECK ({sql}) is not imported: it reads no column")
        return
    target.checks.append(strip_parens(term.text))


def strip_parens(text: str) -> str:
    """`(a or b)` -> `a or b` when the outer parentheses enclose the whole text."""
    if not (text.startswith("(") and text.endswith(")")):
        return text
    depth, quoted, i = 0, False, 0
    while i < len(text):
        ch = text[i]
        if quoted and ch == "\\":
            i += 1
        elif ch == '"':
            quoted = not quoted
        elif not quoted and ch in "()":
            depth += 1 if ch == "(" else -1
            if depth == 0 and i < len(text) - 1:
                return text
        i += 1
    return text[1:-1]


class CheckTranslator:
    """SQL CHECK conditions -> awm expressions with the same meaning, NULL included: SQL `=`
    and `<>` on a nullable side are written `a >= b and a <= b` / `a < b or a > b`, because awm's
    `==` is null-safe and a CHECK that is NULL passes."""

    COMPARE = {exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<="}
    ARITH = {exp.Add: "+", exp.Sub: "-", exp.Mul: "*", exp.Mod: "%"}
    FUNCS = {exp.Length: "len", exp.Lower: "lower", exp.Upper: "upper", exp.Abs: "abs", exp.Trim: "trim"}

    def __init__(self, entity: EntityPlan):
        self.entity = entity

    def fields_in(self, cond: exp.Expression) -> list[FieldPlan]:
        """The fields a condition reads, in the order they appear."""
        found = [self.entity.by_column(c.name) for c in cond.dfs() if isinstance(c, exp.Column)]
        return list(dict.fromkeys(f for f in found if f is not None))

    def translate(self, node: exp.Expression) -> Term:
        method = getattr(self, f"t_{type(node).__name__}", None)
        if method is None:
            raise NotExpressible(f"`{node.sql('sqlite')}` has no awm equivalent")
        return method(node)

    def t_Paren(self, node):
        inner = self.translate(node.this)
        return Term(f"({inner.text})", inner.kind, inner.nullable, inner.field)

    def t_Column(self, node):
        f = self.entity.by_column(node.name)
        if f is None or node.table:
            raise NotExpressible(f"`{node.sql('sqlite')}` is not a column of this table")
        if f.relation is not None:
            raise NotExpressible(f"`{node.name}` is a relation (compare it in a tool instead)")
        kind = {"int": "num", "float": "num"}.get(f.type, f.type)
        return Term(f.name, kind, f.optional, f)

    def t_Literal(self, node):
        if node.is_string:
            if "{" in node.this or "}" in node.this:
                raise NotExpressible("a string with braces is not a constant in awm")
            return Term(awm_text(node.this), "text")
        value = sql_constant(node)
        text = awm_number(value)
        if text is None:
            raise NotExpressible("the number cannot be written in awm")
        return Term(text, "num")

    def t_Neg(self, node):
        inner = self.translate(node.this)
        if inner.kind != "num":
            raise NotExpressible("`-` needs a number")
        return Term(f"-{inner.text}", "num", inner.nullable)

    def t_Null(self, node):
        return Term("null", "null", True)

    def t_And(self, node):
        return self.logical(node, "and")

    def t_Or(self, node):
        return self.logical(node, "or")

    def logical(self, node, op):
        a, b = self.translate(node.this), self.translate(node.expression)
        if a.kind != "bool" or b.kind != "bool":
            raise NotExpressible(f"`{op}` needs conditions")
        return Term(f"{a.text} {op} {b.text}" if op == "and" else f"({a.text} or {b.text})", "bool")

    def t_Not(self, node):
        inner = node.this
        if isinstance(inner, exp.Is):
            return self.is_null(inner, negated=True)
        if isinstance(inner, exp.In):
            return self.in_list(inner, negated=True)
        term = self.translate(inner)
        if term.kind != "bool":
            raise NotExpressible("`not` needs a condition")
        return Term(f"not ({term.text})", "bool")

    def t_Is(self, node):
        return self.is_null(node, negated=False)

    def is_null(self, node, negated):
        if not isinstance(node.expression, exp.Null):
            raise NotExpressible("`IS` with a value")
        term = self.translate(node.this)
        return Term(f"{term.text} is {'not ' if negated else ''}null", "bool")

    def comparable(self, a: Term, b: Term) -> None:
        if a.kind == "null" or b.kind == "null":
            raise NotExpressible("a comparison with NULL is never true")
        if a.kind == b.kind:
            return
        for t, other in ((a, b), (b, a)):
            if t.kind in ("datetime", "date") and other.kind == "text" and other.field is None:
                value = json.loads(other.text) if other.text.startswith('"') else None
                pattern = DATETIME_RE if t.kind == "datetime" else DATE_RE
                if isinstance(value, str) and pattern.fullmatch(value):
                    return
        raise NotExpressible(f"it compares {a.kind} with {b.kind}")

    def compared(self, node) -> tuple[Term, Term]:
        """The two sides of a comparison, which must be comparable."""
        a, b = self.translate(node.this), self.translate(node.expression)
        self.comparable(a, b)
        return a, b

    def t_EQ(self, node):
        return self.equality(node, "==", (">=", "and", "<="))

    def t_NEQ(self, node):
        return self.equality(node, "!=", ("<", "or", ">"))

    def equality(self, node, op: str, nullable_form: tuple[str, str, str]):
        """With a nullable side, `a >= b and a <= b` (or `a < b or a > b`): NULL, as SQL's `=` is."""
        a, b = self.compared(node)
        if a.nullable or b.nullable:
            low, join, high = nullable_form
            return Term(f"({a.text} {low} {b.text} {join} {a.text} {high} {b.text})", "bool")
        return Term(f"{a.text} {op} {b.text}", "bool")

    def compare(self, node):
        a, b = self.compared(node)
        return Term(f"{a.text} {self.COMPARE[type(node)]} {b.text}", "bool")

    t_GT = t_GTE = t_LT = t_LTE = compare

    def t_Between(self, node):
        x, lo, hi = self.translate(node.this), self.translate(node.args["low"]), self.translate(node.args["high"])
        self.comparable(x, lo)
        self.comparable(x, hi)
        return Term(f"({x.text} >= {lo.text} and {x.text} <= {hi.text})", "bool")

    def t_In(self, node):
        return self.in_list(node, negated=False)

    def in_list(self, node, negated):
        if node.args.get("query") is not None or not node.expressions:
            raise NotExpressible("IN needs a list of values")
        x = self.translate(node.this)
        items = [self.translate(e) for e in node.expressions]
        for item in items:
            if item.field is not None:
                raise NotExpressible("IN lists of columns")
            self.comparable(x, item)
        return Term(f"{x.text} {'not in' if negated else 'in'} [{', '.join(i.text for i in items)}]", "bool")

    def arith(self, node):
        a, b = self.translate(node.this), self.translate(node.expression)
        if a.kind != "num" or b.kind != "num":
            raise NotExpressible("arithmetic needs numbers")
        if isinstance(node, exp.Mod) and "float" in (getattr(a.field, "type", None), getattr(b.field, "type", None)):
            raise NotExpressible("`%` of floats")
        return Term(f"({a.text} {self.ARITH[type(node)]} {b.text})", "num", a.nullable or b.nullable)

    t_Add = t_Sub = t_Mul = t_Mod = arith

    def function(self, node):
        arg = self.translate(node.this)
        name = self.FUNCS[type(node)]
        if name == "len" and arg.kind not in ("text", "datetime", "date"):
            raise NotExpressible("length() of a number")
        if name in ("lower", "upper", "trim") and arg.kind != "text":
            raise NotExpressible(f"{name}() of a {arg.kind}")
        if name == "abs" and arg.kind != "num":
            raise NotExpressible("abs() of text")
        if isinstance(node, exp.Trim) and (node.args.get("expression") or node.args.get("position")):
            raise NotExpressible("trim() with characters")
        return Term(f"{name}({arg.text})", "num" if name in ("len", "abs") else "text", arg.nullable)

    t_Length = t_Lower = t_Upper = t_Abs = t_Trim = function
