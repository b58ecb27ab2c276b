"""`awmc bench`: latency and memory of sessions, calls and builds, next to raw sqlite3.

Each figure is the median over batches; the raw sqlite3 figure is measured in the same run
doing the same work (the exact SQL statements the tool ran, captured with a trace callback).
"""

from __future__ import annotations

import gc
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from awmlang.console import table
from awmlang.text import counted

TARGETS_US = {
    "session_create": 100,
    "session_reset": 100,
    "session_reset_after_a_write": 100,
    "read_call": 50,
    "write_call": 100,
}
FIRST_CALL_RATIO = 1.5  # a read tool's first call in a fresh session, over its repeat call
MAX_RATIO = 15
MAX_RSS_MB = 500
BUILD_WARM_MS = 60  # an edit and rebuild (issue 11: a repair round or a debounced keystroke)
REBUILD_NOCHANGE_MS = 5
EXPLORE_CALLS_PER_S = 5000  # issue 12: `awmc check`'s exploration (not reached yet: hypothesis's draws dominate)


def median_us(fn, batches: int, per_batch: int) -> float:
    samples = []
    for _ in range(batches):
        start = time.perf_counter()
        for _ in range(per_batch):
            fn()
        samples.append((time.perf_counter() - start) / per_batch * 1e6)
    return statistics.median(samples)


def rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:  # not Linux: fall back to the peak
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pick_tools(model, env) -> tuple[str | None, str | None]:
    """A read-by-key tool (a one-line `get`) and a write tool: a one-line `update`, or else the
    first writing tool that succeeds twice in a row when given only the key of an existing row."""
    read = next((t for t in sorted(model.tools) if crud_op(model, t) == "get"), None)
    write = next((t for t in sorted(model.tools) if crud_op(model, t) == "update"), None)
    if write is None:
        for name in sorted(model.tools):
            tool = model.tools[name]
            required = [p for p in tool.params if p.required]
            if tool.writes and len(required) == 1 and key_entity(model, name) is not None:
                session = env.session()
                args = dict([first_key(session, model, name)])
                works = session.call(name, args)["ok"] and session.call(name, args)["ok"]  # repeatable
                session.close()
                if works:
                    return read, name
    return read, write


def crud_op(model, tool: str) -> str | None:
    crud = model.tools[tool].decl.crud
    return crud.op.name if crud is not None else None


def key_entity(model, tool: str) -> str | None:
    """The entity whose key the tool's first parameter takes (CRUD key or entity-typed)."""
    info = model.tools[tool]
    if info.decl.crud is not None:
        return info.decl.crud.entity.name
    first = info.params[0] if info.params else None
    return first.type.name if first is not None and first.type.kind == "entity" else None


def first_key(session, model, tool_name):
    entity = model.entities[key_entity(model, tool_name)]
    row = session.query(f'SELECT "{entity.key.column}" FROM "{entity.table}" ORDER BY 1 LIMIT 1')
    return model.tools[tool_name].params[0].name, row[0][0] if row else 1


def captured_statements(session, tool, args) -> list[str]:
    statements: list[str] = []
    session.db.set_trace_callback(statements.append)
    session.call(tool, args)
    session.db.set_trace_callback(None)
    return statements


def first_and_repeat_us(env, tool: str, args: dict, samples: int) -> tuple[float, float]:
    """Medians of a tool's first call in a fresh session and of its second call there (each
    session is opened and closed outside the timing, as an agent's episodes follow each other)."""
    first, repeat = [], []
    for _ in range(samples):
        s = env.session()
        start = time.perf_counter()
        s.call(tool, args)
        middle = time.perf_counter()
        s.call(tool, args)
        end = time.perf_counter()
        s.close()
        first.append((middle - start) * 1e6)
        repeat.append((end - middle) * 1e6)
    return statistics.median(first), statistics.median(repeat)


def reset_after_us(session, tool: str, args: dict, samples: int) -> float:
    """Median of a reset that undoes one call (a reset rolls back what the session wrote)."""
    times = []
    for _ in range(samples):
        session.call(tool, args)
        start = time.perf_counter()
        session.reset()
        times.append((time.perf_counter() - start) * 1e6)
    return statistics.median(times)


