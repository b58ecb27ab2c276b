"""What every `awmc` command shares: exit codes, usage errors, where reports go, tables, and
loading a spec with its diagnostics shown. The command modules (cli, agent, bench, import_awm)
import it; it imports none of them."""

from __future__ import annotations

import sys

from awmlang.compiler.diagnostics import render_human
from awmlang.text import wants_color

EXIT_OK, EXIT_SPEC, EXIT_USAGE = 0, 1, 2
EXIT_CLOSED_PIPE = 128 + 13  # what a shell reports for a process killed by SIGPIPE


class UsageError(Exception):
    pass


def report_stream(as_json: bool):
    """Where a command's human report goes: stdout, unless stdout holds its `--json` output."""
    return sys.stderr if as_json else sys.stdout


def table(header, rows) -> str:
    cells = [tuple(str(c) for c in header)] + [tuple(str(c) for c in r) for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def load_env(spec: str):
    import awmlang
    from awmlang.compiler.diagnostics import SpecError

    try:
        return awmlang.load(spec)
    except SpecError as exc:
        sys.stderr.write(render_human(exc.diagnostics, exc.sources, color=wants_color(sys.stderr)))
        raise SystemExit(EXIT_SPEC)
    except OSError as exc:
        raise UsageError(f"cannot load {spec}: {exc}")
