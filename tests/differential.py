"""Differential testing of the two evaluators: every expression of a corpus is compiled twice,
once evaluated by the generated Python handler (`v.f` reads a field) and once inside SQL
(`update ... set` and `where`, where `f` is the row's field), and the two results must agree,
unless the compiler refuses the expression in one of the two places with a diagnostic.

`corpus()` lists the expressions (every operator over every pair of operand types, the scalar
builtins, and a few nestings); `DifferentialSpec` compiles them and `compare()` runs one
row of values through every pair of tools.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from awmlang.compiler.build import check_spec

import awmlang

# The row's fields: name -> awm type. Two of each scalar type so that pairs of fields meet.
FIELDS = {
    "i": "int",
    "j": "int",
    "f": "float",
    "g": "float",
    "m": "decimal",
    "k": "decimal",
    "s": "text",
    "t": "text",
    "d": "date",
    "e": "date",
    "at": "datetime",
    "au": "datetime",
    "b": "bool",
    "c": "bool",
    "li": "list<int>",
    "ls": "list<text>",
    "col": "Color",
    "pt": "Pt",
    "ni": "int?",
    "nf": "float?",
    "nm": "decimal?",
    "ns": "text?",
    "nd": "date?",
    "nb": "bool?",
    "ld": "list<decimal>",
    "lf": "list<float>",
    "js": "json?",
}
# Paired only with the scalars below (not with every field), to keep the corpus' size.
EXTRAS = {"nb", "ld", "lf", "js"}
EXTRA_PARTNERS = ["{b}", "{nb}", "{i}", "{f}", "{m}", "{nm}", "{ld}", "{lf}", "{li}", "1.1", "0.33", "true", "null"]
SECONDS = {"j", "g", "k", "t", "e", "au", "c"}  # paired only with the first of their type
FIRST = {"j": "i", "g": "f", "k": "m", "t": "s", "e": "d", "au": "at", "c": "b"}
# Literals of each type, written as in a spec.
LITERALS = [
    "0",
    "3",
    "1.5",
    "0.1",
    "-2",
    '"ab"',
    '"2025-01-02"',
    '"2025-01-02 10:30:00"',
    "true",
    "[1, 2]",
    "null",
    "red",
]
BINARY = [
    "+",
    "-",
    "*",
    "/",
    "%",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "and",
    "or",
    "contains",
    "matches",
    "starts with",
    "ends with",
    "in",
    "not in",
]
UNARY_CALLS = ["len", "abs", "lower", "upper", "trim", "round", "text", "int", "float", "decimal", "date"]
BINARY_CALLS = ["coalesce", "min", "max", "round", "days_between"]
OUT_KINDS = {
    "int": "int",
    "float": "float",
    "decimal": "decimal",
    "text": "text",
    "date": "date",
    "datetime": "datetime",
    "bool": "bool",
    "list<int>": "list<int>",
    "list<text>": "list<text>",
    "list<float>": "list<float>",
    "list<decimal>": "list<decimal>",
    "Color": "Color",
    "Pt": "Pt",
}

HEADER = """env diff "Differential test of the two evaluators" {}
enum Color { red green blue }
record Pt { x: int  y: decimal }
"""


def corpus() -> list[str]:
    """Expressions with `{name}` standing for a field of the row."""
    lefts = [f"{{{f}}}" for f in FIELDS if f not in SECONDS]
    common = [x for x in lefts if x[1:-1] not in EXTRAS]
    pairs = [(a, b) for a in common for b in common + LITERALS]
    extras = [f"{{{f}}}" for f in EXTRAS]
    pairs += [(a, b) for a in extras for b in EXTRA_PARTNERS] + [
        (b, a) for a in extras for b in EXTRA_PARTNERS if b not in extras
    ]
    pairs += [(f"{{{FIRST[f]}}}", f"{{{f}}}") for f in SECONDS]
    pairs += [(lit, "{i}") for lit in LITERALS[:5]] + [(lit, "{m}") for lit in LITERALS[:5]]
    out = []
    for a, b in pairs:
        out += [f"{a} {op} {b}" for op in BINARY]
        out += [f"{fn}({a}, {b})" for fn in BINARY_CALLS]
    for a in lefts:
        out += [f"{fn}({a})" for fn in UNARY_CALLS]
        out += [f"-{a}", f"not {a}", f"{a} is null", f"{a} is not null", f"{a}.x", f"{a}.y"]
    # nestings: mixed arithmetic and comparisons of computed values
    nums = ["{i}", "{f}", "{m}", "{ni}", "{nm}", "3", "0.1"]
    for a, b, c in itertools.product(nums, nums, nums):
        out += [f"({a} + {b}) * {c}", f"{a} * {b} / {c}", f"{a} - {b} > {c}", f"({a} / {b}) * {c} == {a}"]
    out += [
        "{s} + {t} == {ns}",
        "len({s} + {t})",
        "{li} + [{i}]",
        "{ls} + [{s}]",
        "len({li} + {li})",
        "round({m} * 1.1, 1)",
        "round({f} * 3, 2)",
        "{at} + days(1) > {at}",
        "{d} + days({i}) <= {e}",
        "date({at}) == {d}",
        "{at} - hours(2)",
        "{d} + days(3)",
        "days_between({d}, date({at}))",
        "coalesce({ni}, {i}) + 1",
        "coalesce({nm}, {f})",
        "coalesce({nf}, {m})",
        "max({f}, 1.0)",
        "min({m}, {f}, {i})",
        "{i} in [1, 2, 3]",
        "{col} in [red, blue]",
        "{s} in {ls}",
        "{li} contains {i}",
        "upper({s}) == {t}",
        "lower({ns}) == {s}",
        "{pt} == {x: 1, y: 2.5}",
        "{li} == [1, 2]",
        "{pt} == {x: 1, y: 2.1}",
        "{pt}.y == 2.1",
        "{ld} == [1.1, 2.2]",
        "sum({ld})",
        "{ld}[0] + {m}",
        "not ({nb} and {b})",
        "{nb} or {b} or {nb}",
        "not ({nm} > {m})",
        "{nb} == ({nm} > {m})",
    ]
    return out


def py_form(expr: str) -> str:
    return re.sub(r"\{(\w+)\}", r"v.\1", expr)


def sql_form(expr: str) -> str:
    return re.sub(r"\{(\w+)\}", r"\1", expr)


def entity_decl() -> str:
    fields = "  ".join(f"{name}: {'Color?' if t == 'Color' else t}" for name, t in FIELDS.items())
    outs = "  ".join(f"o_{_slug(t)}: {t}?" for t in OUT_KINDS)
    return f"entity V {{ id: int @id  {fields}  {outs} }}\n"


def _slug(t: str) -> str:
    return re.sub(r"\W", "_", t)


@dataclass
class Case:
    expr: str
    result: str  # the result type, as written in a spec
    py_tool: str | None = None
    sql_tools: list[str] = field(default_factory=list)


@dataclass
class DifferentialSpec:
    """The corpus compiled into one spec: per expression a Python tool and its SQL twins."""

    cases: list[Case]
    refused: dict[str, list[str]]  # where -> expressions refused there only
    env: awmlang.Environment


def _failing_tools(head: str, tools: list[str], path: Path) -> tuple[set[str], object]:
    """Tools with an error (the checker's, or a query SQL cannot express: both come in one
    check); returns them and the model of the spec without them."""
    bad: set[str] = set()
    while True:
        text = head + "".join(t for t in tools if _name(t) not in bad)
        result = check_spec(_write(path, text), memo=False)
        if result.ok:
            return bad, result.model
        lines = {i + 1: _name(line) for i, line in enumerate(text.splitlines()) if line.startswith("tool ")}
        for d in result.errors:
            line = result.sources.line_col(d.span)[0] if d.span else None
            if line not in lines:
                raise AssertionError(f"a diagnostic outside any tool: {d.code} {d.message} at line {line}")
            bad.add(lines[line])


def _name(tool_line: str) -> str:
    return re.match(r"tool (\w+)", tool_line).group(1)


def _result_type(t) -> str | None:
    text = str(t)
    base = text.rstrip("?")
    return text if base in OUT_KINDS else None


def compile_corpus(exprs: list[str], work: Path) -> DifferentialSpec:
    head = HEADER + entity_decl()
    # 1. the Python forms, to learn which expressions type-check and their types
    py_tools = [f'tool p{i}(v: V) -> json "p" {{ return {py_form(x)} }}\n' for i, x in enumerate(exprs)]
    bad, model = _failing_tools(head, py_tools, work / "types.awm")
    typed = {
        int(name[1:]): str(model.types[tool.body.stmts[0].value])
        for name, tool in model.tools.items()
        if name not in bad
    }
    # 2. each expression typed in Python as a tool returning its type, and SQL twins: in
    # `update ... set` (the value) and in `where` (as a condition)
    cases, tools = [], []
    for i, x in enumerate(exprs):
        t = typed.get(i)
        result_type = _result_type(t) if t else None
        if t is not None and result_type is None:
            continue  # json, null and the like have no field to store them in
        case = Case(x, result_type or "?")
        cases.append(case)
        if t is not None:
            case.py_tool = f"p{i}"
            tools.append(f'tool p{i}(v: V) -> {result_type} "p" {{ return {py_form(x)} }}\n')
        base = (result_type or "").rstrip("?")
        if base:
            tools.append(
                f'tool s{i}(v: V) -> {base}? "s" {{ update v set o_{_slug(base)} = {sql_form(x)}  return v.o_{_slug(base)} }}\n'
            )
            case.sql_tools.append(f"s{i}")
        if base == "bool" or t is None:
            tools.append(f'tool w{i}(v: V) -> bool "w" {{ return exists(V where id == v.id and ({sql_form(x)})) }}\n')
            case.sql_tools.append(f"w{i}")
    bad, _ = _failing_tools(head, tools, work / "all.awm")
    refused: dict[str, list[str]] = {"python": [], "sql": []}
    for case in cases:
        if case.py_tool in bad:
            case.py_tool = None
        case.sql_tools = [s for s in case.sql_tools if s not in bad]
        if case.py_tool and not case.sql_tools:
            refused["sql"].append(case.expr)
        elif case.sql_tools and not case.py_tool:
            refused["python"].append(case.expr)
    kept = [c for c in cases if c.py_tool and c.sql_tools]
    names = {name for c in kept for name in (c.py_tool, *c.sql_tools)}
    env = awmlang.load(_write(work / "diff.awm", head + "".join(t for t in tools if _name(t) in names)))
    return DifferentialSpec(kept, refused, env)


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def storage(value, t: str):
    """A handler value -> its SQLite form, written here independently of the runtime."""
    if value is None:
        return None
    base = t.rstrip("?")
    if base == "decimal":
        return int(value)  # drawn as cents
    if base == "bool":
        return int(value)
    if base.startswith("list") or base in ("Pt", "json"):
        return json.dumps(value, sort_keys=True)
    return value


def set_row(session, values: dict) -> None:
    cols = ", ".join(f"{name} = ?" for name in values)
    session.db.execute(f"UPDATE v SET {cols} WHERE id = 1", [storage(values[f], FIELDS[f]) for f in values])


def same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None or isinstance(a, bool) or isinstance(b, bool):
            return a == b
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def outcome(result: dict):
    if result["ok"]:
        return ("ok", result["result"])
    return ("fail", result["error"]["code"])


def compare(spec: DifferentialSpec, session) -> list[str]:
    """Every disagreement for the row the session holds, as readable lines."""
    problems = []
    for case in spec.cases:
        snap = session.snapshot()
        py = outcome(session.call(case.py_tool, {"v": 1}))
        for tool in case.sql_tools:
            session.restore(snap)
            sq = outcome(session.call(tool, {"v": 1}))
            want = py
            if tool.startswith("w") and py[0] == "ok":
                want = ("ok", bool(py[1]))
            if "internal_error" in (py[1], sq[1]) or want[0] != sq[0] or not same(want[1], sq[1]):
                problems.append(f"{case.expr}: python {py} vs sql({tool[0]}) {sq}")
        session.restore(snap)
    return problems


def row_strategy():
    """Rows of V: small and boundary numbers, zero, negative values, nulls, case and unicode."""
    from hypothesis import strategies as st

    ints = st.sampled_from([0, 1, -1, 2, 3, -7, 100]) | st.integers(-(10**6), 10**6)
    floats = st.sampled_from([0.0, 0.5, -2.5, 1.005, 16.63, 0.1]) | st.floats(-1e6, 1e6, allow_nan=False).map(
        lambda x: round(x, 3)
    )
    cents = st.sampled_from([0, 1, 5, 250, -250, 1663, 99]) | st.integers(-(10**8), 10**8)
    texts = st.sampled_from(["", "ab", "AbC", "a", "B", "É", " x ", "\tab\n", "2025-01-02"]) | st.text(
        'aAbB É,"\t', max_size=5
    )
    dates = st.dates(dt.date(2024, 1, 1), dt.date(2026, 12, 31)).map(str)
    datetimes = st.datetimes(dt.datetime(2024, 1, 1), dt.datetime(2026, 12, 31)).map(
        lambda d: d.strftime("%Y-%m-%d %H:%M:%S")
    )
    by_type = {
        "int": ints,
        "float": floats,
        "decimal": cents,
        "text": texts,
        "date": dates,
        "datetime": datetimes,
        "bool": st.booleans(),
        "list<int>": st.lists(ints, max_size=3),
        "list<text>": st.lists(texts, max_size=3),
        "Color": st.sampled_from(["red", "green", "blue"]),
        "Pt": st.fixed_dictionaries({"x": ints, "y": floats.map(lambda y: round(y, 2))}),
        "list<decimal>": st.lists(floats.map(lambda y: round(y, 2)), max_size=3),
        "list<float>": st.lists(floats, max_size=3),
        "json": st.sampled_from([[], [1, 2], {"a": 1}, "xyz", 3, 1.1, True]) | st.lists(ints, max_size=3),
    }
    fields = {}
    for name, t in FIELDS.items():
        base = by_type[t.rstrip("?")]
        fields[name] = (st.none() | base) if t.endswith("?") else base
    return st.fixed_dictionaries(fields)
