"""Text helpers shared by the compiler, the runtime, the importer and the CLI: counts, colour,
"did you mean", and how a CamelCase name becomes snake_case."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable


def snake(name: str) -> str:
    """CamelCase -> snake_case (`OrderItem` -> `order_item`): an entity's table name, and so the
    importer's test of whether a table needs `@@table`."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def plural(noun: str) -> str:
    """The regular English plural of `noun`: tool -> tools, entity -> entities, match -> matches."""
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u", ""):
        return noun[:-1] + "ies"
    if noun.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    return noun + "s"


def counted(n: int, noun: str, *, zero: str | None = None) -> str:
    """`n noun`, with the noun in the plural unless n is 1: "1 retry", "3 retries". The last
    word is the one inflected ("2 seed rows"); `zero` replaces the number 0 ("no fields")."""
    head, _, last = noun.rpartition(" ")
    word = last if n == 1 else plural(last)
    number = zero if n == 0 and zero is not None else str(n)
    return f"{number} {head + ' ' if head else ''}{word}"


def wants_color(stream) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set to anything (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def suggest(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Close names from `candidates`, best first (case ignored when nothing is close as written):
    the one "did you mean" list, for names in specs and for tool names from clients."""
    pool = sorted(set(candidates))
    close = difflib.get_close_matches(name, pool, n=n, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in pool}
        close = [lowered[c] for c in difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.6)]
    return close
