"""Shared fixtures: compiled environments (cached per test run) and fresh sessions."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"


# Compile into a cache private to this test run, never the user's. Set at import time, since
# some tests load specs while they are collected.
os.environ["AWM_CACHE_DIR"] = tempfile.mkdtemp(prefix="awm-test-cache-")
atexit.register(shutil.rmtree, os.environ["AWM_CACHE_DIR"], ignore_errors=True)


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
