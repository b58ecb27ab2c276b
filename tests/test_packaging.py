"""Both an editable install and a built wheel import as one `awmlang` namespace and find the grammar."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import importlib.resources, json, awmlang, awmlang.compiler, awmlang.runtime, awmlang.grammar;"
    "from awmlang.compiler.parse import parser;"
    "grammar = importlib.resources.files('awmlang.grammar') / 'awm.lark';"
    "parser();"
    "env = awmlang.load({!r});"
    "r = env.session().call('get_product', {{'product_id': 1}});"
    "print(json.dumps({{'awmlang': awmlang.__file__, 'compiler': awmlang.compiler.__file__,"
    " 'grammar': str(grammar), 'grammar_exists': grammar.is_file(), 'ok': r['ok']}}))"
).format(str(ROOT / "tests" / "cases" / "mini_shop" / "spec.awm"))


def _probe(env=None, cwd=None) -> dict:
    import json

    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, cwd=cwd, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_editable_install_maps_the_source_folders(tmp_path):
    import os

    info = _probe(env={**os.environ, "AWM_CACHE_DIR": str(tmp_path / "cache")}, cwd=tmp_path)
    assert Path(info["compiler"]).parent == ROOT / "compiler"
    assert Path(info["grammar"]).parent == ROOT / "grammar"
    assert info["grammar_exists"] and info["ok"]


def test_built_wheel_contains_and_finds_the_grammar(tmp_path):
    import os

    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-w", str(dist), "-q"],
        check=True,
        capture_output=True,
    )
    wheel = next(dist.glob("awmlang-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "awmlang/grammar/awm.lark" in names
    assert "awmlang/compiler/templates/handlers.py.j2" in names
    assert "awmlang/compiler/parse/__init__.py" in names and "awmlang/compiler/parse/lalr.py" in names
    assert "awmlang/compiler/lower_sql/__init__.py" in names and "awmlang/compiler/lower_sql/queries.py" in names
    assert "awmlang/runtime/session.py" in names and "awmlang/cli.py" in names
    assert "awmlang/import_awm/__init__.py" in names and "awmlang/import_awm/command.py" in names
    assert not any(n.startswith(("compiler/", "runtime/", "grammar/", "tests/")) for n in names)
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(site), str(wheel), "-q"],
        check=True,
        capture_output=True,
    )
    info = _probe(env={**os.environ, "PYTHONPATH": str(site), "AWM_CACHE_DIR": str(tmp_path / "cache")}, cwd=tmp_path)
    assert Path(info["awmlang"]).is_relative_to(site)
    assert Path(info["compiler"]).is_relative_to(site)
    assert Path(info["grammar"]).is_relative_to(site)
    assert info["grammar_exists"] and info["ok"]
