"""What the spec uses and which enum members it stores: the warnings about the whole spec."""

from __future__ import annotations

from .. import nodes as n
from ..types import T
from .state import CheckerState

ALL_MEMBERS = object()  # marks an enum whose stored values come from parameters or computations


def enum_member_written(value, bindings, enum: str, members: list[str]) -> str | None:
    """The member a value expression always stores, or None if it can be any."""
    if isinstance(value, n.Name):
        b = bindings.get(value)
        if b is not None and b.kind == "enum_member" or b is None and value.name in members:
            return value.name  # (defaults are evaluated as constants, without a binding)
        return None
    if isinstance(value, n.Member) and isinstance(value.obj, n.Name) and value.obj.name == enum:
        return value.name.name
    if isinstance(value, n.Literal) and value.kind == "text":
        return value.value
    return None


class UsageMixin(CheckerState):
    """Notes of what is used and stored while checking; the warnings drawn from them at the end."""

    def note_enum_write(self, t: T, value: n.Expr) -> None:
        """Record which members of an enum a stored value can take (for AWM4005)."""
        if t.kind != "enum":
            return
        member = enum_member_written(value, self.bindings, t.decl_name, self.enums.get(t.decl_name, []))
        if member is None:
            self.enum_writes[t.decl_name] = ALL_MEMBERS  # a parameter or computed value: any member
        else:
            self.note_member_stored(t.decl_name, member)

    def note_member_stored(self, enum: str, member: str) -> None:
        """A member some value stores (already counted if every member can be stored)."""
        members = self.enum_writes.setdefault(enum, set())
        if isinstance(members, set):  # else ALL_MEMBERS
            members.add(member)

    def report_unused(self):
        """Warnings about the whole spec. A declaration with errors was checked only in part, so
        on a spec with errors they would count as unused what its broken parts use or write."""
        if any(d.is_error for d in self.diags):
            return
        for name, d in self.enum_decls.items():
            if name not in self.used:
                self.warn("AWM4001", f"enum `{name}` is never used", d.name.span)
        stored = {f.type.decl_name for e in self.entities.values() for f in e.columns if f.type.kind == "enum"}
        for name in sorted(stored):
            written = self.enum_writes.get(name, set())
            if not isinstance(written, set):  # ALL_MEMBERS
                continue
            for member in self.enum_decls[name].members:
                if member.name not in written:
                    self.warn(
                        "AWM4005",
                        f"no tool, default or seed row ever sets `{name}.{member.name}`",
                        member.span,
                        help="add the tool that reaches this state, or remove the member",
                    )
        for kind, names in (("record", self.records), ("union", self.unions)):
            for name in names:
                if name not in self.used:
                    self.warn("AWM4001", f"{kind} `{name}` is never used", self.type_spans[name])
