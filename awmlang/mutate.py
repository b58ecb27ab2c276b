"""`awmc check --mutate`: a mutation audit of a spec's own checks.

A mutant is the spec's text with one small edit at a node of its syntax tree: a `require`
dropped (guard), a comparison moved across its boundary or negated (comparison), `+` and `-`
swapped in an `update ... set` or `upsert ... do` (sign), one `update`, `delete`, `insert` or
`upsert` statement dropped (write), one task `expect` replaced by `true` (expect). Each mutant
is compiled in-process from its text (one that does not compile is not counted) and checked as
`awmc check` checks a spec, with a smaller exploration budget: a problem of any kind (an
unreachable state, a task check failing, an exploration finding) kills it. A mutant that
survives is a change that nothing notices: a missing invariant, a missing task check, or an
equivalent mutant (one that changes nothing any state can show).

Mutants are text edits only: the spec text is parsed and compiled, never run.
"""

from __future__ import annotations

import dataclasses
import random
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from awmlang.compiler import nodes as n
from awmlang.compiler.build import BuildResult, build_spec
from awmlang.compiler.diagnostics import Sources, display_path, to_json

KINDS = ("guard", "comparison", "sign", "write", "expect")
# call sequences each mutant's exploration runs: a fifth of `awmc check`'s 500, half of them
# on the mutated tool (bank's 97 guard mutants: 51 killed with 25, 55 with 100, in about 90 s)
MUTATE_EXAMPLES = 100
PHASES = ("compile", "tasks", "exploration")  # what killed a mutant, in the order they run
COMPARISON_SWAP = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "=="}
SIGN_SWAP = {"+": "-", "-": "+"}
# what a surviving mutant of each kind most likely means
SURVIVOR_HINTS = {
    "guard": "no invariant, constraint or ownership check breaks without this guard",
    "comparison": "no invariant or task check tells the two boundaries apart",
    "sign": "no invariant or task check depends on the direction of this change",
    "write": "no invariant or task check reads what this statement writes",
    "expect": "the task stays non-vacuous without this check (another check fails on the untouched state)",
}
READ_ONLY_HINT = "the tool writes nothing, so only its result changes: check looks at state and tasks at answers"
EQUIVALENT_NOTE = (
    "Some mutants are equivalent: they change nothing that any call sequence can show (a guard that "
    "another guard or a parameter's @range already implies, a boundary no value reaches, a write "
    "of the value already stored). Judge each survivor before adding an invariant or a check for it."
)


@dataclass(frozen=True)
class Mutant:
    """One edit of the spec's text: `original` at [start, end) becomes `replacement`."""

    kind: str
    where: str  # "tool buy", "task buy_two_mugs"
    file: str
    line: int
    col: int
    start: int
    end: int
    original: str
    replacement: str

    @property
    def tool(self) -> str | None:
        """The mutated tool's name (None for a task's mutant)."""
        return self.where.removeprefix("tool ") if self.where.startswith("tool ") else None

    def apply(self, text: str) -> str:
        return text[: self.start] + self.replacement + text[self.end :]

    def describe(self) -> str:
        if not self.replacement:
            return f"dropped `{_short(self.original)}`"
        return f"`{_short(self.original)}` -> `{_short(self.replacement)}`"


