"""Small functions over generated code: storage conversions, coercions, truth tests, and what
a node writes or ends with."""

from __future__ import annotations

from sqlglot import exp

from .. import nodes as n
from ..lower_sql import col, table
from ..nodes import children
from ..pyformat import parenthesized
from ..types import T


def negated(code: str) -> str:
    return f"not {code}" if parenthesized(code) else f"not ({code})"


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