def raw_first_us(image: bytes, statements: list[str], samples: int) -> float:
    """Raw sqlite3 running the statements first on a new connection (its schema not yet parsed)."""
    times = []
    for _ in range(samples):
        db = sqlite3.connect(":memory:", isolation_level=None)
        db.deserialize(image)
        start = time.perf_counter()
        for s in statements:
            db.execute(s).fetchall()
        times.append((time.perf_counter() - start) * 1e6)
        db.close()
    return statistics.median(times)


def raw_replay(image: bytes, statements: list[str]):
    """A plain sqlite3 connection that runs the same statements, as a baseline."""
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.deserialize(image)

    def run():
        for s in statements:
            db.execute(s).fetchall()

    return run


def bench_spec(spec: Path, quick: bool) -> list[dict]:
    import awmlang
    from awmlang.compiler.build import build_spec

    batches, per = (5, 50) if quick else (15, 400)
    result = build_spec(spec)
    if not result.ok:
        return [{"spec": spec.stem, "metric": "build", "error": "spec has errors"}]
    env = awmlang.load(spec)
    rows = bench_sessions(spec, env, batches, per)
    rows.extend(bench_calls(spec, env, result.model, batches, per))
    rows.extend(bench_builds(spec, quick))
    rows.append(bench_nochange_rebuild(spec, result))
    rows.append(bench_exploration(spec, env, quick))
    return rows


def bench_exploration(spec: Path, env, quick: bool) -> dict:
    """`awmc check`'s exploration: calls a second at its default settings (fewer sequences with --quick)."""
    from awmlang.runtime.explore import explore

    exploration = explore(env, seed=0, max_examples=60 if quick else 500)
    rate = exploration.calls_per_second
    return {
        "spec": spec.stem,
        "metric": "explore_calls_per_s",
        "ours": round(rate),
        "target": EXPLORE_CALLS_PER_S,
        "ok": rate >= EXPLORE_CALLS_PER_S,
        "detail": f"{exploration.calls} calls in {exploration.sequences} sequences, {exploration.seconds:.1f} s",
    }


def bench_sessions(spec: Path, env, batches: int, per: int) -> list[dict]:
    """Creating and resetting a session, against deserializing the seeded image."""
    image = env.initial_image

    def create():
        env.session().close()

    def raw_create():
        db = sqlite3.connect(":memory:", isolation_level=None)
        db.deserialize(image)
        db.close()

    s = env.session()
    raw_db = sqlite3.connect(":memory:", isolation_level=None)
    rows = [
        row(spec, "session_create", median_us(create, batches, per), median_us(raw_create, batches, per)),
        row(
            spec,
            "session_reset",
            median_us(s.reset, batches, per),
            median_us(lambda: raw_db.deserialize(image), batches, per),
        ),
    ]
    s.close()
    return rows


def bench_calls(spec: Path, env, model, batches: int, per: int) -> list[dict]:
    """A read and a write tool call against raw sqlite3 running the same statements; the read's
    first call in a fresh session; a reset after the write."""
    image = env.initial_image
    s = env.session()
    raw_db = sqlite3.connect(":memory:", isolation_level=None)
    rows = []
    read, write = pick_tools(model, env)
    for metric, tool in (("read_call", read), ("write_call", write)):
        if tool is None:
            continue
        pname, key = first_key(s, model, tool)
        args = {pname: key}
        statements = call_statements(env, tool, args, writes=metric == "write_call")
        ours = median_us(lambda tool=tool, args=args: s.call(tool, args), batches, per)
        raw = median_us(raw_replay(image, statements), batches, per)
        rows.append(row(spec, metric, ours, raw, detail=f"{tool}, {len(statements)} SQL statements"))
        if metric == "read_call":
            first, repeat = first_and_repeat_us(env, tool, args, batches * per)
            rows.append(first_call_row(spec, first, repeat, raw_first_us(image, statements, batches * per), tool))
        else:
            ours = reset_after_us(s, tool, args, batches * per)
            raw = median_us(lambda: raw_db.deserialize(image), batches, per)
            rows.append(row(spec, "session_reset_after_a_write", ours, raw, detail=f"one {tool} call"))
    s.close()
    return rows


