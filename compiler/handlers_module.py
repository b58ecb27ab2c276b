"""Phase 3c: the lowered handler functions -> the text of the handlers module.

Lowering (lower_python/) names each function's SQL statements by placeholders and the column
positions it reads by markers. This pass gives each distinct statement one module constant
(named from its text: sqlnames.py) and each column position a `COL_` constant, puts a
`# file.awm:line` comment before the code of each statement, renders the jinja2 template,
breaks lines longer than `width` (pyformat.py) and writes the line map that sends an internal
error back to its `.awm` line.
"""

from __future__ import annotations

import functools
import re

import jinja2

from .pyformat import cut_string, wrap_line, wrap_module
from .sqlnames import column_names, constant_names
from .types import Model

ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("awmlang.compiler", "templates"),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    autoescape=False,
)
ENV.filters["pyrepr"] = repr
PLACEHOLDER = re.compile("\x00[0-9]+\x00")
COLUMN = re.compile("\x01([^\x01]+)\x01")  # a column's index in its entity's rows, named by the module
SQL_BREAKS = re.compile(r"(?<= )(?=(?:FROM|WHERE|AND|OR|ORDER BY|GROUP BY|LIMIT|OFFSET|VALUES|RETURNING|SET) )")


def placeholder(k: int) -> str:
    """How a function's code names its k-th SQL statement until the module names it."""
    return f"\x00{k}\x00"


def column_marker(entity: str, column: str) -> str:
    """How a function's code names the position of a column in its entity's rows until the
    module names it."""
    return f"\x01{entity}.{column}\x01"


def handlers_module(
    model: Model, spec_name: str, functions, tasks, outputs, invariants: dict[str, str], locate, width: int | None
) -> str:
    """The module's text from its lowered tools, tasks and entity outputs."""
    names: dict = constant_names(text for unit in functions + tasks + outputs for _, text in unit["constants"])
    columns = column_names({c for fn in functions for c in fn["columns"]})
    names.update(columns)
    locate = remembered(locate)
    functions = [finish_tool(fn, names, locate, width) for fn in functions]
    tasks = [finish_task(task, names, locate, width) for task in tasks]
    outputs = [dict(o, sql=resolve(o["sql"], statement_names(o, names), names)) for o in outputs]
    constants = [
        line
        for text, name in sorted(names.items(), key=lambda x: x[1])
        if isinstance(text, str)
        for line in constant(name, text, width)
    ]
    if columns:  # the indexes of the columns that tools read from whole rows
        constants.append("")
        for (entity, column), name in sorted(columns.items(), key=lambda x: x[1]):
            index = [f.column for f in model.entities[entity].columns].index(column)
            constants.append(f"{name} = {index}  # {model.entities[entity].table}.{column}")
    template = ENV.get_template("handlers.py.j2")
    text = template.render(
        spec=spec_name,
        env=model.name,
        constants=constants,
        functions=functions,
        outputs=outputs,
        user_entity=model.user_entity,
        clock=model.clock,
        invariants=[
            (inv.name, inv.description, inv.entity, invariants[inv.name], model.tables_of(inv.reads))
            for inv in model.invariants
        ],
        tasks=tasks,
    )
    if width is not None:  # the rest of the module (tool bodies are broken already; the line map counts them)
        text = wrap_module(text, width, frozen=tool_body_lines(text, functions))
    line_map = compute_line_map(text, functions, locate)
    return text.replace("LINE_MAP = {}", line_map_text(line_map, width), 1)


def line_map_text(line_map: dict[int, str], width: int | None) -> str:
    """`LINE_MAP = {...}`, its entries filling lines of at most `width` characters."""
    if width is None or len("LINE_MAP = " + repr(line_map)) <= width:
        return "LINE_MAP = " + repr(line_map)
    lines, current = ["LINE_MAP = {"], "   "
    for k, v in line_map.items():
        entry = f" {k!r}: {v!r},"
        if len(current) + len(entry) > width:
            lines.append(current)
            current = "   "
        current += entry
    return "\n".join(lines + [current, "}"])


def remembered(locate):
    located: dict = {}

    def at(span):
        if span not in located:
            located[span] = locate(span)
        return located[span]

    return at


def statement_names(unit: dict, names: dict) -> dict[str, str]:
    """A function's SQL placeholders -> the module's names of their statements (`names` maps an
    SQL text, or an (entity, column), to its name)."""
    return {placeholder: names[text] for placeholder, text in unit["constants"]}


def resolve(code: str, statements: dict[str, str], names: dict) -> str:
    """Code of one function with its SQL and column placeholders replaced by the module's names."""
    if "\x00" in code:
        code = PLACEHOLDER.sub(lambda m: statements[m.group(0)], code)
    return COLUMN.sub(lambda m: names[tuple(m.group(1).split(".", 1))], code) if "\x01" in code else code


@functools.lru_cache(maxsize=1 << 14)
def constant(name: str, text: str, width: int | None) -> tuple[str, ...]:
    """`NAME = 'SQL'`, the SQL cut before its clauses when the line would be too long."""
    line = f"{name} = {text!r}"
    if width is None or len(line) <= width:
        return (line,)
    return (f"{name} = (", *["    " + part for part in cut_string(text, width - 4, breaks=SQL_BREAKS)], ")")


def finish_lines(unit: dict, lines: list[str], spans: list, names, locate, width) -> tuple[list[str], list]:
    """A function's lines with constant names, a `# file:line` comment before the code of
    each statement (when the line differs from the previous comment's) and long lines broken;
    the span of each line (None for comments), for the line map."""
    out: list[str] = []
    out_spans: list = []
    last = None
    statements = statement_names(unit, names)
    for line, span in zip(lines, spans):
        code = resolve(line, statements, names)
        where = None if span is None else locate(span)
        if where is not None and where != last:
            last = where
            out.append(code[: len(code) - len(code.lstrip(" "))] + "# " + last)
            out_spans.append(None)
        for part in [code] if width is None else wrap_line(code, limit=width):
            out.append(part)
            out_spans.append(span)
    return out, out_spans


def finish_tool(fn: dict, names, locate, width) -> dict:
    lines, spans = finish_lines(fn, fn["lines"], fn["spans"], names, locate, width)
    return dict(fn, lines=lines, spans=spans)


def finish_task(task: dict, names, locate, width) -> dict:
    solution = task["solution"]
    if solution is not None:
        solution, _ = finish_lines(task, solution, task["solution_spans"], names, locate, width)
    helpers, _ = finish_lines(task, task["locals"], [None] * len(task["locals"]), names, locate, width)
    statements = statement_names(task, names)
    checks = [
        (source, weight, resolve(cond, statements, names), resolve(observed, statements, names))
        for source, weight, cond, observed in task["checks"]
    ]
    return dict(task, solution=solution, locals=helpers, checks=checks)


def tool_body_lines(text: str, functions) -> set[int]:
    """Indexes of the lines of the tool functions' bodies in the module text."""
    return {i for fn, start in tool_bodies(text, functions) for i in range(start, start + len(fn["lines"]))}


def tool_bodies(text: str, functions):
    """Each tool function with the index of its body's first line in the module text."""
    lines = text.split("\n")
    index = 0
    for fn in functions:
        index = lines.index(f"def tool_{fn['name']}(rt, db, args):", index) + 1
        yield fn, index


def compute_line_map(text: str, functions, locate) -> dict[int, str]:
    """Python line number -> "file:line" of the .awm statement it came from."""
    return {
        start + offset + 1: locate(span)
        for fn, start in tool_bodies(text, functions)
        for offset, span in enumerate(fn["spans"])
        if span is not None
    }
