"""`awmc import awm`: the argument parser, importing every scenario of the inputs, and the report."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from awmlang.console import EXIT_OK, EXIT_SPEC, UsageError
from awmlang.import_awm.naming import env_name, unique_name
from awmlang.import_awm.problems import Problems, aggregated
from awmlang.import_awm.read import find_input_files, read_inputs
from awmlang.import_awm.scenario import Result, import_scenario
from awmlang.text import counted


def register(subparsers) -> None:
    """Add `awmc import awm ...` to awmc's argument parser."""
    imp = subparsers.add_parser("import", help="import environments from other formats into .awm specs")
    formats = imp.add_subparsers(dest="format", required=True)
    a = formats.add_parser(
        "awm", help="import the AWM pipeline's JSONL files (gen_db, gen_sample, gen_spec, gen_tasks)"
    )
    a.add_argument("paths", nargs="+", help="JSONL files, or folders searched for *.jsonl")
    a.add_argument("-o", "--output", default="specs/imported", help="output folder")
    a.add_argument("--scenario", action="append", metavar="NAME", help="import only this scenario (repeatable)")
    a.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    a.set_defaults(fn=cmd_import_awm)


@dataclass
class ImportReport:
    files: list[Path]
    problems: Problems  # lines that belong to no scenario
    results: list[Result]

    @property
    def ok(self) -> bool:
        return not self.problems.has_errors() and all(r.ok for r in self.results)

    def as_json(self) -> dict:
        return {
            "files": [str(f) for f in self.files],
            "problems": [p.as_json() for p in self.problems],
            "scenarios": [r.as_json() for r in self.results],
        }


def import_awm(paths: list[str], output: str | Path | None, scenarios: list[str] | None = None) -> ImportReport:
    """Import the scenarios of the given files/folders into `output`, sorted by name. With
    `output` None the specs are only generated (`Result.text`), not written or compiled."""
    files, problems = find_input_files(paths)
    found, line_problems = read_inputs(files)
    problems.extend(line_problems)
    names = sorted(found)
    if scenarios:
        missing = [s for s in scenarios if s not in found]
        if missing:
            raise UsageError(f"no scenario {', '.join(missing)} in the input (found: {', '.join(names) or 'none'})")
        names = [n for n in names if n in set(scenarios)]
    out_dir = Path(output) if output is not None else None
    if out_dir is not None:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot create the output folder {out_dir}: {exc.strerror}")
    targets = spec_paths(names, out_dir)
    return ImportReport(files, problems, [import_scenario(found[n], targets.get(n)) for n in names])


def spec_paths(names: list[str], out_dir: Path | None) -> dict[str, Path]:
    """`<out_dir>/<scenario>.awm`; scenarios whose names give the same file name get a suffix."""
    if out_dir is None:
        return {}
    taken: set[str] = set()
    out = {}
    for name in names:
        stem = env_name(name)
        stem = stem if stem not in taken else unique_name(stem + "_", taken)
        taken.add(stem)
        out[name] = out_dir / f"{stem}.awm"
    return out


def cmd_import_awm(args) -> int:
    start = time.perf_counter()
    report = import_awm(args.paths, args.output, args.scenario)
    if args.json:
        print(json.dumps(report.as_json(), indent=2, sort_keys=True))  # ASCII escapes survive any input
    else:
        sys.stdout.write(human_report(report, time.perf_counter() - start))
    return EXIT_OK if report.ok else EXIT_SPEC


def human_report(report: ImportReport, seconds: float) -> str:
    results = report.results
    lines = aggregated(report.problems)
    for r in results:
        lines += scenario_report(r)
    counts = {s: sum(r.status == s for r in results) for s in ("imported", "failed", "skipped")}
    with_errors = sum(r.status == "imported" and not r.ok for r in results)
    lines.append(
        f"{counts['imported']} imported ({with_errors} with input errors), {counts['failed']} failed, "
        f"{counts['skipped']} skipped in {seconds:.1f} s"
    )
    return "\n".join(lines) + "\n"


def scenario_report(r: Result) -> list[str]:
    """A scenario's lines of the report: status, counts, compilation, then its problems."""
    lines = [f"{r.scenario}: {r.status}" + (f" -> {r.output}" if r.output else "")]
    c = r.counts
    if c:
        lines.append(
            f"  tables {c['tables']}, columns {c['columns']}, rows {c['rows']}"
            f" ({counted(c['inserts']['total'], 'statement')}, {c['inserts']['failed']} failed and skipped)"
        )
        lines.append(
            f"  tools {c['tools']['total']}: {c['tools']['complete']} complete, "
            f"{c['tools']['signature_only']} signature only (fail not_implemented)"
        )
        needing = c["tasks"]["needs_verifier"]
        lines.append(f"  tasks {c['tasks']['total']}: {needing} {'needs' if needing == 1 else 'need'} a verifier")
    if r.compiled is not None:
        db = r.database
        same = "" if not db else "; seeded database equal to the pipeline's: " + ("yes" if db["equal"] else "no")
        lines.append(f"  compiles: {'yes' if r.compiled else 'no'}{same}")
    for title, level in (("errors", "error"), ("warnings", "warning")):
        group = [p for p in r.problems if p.level == level]
        if group:
            lines.append(f"  {title} ({len(group)}):")
            lines += [f"    {line}" for line in aggregated(group)]
    return lines
