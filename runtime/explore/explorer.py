"""The exploration loop: hypothesis draws call sequences; each call is checked (problems.py).

A sequence is drawn in this order, every choice through hypothesis (so a failure shrinks):
1. where it starts: the seeded state, or (one time in three, when the spec has tasks) the
   state after one task's gold solution;
2. who acts: one of the first users, and one time in three a second one; each call then
   acts as one of them (what one user does can break a rule for another);
3. which tools it may call (swarm testing): each tool is kept with probability 1/2, so
   a sequence dwells on a few tools (six openings in a row, a booking then a reschedule)
   instead of spreading thin over all of them;
4. its calls: a tool drawn from that subset by weight (coverage.py: tools that never
   succeeded weigh most), or one time in three the previous tool again by the same user
   (a cap is reached by repeating a call); then its arguments (arguments.py).

Feedback across examples runs in rounds: the budget of sequences is split into ROUNDS
hypothesis runs, and each round draws tools with the weights of the coverage so far. Within a
round the weights are fixed, so hypothesis sees a deterministic test and can replay and
shrink a failure. The shrunk failure is then minimized by dropping whole calls.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from ..session import Environment, Session
from .arguments import ArgumentDrawer, SequenceMemory, SpecFacts, existing_keys
from .coverage import Coverage
from .problems import Finding, call_and_check

SWARM_SHARE = 0.5  # the chance that a sequence may call a given tool
ROUNDS = 4  # hypothesis runs a budget is split into; weights are updated between them
MAX_USERS = 4  # the first users of the seed act
WEIGHTED_TRIES = 4  # draws of a tool before the last one drawn is taken whatever its weight


@dataclass
class Exploration:
    """The outcome of exploring one environment."""

    finding: Finding | None
    coverage: Coverage
    sequences: int
    seconds: float
    start_states: int  # the seeded state, and one per task whose gold solution runs

    @property
    def calls(self) -> int:
        return self.coverage.calls

    @property
    def calls_per_second(self) -> float:
        return self.calls / self.seconds if self.seconds > 0 else 0.0

    def as_json(self) -> dict:
        return {
            "sequences": self.sequences,
            "calls": self.calls,
            "seconds": round(self.seconds, 2),
            "calls_per_second": round(self.calls_per_second),
            "start_states": self.start_states,
            "tools_never_succeeded": self.coverage.never_succeeded(),
            "coverage": self.coverage.as_json(),
        }


class _Found(Exception):
    """Raised inside a hypothesis example to report a problem."""


class Explorer:
    """Draws and runs call sequences over one environment, keeping the coverage across them."""

    def __init__(self, env: Environment, steps: int, focus: str | None = None):
        self.env, self.steps = env, steps
        self.focus = focus  # a tool half of the calls go to (the mutation audit's mutated tool)
        self.tools = env.tool_names
        self.facts = SpecFacts(env)
        self.coverage = Coverage(self.tools)
        self.users = acting_users(env)
        self.start_tasks = solvable_tasks(env)
        self.weights = {tool: 1 for tool in self.tools}
        self.found: list[Finding] = []
        self.sequences = 0

    def run_sequence(self, data) -> None:
        self.sequences += 1
        start_task = self.draw_start(data)
        session = self.env.session()
        try:
            if start_task is not None:
                session.run_solution(start_task)
            cast = self.draw_cast(data, session)
            tools = self.draw_swarm(data)
            memory = SequenceMemory()
            calls: list[dict] = []
            previous = None
            for _ in range(data.draw(st.integers(1, self.steps))):
                tool = self.draw_tool(data, tools, previous)
                # a repeated call is made by the same user: a cap is one user's
                acting = [calls[-1]["user"]] if tool == previous and calls else cast
                previous = self.run_call(data, session, acting, tool, memory, calls)
                if self.found and self.found[-1].calls is calls:
                    self.found[-1].start_task = start_task
                    raise _Found(self.found[-1].message)
        finally:
            session.close()

    def run_call(self, data, session: Session, cast: list, tool: str, memory: SequenceMemory, calls: list) -> str:
        """Draw one call's user and arguments, run it and check it; a problem goes to `found`."""
        session.me = cast[0] if len(cast) == 1 else data.draw(st.sampled_from(cast))
        _, writes, validator = self.env.handlers[tool]
        args = ArgumentDrawer(self.facts, data, session, memory).arguments(tool, validator.params)
        result, problem = call_and_check(session, tool, args)
        self.coverage.record(tool, result)
        calls.append({"tool": tool, "arguments": args, "user": session.me, "result": result})
        if result["ok"]:
            if writes:
                memory.forget_stored()
            memory.remember(self.facts, result["result"], written=writes)
        if problem is not None:
            self.found.append(Finding(problem[0], problem[1], calls, problem[2], calls[0]["user"]))
        return tool

    def draw_start(self, data) -> str | None:
        if not self.start_tasks or data.draw(st.integers(0, 2)) > 0:
            return None
        return data.draw(st.sampled_from(self.start_tasks))

    def draw_cast(self, data, session: Session) -> list:
        users = existing_users(session, self.users)
        cast = [data.draw(st.sampled_from(users))]
        if len(users) > 1 and data.draw(st.booleans()):
            cast.append(data.draw(st.sampled_from([u for u in users if u != cast[0]])))
        return cast

    def draw_swarm(self, data) -> list[str]:
        """The tools this sequence may call: all of them, or every other sequence a subset
        that keeps each with probability SWARM_SHARE (never none). One draw seeds the
        subset (a draw per tool costs more than many calls)."""
        if data.draw(st.booleans()):
            return self.tools
        chooser = random.Random(data.draw(st.integers(0, 2**32 - 1)))
        kept = [tool for tool in self.tools if chooser.random() < SWARM_SHARE]
        return kept or self.tools

    def draw_tool(self, data, tools: list[str], previous: str | None) -> str:
        """The previous tool again one time in three, else a tool of `tools` by weight: drawn
        uniformly and kept with probability weight / heaviest (a few tries). Hypothesis draws
        small numbers far more often than large ones, so a weighted pick is never one number
        mapped onto a scale of weights."""
        if self.focus is not None and data.draw(st.booleans()):
            return self.focus
        if previous is not None and previous in tools and data.draw(st.integers(0, 2)) == 0:
            return previous
        heaviest = max(self.weights[t] for t in tools)
        tool = tools[0]
        for _ in range(WEIGHTED_TRIES):
            tool = data.draw(st.sampled_from(tools))
            if data.draw(st.sampled_from(range(heaviest))) < self.weights[tool]:
                break
        return tool

    def run_round(self, seed: int, examples: int) -> None:
        """One hypothesis run of `examples` sequences with the current weights."""

        @hypothesis_seed(seed)
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=False,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.generate, Phase.shrink],
        )
        @given(data=st.data())
        def run(data):
            self.run_sequence(data)

        run()


