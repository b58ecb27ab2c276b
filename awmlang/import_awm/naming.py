"""awm names for the pipeline's names: entities (PascalCase singular of the table), fields, the env."""

from __future__ import annotations

import re

NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# names the language keeps for itself (values, and names the generated code uses)
RESERVED = {"me", "true", "false", "null", "not", "insert", "upsert", "id_", "rt", "args"}


def words(name: str) -> list[str]:
    return [w for w in re.split(r"[^A-Za-z0-9]+", name) if w]


def singular(word: str) -> str:
    lower = word.lower()
    if len(word) <= 3 or lower.endswith(("ss", "us", "is", "news")):
        return word
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("ches", "ch"), ("shes", "sh"), ("uses", "us")):
        if lower.endswith(suffix):
            return word[: -len(suffix)] + repl
    return word[:-1] if lower.endswith("s") else word


def pascal(parts: list[str]) -> str:
    name = "".join(p[:1].upper() + p[1:] for p in parts) or "Table"
    return name if not name[0].isdigit() else "T" + name


def entity_names(tables: list[str]) -> dict[str, str]:
    """Table -> entity name: the PascalCase singular (`order_items` -> `OrderItem`), unique."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for table in tables:
        parts = words(table)
        candidates = [pascal(parts[:-1] + [singular(parts[-1])]) if parts else "Table", pascal(parts)]
        name = next((c for c in candidates if c not in taken), None) or unique_name(candidates[0], taken)
        taken.add(name)
        out[table] = name
    return out


def unique_name(base: str, taken: set[str]) -> str:
    n = 2
    while f"{base}{n}" in taken:
        n += 1
    return f"{base}{n}"


def valid_name(name: str) -> bool:
    return bool(NAME_RE.fullmatch(name)) and name not in RESERVED


def field_name(column: str, taken: set[str]) -> str:
    base = column if valid_name(column) else "_".join(words(column)).lower() or "column"
    if base[0].isdigit() or base in RESERVED:
        base = f"c_{base}" if base[0].isdigit() else f"{base}_"
    return base if base not in taken else unique_name(base + "_", taken)


def env_name(scenario: str) -> str:
    name = "_".join(words(scenario)).lower() or "scenario"
    return name if not name[0].isdigit() else f"s_{name}"
