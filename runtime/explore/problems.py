"""What counts as a bug after a call, and the record of one found (`Finding`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..session import Session


@dataclass
class Finding:
    """A problem and the shortest call sequence found that shows it."""

    kind: str  # internal_error | constraint_violation | invariant_violation | ownership_violation
    message: str
    calls: list[dict] = field(default_factory=list)  # tool, arguments, user, result
    details: dict = field(default_factory=dict)
    user: object = 1  # the acting user of the first call
    start_task: str | None = None  # the sequence ran after this task's gold solution

    @property
    def users(self) -> list:
        """The acting users, in the order they first act."""
        return list(dict.fromkeys(c.get("user", self.user) for c in self.calls))

    def as_json(self, spec: str, seed: int) -> dict:
        return {
            "spec": spec,
            "seed": seed,
            "kind": self.kind,
            "message": self.message,
            "user": self.user,
            "start_task": self.start_task,
            "details": self.details,
            "calls": [
                {"tool": c["tool"], "arguments": c["arguments"], "user": c.get("user", self.user)} for c in self.calls
            ],
        }


def owned_entities_written(session: Session, tool: str) -> list[str]:
    """The `@@owned_by` entities whose tables `tool` may write (TOOLS records its writes): only
    their rows can a call of it change."""
    written = session.env.handlers[tool][1] if tool in session.env.handlers else ()
    return [entity for entity, (table, _, _) in session.env.owners.items() if table in written]


def others_rows(session: Session, entities: list[str]) -> dict[str, dict]:
    """Rows of `@@owned_by` entities that belong to someone other than the acting user."""
    out = {}
    for entity in entities:
        table, key, owner = session.env.owners[entity]
        rows = session.query(f'SELECT "{key}", * FROM "{table}" WHERE {owner} IS NOT ?', (session.me,))
        out[entity] = {r[0]: r[1:] for r in rows}
    return out


def problem_after(
    session: Session, tool: str, result: dict, before: dict | None = None
) -> tuple[str, str, dict] | None:
    """What is wrong after a call, if anything: (kind, message, details). `before` holds the
    other users' owned rows from before the call."""
    if before and result["ok"]:
        after = others_rows(session, list(before))
        for entity, rows in before.items():
            changed = sorted(
                (set(rows) | set(after[entity])) - {k for k in rows if after[entity].get(k) == rows[k]}, key=repr
            )
            if changed:
                return (
                    "ownership_violation",
                    f"`{tool}` called by user {session.me!r} changed {entity} rows of other users: {changed[:10]}",
                    {"entity": entity, "rows": changed[:20], "user": session.me},
                )
    if not result["ok"]:
        code = result["error"]["code"]
        if code == "internal_error":
            return "internal_error", f"`{tool}` crashed: {result['error']['message']}", result["error"]["details"]
        if code == "constraint_violation":
            return (
                "constraint_violation",
                f"`{tool}` let a write reach a database constraint instead of "
                f"failing with a declared code: {result['error']['message']}",
                result["error"]["details"],
            )
    # the sequence held every invariant before this call (it stops at the first problem), and a
    # failed call is rolled back: only those a successful call of this tool may break can be broken
    broken = session.check_invariants(after=tool) if result["ok"] else []
    if broken:
        names = ", ".join(f"{v['invariant']} ({v['entity'] or 'state'} {v['rows']})" for v in broken)
        return "invariant_violation", f"after `{tool}`, broken: {names}", {"violations": broken}
    return None


def call_and_check(session: Session, tool: str, arguments: dict) -> tuple[dict, tuple[str, str, dict] | None]:
    """Run one call as `session.me`: its result, and what is wrong afterwards, if anything."""
    before = others_rows(session, owned_entities_written(session, tool))
    result = session.call(tool, arguments)
    return result, problem_after(session, tool, result, before)
