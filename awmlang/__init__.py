"""awmlang: tool-use environments for LLM agents, from compact checked specs.

import awmlang
env = awmlang.load("specs/shop.awm")     # compiles (cached) or loads a build directory
s = env.session()
s.call("search_products", {"query": "cable"})
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from awmlang.compiler.build import OUTPUT_FILES, BuildResult, build_spec, check_spec
from awmlang.compiler.diagnostics import Diagnostic, SpecError
from awmlang.runtime.errors import SessionError
from awmlang.runtime.session import Environment, Session

__all__ = [
    "BuildResult",
    "Diagnostic",
    "Environment",
    "Session",
    "SessionError",
    "SpecError",
    "build_spec",
    "cache_dir",
    "check_spec",
    "load",
    "write_outputs",
]
__version__ = "0.1.0"

_loaded: dict[str, Environment] = {}


def cache_dir() -> Path:
    root = os.environ.get("AWM_CACHE_DIR")
    if root:
        return Path(root)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "awmlang"


def write_outputs(result: BuildResult, target: Path) -> None:
    """Write a build's outputs into `target`, each file atomically (write then rename); the
    incremental-build state goes last, so an interrupted write is rebuilt next time."""
    from awmlang.compiler.build import STATE_FILE, state_json

    target.mkdir(parents=True, exist_ok=True)
    (target / STATE_FILE).unlink(missing_ok=True)
    files = {**{name: result.outputs[name] for name in OUTPUT_FILES}, STATE_FILE: state_json(result)}
    for name, data in files.items():
        tmp = target / f".{name}.tmp"
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding="utf-8")
        tmp.replace(target / name)


def load(path: str | os.PathLike) -> Environment:
    """An Environment from a `.awm` spec (compiled into the cache) or a build directory.

    The cache entry is named by the spec's path and text; it is reused only while every
    source it was built from (imports and seed files included) is unchanged.
    """
    from awmlang.compiler.build import compiler_fingerprint, is_up_to_date

    p = Path(path)
    if p.is_dir():
        return Environment(p)
    try:
        text = p.read_bytes()
    except OSError as exc:
        raise FileNotFoundError(f"cannot read spec {p}: {exc.strerror}") from exc
    digest = hashlib.sha256(str(p.resolve()).encode() + b"\0" + text + compiler_fingerprint().encode()).hexdigest()
    target = cache_dir() / f"{p.stem}-{digest[:16]}"
    if not is_up_to_date(target):
        result = build_spec(p)
        if not result.ok:
            raise SpecError(result.diagnostics, result.sources)
        write_outputs(result, target)
        _loaded.pop(str(target), None)
    env = _loaded.get(str(target))
    if env is None or env.manifest_text != (target / "manifest.json").read_text():
        env = _loaded[str(target)] = Environment(target)
    return env
