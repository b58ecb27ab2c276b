"""Hostile text in every text argument of every tool of every bundled spec: never an
internal_error, and a call that fails leaves the state exactly as it was."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import awmlang

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["'", '"', "'; DROP TABLE account; --", "%", "_%_", "\\", "' OR '1'='1", "\u202e", "😀" * 30,
                     "{x}", "null", "NaN", "2025-13-45", "x" * 5000]),
)


def _plain_value(spec: dict, session):
    """A valid-looking value for a non-text parameter, so the call reaches the tool body."""
    kind = spec["kind"]
    if kind == "entity":
        return 1 if spec["key"] == "int" else "x"
    return {"int": 1, "float": 1.0, "decimal": 1.5, "bool": True, "date": "2025-06-01",
            "datetime": "2025-06-01 10:00:00", "json": {}, "list": []}.get(kind, (spec.get("members") or [None])[0])


def _cases():
    for spec in sorted((ROOT / "specs").glob("*.awm")):
        env = awmlang.load(spec)
        for name in env.tool_names:
            params = env.handlers[name][2].params
            texts = [p["name"] for p in params if p["type"]["kind"] == "text"]
            if texts and all(p["type"]["kind"] not in ("record", "union") or not p["required"] for p in params):
                yield pytest.param(spec, name, id=f"{spec.stem}.{name}")


@pytest.mark.parametrize("spec,tool", list(_cases()))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_hostile_text_arguments(spec, tool, data):
    env = awmlang.load(spec)
    s = env.session()
    params = env.handlers[tool][2].params
    args = {}
    for p in params:
        if p["type"]["kind"] == "text":
            args[p["name"]] = data.draw(HOSTILE)
        elif p["required"]:
            args[p["name"]] = _plain_value(p["type"], s)
    before = list(s.db.iterdump())
    r = s.call(tool, args)
    assert r["ok"] or r["error"]["code"] != "internal_error", r
    if not r["ok"]:
        assert list(s.db.iterdump()) == before
    s.close()
