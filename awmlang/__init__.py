"""awmlang: tool-use environments for LLM agents, from compact checked specs.

    import awmlang
    env = awmlang.load("specs/shop.awm")     # compiles (cached) or loads a build directory
    s = env.session()
    s.call("search_products", {"query": "cable"})
"""
from __future__ import annotations

import os
from pathlib import Path

from awmlang.compiler.build import OUTPUT_FILES, BuildResult, build_spec, check_spec
from awmlang.compiler.diagnostics import Diagnostic, SpecError
from awmlang.runtime.session import Environment, Session

__all__ = ["load", "build_spec", "check_spec", "write_outputs", "Environment", "Session", "SpecError",
           "Diagnostic", "BuildResult", "cache_dir"]
__version__ = "0.1.0"

_loaded: dict[str, Environment] = {}


def cache_dir() -> Path:
    root = os.environ.get("AWM_CACHE_DIR")
    if root:
        return Path(root)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "awmlang"


def write_outputs(outputs: dict[str, str | bytes], target: Path) -> None:
    """Write a build's outputs into `target`, each file atomically (write then rename)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in OUTPUT_FILES:
        data = outputs[name]
        tmp = target / f".{name}.tmp"
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding="utf-8")
        tmp.replace(target / name)


def load(path: str | os.PathLike) -> Environment:
    """An Environment from a `.awm` spec (compiled into the cache) or a build directory."""
    p = Path(path)
    if p.is_dir():
        return Environment(p)
    result = build_spec(p)
    if not result.ok:
        raise SpecError(result.diagnostics, result.sources)
    digest = result.outputs and __import__("json").loads(result.outputs["manifest.json"])["hashes"]["handlers.py"]
    key = f"{p.stem}-{digest[:16]}"
    if key in _loaded:
        return _loaded[key]
    target = cache_dir() / key
    if not (target / "manifest.json").exists():
        write_outputs(result.outputs, target)
    env = Environment(target)
    _loaded[key] = env
    return env
