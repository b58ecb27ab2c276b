"""Diagnostics as data, and their two renderings: rustc/Elm style for people, JSON for tools.

Every diagnostic has a stable code listed in CODES with a one-paragraph explanation
(`awmc explain CODE`). Locations are kept as character offsets and turned into
line:column only when printed.
"""

from __future__ import annotations

import json
import os
import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from itertools import accumulate
from pathlib import Path

from awmlang.text import suggest

from .nodes import Span

# code -> (title, explanation). Codes never change meaning once published.
CODES: dict[str, tuple[str, str]] = {
    "AWM0001": (
        "syntax error",
        "The parser met a token it did not expect. The message names what it expected; the caret marks where it stopped.",
    ),
    "AWM0002": ("unterminated input", "The file ended inside a declaration, usually a missing `}` or `)`."),
    "AWM0003": (
        "invalid character",
        'A character that starts no token of the language, such as a stray `;`, a single quote, `&&` (write `and`), `||` (`or`) or `!` (`not`); or a string without its closing `"` on the same line.',
    ),
    "AWM0004": (
        "bad string interpolation",
        "A `{...}` hole in a string does not hold a valid expression. Write `{{` and `}}` for literal braces.",
    ),
    "AWM0010": ("cannot read file", "An imported file, seed file or spec could not be read."),
    "AWM0011": ("import cycle", "Files import each other in a cycle; each file may be imported once."),
    "AWM0012": (
        "bad seed file",
        "A seed file is not valid JSON (a list of objects) or CSV (a header row naming fields).",
    ),
    "AWM1001": (
        "duplicate name",
        "Two declarations of the same kind share a name (entities, enums, records, unions and tools share one namespace each).",
    ),
    "AWM1002": ("unknown type", "A field or parameter names a type that is neither built in nor declared."),
    "AWM1003": ("unknown field", "A field name does not exist on the entity or record it is used with."),
    "AWM1004": (
        "unknown name",
        "A name is not a parameter, local variable, field of the current row or declared entity.",
    ),
    "AWM1005": ("unknown function", "A call names a function that the language does not have."),
    "AWM1006": ("unknown entity", "A declaration refers to an entity that is not declared."),
    "AWM1007": ("unknown enum member", "A value is not a member of the enum the context expects."),
    "AWM1008": (
        "unknown attribute",
        "An `@attribute` or `@@attribute` is not one the language defines, or is not allowed here.",
    ),
    "AWM1009": ("no environment header", "A spec needs exactly one `env` declaration naming the environment."),
    "AWM1010": (
        "bad environment header",
        "The `env` header has an unknown property or a bad value (`user` must name an entity; `clock` must be `YYYY-MM-DD HH:MM:SS`).",
    ),
    "AWM1011": (
        "missing description",
        "Every tool and invariant needs a description string: agents read a tool's to decide which tool to call, and an invariant's is what a violation report says.",
    ),
    "AWM1012": ("primary key", "Each entity needs exactly one `@id` field of type int or text."),
    "AWM1013": (
        "bad back-reference",
        "`Child[]` needs Child to have exactly one field pointing at this entity, or `via field` naming one.",
    ),
    "AWM1014": ("me without user", "`me` is used but the `env` header names no `user` entity."),
    "AWM1015": ("reserved name", "A name is reserved by the language or collides with generated names."),
    "AWM1016": ("unknown tool", "A task's solution calls a tool that the spec does not declare."),
    "AWM2001": ("type mismatch", "An expression has a different type from the one its context needs."),
    "AWM2002": (
        "wrong number of arguments",
        "A function, constructor or attribute got more or fewer arguments than it takes.",
    ),
    "AWM2003": (
        "not a query",
        "The expression needs a query over an entity (e.g. `Product where ...`), but got something else.",
    ),
    "AWM2004": (
        "missing required field",
        "An insert or create does not give a value for a field that has no default and is not optional.",
    ),
    "AWM2005": (
        "not assignable",
        "Only local variables declared with `let` can be reassigned; parameters, `me` and loop variables cannot. A `let` bound to a query names the query itself: to choose a query in `if` branches, declare a list (`let q: list<Ticket> = Ticket where ...`) and assign it in the branches.",
    ),
    "AWM2006": ("bad update target", "`update` and `delete` take a row (an entity value) or a query of rows."),
    "AWM2007": (
        "not supported in a query",
        "This expression reads the row but cannot be translated to SQL inside `where`, `order by`, `update ... set` or an aggregate (an expression that does not read the row is computed before the query). The help line says what to write instead: usually another operator (`contains`, `starts with`), or a `for` loop over the rows with an `if`.",
    ),
    "AWM2008": (
        "bad match",
        "`match` takes a value of a union type and one arm per variant, each variant at most once.",
    ),
    "AWM2009": ("bad default", "A default value must be a constant of the field's type, `now()` or `today()`."),
    "AWM2010": ("bad check", "`@check(...)` must be a boolean expression over the entity's own fields."),
    "AWM2011": (
        "bad attribute argument",
        "An attribute got arguments of the wrong kind, e.g. `@range` needs two numbers.",
    ),
    "AWM2012": ("missing return", "A tool declared with a return type must return a value on every path."),
    "AWM2013": (
        "invariant depends on the session",
        "An invariant must hold in every state for every user, so it cannot use `me`, `now()` or `today()`.",
    ),
    "AWM2014": ("vacuous task", "A task needs at least one `expect`: without one, every run would pass it."),
    "AWM3001": ("bad seed row", "A seed row has a different number of values than the seed's column list."),
    "AWM3002": (
        "bad seed value",
        "A seed value does not fit its column's type or refers to a row that does not exist.",
    ),
    "AWM3003": ("duplicate seed key", "Two seed rows have the same primary key or the same value in a unique field."),
    "AWM3004": (
        "seed constraint",
        "Loading the seed into SQLite broke a constraint (check, unique, foreign key or not null).",
    ),
    "AWM3005": (
        "seed breaks an invariant",
        "The seeded database already violates an invariant; the message lists the violating rows. Fix the seed rows or the invariant.",
    ),
    "AWM4001": ("unused declaration", "A declaration is never referred to. Remove it, or use it."),
    "AWM4002": ("unused variable", "A `let` binding is never read."),
    "AWM4003": (
        "unreachable statement",
        "A statement follows a `return` or `fail` in the same block and can never run.",
    ),
    "AWM4005": (
        "unreachable enum value",
        "No tool, default or seed row ever stores this enum member, so no environment state can have it: a tool is missing, or the member is dead.",
    ),
    "AWM4004": (
        "shadowed parameter",
        "A name in a query resolves to a field of the row, not to the parameter of the same name; write `$name` to mean the parameter.",
    ),
    "AWM4006": (
        "fail code not snake_case",
        "A `fail` code is written in another case than snake_case (`SlotTaken`). Tools report fail codes to agents and tasks, and every spec spells them in snake_case (`slot_taken`); the help line suggests the spelling.",
    ),
    "AWM4007": (
        "unknown fail code",
        "A gold solution says a call `fails` with a code that the tool never fails with (its `fail` "
        "codes, `not_found` for a key that does not exist, `invalid_arguments` for arguments of the wrong "
        "shape). A warning, not an error: the gold run then fails, and `awmc check` reports it.",
    ),
}


