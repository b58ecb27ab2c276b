"""Problems of an import (errors and warnings) and where in the input they are, and the report's
way of saying a problem repeated on many lines once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Where:
    file: str
    line: int

    def short(self) -> str:
        return f"{Path(self.file).name}:{self.line}"

    def human(self) -> str:
        """`file:line`, or the file alone for a problem with the whole file (line 0)."""
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass
class Problem:
    level: str  # "error" (bad input; exit 1) or "warning" (approximated or skipped)
    message: str
    where: Where | None = None

    def as_json(self) -> dict:
        return {
            "level": self.level,
            "message": self.message,
            "file": self.where.file if self.where else None,
            "line": self.where.line if self.where else None,
        }

    def human(self) -> str:
        return f"{self.where.human()}: {self.level}: {self.message}" if self.where else f"{self.level}: {self.message}"


class Problems(list):
    def has_errors(self) -> bool:
        return any(p.level == "error" for p in self)

    def error(self, message: str, where: Where | None = None) -> None:
        self.append(Problem("error", message, where))

    def warn(self, message: str, where: Where | None = None) -> None:
        self.append(Problem("warning", message, where))


def aggregated(problems: list[Problem]) -> list[str]:
    """One line per distinct problem: a message repeated on many lines (every line of a
    gen_verifier file, say) is said once, with how many and where the first is."""
    groups: dict[tuple[str, str], list[Problem]] = {}
    for p in problems:
        groups.setdefault((p.level, p.message), []).append(p)
    lines = []
    for (level, message), group in groups.items():
        first = group[0]
        if len(group) == 1:
            lines.append(first.human())
            continue
        at = f"first at {first.where.human()}" if first.where else None
        if message.endswith("; line skipped") and first.where:
            lines.append(f"{level}: {len(group)} lines skipped: {message.removesuffix('; line skipped')} ({at})")
        else:
            lines.append(f"{level}: {message} ({len(group)} times{'; ' + at if at else ''})")
    return lines
