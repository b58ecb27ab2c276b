"""The orchestrator: spec file -> diagnostics and the build outputs, as {name: text or bytes}.

Only the CLI and the runtime's cache write files; everything here returns data, so `awmc build`,
`awmlang.load` and the tests share one code path.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path

from ..runtime.support import BUILD_FORMAT, open_database
from . import nodes as n
from .check import check
from .diagnostics import Diagnostic, Sources, display_path, sort_and_dedupe, spec_relative
from .lower_python import lower_python, lower_task, lower_tool
from .lower_schema import clear_schema_memo, render_tools_json
from .lower_sql import LoweringError, invariant_statement, schema_statements, seed_rows_statements, table_statements
from .parse import forget_parsed_pieces, load_modules
from .types import Model

COMPILER_VERSION = "0.1.0"


@lru_cache(maxsize=1)
def compiler_fingerprint() -> str:
    """The version plus a digest of the compiler's own files (code, grammar, templates), so
    a build made by another compiler is never taken as up to date, even between releases."""
    digest = hashlib.sha256(COMPILER_VERSION.encode())
    roots = [
        Path(__file__).parent,
        Path(__file__).parent.parent / "grammar",
        _package_folder("awmlang.grammar"),
        _package_folder("awmlang.runtime"),
    ]
    for root in dict.fromkeys(r.resolve() for r in roots):
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".lark", ".j2"):
                digest.update(path.name.encode() + path.read_bytes())
    return f"{COMPILER_VERSION}+{digest.hexdigest()[:12]}"


def _package_folder(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.origin is not None, name  # our own packages
    return Path(spec.origin).parent


OUTPUT_FILES = ("schema.sql", "seed.sql", "initial.db", "handlers.py", "tools.json", "manifest.json")


@dataclass
class BuildResult:
    path: str
    diagnostics: list[Diagnostic]
    sources: Sources
    model: Model | None = None
    outputs: dict[str, str | bytes] = field(default_factory=dict)
    modules: list[n.Module] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]


def source_hash(sources: Sources, root: Path) -> str:
    digest = hashlib.sha256(compiler_fingerprint().encode())
    for path, text in sorted((spec_relative(p, root), t) for p, t in sources.texts.items()):
        digest.update(path.encode() + b"\0" + text.encode() + b"\0")
    return digest.hexdigest()


def check_spec(path: str | Path, text: str | None = None, memo: bool = True) -> BuildResult:
    """Parse and check only (no outputs). The errors include those that lowering finds in
    queries (AWM2007), so a spec's every error is reported in one pass. With `memo`, a spec
    whose files are all unchanged since this process last checked it is not checked again,
    and unchanged declarations are not parsed again."""
    return _remembered("check", path, text, memo, lambda: _check(path, text, memo)[0])


def _check(path, text, memo: bool) -> tuple[BuildResult, dict, str | None]:
    """The check's result, what its lowering probe lowered and the types key of the lowering
    memo (None without `memo`): build_spec reuses both."""
    sources = Sources()
    modules, diags = load_modules(path, sources, text, memo)
    model, probed = None, {}  # type: tuple[Model | None, dict]
    types = None
    if not any(d.is_error for d in diags):
        model, check_diags = check(modules, partial=True)
        diags = diags + check_diags
        clean = not any(d.is_error for d in check_diags)
        if model is not None:
            types = types_key(modules) if memo else None
            lowering_diags, probed = lowering_errors(model, check_diags, types)
            diags += lowering_diags
        if not clean:
            model, probed = None, {}
        _add_seed_files(modules, sources)
    result = BuildResult(str(path), sort_and_dedupe(diags, sources), sources, model, modules=modules)
    if not result.ok:
        result.model = None
    return result, probed, types


# The lowering memo: the code of a tool, task, invariant, table or seed is made from its declaration and
# the types alone (env, enums, entities, records, unions: lowering reads nothing else of the
# Model; a task also reads the parameters of the tools it calls), so it is reused while those
# declarations' text is unchanged. A spec with errors is lowered afresh.
LOWERED_KEPT = 4096
_memo_lock = threading.Lock()  # builds may run on several threads (the memos are shared)
_lowered: OrderedDict[tuple, object] = OrderedDict()
TYPE_DECLS = (n.EnvDecl, n.EnumDecl, n.EntityDecl, n.RecordDecl, n.UnionDecl)


def types_key(modules: list[n.Module]) -> str:
    """Names the text and order of every type declaration (a piece's id holds its text's digest)."""
    placed = [(d.span.path, d.span.start) for m in modules for d in m.decls if isinstance(d, TYPE_DECLS)]
    return hashlib.blake2b(repr(placed).encode(), digest_size=16).hexdigest()


def _lowered_by(key: tuple | None, make: Callable):
    if key is None:
        return make()
    with _memo_lock:
        if key in _lowered:
            _lowered.move_to_end(key)
            return _lowered[key]
    value = make()
    with _memo_lock:
        _lowered[key] = value
        while len(_lowered) > LOWERED_KEPT:
            _lowered.popitem(last=False)
    return value


def lowering_errors(
    model: Model, check_diags: list[Diagnostic], types: str | None = None
) -> tuple[list[Diagnostic], dict]:
    """Lower each tool, task, invariant and table whose declaration checked without errors, and
    report what cannot be lowered (an expression a query cannot hold, AWM2007). Returns those
    diagnostics and what was lowered, by (kind, name). On a spec with errors `model` is partial:
    a declaration may then fail for a reason already reported (it reads a broken one), and is
    skipped. With `types` (the `types_key`), a clean spec reuses code lowered before."""
    broken = {d.span.path for d in check_diags if d.is_error and d.span is not None}
    has_errors = bool(broken)
    if has_errors:  # an expression typed `any` stands for an error reported elsewhere
        broken |= {node.span.path for node, t in model.types.items() if t.kind == "any" and hasattr(node, "span")}
    # (the declaration, what is lowered, how, the other declarations its code reads besides the types)
    jobs: list[tuple[n.Span, tuple[str, str], Callable[[], object], tuple]] = []
    jobs += [(t.decl.span, ("tool", t.name), partial(lower_tool, model, t), ()) for t in model.tools.values()]
    jobs += [
        (t.decl.span, ("task", t.name), partial(lower_task, model, t), _called_tools(model, t)) for t in model.tasks
    ]
    jobs += [(i.decl.span, ("invariant", i.name), partial(invariant_statement, model, i), ()) for i in model.invariants]
    jobs += [
        (e.decl.span, ("table", e.name), partial(table_statements, model, e.name), ()) for e in model.entities.values()
    ]
    out: list[Diagnostic] = []
    lowered: dict[tuple[str, str], object] = {}
    for span, key, make, reads in jobs:
        if span.path in broken:
            continue
        try:
            memo_key = None if has_errors or types is None else (types, span.path, span.start, key, reads)
            lowered[key] = _lowered_by(memo_key, make)
        except LoweringError as exc:
            out.append(Diagnostic(exc.code, str(exc), exc.span, help=exc.help))
        except Exception:
            if not has_errors:
                raise
    return out, lowered


def _seed_statements(model: Model, seed, types: str | None) -> list[tuple[n.Span, str]]:
    """A seed declaration's INSERTs, kept by the lowering memo unless they come from a file
    (whose text the key does not hold)."""
    decl = seed.decl
    if types is None or decl is None or decl.file is not None:
        return seed_rows_statements(model, seed)
    return _lowered_by(
        (types, decl.span.path, decl.span.start, ("seed", seed.entity)), partial(seed_rows_statements, model, seed)
    )


def _called_tools(model: Model, task) -> tuple:
    """Where the tools a task's solution calls are declared: its calls are written for their parameters."""
    steps = task.decl.solution or ()
    called = sorted({s.tool.name for s in steps if isinstance(s, n.SolutionCall) and s.tool.name in model.tools})
    return tuple((model.tools[name].decl.span.path, model.tools[name].decl.span.start) for name in called)


