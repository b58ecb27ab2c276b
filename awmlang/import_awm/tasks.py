"""The pipeline's tasks, written as `task` blocks whose placeholder `expect` never holds."""

from __future__ import annotations

from awmlang.import_awm.literals import awm_text, comment
from awmlang.import_awm.problems import Problems, Where
from awmlang.import_awm.read import AwmRecord, get_list

NEEDS_VERIFIER = 'expect "this task needs a verifier" == ""'


def read_tasks(record: AwmRecord, problems: Problems) -> list[str]:
    tasks = []
    for i, task in enumerate(get_list(record.data, "tasks", record.where, problems, "the tasks record"), 1):
        if isinstance(task, dict):
            task = task.get("task") or task.get("instruction")
        if not isinstance(task, str) or not task.strip():
            problems.error(f"task #{i} is not a non-empty string; skipped", record.where)
            continue
        tasks.append(task.strip())
    return tasks


def render_tasks(tasks: list[str], where: Where) -> list[str]:
    out = [
        comment(f"---- tasks ({where.short()}) ----"),
        "# NEEDS VERIFIER: the pipeline's tasks come without checks. Each task's placeholder",
        f"# `{NEEDS_VERIFIER}` never holds (reward 0, so no run passes by accident);",
        "# replace it with `expect` lines over the final state, and add a `solution`.",
        "",
    ]
    width = len(str(len(tasks)))
    for i, task in enumerate(tasks, 1):
        out += [f"task task_{i:0{width}d} {awm_text(task)} {{", f"  {NEEDS_VERIFIER}", "}", ""]
    return out
