"""`awmc agent`: run a model on a spec's tasks through any OpenAI-compatible chat-completions API.

    env = awmlang.load("tests/broken/store.awm")
    client = openai.OpenAI(api_key=..., base_url=..., max_retries=0)
    trajectory = run_episode(env, "buy_two_mugs", client, "gpt-4o-mini")
    trajectory["reward"], trajectory["stopped"], trajectory["messages"]

The loop: the task's instruction goes to the model with the spec's tools; every tool call the
model makes is run in the episode and its result sent back as a `tool` message; the episode
ends when the model answers without a tool call (that message's content is the answer), after
`max_turns` model calls, or when the API fails for good. Malformed tool calls are not errors
of the runner: the episode answers them with an `invalid_arguments` result, and the model can
correct itself. Server errors (HTTP 5xx, 429) and connection errors are retried with
exponential backoff, at most MAX_RETRIES times per turn, and every retry is recorded.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import openai

from awmlang.console import UsageError, load_env, report_stream, table
from awmlang.runtime.errors import json_text, valid_text
from awmlang.text import counted

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_MAX_TURNS = 20
DEFAULT_TIMEOUT = 120.0
MAX_RETRIES = 3
BACKOFF_SECONDS = 1.0
RETRYABLE = (openai.InternalServerError, openai.RateLimitError, openai.APIConnectionError)
SYSTEM_PROMPT = (
    "You act for the user through the tools you are given. Use them to carry out the user's "
    "request. When you are done, reply with your final answer and no tool call."
)


class EmptyResponse(openai.OpenAIError):
    """The API answered, but not with a usable chat completion."""


# ---- one episode ----------------------------------------------------------------------------


def run_episode(
    env,
    task: str,
    client: openai.OpenAI,
    model: str,
    max_turns: int = DEFAULT_MAX_TURNS,
    temperature: float | None = None,
    *,
    system: str | None = SYSTEM_PROMPT,
    backoff: float = BACKOFF_SECONDS,
) -> dict:
    """Run `model` on one task of `env` in a fresh episode; the trajectory as a JSON-ready dict:
    messages, turns (timings, retries, usage), calls with their results, why it stopped, and
    the verifier's reward and checks."""
    episode = env.episode(task=task)
    trajectory = new_trajectory(env, task, model, max_turns, temperature, str(client.base_url))
    trajectory["messages"] = opening_messages(system, episode.prompt)
    start = time.perf_counter()
    try:
        answer = converse(episode, client, trajectory, backoff)
        result = episode.finish(answer=answer)
    finally:
        episode.close()
    trajectory.update(
        {key: result[key] for key in ("answer", "reward", "passed", "checks", "steps", "invariant_violations")}
    )
    trajectory["seconds"] = round(time.perf_counter() - start, 3)
    return trajectory


def new_trajectory(env, task: str, model: str, max_turns: int, temperature: float | None, base_url: str) -> dict:
    return {
        "env": env.name,
        "task": task,
        "model": model,
        "base_url": base_url,
        "max_turns": max_turns,
        "temperature": temperature,
        "started_at": utc_now().isoformat(timespec="seconds"),
        "stopped": None,
        "error": None,
        "messages": [],
        "turns": [],
        "calls": [],
        "retries": [],
    }


def opening_messages(system: str | None, prompt: str) -> list[dict]:
    messages = [{"role": "system", "content": system}] if system else []
    return messages + [{"role": "user", "content": prompt}]


def converse(episode, client: openai.OpenAI, trajectory: dict, backoff: float) -> str | None:
    """The tool-calling loop. Sets trajectory["stopped"] ("answer", "max_turns" or "api_error")
    and returns the final answer: the content of the message without tool calls, or else the
    last content the model wrote (None if it wrote none)."""
    last_content = None
    for turn in range(1, trajectory["max_turns"] + 1):
        try:
            message = ask_model(client, trajectory, episode.tools, turn, backoff)
        except openai.OpenAIError as exc:
            trajectory["stopped"], trajectory["error"] = "api_error", describe_error(exc)
            return last_content
        trajectory["messages"].append(assistant_message(message))
        last_content = message.content or last_content
        if not message.tool_calls:
            trajectory["stopped"] = "answer"
            return message.content
        run_tool_calls(episode, message.tool_calls, trajectory, turn)
    trajectory["stopped"] = "max_turns"
    return last_content


