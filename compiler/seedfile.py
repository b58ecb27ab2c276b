"""Reading `seed Entity from "file"` data: JSON (a list of objects) or CSV (a header row)."""

from __future__ import annotations

import csv
import json
from pathlib import Path


def read_seed_file(spec_path: str, relative: str) -> tuple[list[dict], str | None]:
    """Rows of the file named relative to the spec; or an error message."""
    path = Path(spec_path).parent / relative
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return [], f"cannot read seed file `{relative}`: {getattr(exc, 'strerror', None) or 'not UTF-8 text'}"
    if path.suffix == ".json":
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as exc:
            return [], f"`{relative}` is not valid JSON: {exc.msg} at line {exc.lineno}"
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            return [], f"`{relative}` must hold a JSON list of objects"
        return rows, None
    if path.suffix == ".csv":
        reader = csv.DictReader(text.splitlines())
        rows = [{k: (v if v != "" else None) for k, v in r.items()} for r in reader]
        if reader.fieldnames is None:
            return [], f"`{relative}` has no header row"
        return rows, None
    return [], f"seed files must end in .json or .csv, not `{path.suffix}`"