def explore(
    env: Environment, seed: int = 0, max_examples: int = 500, steps: int = 20, focus: str | None = None
) -> Exploration:
    """Search for a call sequence that breaks an invariant, crashes, hits an undeclared
    constraint or changes another user's rows. The result holds the minimal such sequence
    found, if any, and the coverage of every call made (none when there are no tools). With
    `focus` (a tool), half of the calls are to it."""
    start = time.perf_counter()
    explorer = Explorer(env, steps, focus if focus in env.tool_names else None)
    rounds = min(ROUNDS, max_examples) if explorer.tools else 0
    for number in range(rounds):
        explorer.weights = {tool: explorer.coverage.weight(tool) for tool in explorer.tools}
        examples = max_examples // rounds + (number < max_examples % rounds)
        try:
            explorer.run_round(seed * ROUNDS + number, examples)
        except _Found:
            break
    finding = (
        minimize(env, explorer.found[-1]) if explorer.found else None
    )  # hypothesis replays its shrunk example last
    return Exploration(
        finding, explorer.coverage, explorer.sequences, time.perf_counter() - start, 1 + len(explorer.start_tasks)
    )


def acting_users(env: Environment) -> list:
    """The users a sequence may act as: the first few rows of the env's user entity (None, the
    unchecked default, when no user is seeded)."""
    if env.user_entity is None:
        return [None]
    session = env.session()
    keys = existing_keys(session, env.user_entity)[:MAX_USERS] or [None]
    session.close()
    return keys


def existing_users(session: Session, users: list) -> list:
    """The users that still exist in the session's state (a gold solution may delete one)."""
    entity = session.env.user_entity
    if entity is None or users == [None]:
        return users
    present = set(existing_keys(session, entity))
    return [u for u in users if u in present] or users


def solvable_tasks(env: Environment) -> list[str]:
    """Tasks whose gold solution runs cleanly from the seeded state: their end states are
    starting points of exploration."""
    tasks = []
    for task, (_, solution, _) in sorted(env.tasks.items()):
        if solution is None:
            continue
        session = env.session()
        try:
            if session.run_solution(task)["ok"] and not session.check_invariants():
                tasks.append(task)
        finally:
            session.close()
    return tasks


def minimize(env: Environment, finding: Finding) -> Finding:
    """Drop every call that the problem does not need (hypothesis shrinks the drawn data,
    which can leave harmless calls in the sequence), and the gold solution it started after
    if the problem shows without it."""
    calls = [
        {"tool": c["tool"], "arguments": c["arguments"], "user": c.get("user", finding.user)} for c in finding.calls
    ]
    changed = True
    while changed and len(calls) > 1:
        changed = False
        for i in range(len(calls)):
            candidate = calls[:i] + calls[i + 1 :]
            results, problem = replay(env, candidate, finding.user, finding.start_task)
            if problem is not None and problem[0] == finding.kind and len(results) == len(candidate):
                calls, changed = candidate, True
                break
    start_task = finding.start_task
    if start_task is not None:  # the seeded state will do if the problem shows from it too
        results, problem = replay(env, calls, finding.user)
        if problem is not None and problem[0] == finding.kind and len(results) == len(calls):
            start_task = None
    results, problem = replay(env, calls, finding.user, start_task)
    if problem is None:  # did not happen again (it should: sessions are deterministic)
        return finding
    shown = [{**c, "result": r} for c, r in zip(calls, results)]
    return Finding(problem[0], problem[1], shown, problem[2], shown[0]["user"], start_task)


def replay(
    env: Environment, calls: list[dict], user=None, start_task: str | None = None
) -> tuple[list[dict], tuple[str, str, dict] | None]:
    """Run a saved call sequence in a fresh session (after `start_task`'s gold solution, run
    as the default user, if given), each call as its own `user` or else as `user`: the
    results, and the first problem. An unknown user or task raises SessionError."""
    session = env.session()
    try:
        if start_task is not None:
            session.run_solution(start_task)
        users = {}  # as given -> as stored ("3" -> 3): users of the seeded state
        for u in [user, *(c["user"] for c in calls if "user" in c)]:
            if u is not None and u not in users:
                users[u] = env.seeded_user(u) if env.user_entity is not None else u
        default = session.me if user is None else users[user]
        results = []
        for c in calls:
            session.me = users[c["user"]] if c.get("user") is not None else default
            result, problem = call_and_check(session, c["tool"], c["arguments"])
            results.append(result)
            if problem is not None:
                return results, problem
        return results, None
    finally:
        session.close()
