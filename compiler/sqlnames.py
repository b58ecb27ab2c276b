"""Names for the SQL constants of a handlers module, read off each statement's text: what it
does, to which table, by which columns (`SQL_SELECT_PRODUCT_NAME_BY_ID`, `SQL_COUNT_CART_ITEM_BY_CUSTOMER_ID`,
`SQL_UPDATE_ORDER_SET_STATUS_BY_ID`, `SQL_INSERT_ORDER`). A name is a function of the text
alone; statements whose names collide are numbered in the order of their texts, so the names
of a module depend only on the set of its statements. Column positions that tools read
from whole rows are named too (`COL_ORDER_STATUS`)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from ..text import snake

TOKEN = re.compile(r"""\s*("(?:[^"]|"")*"|'(?:[^']|'')*'|\w+|\?|.)""", re.DOTALL)
CLAUSES = {"FROM", "WHERE", "ORDER", "GROUP", "LIMIT", "OFFSET", "HAVING", "RETURNING", "VALUES", "SET"}
AGGREGATES = {"COUNT", "SUM", "AVG", "MIN", "MAX"}
MAX_PARTS = 3  # projected or filtered columns named; more are left out
MAX_LENGTH = 72


def constant_names(texts: Iterable[str]) -> dict[str, str]:
    """sql text -> a unique constant name."""
    by_base: dict[str, list[str]] = {}
    for text in sorted(set(texts)):
        by_base.setdefault(base_name(text), []).append(text)
    out = {}
    for base, group in by_base.items():
        for i, text in enumerate(group):
            out[text] = base if i == 0 else f"{base}_{i + 1}"
    taken = set()
    for text in sorted(out):  # a numbered name may equal another base name: number it further
        name, k = out[text], 1
        while name in taken:
            k += 1
            name = f"{out[text]}_X{k}"
        taken.add(name)
        out[text] = name
    return out


def _words(text: str) -> list[tuple[str, int]]:
    """(token, depth in subqueries) of a statement; parentheses that do not open a SELECT do not
    count as depth."""
    toks = TOKEN.findall(text)
    out, stack = [], []
    for i, tok in enumerate(toks):
        if tok == "(":
            stack.append(i + 1 < len(toks) and toks[i + 1].upper() == "SELECT")
        depth = sum(stack)
        if tok == ")" and stack:
            stack.pop()
        out.append((tok, depth))
    return out


def _ident(tok: str) -> str | None:
    return tok[1:-1].replace('""', '"') if tok.startswith('"') else None


@functools.lru_cache(maxsize=1 << 14)
def base_name(text: str) -> str:
    words = [(t, d) for t, d in _words(text)]
    top = [t for t, d in words if d == 0]
    upper = [t.upper() for t in top]
    verb = upper[0] if upper else "SQL"
    parts: list[str] = []
    if verb == "SELECT":
        clause = _clause(top, upper, "SELECT")
        what = _projection(clause)
        table = _after(top, upper, "FROM") or _after([t for t, _ in words], [t.upper() for t, _ in words], "FROM")
        filters = _columns(_clause(top, upper, "WHERE"))
        if what in AGGREGATES or what == "EXISTS":
            parts = [what, table]
        elif what == "STAR":
            parts = ["SELECT_FIRST", table]
        else:
            parts = ["SELECT", table] + ([what] if what else [])
        if "GROUP" in upper:
            parts.append("GROUPED_BY_" + "_".join(_columns(_clause(top, upper, "GROUP"))[:MAX_PARTS]))
        elif filters:
            parts.append("BY_" + "_".join(filters[:MAX_PARTS]))
        elif _has_subquery(words, "WHERE"):
            parts.append("FILTERED")
    elif verb == "INSERT":
        parts = ["INSERT", _after(top, upper, "INTO")]
    elif verb == "UPDATE":
        parts = ["UPDATE", _after(top, upper, "UPDATE")]
        assigned = _assigned(_clause(top, upper, "SET"))
        if assigned:
            parts.append("SET_" + "_".join(assigned[:MAX_PARTS]))
        parts.append(_where_part(top, upper, words))
    elif verb == "DELETE":
        parts = ["DELETE", _after(top, upper, "FROM"), _where_part(top, upper, words)]
    else:
        parts = [verb]
    name = "SQL_" + "_".join(p for p in parts if p)
    name = re.sub(r"[^A-Za-z0-9_]", "_", name).upper()
    name = re.sub(r"_+", "_", name).rstrip("_")
    return name[:MAX_LENGTH].rstrip("_")


