"""What the exploration reached: per tool, calls, successes and each fail code. The same counts
steer it: a tool that has not yet succeeded, or only rarely, is drawn more often."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from awmlang.text import counted

NEVER_SUCCEEDED_WEIGHT = 4  # a tool that never succeeded is drawn this many times as often as a common one


@dataclass
class ToolCoverage:
    calls: int = 0
    successes: int = 0
    failures: Counter = field(default_factory=Counter)  # fail code -> calls that ended in it

    def as_json(self) -> dict:
        return {"calls": self.calls, "successes": self.successes, "failures": dict(sorted(self.failures.items()))}


class Coverage:
    """Counts of every call the exploration made, per tool."""

    def __init__(self, tools: list[str]):
        self.tools = {tool: ToolCoverage() for tool in tools}

    def record(self, tool: str, result: dict) -> None:
        counts = self.tools[tool]
        counts.calls += 1
        if result["ok"]:
            counts.successes += 1
        else:
            counts.failures[result["error"]["code"]] += 1

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

    def summary(self) -> str:
        """One line: how many tools succeeded, and a warning naming those that never did
        (dead tools, or blind spots of the explorer)."""
        dead = self.never_succeeded()
        line = f"{len(self.tools) - len(dead)} of {counted(len(self.tools), 'tool')} succeeded at least once"
        if dead:
            shown = ", ".join(dead[:5]) + (f" and {len(dead) - 5} more" if len(dead) > 5 else "")
            line += f"; warning: {len(dead)} never did (dead, or out of the explorer's reach): {shown}"
        return line

    def as_json(self) -> dict:
        return {tool: counts.as_json() for tool, counts in sorted(self.tools.items())}