def ask_model(client: openai.OpenAI, trajectory: dict, tools: list[dict], turn: int, backoff: float):
    """One chat completion, retried on server and connection errors; the assistant message."""
    attempt = 1
    while True:
        start = time.perf_counter()
        try:
            response = client.chat.completions.create(**completion_request(trajectory, tools))
            break
        except RETRYABLE as exc:
            if attempt > MAX_RETRIES:
                raise
            wait = backoff * 2 ** (attempt - 1)
            trajectory["retries"].append({"turn": turn, "attempt": attempt, "error": describe_error(exc), "wait": wait})
            time.sleep(wait)
            attempt += 1
    check_response(response)
    record_turn(trajectory, turn, response, time.perf_counter() - start, attempt)
    return response.choices[0].message


def check_response(response) -> None:
    """Refuse an answer that is not a chat completion (an HTML error page, a message of null,
    a tool call without a function): the episode then ends with `api_error`, not a crash."""
    choices = getattr(response, "choices", None)
    if not choices:
        raise EmptyResponse(
            "the API returned no choices"
            if choices is not None
            else f"the API's answer is not a chat completion: {str(response)[:200]!r}"
        )
    message = getattr(choices[0], "message", None)
    if message is None:
        raise EmptyResponse("the API returned a choice without a message")
    for call in message.tool_calls or []:
        if getattr(call, "function", None) is None or not getattr(call.function, "name", None):
            raise EmptyResponse("the API returned a tool call without a function name")


def completion_request(trajectory: dict, tools: list[dict]) -> dict:
    request = {"model": trajectory["model"], "messages": trajectory["messages"]}
    if tools:  # the API rejects an empty tools list
        request["tools"] = tools
    if trajectory["temperature"] is not None:
        request["temperature"] = trajectory["temperature"]
    return request


def record_turn(trajectory: dict, turn: int, response, seconds: float, attempts: int) -> None:
    choice = response.choices[0]
    trajectory["turns"].append(
        {
            "turn": turn,
            "seconds": round(seconds, 3),
            "attempts": attempts,
            "finish_reason": choice.finish_reason,
            "tool_calls": len(choice.message.tool_calls or []),
            "usage": response.usage.model_dump(exclude_none=True) if response.usage else None,
        }
    )


def assistant_message(message) -> dict:
    """The assistant message as sent back to the API on the next turn (a lone surrogate in it,
    which the API could not take back, as U+FFFD)."""
    out = {"role": "assistant", "content": valid_text(message.content)}
    if message.tool_calls:
        out["tool_calls"] = [tool_call_dict(call) for call in message.tool_calls]
    return out


def tool_call_dict(call) -> dict:
    if getattr(call, "function", None) is None:
        return call.model_dump(exclude_none=True)
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": valid_text(call.function.name), "arguments": valid_text(call.function.arguments)},
    }


def run_tool_calls(episode, tool_calls, trajectory: dict, turn: int) -> None:
    """Run each call in the episode (a malformed one comes back as an `invalid_arguments`
    result) and answer it with a `tool` message."""
    for call in tool_calls:
        result = episode.step(call)
        step = episode.history[-1]
        function = getattr(call, "function", None)
        trajectory["calls"].append(
            {
                "turn": turn,
                "id": call.id,
                "name": step["name"],
                "arguments": function.arguments if function is not None else None,
                "result": result,
                "seconds": step["seconds"],
            }
        )
        trajectory["messages"].append(
            {"role": "tool", "tool_call_id": call.id, "content": json_text(result, default=str)}
        )


def describe_error(exc: Exception) -> str:
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}: {exc.message}"
    return f"{type(exc).__name__}: {exc}"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# ---- many episodes ----------------------------------------------------------------------------