def _where_part(top, upper, words) -> str:
    filters = _columns(_clause(top, upper, "WHERE"))
    if filters:
        return "BY_" + "_".join(filters[:MAX_PARTS])
    return "FILTERED" if _has_subquery(words, "WHERE") else ""


def _clause(top: list[str], upper: list[str], keyword: str) -> list[str]:
    """The top-level tokens after `keyword` up to the next clause."""
    if keyword not in upper:
        return []
    i = upper.index(keyword) + 1
    if keyword in ("ORDER", "GROUP") and i < len(upper) and upper[i] == "BY":
        i += 1
    out = []
    while i < len(top) and upper[i] not in CLAUSES:
        out.append(top[i])
        i += 1
    return out


def _after(top: list[str], upper: list[str], keyword: str) -> str:
    if keyword not in upper:
        return ""
    i = upper.index(keyword) + 1
    while i < len(top) and _ident(top[i]) is None and top[i] != "(":
        i += 1
    return (_ident(top[i]) or "") if i < len(top) else ""


def _projection(clause: list[str]) -> str:
    """What a SELECT returns: an aggregate, EXISTS (`SELECT 1`), the names of up to three columns
    or nothing (a whole row)."""
    if not clause:
        return ""
    head = clause[0].upper()
    if head == "1" and len(clause) == 1:
        return "EXISTS"
    if head == "*":
        return "STAR"
    if head == "COALESCE" and len(clause) > 2 and clause[2].upper() in AGGREGATES:
        return clause[2].upper()
    if head in AGGREGATES and len(_split_commas(clause)) == 1:
        return head
    items = _split_commas(clause)
    names = []
    for item in items:
        idents = [name for t in item if (name := _ident(t)) is not None]
        first = item[0].upper()
        names.append(first if first in AGGREGATES else idents[-1] if len(idents) and len(item) <= 3 else "VALUE")
    if len(names) > MAX_PARTS:
        return ""
    return "_".join(names)


def _split_commas(clause: list[str]) -> list[list[str]]:
    items: list[list[str]] = [[]]
    depth = 0
    for t in clause:
        if t == "(":
            depth += 1
        elif t == ")":
            depth -= 1
        if t == "," and depth == 0:
            items.append([])
        else:
            items[-1].append(t)
    return [i for i in items if i]


def _columns(clause: list[str]) -> list[str]:
    """The columns a clause names outside its subqueries, each once, in order (a name right after
    `AS` or `.`-qualified only by its alias counts as the column)."""
    out = []
    for i, t in enumerate(clause):
        name = _ident(t)
        if name is not None and i + 1 < len(clause) and clause[i + 1].upper() == "IN":
            name += "_IN"  # `key IN (SELECT ...)`
        if name is not None and name not in out and not (i and clause[i - 1].upper() == "AS"):
            out.append(name)
    return out


def _assigned(clause: list[str]) -> list[str]:
    """The columns an UPDATE's SET assigns."""
    return [name for item in _split_commas(clause) if (name := _ident(item[0])) is not None]


def _has_subquery(words: list[tuple[str, int]], keyword: str) -> bool:
    seen = False
    for t, d in words:
        if d == 0 and t.upper() == keyword:
            seen = True
        elif seen and d > 0:
            return True
    return False


def column_names(used: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(entity, column) -> `COL_<ENTITY>_<COLUMN>`, numbered where two would be the same."""
    out, taken = {}, set()
    for entity, column in sorted(used):
        base = "COL_" + snake(entity).upper() + "_" + column.upper()
        name, k = base, 1
        while name in taken:
            k += 1
            name = f"{base}_{k}"
        taken.add(name)
        out[(entity, column)] = name
    return out