def _short(text: str, width: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


# ---- making mutants ---------------------------------------------------------------------------


class _Maker:
    """Collects the mutants of one file's declarations, reading its text through `sources`."""

    def __init__(self, sources: Sources, path: str):
        self.sources, self.path, self.text = sources, path, sources.texts[path]
        self.mutants: list[Mutant] = []

    def add(self, kind: str, where: str, start: int, end: int, replacement: str) -> None:
        line, col = self.sources.line_col(n.Span(self.path, start, start))
        original = self.text[start:end]
        self.mutants.append(Mutant(kind, where, self.path, line, col, start, end, original, replacement))

    def span(self, node) -> n.Span:
        return self.sources.resolve(node.span)

    def operator(self, node: n.Binary, swaps: dict[str, str]) -> tuple[int, int, str] | None:
        """Where a binary node's operator sits in the text (between its operands), and its swap."""
        if node.op not in swaps:
            return None
        left, right = self.span(node.left), self.span(node.right)
        gap = self.text[left.end : right.start]
        at = _find_token(gap, node.op)
        if at < 0:
            return None
        return left.end + at, left.end + at + len(node.op), swaps[node.op]


def _find_token(gap: str, op: str) -> int:
    """The offset of operator `op` in the text between two operands (`<` is not the start of `<=`,
    nor `=` the end of `==`), or -1."""
    for at in (i for i in range(len(gap)) if gap.startswith(op, i)):
        before, after = gap[at - 1 : at], gap[at + len(op) : at + len(op) + 1]
        if after != "=" and before not in ("<", ">", "=", "!"):
            return at
    return -1


def walk(node) -> Iterator:
    """Every node below `node` (itself included), depth first in field order: a generic walk over
    the dataclass fields, so it reaches query conditions, update values and nested blocks alike."""
    yield node
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        for item in value if isinstance(value, tuple) else (value,):
            if dataclasses.is_dataclass(item) and not isinstance(item, (n.Span, type)):
                yield from walk(item)


def make_mutants(result: BuildResult, path: str) -> list[Mutant]:
    """The mutants of the declarations in the spec file itself (not its imports), in text order."""
    main = display_path(path)
    maker = _Maker(result.sources, main)
    for module in result.modules:
        if module.path != main:
            continue
        for decl in module.decls:
            if isinstance(decl, n.ToolDecl):
                _tool_mutants(maker, decl)
            elif isinstance(decl, n.Task):
                _expect_mutants(maker, decl)
    unique = {(m.start, m.end, m.replacement): m for m in maker.mutants}  # a node reached twice is one mutant
    return sorted(unique.values(), key=lambda m: (m.start, m.end, KINDS.index(m.kind)))


def _tool_mutants(maker: _Maker, tool: n.ToolDecl) -> None:
    where = f"tool {tool.name.name}"
    root = tool.body if tool.body is not None else tool.crud
    if root is None:
        return
    for node in walk(root):
        if isinstance(node, n.Require):
            span = maker.span(node)
            maker.add("guard", where, span.start, span.end, "")
        elif _is_write(node):
            span = maker.span(node)
            maker.add("write", where, span.start, span.end, "")
        elif isinstance(node, n.Binary) and (edit := maker.operator(node, COMPARISON_SWAP)):
            maker.add("comparison", where, *edit)
        if isinstance(node, (n.Update, n.Upsert)):
            assigns = node.assigns if isinstance(node, n.Update) else node.on_conflict
            for assign in assigns:
                for inner in walk(assign.value):
                    if isinstance(inner, n.Binary) and (edit := maker.operator(inner, SIGN_SWAP)):
                        maker.add("sign", where, *edit)


def _is_write(node) -> bool:
    """A statement that writes and can go without breaking the code after it."""
    if isinstance(node, (n.Update, n.Delete)):
        return True
    return isinstance(node, n.ExprStmt) and isinstance(node.expr, (n.Insert, n.Upsert))


def _expect_mutants(maker: _Maker, task: n.Task) -> None:
    for expect in task.expects:
        span = maker.span(expect.cond)
        maker.add("expect", f"task {task.name.name}", span.start, span.end, "true")


# ---- running them -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    """How hard each mutant (and the spec itself, first) is explored."""

    seed: int = 0
    max_examples: int = MUTATE_EXAMPLES
    steps: int = 20


@dataclass
class Outcome:
    mutant: Mutant
    status: str  # killed | survived | not_compiling
    seconds: float
    killed_by: dict | None = None  # the first problem check found
    error: str | None = None  # why it does not compile
    read_only: bool = False  # the mutated tool writes nothing (a survivor there changes only a result)

    def as_json(self) -> dict:
        m = self.mutant
        out = {
            "kind": m.kind,
            "where": m.where,
            "file": m.file,
            "line": m.line,
            "column": m.col,
            "original": m.original,
            "replacement": m.replacement,
            "status": self.status,
            "seconds": round(self.seconds, 3),
        }
        if self.killed_by is not None:
            out["killed_by"] = self.killed_by
        if self.error is not None:
            out["error"] = self.error
        if self.status == "survived":
            out["hint"] = READ_ONLY_HINT if self.read_only else SURVIVOR_HINTS[m.kind]
            out["read_only"] = self.read_only
        return out


class _Loaded:
    """An Environment of a build made in memory: written to a temporary folder, loaded, and its
    handlers module forgotten afterwards (an audit loads a hundred of them)."""

    def __init__(self, result: BuildResult):
        self.result = result

    def __enter__(self):
        from awmlang import write_outputs
        from awmlang.runtime.session import Environment

        self.folder = tempfile.TemporaryDirectory(prefix="awm-mutant-")
        write_outputs(self.result, Path(self.folder.name))
        self.env = Environment(self.folder.name)
        return self.env

    def __exit__(self, *exc) -> None:
        sys.modules.pop(self.env.module.__name__, None)
        self.folder.cleanup()


def first_problem(result: BuildResult, budget: Budget, tool: str | None = None, original=None) -> dict | None:
    """The first problem `awmc check` finds in a built spec, cheapest checks first (an unreachable
    enum member, then the tasks, then the exploration, half of whose calls go to `tool`, the
    mutated one), or None; `phase` says which found it. With `original` (the Environment of the
    spec before mutation), a call sequence that fails there too does not count."""
    from awmlang.runtime.explore import check_task

    for d in result.diagnostics:
        if d.code == "AWM4005":
            return {"phase": "compile", "kind": "unreachable_enum_value", "message": d.message}
    with _Loaded(result) as env:
        for task in sorted(env.tasks):
            problems = check_task(env, task)
            if problems:
                return {"phase": "tasks", "kind": "task", "task": task, "message": problems[0]}
        if not env.tool_names:
            return None
        return _explored(env, budget, tool, original)


def _explored(env, budget: Budget, tool: str | None, original) -> dict | None:
    """What `awmc check`'s exploration finds, unless the original spec fails the same sequence."""
    from awmlang.runtime.explore import explore, replay

    try:
        finding = explore(env, budget.seed, budget.max_examples, budget.steps, focus=tool).finding
    except Exception as exc:  # noqa: BLE001 - the explorer itself failed: `awmc check` would report it too
        return {"phase": "exploration", "kind": "check_error", "message": f"{type(exc).__name__}: {exc}"}
    if finding is None:
        return None
    if original is not None and replay(original, finding.calls, finding.user, finding.start_task)[1] is not None:
        return None  # the spec has this problem itself: not the mutant's doing
    return {"phase": "exploration", "kind": finding.kind, "message": finding.message, "calls": len(finding.calls)}


def run_mutant(path: str | Path, text: str, mutant: Mutant, budget: Budget, original=None) -> Outcome:
    start = time.perf_counter()
    result = build_spec(path, text=mutant.apply(text))
    if not result.ok:
        first = result.errors[0]
        return Outcome(mutant, "not_compiling", time.perf_counter() - start, error=f"{first.code}: {first.message}")
    problem = first_problem(result, budget, mutant.tool, original)
    return Outcome(mutant, "survived" if problem is None else "killed", time.perf_counter() - start, problem)


def choose(mutants: list[Mutant], kinds: set[str] | None, limit: int | None, seed: int) -> list[Mutant]:
    """The mutants of the asked kinds; at most `limit` of them, a sample fixed by the seed, in text order."""
    chosen = [m for m in mutants if kinds is None or m.kind in kinds]
    if limit is not None and len(chosen) > limit:
        keep = set(random.Random(seed).sample(range(len(chosen)), limit))
        chosen = [m for i, m in enumerate(chosen) if i in keep]
    return chosen


def scores(outcomes: list[Outcome]) -> dict:
    """Killed / compiling mutants, over all and per kind (a kind with no mutants is left out)."""

    def score(group: list[Outcome]) -> dict:
        compiling = [o for o in group if o.status != "not_compiling"]
        killed = sum(o.status == "killed" for o in compiling)
        return {
            "mutants": len(group),
            "compiling": len(compiling),
            "killed": killed,
            "survived": len(compiling) - killed,
            "score": round(killed / len(compiling), 4) if compiling else None,
        }

    by_kind = {k: score([o for o in outcomes if o.mutant.kind == k]) for k in KINDS}
    by_phase = {p: sum(o.killed_by is not None and o.killed_by["phase"] == p for o in outcomes) for p in PHASES}
    return {**score(outcomes), "by_kind": {k: v for k, v in by_kind.items() if v["mutants"]}, "killed_by": by_phase}


Progress = Callable[[int, int, list[Outcome], float], None]


def audit(
    path: str | Path,
    budget: Budget,
    kinds: set[str] | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
) -> tuple[dict, BuildResult]:
    """The mutation audit of one spec: its report (as `--json` gives it) and the spec's build.
    A spec with errors, or one that fails check itself at the audit's budget, is not mutated."""
    start = time.perf_counter()
    report: dict = {"spec": str(path), "problems": []}
    result = build_spec(path)
    if not result.ok:
        diagnostics = [to_json(d, result.sources) for d in result.errors]
        report["problems"].append({"kind": "spec_errors", "diagnostics": diagnostics})
        return report, result
    problem = first_problem(result, budget)
    if problem is not None:
        report["problems"].append({**problem, "kind": "fails_check", "found": problem["kind"]})
        return report, result
    made = make_mutants(result, str(path))
    mutants = choose(made, kinds, limit, budget.seed)
    text = result.sources.texts[display_path(path)]
    outcomes: list[Outcome] = []
    with _Loaded(result) as original:
        for i, mutant in enumerate(mutants, 1):
            outcomes.append(run_mutant(path, text, mutant, budget, original))
            if mutant.tool in original.handlers and not original.handlers[mutant.tool][1]:
                outcomes[-1].read_only = True
            if progress is not None:
                progress(i, len(mutants), outcomes, time.perf_counter() - start)
    report["mutation"] = {
        **dataclasses.asdict(budget),
        "made": len(made),
        "run": len(mutants),
        **scores(outcomes),
        "seconds": round(time.perf_counter() - start, 2),
        "mutants": [o.as_json() for o in outcomes],
        "note": EQUIVALENT_NOTE,
    }
    return report, result


def percent(score: float | None) -> str:
    return "-" if score is None else f"{score:.0%}"


def render(mutation: dict) -> list[str]:
    """The text report of one spec's audit: the score, a line per kind, then every survivor."""
    from awmlang.console import table
    from awmlang.text import counted

    lines = [
        f"  mutation audit: {counted(mutation['run'], 'mutant')}, {mutation['compiling']} compile: "
        f"{mutation['killed']} killed, {mutation['survived']} survived ({percent(mutation['score'])}) "
        f"in {mutation['seconds']:.1f} s ({mutation['max_examples']} call sequences of up to "
        f"{mutation['steps']} calls per mutant, seed {mutation['seed']})"
    ]
    rows = [
        (kind, s["mutants"], s["compiling"], s["killed"], percent(s["score"]))
        for kind, s in mutation["by_kind"].items()
    ]
    if rows:
        lines += ["    " + line for line in table(("kind", "mutants", "compile", "killed", "score"), rows).splitlines()]
    if mutation["killed"]:
        phases = mutation["killed_by"]
        lines.append(
            f"    killed by: an unreachable state {phases['compile']}, task checks {phases['tasks']}, "
            f"the exploration {phases['exploration']}"
        )
    survivors = [m for m in mutation["mutants"] if m["status"] == "survived"]
    if survivors:
        lines.append(
            "  survivors: nothing notices if these change (a missing invariant or task check, or an equivalent mutant):"
        )
    for m in survivors:
        change = Mutant(m["kind"], m["where"], m["file"], m["line"], m["column"], 0, 0, m["original"], m["replacement"])
        lines.append(f"    {m['file']}:{m['line']}:{m['column']}: {m['kind']} in {m['where']}: {change.describe()}")
        lines.append(f"      {m['hint']}")
    if mutation["run"]:
        lines += textwrap.wrap(mutation["note"], 100, initial_indent="  ", subsequent_indent="  ")
    return lines


def check_specs(specs: list[Path], budget: Budget, kinds: set[str] | None, limit: int | None, as_json: bool) -> int:
    """`awmc check --mutate`: audit each spec, print the reports (or all of them as JSON at the
    end), progress on stderr. Exit 1 when a spec has errors or fails check itself, else 0:
    survivors are findings to judge, not failures."""
    import json

    from awmlang.compiler.diagnostics import render_human
    from awmlang.console import EXIT_OK, EXIT_SPEC
    from awmlang.text import counted, wants_color

    reports, worst = [], EXIT_OK
    for i, spec in enumerate(specs, 1):
        if not as_json:
            print(f"[{i}/{len(specs)}] {spec}", flush=True)
        report, result = audit(spec, budget, kinds, limit, None if as_json else _show_progress)
        reports.append(report)
        if report["problems"]:
            worst = EXIT_SPEC
        if as_json:
            continue
        if not result.ok:
            sys.stderr.write(render_human(result.diagnostics, result.sources, color=wants_color(sys.stderr)))
        for problem in report["problems"]:
            if problem["kind"] == "fails_check":
                found = f"{problem['found']}: {problem['message']}"
                print(f"  not mutated: the spec itself fails check ({found}); run `awmc check {spec}` first")
            elif problem["kind"] == "spec_errors":
                print(f"  not mutated: {counted(len(problem['diagnostics']), 'error')}")
        if "mutation" in report:
            print("\n".join(render(report["mutation"])))
    if as_json:
        print(json.dumps(reports, indent=2, sort_keys=True, ensure_ascii=False))
    return worst


PROGRESS_EVERY = 10


def _show_progress(done: int, total: int, outcomes: list[Outcome], seconds: float) -> None:
    if done % PROGRESS_EVERY and done != total:
        return
    sys.stdout.flush()  # the spec's header line comes first
    killed = sum(o.status == "killed" for o in outcomes)
    broken = sum(o.status == "not_compiling" for o in outcomes)
    sys.stderr.write(
        f"  mutants {done}/{total}: {killed} killed, {done - killed - broken} survived, "
        f"{broken} not compiling ({seconds:.1f} s)\n"
    )