def call_statements(env, tool: str, args: dict, writes: bool) -> list[str]:
    """The SQL a call runs (a write inside the savepoint a call opens), for raw sqlite3 to replay."""
    probe = (
        env.session()
    )  # not the timed one: a session whose connection was handed out (to trace it) commits each call
    statements = captured_statements(probe, tool, args)
    probe.close()
    if writes:
        statements = (
            ["SAVEPOINT call"]
            + [x for x in statements if x not in ("SAVEPOINT call", "RELEASE call")]
            + ["RELEASE call"]
        )
    return statements


def bench_nochange_rebuild(spec: Path, result) -> dict:
    """Deciding that a written build is up to date."""
    import awmlang
    from awmlang.compiler.build import is_up_to_date

    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / spec.stem
        awmlang.write_outputs(result, target)
        samples = []
        for _ in range(20):
            start = time.perf_counter()
            assert is_up_to_date(target)
            samples.append((time.perf_counter() - start) * 1000)
    return {
        "spec": spec.stem,
        "metric": "rebuild_nochange_ms",
        "ours": round(statistics.median(samples), 3),
        "target": REBUILD_NOCHANGE_MS,
        "ok": statistics.median(samples) <= REBUILD_NOCHANGE_MS,
    }


def bench_builds(spec: Path, quick: bool) -> list[dict]:
    """Builds in a warm process (compiler imported, grammar loaded):
    - cold: the whole spec compiled with every memo empty (no parsed pieces, no tool schemas:
      a spec this process has not seen);
    - warm: the edit-rebuild loop of a person or an LLM repair loop. Each declaration in turn
      gets a comment line (a change to its text), and the spec is rebuilt with the memos the
      earlier builds left; the median is over every declaration of the spec."""
    from awmlang.compiler.build import build_spec, forget_builds
    from awmlang.compiler.parse import piece_ids

    text = spec.read_text(encoding="utf-8")
    cold = []
    for _ in range(3 if quick else 5):
        forget_builds()
        start = time.perf_counter()
        build_spec(spec, text)
        cold.append((time.perf_counter() - start) * 1000)
    build_spec(spec, text)
    pieces = [(start, piece) for _, start, piece in piece_ids(text, str(spec)) if not piece.startswith("import")]
    by_kind: dict[str, list[float]] = {}
    for start, piece in pieces[:: 4 if quick else 1]:
        end = start + len(piece.rstrip("\n"))
        edited = text[:end] + "\n# edited" + text[end:]
        began = time.perf_counter()
        result = build_spec(spec, edited)
        kind = "comment" if piece.startswith(("#", "//")) else piece.split(None, 1)[0]
        by_kind.setdefault(kind, []).append((time.perf_counter() - began) * 1000)
        if not result.ok:
            line = text.count("\n", 0, end) + 1
            raise RuntimeError(f"{spec}: a comment added after line {line} broke the build")
        build_spec(spec, text)  # back to the original
    warm = [ms for samples in by_kind.values() for ms in samples]
    kinds = ", ".join(f"{kind} {statistics.median(v):.0f}" for kind, v in sorted(by_kind.items()))
    return [
        {
            "spec": spec.stem,
            "metric": "build_cold_ms",
            "ours": round(statistics.median(cold), 1),
            "target": None,
            "ok": True,
            "detail": "whole spec, empty memos (reported, no target)",
        },
        {
            "spec": spec.stem,
            "metric": "build_warm_ms",
            "ours": round(statistics.median(warm), 1),
            "target": BUILD_WARM_MS,
            "ok": statistics.median(warm) <= BUILD_WARM_MS,
            "detail": f"one declaration edited, {counted(len(warm), 'edit')}; p90 {percentile(warm, 90):.0f}, max {max(warm):.0f}; "
            f"median by kind: {kinds}",
            "by_kind": {kind: round(statistics.median(v), 1) for kind, v in by_kind.items()},
        },
    ]


def percentile(samples: list[float], p: int) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def row(spec: Path, metric: str, ours: float, raw: float, detail: str = "") -> dict:
    ratio = ours / raw if raw > 0 else float("inf")
    target = TARGETS_US[metric]
    ok = ours <= target and (metric.startswith("session") or ratio <= MAX_RATIO)
    return {
        "spec": spec.stem,
        "metric": metric + "_us",
        "ours": round(ours, 2),
        "raw_sqlite3": round(raw, 2),
        "ratio": round(ratio, 2),
        "target": target,
        "ok": ok,
        "detail": detail,
    }