def codes_markdown() -> str:
    """docs/diagnostics.md: one section per code (the page `awmc explain CODE` prints)."""
    from .diagnostic_examples import PRELUDE, render_example

    def fenced(snippet: str) -> str:
        return f"```awm-fragment\n{snippet.rstrip()}\n```"

    out = [
        "# Diagnostic codes",
        "",
        "Every diagnostic `awmc` prints has a stable code. `awmc explain CODE` prints the same text,",
        "with the same example of the error and its fix (the test suite compiles every example).",
        "Codes AWM0xxx are syntax and files, AWM1xxx names, AWM2xxx types, AWM3xxx seed data,",
        "AWM4xxx warnings (which do not stop a build).",
        "",
        "Unless said otherwise, each example's snippets follow these two lines:",
        "",
        fenced(PRELUDE),
        "",
    ]
    for code, (title, text) in sorted(CODES.items()):
        out += [f"## {code}: {title}", "", text, ""]
        example = render_example(code, fenced, prelude_shown_above=True)
        if example:
            out += [example, ""]
    return "\n".join(out)


@dataclass(frozen=True)
class Label:
    span: Span
    message: str


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    span: Span | None
    severity: str = "error"  # "error" | "warning"
    help: str | None = None
    notes: tuple[str, ...] = ()
    labels: tuple[Label, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


# words whose first vowel letter sounds like "you" or "w" (a `User`, a union, a one-off)
_CONSONANT_SOUND = re.compile(r"(?i)(uni|us[aeiou]|uti|ur[aeiou]|eu|one\b|once)")


def article(word: str) -> str:
    """ "a" or "an" for the word (or `name`) that follows it: an `Invoice`, a `User`, an int."""
    bare = word.lstrip("`\"'")
    if not bare:
        return "a"
    starts_with_vowel = bare[0].lower() in "aeiou" and not _CONSONANT_SOUND.match(bare)
    return "an" if starts_with_vowel or bare.lower().startswith("hour") else "a"


def with_article(word: str) -> str:
    """The word with its article: with_article("`Invoice`") == "an `Invoice`"."""
    return f"{article(word)} {word}"


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    close = suggest(name, candidates)
    if not close:
        return None
    return "did you mean " + " or ".join(f"`{c}`" for c in close) + "?"


@dataclass
class Sources:
    """The text of every file read, and where each declaration piece sits in its file.

    The parser gives spans relative to a declaration's piece (so that an unchanged
    declaration can be reused wherever it moves); `resolve` turns them into file offsets.
    """

    texts: dict[str, str] = field(default_factory=dict)
    pieces: dict[str, tuple[str, int]] = field(default_factory=dict)  # piece id -> (file, offset)
    _line_starts: dict[str, list[int]] = field(default_factory=dict, repr=False, compare=False)

    def add(self, path: str, text: str) -> None:
        self.texts[path] = text
        self._line_starts.pop(path, None)

    def add_piece(self, piece_id: str, path: str, offset: int) -> None:
        self.pieces[piece_id] = (path, offset)

    def resolve(self, span: Span) -> Span:
        """The span in file offsets (a span that already is one is returned as it is)."""
        placed = self.pieces.get(span.path)
        if placed is None:
            return span
        path, offset = placed
        return Span(path, offset + span.start, offset + span.end)

    def resolve_diagnostic(self, d: Diagnostic) -> Diagnostic:
        if d.span is None and not d.labels:
            return d
        return replace(
            d,
            span=self.resolve(d.span) if d.span is not None else None,
            labels=tuple(Label(self.resolve(label.span), label.message) for label in d.labels),
        )

    def line_col(self, span: Span) -> tuple[int, int]:
        span = self.resolve(span)
        starts = self._line_starts.get(span.path)
        if starts is None:  # offsets of line starts, once per file: the line map asks thousands of times
            text = self.texts.get(span.path, "")
            starts = self._line_starts[span.path] = [0, *accumulate(len(line) + 1 for line in text.split("\n")[:-1])]
        start = min(span.start, len(self.texts.get(span.path, "")))
        line = bisect_right(starts, start)
        return line, start - starts[line - 1] + 1

    def location(self, span: Span) -> str:
        """`file:line` of a span."""
        line, _ = self.line_col(span)
        return f"{self.resolve(span).path}:{line}"

    def line_text(self, path: str, line: int) -> str:
        lines = self.texts.get(path, "").split("\n")
        return lines[line - 1] if 0 < line <= len(lines) else ""


def display_path(path: str | Path) -> str:
    """How diagnostics name a file: relative to the working directory when it is inside it."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def spec_relative(path: str | Path, root: Path) -> str:
    """How generated outputs name a source: relative to the root spec's folder, so a spec builds
    to the same bytes from any working directory."""
    return Path(os.path.relpath(Path(path).resolve(), root)).as_posix()


def sort_and_dedupe(diags: Iterable[Diagnostic], sources: Sources) -> list[Diagnostic]:
    """The diagnostics in file order, each once, their spans in file offsets."""
    seen = set()
    out = []
    for d in map(sources.resolve_diagnostic, diags):
        key = (d.code, d.message, d.span)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return sorted(out, key=lambda d: (d.span.path if d.span else "", d.span.start if d.span else -1))


def render_human(diags: list[Diagnostic], sources: Sources, color: bool = False, limit: int = 50) -> str:
    """rustc-style text: header, `--> file:line:col`, the line with carets, help and notes."""

    def paint(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color else text

    blocks = []
    for d in diags[:limit]:
        head_color = "1;31" if d.is_error else "1;33"
        lines = [paint(f"{d.severity}[{d.code}]", head_color) + paint(f": {d.message}", "1")]
        d = sources.resolve_diagnostic(d)
        if d.span is not None:
            line, col = sources.line_col(d.span)
            source_line = sources.line_text(d.span.path, line)
            gutter = " " * len(str(line))
            width = max(1, min(d.span.end, d.span.start + len(source_line) - col + 1) - d.span.start)
            lines.append(f"{gutter}--> {d.span.path}:{line}:{col}")
            lines.append(f"{gutter} |")
            lines.append(f"{line} | {source_line}")
            lines.append(f"{gutter} | " + " " * (col - 1) + paint("^" * width, head_color))
            for label in d.labels:
                lline, lcol = sources.line_col(label.span)
                lines.append(f"{gutter} = note: {label.message} ({label.span.path}:{lline}:{lcol})")
        for note in d.notes:
            lines.append(f"  = note: {note}")
        if d.help:
            lines.append(f"  = help: {d.help}")
        blocks.append("\n".join(lines))
    if len(diags) > limit:
        blocks.append(f"... and {len(diags) - limit} more")
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def to_json(d: Diagnostic, sources: Sources) -> dict:
    out: dict = {"code": d.code, "severity": d.severity, "message": d.message}
    d = sources.resolve_diagnostic(d)
    if d.span is not None:
        line, col = sources.line_col(d.span)
        end_line, end_col = sources.line_col(Span(d.span.path, d.span.end, d.span.end))
        out.update(file=d.span.path, line=line, column=col, end_line=end_line, end_column=end_col)
    if d.help:
        out["help"] = d.help
    if d.labels:
        out["labels"] = [
            {
                "message": label.message,
                "file": label.span.path,
                **dict(zip(("line", "column"), sources.line_col(label.span))),
            }
            for label in d.labels
        ]
    if d.notes:
        out["notes"] = list(d.notes)
    return out


def render_json(diags: list[Diagnostic], sources: Sources) -> str:
    return json.dumps([to_json(d, sources) for d in diags], indent=2, sort_keys=True)


class SpecError(Exception):
    """Raised by the public API when a spec has errors; carries the diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic], sources: Sources):
        self.diagnostics = diagnostics
        self.sources = sources
        super().__init__(render_human([d for d in diagnostics if d.is_error], sources))