def run_tasks(
    env,
    tasks: list[str],
    client: openai.OpenAI,
    model: str,
    max_turns: int = DEFAULT_MAX_TURNS,
    temperature: float | None = None,
    concurrency: int = 4,
    on_done=None,
    **options,
) -> list[dict]:
    """Run every task in its own episode, `concurrency` at a time (threads); the trajectories in
    the order of `tasks`. `on_done(trajectory)` is called as each one finishes."""
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = {
            pool.submit(run_episode, env, task, client, model, max_turns, temperature, **options): task
            for task in tasks
        }
        done = {}
        for future in as_completed(futures):
            done[futures[future]] = future.result()
            if on_done is not None:
                on_done(done[futures[future]])
    return [done[task] for task in tasks]


def summary_row(trajectory: dict) -> dict:
    return {
        "task": trajectory["task"],
        "reward": trajectory["reward"],
        "passed": trajectory["passed"],
        "turns": len(trajectory["turns"]),
        "seconds": trajectory["seconds"],
        "stopped": trajectory["stopped"],
    }


def mean_reward(trajectories: list[dict]) -> float:
    rewards = [t["reward"] or 0.0 for t in trajectories]
    return round(sum(rewards) / len(rewards), 6) if rewards else 0.0


# ---- the command ----------------------------------------------------------------------------


def register(subparsers) -> None:
    """Add `awmc agent` to awmc's argument parser."""
    a = subparsers.add_parser("agent", help="run a model on a spec's tasks (OpenAI-compatible chat completions)")
    a.add_argument("spec", help="a .awm spec or a build directory")
    which = a.add_mutually_exclusive_group(required=True)
    which.add_argument("--task", help="the task to run")
    which.add_argument("--all-tasks", action="store_true", help="run every task of the spec")
    a.add_argument("--model", help=f"the model (default: $OPENAI_MODEL, else {DEFAULT_MODEL})")
    a.add_argument("--base-url", help="the API's base URL (default: $OPENAI_BASE_URL, else OpenAI's)")
    a.add_argument("--api-key", help="the API key (default: $OPENAI_API_KEY)")
    a.add_argument(
        "--max-turns", type=int, default=DEFAULT_MAX_TURNS, help="model calls per episode before it is stopped"
    )
    a.add_argument("--temperature", type=float, help="sampling temperature (default: the server's)")
    a.add_argument("--concurrency", type=int, default=4, help="episodes run at once with --all-tasks")
    a.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds to wait for one API response")
    a.add_argument("--system", default=SYSTEM_PROMPT, help='the system prompt; "" for none')
    a.add_argument("--out", help="where to save the trajectory JSON (default: runs/<spec>-<task>-<UTC time>.json)")
    a.add_argument("--json", action="store_true", help="also print the saved JSON on stdout")
    a.set_defaults(fn=cmd_agent)


def cmd_agent(args) -> int:
    check_numbers(args)
    client = make_client(args)
    env = load_env(args.spec)
    tasks = chosen_tasks(env, args)
    model = args.model or os.environ.get("OPENAI_MODEL") or DEFAULT_MODEL
    out = output_path(args, "all" if args.all_tasks else args.task)
    settings = {"max_turns": args.max_turns, "temperature": args.temperature, "system": args.system or None}
    if args.all_tasks:
        return agent_all(env, tasks, client, model, settings, args, out)
    return agent_one(env, args.task, client, model, settings, args, out)


def check_numbers(args) -> None:
    if args.max_turns < 1:
        raise UsageError("--max-turns must be at least 1")
    if args.concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    if args.timeout <= 0:
        raise UsageError("--timeout must be positive")


def make_client(args) -> openai.OpenAI:
    """The API client from the flags or the standard OPENAI_* variables. Our own loop does the
    retries (so they are recorded), hence max_retries=0."""
    api_key = args.api_key or os.environ.get("OPENAI_API_KEY")
    if not api_key:
        raise UsageError("no API key: set OPENAI_API_KEY or pass --api-key")
    base_url = args.base_url or os.environ.get("OPENAI_BASE_URL") or None
    return openai.OpenAI(api_key=api_key, base_url=base_url, max_retries=0, timeout=args.timeout)


