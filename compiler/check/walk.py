"""Walks over a tool's nodes: every expression below some (`walk`), the entities a block writes
(`written_entities`)."""

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


def written_entities(block: n.Block, types: dict) -> tuple[set[str], set[str]]:
    """The entities the statements and expressions of a block write rows of, and those it
    deletes rows of (`types` gives an update's or delete's target type: a row or a query)."""
    written: set[str] = set()
    deleted: set[str] = set()
    stack: list = [block]
    while stack:
        x = stack.pop()
        if isinstance(x, (n.Insert, n.Upsert)):
            written.add(x.entity.name)
        elif isinstance(x, (n.Update, n.Delete)):
            target = types.get(x.target)
            if target is not None and target.kind in ("entity", "query"):
                entity = target.decl_name if target.kind == "entity" else target.elem.decl_name
                written.add(entity)
                if isinstance(x, n.Delete):
                    deleted.add(entity)
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
        elif isinstance(x, (n.Update, n.Delete)):
            stack.append(x.target)
            stack.extend(a.value for a in getattr(x, "assigns", ()))
        else:
            stack.extend(children(x))
    return written, deleted
