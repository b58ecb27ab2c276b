"""`awmc check`'s exploration of an environment, and its task checks.

- `explorer.py`: the loop: hypothesis draws call sequences (start state, acting users, a
  subset of the tools, calls), in rounds whose tool weights follow the coverage so far;
  a failure is shrunk and then minimized by dropping calls; `replay` runs a saved one.
- `arguments.py`: each call's arguments, mostly from what the spec and the sequence suggest.
- `hints.py`: what each tool's code compares its parameters with (from the handlers module).
- `coverage.py`: per tool, calls, successes and fail codes; the weights they give.
- `problems.py`: what counts as a bug after a call (`Finding`).
- `tasks.py`: the checks of each task.
"""

from .coverage import Coverage
from .explorer import Exploration, explore, replay
from .problems import Finding
from .tasks import check_task

__all__ = ["Coverage", "Exploration", "Finding", "check_task", "explore", "replay"]