def chosen_tasks(env, args) -> list[str]:
    from awmlang.compiler.diagnostics import did_you_mean

    if args.all_tasks:
        if not env.tasks:
            raise UsageError(f"{args.spec} has no tasks")
        return sorted(env.tasks)
    if args.task not in env.tasks:
        hint = did_you_mean(args.task, env.tasks)
        raise UsageError(f"{args.spec} has no task `{args.task}`" + (f"; {hint}" if hint else ""))
    return [args.task]


def output_path(args, label: str) -> Path:
    """The file to save into (its folder is created now, so a bad path fails before the run)."""
    if args.out:
        path = Path(args.out)
    else:
        stamp = utc_now().strftime("%Y%m%dT%H%M%SZ")
        path = unused(Path("runs") / f"{Path(args.spec).stem}-{label}-{stamp}.json")
    if path.is_dir():
        raise UsageError(f"--out {path} is a directory; name a file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create {path.parent}: {exc.strerror}")
    return path


def unused(path: Path) -> Path:
    n = 1
    candidate = path
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        n += 1
    return candidate


def save_json(path: Path, data: dict) -> None:
    try:
        path.write_text(json_text(data, indent=2, default=str) + "\n", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}")


def agent_one(env, task: str, client, model: str, settings: dict, args, out: Path) -> int:
    trajectory = {"spec": str(args.spec), **run_episode(env, task, client, model, **settings)}
    save_json(out, trajectory)
    if args.json:
        print(json_text(trajectory, indent=2, default=str))
    report = report_stream(args.json)
    report.write(describe_episode(trajectory) + "\n")
    for check in trajectory["checks"]:
        if not check["passed"]:
            report.write(
                f"  failed: expect {check['expect']} (observed {json.dumps(check['observed'], default=str)})\n"
            )
    report.flush()
    sys.stderr.write(f"trajectory saved to {out}\n")
    return 0 if trajectory["passed"] else 1


def describe_episode(trajectory: dict) -> str:
    line = (
        f"{trajectory['task']}: reward {trajectory['reward']}"
        f" ({'passed' if trajectory['passed'] else 'not passed'}), {counted(len(trajectory['turns']), 'turn')},"
        f" {counted(len(trajectory['calls']), 'tool call')}, {trajectory['seconds']:.2f} s; stopped: {trajectory['stopped']}"
    )
    if trajectory["retries"]:
        line += f"; {counted(len(trajectory['retries']), 'retry')}"
    if trajectory["error"]:
        line += f"; {trajectory['error']}"
    return line


def agent_all(env, tasks: list[str], client, model: str, settings: dict, args, out: Path) -> int:
    finished = []

    def progress(trajectory: dict) -> None:
        finished.append(trajectory)
        sys.stderr.write(f"[{len(finished)}/{len(tasks)}] {describe_episode(trajectory)}\n")

    start = time.perf_counter()
    trajectories = run_tasks(env, tasks, client, model, concurrency=args.concurrency, on_done=progress, **settings)
    rows = [summary_row(t) for t in trajectories]
    report = {
        "spec": str(args.spec),
        "model": model,
        "base_url": str(client.base_url),
        "concurrency": args.concurrency,
        "seconds": round(time.perf_counter() - start, 3),
        "mean_reward": mean_reward(trajectories),
        "passed": sum(bool(r["passed"]) for r in rows),
        "tasks": rows,
        "trajectories": trajectories,
    }
    save_json(out, report)
    if args.json:
        print(json_text(report, indent=2, default=str))
    summary = report_stream(args.json)
    summary.write(
        table(
            ("task", "reward", "passed", "turns", "seconds"),
            [(r["task"], r["reward"], "yes" if r["passed"] else "no", r["turns"], f"{r['seconds']:.2f}") for r in rows],
        )
    )
    summary.write(
        f"mean reward {report['mean_reward']:.3f}; {report['passed']} of {counted(len(rows), 'task')} passed\n"
    )
    summary.flush()
    sys.stderr.write(f"report saved to {out}\n")
    return 0 if report["passed"] == len(rows) else 1
