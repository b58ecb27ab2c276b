"""Shared fixtures: compiled environments (cached per test run) and fresh sessions."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Compile into a cache private to this test run, never the user's."""
    os.environ["AWM_CACHE_DIR"] = str(tmp_path_factory.mktemp("awm-cache"))
    yield


_envs: dict = {}


def load_spec_env(name: str):
    """The Environment of specs/<name>.awm, compiled once per test run."""
    import awmlang
    if name not in _envs:
        _envs[name] = awmlang.load(SPECS / f"{name}.awm")
    return _envs[name]


@pytest.fixture
def spec_session(request):
    """`spec_session("bank")` -> a fresh session of specs/bank.awm (user 1)."""
    opened = []

    def make(name: str, user=1):
        s = load_spec_env(name).session(user=user)
        opened.append(s)
        return s

    yield make
    for s in opened:
        s.close()
