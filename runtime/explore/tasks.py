"""The checks of a task: its verifier is not vacuous, and its gold solution runs and passes."""

from __future__ import annotations

import json

from ..session import Environment


def check_task(env: Environment, task: str) -> list[str]:
    """Problems with one task: a vacuous verifier, a failing gold solution, a verifier that the
    gold run does not pass, or invariants broken by the gold run."""
    problems = []
    untouched = env.session()
    if untouched.verify(task, answer="")["passed"]:
        problems.append("the verifier passes on the untouched initial state (vacuous)")
    _, solution, _ = env.tasks[task]
    if solution is None:
        problems.append("no gold solution: nothing shows that the task can be done")
        return problems
    session = env.session()
    run = session.run_solution(task)
    if not run["ok"]:
        problems.append(f"the gold solution fails: {run['error']}")
        return problems
    report = session.verify(task, answer=run["answer"])
    if not report["passed"]:
        failed = [c["expect"] for c in report["checks"] if not c["passed"]]
        problems.append(f"the gold solution does not pass its verifier: {json.dumps(failed)}")
    broken = session.check_invariants()
    if broken:
        problems.append(f"the gold solution breaks invariants: {', '.join(v['invariant'] for v in broken)}")
    return problems
