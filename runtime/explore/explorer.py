"""The exploration loop: hypothesis draws call sequences; each call is checked (problems.py).

Hypothesis draws a sequence as a list of numbers: the first seeds the choices of the whole
sequence, each other one seeds the choices of one call (a `random.Random` each). So hypothesis
makes a few draws a call, not dozens (its draws cost more than the calls themselves), a seed
replays exactly, and shrinking still works: hypothesis drops numbers, and so calls.
A sequence is drawn in this order:
1. where it starts: the seeded state, or (one time in three, when the spec has tasks) the
   state after one task's gold solution;
2. who acts: one of the acting users (the first few, and one of each role: `acting_users`),
   and every other time a second one; each call then acts as one of them (what one user
   does can break a rule for another);
3. which tools it may call: all of them; or (swarm testing) a subset that keeps each tool with
   probability 1/2, so a sequence dwells on a few tools (six openings in a row, a booking then
   a reschedule) instead of spreading thin over all of them; or (invariant-directed) the tools
   that write the tables of one invariant, with a few others;
4. per call: a tool of that subset by weight (coverage.py: tools that never succeeded weigh
   most), or one time in three the previous tool again by the same user (a cap is reached by
   repeating a call); then its arguments (arguments.py).

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
from .guards import tool_guards
from .problems import Finding, call_and_check

SWARM_SHARE = 0.5  # the chance that a swarm sequence may call a given tool
OTHERS_SHARE = 0.25  # the chance that an invariant-directed sequence may call a tool that is not a writer
# Hypothesis mixes the integer constants of the modules a process has imported from outside
# site-packages (ours, the generated handlers of every spec loaded so far) into its draws: a
# range that no such constant falls in keeps a seed's exploration the same in every process.
SEEDS = (2**40, 2**41 - 1)
MIN_CALLS = 5  # calls of a sequence at least (hypothesis lists average only a few more than their minimum)
ROUNDS = 4  # hypothesis runs a budget is split into; weights are updated between them
MAX_USERS = 4  # the first users of the seed act
FEW_VALUES = 4  # a user column with at most this many values (a role) adds a user of each


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
            "guards_never_failed": self.coverage.guards_never("failed"),
            "guards_never_passed": self.coverage.guards_never("passed"),
            "invariants_unexercised": self.coverage.invariants_unexercised(),
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
        self.coverage = Coverage(
            self.tools, tool_guards(self.facts.handlers_tree, self.facts.handlers_lines), env.invariants_after
        )
        self.users = acting_users(env)
        self.start_tasks = solvable_tasks(env)
        self.weights = {tool: 1 for tool in self.tools}
        self.writers = invariant_writers(env)
        self.found: list[Finding] = []
        self.sequences = 0

    def run_sequence(self, seeds: list[int]) -> None:
        """Run the sequence `seeds` stand for: seeds[0] chooses its start, users and tools, each
        later one a call."""
        self.sequences += 1
        plan = random.Random(seeds[0])
        start_task = self.choose_start(plan)
        session = self.env.session()
        try:
            if start_task is not None:
                session.run_solution(start_task)
            cast = self.choose_cast(plan, session)
            tools = self.choose_tools(plan)
            memory = SequenceMemory()
            calls: list[dict] = []
            previous = None
            for seed in seeds[1:]:
                rng = random.Random(seed)
                tool = self.choose_tool(rng, tools, previous)
                # a repeated call is made by the same user: a cap is one user's
                acting = [calls[-1]["user"]] if tool == previous and calls else cast
                previous = self.run_call(rng, session, acting, tool, memory, calls)
                if self.found and self.found[-1].calls is calls:
                    self.found[-1].start_task = start_task
                    raise _Found(self.found[-1].message)
        finally:
            session.close()

    def run_call(
        self, rng: random.Random, session: Session, cast: list, tool: str, memory: SequenceMemory, calls: list
    ) -> str:
        """Choose one call's user and arguments, run it and check it; a problem goes to `found`."""
        session.me = rng.choice(cast)
        _, writes, validator = self.env.handlers[tool]
        args = ArgumentDrawer(self.facts, rng, session, memory).arguments(tool, validator.params)
        result, problem = call_and_check(session, tool, args)
        self.coverage.record(tool, result)
        calls.append({"tool": tool, "arguments": args, "user": session.me, "result": result})
        if result["ok"]:
            if writes:
                memory.forget_reads()
            memory.remember(self.facts, result["result"], written=bool(writes))
        if problem is not None:
            self.found.append(Finding(problem[0], problem[1], calls, problem[2], calls[0]["user"]))
        return tool

    def choose_start(self, plan: random.Random) -> str | None:
        if not self.start_tasks or plan.randrange(3) > 0:
            return None
        return plan.choice(self.start_tasks)

    def choose_cast(self, plan: random.Random, session: Session) -> list:
        users = existing_users(session, self.users)
        cast = [plan.choice(users)]
        if len(users) > 1 and plan.random() < 0.5:
            cast.append(plan.choice([u for u in users if u != cast[0]]))
        return cast

    def choose_tools(self, plan: random.Random) -> list[str]:
        """The tools this sequence may call: all of them (half the sequences), a swarm subset
        keeping each with probability SWARM_SHARE (a quarter), or (the last quarter, when the
        spec has invariants that tools can break) one invariant's writers, each other tool
        kept with probability OTHERS_SHARE (what creates the rows they change)."""
        way = plan.randrange(4)
        if way < 2:
            return self.tools
        if way == 3 and self.writers:
            writers = plan.choice(self.writers)
            kept = [t for t in self.tools if t in writers or plan.random() < OTHERS_SHARE]
        else:
            kept = [tool for tool in self.tools if plan.random() < SWARM_SHARE]
        return kept or self.tools

    def choose_tool(self, rng: random.Random, tools: list[str], previous: str | None) -> str:
        """With a focus, that tool half of the time; else the previous tool again one time in
        three; else a tool of `tools` by weight."""
        if self.focus is not None and rng.random() < 0.5:
            return self.focus
        if previous is not None and previous in tools and rng.randrange(3) == 0:
            return previous
        return rng.choices(tools, weights=[self.weights[t] for t in tools])[0]

    def run_round(self, seed: int, examples: int) -> None:
        """One hypothesis run of `examples` sequences with the current weights."""
        seeds = st.lists(st.integers(*SEEDS), min_size=min(MIN_CALLS, self.steps) + 1, max_size=self.steps + 1)

        @hypothesis_seed(seed)
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=False,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.generate, Phase.shrink],
        )
        @given(seeds=seeds)
        def run(seeds):
            self.run_sequence(seeds)

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


def invariant_writers(env: Environment) -> list[frozenset[str]]:
    """Per invariant some successful call can break, the tools whose calls can (those that
    write a table it reads); one set per distinct group of tools."""
    groups = {
        frozenset(tool for tool, names in env.invariants_after.items() if name in names) for name in env.invariants
    }
    return sorted((g for g in groups if g), key=sorted)


def acting_users(env: Environment) -> list:
    """The users a sequence may act as: the first few rows of the env's user entity, and for
    each column that holds only a few values among the users (a role, an is_staff flag) the
    first user with each value, since a staff-only tool succeeds only for a staff user. None,
    the unchecked default, when no user is seeded."""
    if env.user_entity is None:
        return [None]
    table, key, _ = env.entity_keys[env.user_entity]
    session = env.session()
    try:
        users = existing_keys(session, env.user_entity)[:MAX_USERS]
        for column in [row[1] for row in session.query(f'PRAGMA table_info("{table}")') if row[1] != key]:
            groups = session.query(f'SELECT MIN("{key}") FROM "{table}" GROUP BY "{column}" ORDER BY 1')
            if 1 < len(groups) <= FEW_VALUES:
                users += [first for (first,) in groups if first not in users]
    finally:
        session.close()
    return users or [None]


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