def first_call_row(spec: Path, first: float, repeat: float, raw: float, tool: str) -> dict:
    """The first call in a fresh session: its target is a ratio to the repeat call."""
    return {
        "spec": spec.stem,
        "metric": "first_call_us",
        "ours": round(first, 2),
        "raw_sqlite3": round(raw, 2),
        "ratio": round(first / raw, 2) if raw > 0 else float("inf"),
        "repeat_call_us": round(repeat, 2),
        "first_to_repeat": round(first / repeat, 2),
        "target": f"{FIRST_CALL_RATIO}x repeat",
        "ok": first <= FIRST_CALL_RATIO * repeat,
        "detail": f"{tool} in a fresh session: {first / repeat:.2f}x its repeat call there ({repeat:.2f} µs); "
        "raw sqlite3 on a new connection",
    }


def bench_memory(spec: Path, sessions: int) -> list[dict]:
    """RSS of `sessions` live sessions of a spec: in use (a read on every 50th), then after
    one write on each (a write reads pages into the session's own page cache)."""
    import awmlang
    from awmlang.compiler.build import build_spec

    env = awmlang.load(spec)
    model = build_spec(spec).model
    _, write = pick_tools(model, env)
    gc.collect()
    before = rss_mb()
    live = [env.session() for _ in range(sessions)]
    for s in live[:: max(1, sessions // 50)]:
        s.call(min(env.handlers), {})  # sessions in use, not just opened
    rows = [memory_row(spec, f"rss_{sessions}_sessions_mb", before, sessions)]
    if write is not None:
        args = dict([first_key(live[0], model, write)])
        for s in live:
            s.call(write, args)
        rows.append(memory_row(spec, f"rss_{sessions}_sessions_after_a_write_mb", before, sessions, detail=write))
    for s in live:
        s.close()
    return rows


def memory_row(spec: Path, metric: str, before: float, sessions: int, detail: str = "") -> dict:
    gc.collect()
    after = rss_mb()
    per_session = (after - before) * 1024 / sessions
    return {
        "spec": spec.stem,
        "metric": metric,
        "ours": round(after, 1),
        "delta_mb": round(after - before, 1),
        "per_session_kb": round(per_session, 1),
        "target": MAX_RSS_MB,
        "ok": after <= MAX_RSS_MB,
        "detail": f"+{after - before:.1f} MB, {per_session:.1f} KB/session"
        + (f"; one {detail} call each" if detail else ""),
    }


def run_bench(specs: list[Path], quick: bool = False, sessions: int = 1000, mcp: bool = False) -> dict:
    rows = []
    for spec in specs:
        sys.stderr.write(f"benchmarking {spec} ...\n")
        rows.extend(bench_spec(spec, quick))
    largest = max(specs, key=lambda p: p.stat().st_size)
    rows.extend(bench_memory(largest, sessions))
    if mcp:
        from awmlang.bench_mcp import bench_mcp

        sys.stderr.write(f"benchmarking MCP serving of {largest} ...\n")
        rows.extend(
            bench_mcp(largest, sessions=20 if quick else 100, calls=10 if quick else 50, idle=50 if quick else 1000)
        )
    print_table(rows)
    return {
        "rows": rows,
        "ok": all(r.get("ok", False) for r in rows),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
    }


def print_table(rows: list[dict]) -> None:
    body = [
        (
            r["spec"],
            r["metric"],
            r.get("ours", "-"),
            r.get("raw_sqlite3", "-"),
            r.get("ratio", "-"),
            "-" if r.get("target") is None else r["target"],
            "ok" if r.get("ok") else "MISS",
            r.get("detail", ""),
        )
        for r in rows
    ]
    sys.stdout.write(table(("spec", "metric", "awmlang", "raw sqlite3", "ratio", "target", "", "detail"), body))
    misses = sum(not r.get("ok") for r in rows)
    sys.stdout.write(
        f"{len(rows) - misses} of {counted(len(rows), 'figure')} within target (medians; ratios vs raw sqlite3 in this run)\n"
    )
