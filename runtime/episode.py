"""Episodes: the in-process interface for RL loops (one task, one isolated session, a reward).

    ep = env.episode(task="checkout_cart")          # or env.episode(instruction="free text")
    ep.prompt, ep.tools                              # the instruction and OpenAI-format tools
    obs = ep.step({"name": "add_to_cart", "arguments": {"product": 3}})   # or an OpenAI tool_call
    result = ep.finish(answer="...")                 # runs the task's verifier

Episodes share their Environment (the compiled spec is loaded once per process); each owns
one Session, so N episodes cost N in-memory databases and nothing more.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from awmlang.text import counted

from .errors import error_result

if TYPE_CHECKING:  # an Environment makes episodes (Environment.episode): no import cycle at run time
    from .session import Environment


class EpisodeFinished(RuntimeError):
    pass


class Episode:
    def __init__(
        self,
        env: Environment,
        task: str | None = None,
        instruction: str | None = None,
        user=None,
        invariants: str = "off",
        max_steps: int | None = None,
    ):
        if (task is None) == (instruction is None):
            raise ValueError("give exactly one of task= (a task of the spec) or instruction= (free text)")
        if task is not None and (not isinstance(task, str) or task not in env.tasks):
            raise env.unknown_task(task)
        self.env = env
        self.task = task
        self.prompt: str = env.tasks[task][0] if task is not None else str(instruction)
        self.session = env.session(user=user, invariants=invariants)
        self.max_steps = max_steps
        self.history: list[dict] = []
        self.result: dict | None = None

    @property
    def tools(self) -> list[dict]:
        """Tool schemas in OpenAI function-calling format."""
        return self.env.tools

    @property
    def done(self) -> bool:
        return self.result is not None

    def step(self, call: Any) -> dict:
        """Run one tool call: a {"name", "arguments"} dict, an OpenAI tool_call (object or dict),
        with arguments as a dict or a JSON string. Returns the call's result; a malformed call is
        an `invalid_arguments` result, never an exception."""
        if self.done:
            raise EpisodeFinished("the episode is finished; start a new one")
        start = time.perf_counter()
        name, arguments, call_id, problem = parse_tool_call(call)
        if problem is not None:
            result = error_result("invalid_arguments", problem, {})
        elif self.max_steps is not None and len(self.history) >= self.max_steps:
            result = error_result(
                "max_steps", f"this episode allows at most {counted(self.max_steps, 'tool call')}", {}
            )
        else:
            assert name is not None  # parse_tool_call names a problem otherwise
            result = self.session.call(name, arguments)
        self.history.append(
            {
                "id": call_id,
                "name": name,
                "arguments": arguments,
                "result": result,
                "seconds": round(time.perf_counter() - start, 6),
            }
        )
        return result

    def finish(self, answer: str | None = None) -> dict:
        """End the episode: the task's verifier (reward, passed, checks), the answer and the
        number of steps. A free-text episode has no verifier: reward and passed are None."""
        if self.result is not None:
            return self.result
        if self.task is not None:
            report = self.session.verify(self.task, answer=answer)
        else:
            report = {"task": None, "reward": None, "passed": None, "checks": []}
        self.result = {
            **report,
            "answer": answer,
            "steps": len(self.history),
            "invariant_violations": self.session.check_invariants(),
        }
        return self.result

    def close(self) -> None:
        self.session.close()


def parse_tool_call(call: Any) -> tuple[str | None, dict, str | None, str | None]:
    """(name, arguments, call id, problem) from the shapes agents and SDKs produce."""
    call_id = None
    if hasattr(call, "function"):  # an OpenAI SDK tool_call object
        call_id = getattr(call, "id", None)
        call = {"name": call.function.name, "arguments": call.function.arguments}
    elif isinstance(call, dict) and isinstance(call.get("function"), dict):  # its dict form
        call_id = call.get("id")
        call = call["function"]
    if not isinstance(call, dict) or not isinstance(call.get("name"), str):
        return None, {}, call_id, "a tool call needs a string `name` and `arguments`"
    arguments = call.get("arguments") or {}
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError as exc:
            return call["name"], {}, call_id, f"the arguments are not valid JSON: {exc.msg} at column {exc.colno}"
    if not isinstance(arguments, dict):
        return call["name"], {}, call_id, "the arguments must be a JSON object"
    return call["name"], arguments, call_id, None