def _add_seed_files(modules, sources: Sources) -> None:
    """Seed files are sources too: a change to one must rebuild the spec."""
    for module in modules:
        for decl in module.decls:
            if isinstance(decl, n.SeedDecl) and decl.file is not None:
                path = Path(module.path).parent / decl.file
                try:
                    sources.add(str(path), path.read_text(encoding="utf-8"))
                except (OSError, UnicodeDecodeError, ValueError):
                    pass  # already reported by the checker


STATE_FILE = ".awm-sources.json"


def source_digests(sources: Sources) -> dict[str, str]:
    """Absolute path -> sha256 of every file a build read (the incremental-build state)."""
    return {str(Path(path).resolve()): text_digest(text) for path, text in sorted(sources.texts.items())}


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def file_digest(path: str | Path) -> str | None:
    """The digest of a file's text as the compiler reads it (UTF-8, newlines normalised), or
    None if it cannot be read."""
    try:
        return text_digest(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def is_up_to_date(target: Path) -> bool:
    """True if `target` holds a complete build whose every source file is unchanged."""
    try:
        state = json.loads((target / STATE_FILE).read_text())
    except (OSError, ValueError):
        return False
    if state.get("compiler") != compiler_fingerprint() or not state.get("sources"):
        return False
    if not all((target / name).exists() for name in OUTPUT_FILES):
        return False
    return all(file_digest(path) == digest for path, digest in state["sources"].items())


def state_json(result: BuildResult) -> str:
    return json.dumps(
        {"compiler": compiler_fingerprint(), "sources": source_digests(result.sources)}, indent=2, sort_keys=True
    )


def build_spec(path: str | Path, text: str | None = None, memo: bool = True) -> BuildResult:
    """Check a spec and, if it has no errors, lower it to every output. With `memo`, a spec whose
    files are all unchanged since this process last built it is not built again (the result is
    shared: do not change it), and unchanged declarations are not parsed again."""
    return _remembered("build", path, text, memo, lambda: _build(path, text, memo))


def _build(path: str | Path, text: str | None, memo: bool) -> BuildResult:
    result, probed, types = _check(path, text, memo)
    if not result.ok or result.model is None:
        return result
    model = result.model
    try:
        schema = schema_statements(model, {name: code for (kind, name), code in probed.items() if kind == "table"})
        invariants = {
            inv.name: probed.get(("invariant", inv.name)) or invariant_statement(model, inv) for inv in model.invariants
        }
        handlers = lower_python(model, Path(path).name, spec_locator(result.sources, path), invariants, probed)
        tools_json = render_tools_json(model)
        seeds = [statement for seed in model.seeds for statement in _seed_statements(model, seed, types)]
    except LoweringError as exc:
        result.diagnostics = sort_and_dedupe(
            result.diagnostics + [Diagnostic(exc.code, str(exc), exc.span, help=exc.help)], result.sources
        )
        return result
    db_bytes, seed_errors = load_database(schema, seeds)
    if not seed_errors:
        seed_errors = seed_invariant_errors(model, db_bytes, invariants)
    if seed_errors:
        result.diagnostics.extend(seed_errors)
        result.diagnostics = sort_and_dedupe(result.diagnostics, result.sources)
        return result
    outputs: dict[str, str | bytes] = {
        "schema.sql": "".join(s + ";\n" for s in schema),
        "seed.sql": "".join(s + ";\n" for _, s in seeds),
        "handlers.py": handlers,
        "tools.json": tools_json,
        "initial.db": db_bytes,
    }
    outputs["manifest.json"] = manifest(model, result.sources, Path(path).resolve().parent, outputs)
    result.outputs = outputs
    return result


# The last builds and checks without errors of this process, by what and where: (the spec's text,
# the digest of every other file the build read, the result). A rebuild with nothing changed
# reuses its result. Results with errors are not kept: an error may be a file that is missing
# now and there later, which no digest of what was read would notice.
REMEMBERED_BUILDS = 64
_remembered_builds: OrderedDict[tuple, tuple[str, dict[str, str], BuildResult]] = OrderedDict()


def _remembered(kind: str, path, text: str | None, memo: bool, make: Callable[[], BuildResult]) -> BuildResult:
    if not memo:
        return make()
    spec = Path(path)
    try:
        key = (kind, str(path), str(spec.resolve()), str(Path.cwd()))  # display paths depend on the cwd
    except (OSError, ValueError):
        return make()
    spec_text = text if text is not None else _read_text(spec)
    with _memo_lock:
        kept = _remembered_builds.get(key)
    if kept is not None and spec_text is not None and kept[0] == spec_text:
        if all(file_digest(other) == digest for other, digest in kept[1].items()):
            return kept[2]
    result = make()
    if spec_text is not None and result.ok:
        main = display_path(spec)
        others = {str(Path(p).resolve()): text_digest(t) for p, t in result.sources.texts.items() if p != main}
        with _memo_lock:
            _remembered_builds[key] = (spec_text, others, result)
            _remembered_builds.move_to_end(key)
            while len(_remembered_builds) > REMEMBERED_BUILDS:
                _remembered_builds.popitem(last=False)
    return result


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def forget_builds() -> None:
    """Forget every remembered build, lowered declaration, parsed piece and tool schema (to
    measure a build from nothing)."""
    _remembered_builds.clear()
    _lowered.clear()
    forget_parsed_pieces()
    clear_schema_memo()


def load_database(schema: list[str], seeds: list[tuple[n.Span, str]]) -> tuple[bytes, list[Diagnostic]]:
    """Run the DDL and the seed rows in a fresh SQLite database; constraint errors name the row.
    Foreign keys are checked once all rows are in (seed order does not matter), and a row that
    points at a row SQLite rejected is not reported again: the rejected row is the error."""
    db = open_database()
    for statement in schema:
        db.execute(statement)
    errors = []
    rows: dict[tuple[str, int | None], n.Span] = {}  # (table, rowid) -> the seed row's span
    rejected_tables = set()
    db.execute("BEGIN")
    db.execute("PRAGMA defer_foreign_keys = ON")
    for span, statement in seeds:
        table = _inserted_table(statement)
        try:
            rows[(table, db.execute(statement).lastrowid)] = span
        except sqlite3.Error as exc:
            rejected_tables.add(table)
            code = "AWM3003" if str(exc).startswith("UNIQUE") else "AWM3004"
            errors.append(Diagnostic(code, f"seed row rejected by SQLite: {exc}", span, help=_seed_hint(str(exc))))
    violations = db.execute("PRAGMA foreign_key_check").fetchall()
    errors += [
        _dangling_reference(db, table, rowid, parent, fk, rows.get((table, rowid)))
        for table, rowid, parent, fk in violations
        if parent not in rejected_tables
    ][:10]
    db.execute("PRAGMA defer_foreign_keys = OFF")
    if violations:
        db.execute("PRAGMA foreign_keys = OFF")  # the build fails anyway; let the transaction end
    db.execute("COMMIT")
    db.execute("PRAGMA user_version = 0")  # writes the header page: a database with no tables can be serialised
    data = db.serialize()
    db.close()
    return bytes(data), errors


_INSERT_INTO = re.compile(r'INSERT INTO "((?:[^"]|"")*)"')


def _inserted_table(statement: str) -> str:
    """The table of a seed INSERT (lower_sql.seed_rows_statements quotes every table name)."""
    m = _INSERT_INTO.match(statement)
    return m.group(1).replace('""', '"') if m else ""


def _dangling_reference(db, table: str, rowid: int, parent: str, fk: int, span: n.Span | None) -> Diagnostic:
    """A seed row whose relation names a missing row: the column and the value it holds."""
    column, target = next((r[3], r[4]) for r in db.execute(f'PRAGMA foreign_key_list("{_quote(table)}")') if r[0] == fk)
    value = db.execute(f'SELECT "{_quote(column)}" FROM "{_quote(table)}" WHERE rowid = ?', (rowid,)).fetchone()[0]
    key, shown = target or "rowid", json.dumps(value)
    return Diagnostic(
        "AWM3004",
        f"`{column}` is {shown}, but no `{parent}` row has `{key}` {shown}",
        span,
        help=f"seed a `{parent}` row with `{key}` {shown}, or correct the value",
    )


def _quote(name: str) -> str:
    return name.replace('"', '""')


def seed_invariant_errors(model: Model, image: bytes, invariants: dict[str, str]) -> list[Diagnostic]:
    """The seeded state must satisfy every invariant."""
    db = open_database(image)
    errors = []
    for inv in model.invariants:
        rows = [r[0] for r in db.execute(invariants[inv.name]).fetchall()]
        if rows:
            what = (
                f"{inv.entity} rows {', '.join(map(str, rows[:10]))}{' ...' if len(rows) > 10 else ''}"
                if inv.entity
                else "the seed data"
            )
            errors.append(
                Diagnostic(
                    "AWM3005",
                    f"{what} break invariant `{inv.name}` ({inv.description})",
                    inv.decl.name.span,
                    help="fix the seed rows, or the invariant if it is wrong",
                )
            )
    db.close()
    return errors


def _seed_hint(message: str) -> str | None:
    if "UNIQUE" in message:
        return "two seed rows share a value in a unique field"
    if "CHECK" in message:
        return "the row breaks a @check, @range, @length or enum constraint"
    if "NOT NULL" in message:
        return "give a value for every field that has no default and is not optional"
    return None


def manifest(model: Model, sources: Sources, root: Path, outputs: dict[str, str | bytes]) -> str:
    """manifest.json: what was built from what (sources named relative to the spec's folder)."""
    hashes = {
        name: hashlib.sha256(data if isinstance(data, bytes) else data.encode()).hexdigest()
        for name, data in sorted(outputs.items())
    }
    data = {
        "env": model.name,
        "title": model.title,
        "description": model.description,
        "compiler": COMPILER_VERSION,
        "format": BUILD_FORMAT,
        "source_hash": source_hash(sources, root),
        "sources": sorted(spec_relative(p, root) for p in sources.texts),
        "counts": {
            "entities": len(model.entities),
            "tools": len(model.tools),
            "seed_rows": sum(len(s.rows) for s in model.seeds),
            "enums": len(model.enums),
        },
        "hashes": hashes,
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def spec_locator(sources: Sources, spec: str | Path) -> Callable[[n.Span], str]:
    """`file:line` of a span for generated code, the file named relative to the spec's folder."""
    root = Path(spec).resolve().parent
    named: dict[str, str] = {}  # file -> its name relative to the spec (asked once per line)

    def locate(span: n.Span) -> str:
        file, line = sources.location(span).rsplit(":", 1)
        if file not in named:
            named[file] = spec_relative(file, root)
        return f"{named[file]}:{line}"

    return locate
