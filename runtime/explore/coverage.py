"""What the exploration reached: per tool, calls, successes, each fail code and which ways its
guards were taken (guards.py); and the invariants that no successful call could have broken.
The same counts steer it: a tool that has not yet succeeded, or only rarely, is drawn more often."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from awmlang.text import counted

from .guards import Guard, record_guards

NEVER_SUCCEEDED_WEIGHT = 4  # a tool that never succeeded is drawn this many times as often as a common one


@dataclass
class ToolCoverage:
    calls: int = 0
    successes: int = 0
    failures: Counter = field(default_factory=Counter)  # fail code -> calls that ended in it
    guards: list[Guard] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "calls": self.calls,
            "successes": self.successes,
            "failures": dict(sorted(self.failures.items())),
            "guards": [g.as_json() for g in self.guards],
        }


class Coverage:
    """Counts of every call the exploration made, per tool. `guards` holds each tool's guards
    (guards.py) and `invariants_after` the invariants each tool's successful calls may break."""

    def __init__(
        self,
        tools: list[str],
        guards: dict[str, list[Guard]] | None = None,
        invariants_after: dict[str, tuple[str, ...]] | None = None,
    ):
        self.tools = {tool: ToolCoverage(guards=(guards or {}).get(tool, [])) for tool in tools}
        self.invariants_after = invariants_after or {}

    def record(self, tool: str, result: dict) -> None:
        counts = self.tools[tool]
        counts.calls += 1
        if result["ok"]:
            counts.successes += 1
        else:
            counts.failures[result["error"]["code"]] += 1
        record_guards(counts.guards, result)

    @property
    def calls(self) -> int:
        return sum(c.calls for c in self.tools.values())

    def weight(self, tool: str) -> int:
        """How often to draw `tool`, relative to others: 1 for a tool that succeeded often, up
        to NEVER_SUCCEEDED_WEIGHT for one that never did. A fail code reached only once or
        twice adds one: the guards around it are worth another look."""
        counts = self.tools[tool]
        rare_codes = sum(1 for n in counts.failures.values() if n <= 2)
        return max(1, NEVER_SUCCEEDED_WEIGHT // (1 + counts.successes)) + min(rare_codes, 2)

    def never_succeeded(self) -> list[str]:
        return [tool for tool, counts in self.tools.items() if counts.successes == 0]

    def guards(self) -> list[tuple[str, Guard]]:
        return [(tool, g) for tool, counts in sorted(self.tools.items()) for g in counts.guards]

    def guards_never(self, way: str) -> list[dict]:
        """The guards no call was seen to take `way` ("failed" or "passed"), with their tools."""
        return [{"tool": tool, **g.as_json()} for tool, g in self.guards() if getattr(g, way) == 0]

    def invariants_unexercised(self) -> list[str]:
        """The invariants whose tables no successful call wrote: nothing explored could break
        them. (One whose tables no tool writes is left out: no call can break it.)"""
        exercised = {
            name
            for tool, counts in self.tools.items()
            if counts.successes
            for name in self.invariants_after.get(tool, ())
        }
        every = {name for names in self.invariants_after.values() for name in names}
        return sorted(every - exercised)

    def summary(self) -> str:
        """One line: how many tools succeeded, guards were taken both ways and invariants could
        have been broken, and a warning naming the tools that never succeeded (dead tools, or
        blind spots of the explorer)."""
        dead = self.never_succeeded()
        line = f"{len(self.tools) - len(dead)} of {counted(len(self.tools), 'tool')} succeeded at least once"
        guards = self.guards()
        if guards:
            both = sum(1 for _, g in guards if g.failed and g.passed != 0)
            line += f", {both} of {counted(len(guards), 'guard')} failed and passed"
        unexercised = self.invariants_unexercised()
        if unexercised:
            line += f", {counted(len(unexercised), 'invariant')} never exercised"
        if dead:
            shown = ", ".join(dead[:5]) + (f" and {len(dead) - 5} more" if len(dead) > 5 else "")
            line += f"; warning: {len(dead)} never did (dead, or out of the explorer's reach): {shown}"
        return line

    def as_json(self) -> dict:
        return {tool: counts.as_json() for tool, counts in sorted(self.tools.items())}
