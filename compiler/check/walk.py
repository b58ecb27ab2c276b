"""Walks over a tool's nodes: every expression below some (`walk`), whether a block writes (`writes`)."""

from __future__ import annotations

from .. import nodes as n
from ..nodes import children


def walk(*exprs):
    """Every expression node below the given ones (None is skipped)."""
    stack = [e for e in exprs if e is not None]
    while stack:
        e = stack.pop()
        yield e
        stack.extend(children(e))
        if isinstance(e, n.Where):
            stack.append(e.cond)
        elif isinstance(e, n.OrderBy):
            stack.extend(k.expr for k in e.keys)
        elif isinstance(e, n.GroupBy):
            stack.extend(a.value for a in e.aggregates)


def writes(block: n.Block) -> bool:
    """Does any statement or expression in the block change the database?"""
    stack: list = [block]
    while stack:
        x = stack.pop()
        if isinstance(x, (n.Update, n.Delete, n.Insert, n.Upsert)):
            return True
        if isinstance(x, n.Block):
            stack.extend(x.stmts)
        elif isinstance(x, (n.Let, n.Reassign, n.Return)):
            stack.append(x.value)
        elif isinstance(x, n.Require):
            stack.append(x.cond)
        elif isinstance(x, n.If):
            stack.extend([x.cond, x.then] + ([x.orelse] if x.orelse else []))
        elif isinstance(x, n.For):
            stack.extend([x.iterable, x.body])
        elif isinstance(x, n.ExprStmt):
            stack.append(x.expr)
        elif isinstance(x, n.Match):
            stack.extend([x.subject] + [a.body for a in x.arms])
        else:
            stack.extend(children(x))
    return False
