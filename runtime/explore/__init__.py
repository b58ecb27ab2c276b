"""`awmc check`'s exploration of an environment, and its task checks.

- `explorer.py`: the loop: hypothesis draws call sequences as lists of seeds (start state,
  acting users, a subset of the tools, then a seed a call), in rounds whose tool weights
  follow the coverage so far; a failure is shrunk and then minimized by dropping calls;
  `replay` runs a saved one.
- `arguments.py`: each call's arguments, mostly from what the spec and the sequence suggest.
- `hints.py`: what each tool's code compares its parameters with (from the handlers module).
- `guards.py`: each tool's guards (from the handlers module) and which ways calls took them.
- `coverage.py`: per tool, calls, successes, fail codes and guards; the invariants no
  successful call could break; the weights they give.
- `problems.py`: what counts as a bug after a call (`Finding`).
- `tasks.py`: the checks of each task.
"""

from .coverage import Coverage
from .explorer import Exploration, explore, replay
from .problems import Finding
from .tasks import check_task

__all__ = ["Coverage", "Exploration", "Finding", "check_task", "explore", "replay"]
