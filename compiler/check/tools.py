"""Tools: parameters, the body, the return type."""

from __future__ import annotations

from .. import nodes as n
from ..constants import NOT_CONST
from ..diagnostics import did_you_mean, with_article
from ..types import VOID, Binding, ParamInfo, T, ToolInfo, is_numeric
from .crud import desugar_crud
from .state import RESERVED, CheckerState, Ctx, Scope
from .walk import written_entities


class ToolsMixin(CheckerState):
    """A tool's declaration into a `ToolInfo`: parameters, body (a CRUD tool's from `crud.py`), returns."""

    def check_tool(self, decl: n.ToolDecl):
        name = decl.name.name
        self.check_description(
            "tool", decl, 'add a string after the signature: tool f(...) "What it does, for the agent" { ... }'
        )
        if decl.crud is not None:
            if decl.crud.entity.name in self.entities:
                self.used.add(decl.crud.entity.name)
            desugared = desugar_crud(decl.crud, self.entities, self.error)
            if desugared is None:
                return
            params, body = desugared
        else:
            assert decl.body is not None  # the grammar gives a tool either a CRUD line or a body
            params, body = list(decl.params), decl.body
        tool = ToolInfo(name, decl.description or "", [], VOID, body, decl)
        scope = self.tool_params(tool, params)
        declared = self.resolve_type(decl.returns) if decl.returns is not None else None
        tool.returns = declared or VOID
        self._returns = []
        self._declared_return = declared
        self.shadowed, self.outer_names = [], set()
        terminates = self.block(body, Ctx(scope, (), tool))
        self.warn_shadowed_params()
        if declared is not None and declared.kind != "void" and not terminates:
            self.error(
                "AWM2012",
                f"tool `{name}` does not return {with_article(f'`{declared}`')} on every path",
                decl.name.span,
            )
        if declared is None and self._returns:
            tool.returns = self._returns[0]
        tool.written = self.changed_by_writes(*written_entities(body, self.types))
        tool.writes = bool(tool.written)
        if name not in self.tools:
            self.tools[name] = tool

    def changed_by_writes(self, written: set[str], deleted: set[str]) -> tuple[str, ...]:
        """The entities whose rows may change when these are written and these deleted: a
        deleted row's children go too (`@cascade`, and so on down) or lose their reference
        (`@set_null`)."""
        changed, todo = written | deleted, list(deleted)
        while todo:
            parent = todo.pop()
            for child in self.entities.values():
                for f in child.fields.values():
                    if f.is_relation and f.type.decl_name == parent and f.on_delete != "restrict":
                        if f.on_delete == "cascade" and child.name not in deleted:
                            deleted.add(child.name)
                            todo.append(child.name)
                        changed.add(child.name)
        return tuple(sorted(changed))

    def tool_params(self, tool: ToolInfo, params: list[n.Param]) -> Scope:
        """Check the parameters into `tool.params`; the scope that binds them."""
        scope = Scope()
        for p in params:
            info = self.check_param(p)
            if p.name.name in scope.vars:
                self.error("AWM1001", f"parameter `{p.name.name}` is declared twice", p.name.span)
            scope.vars[p.name.name] = Binding("param", info.type, p.name.name)
            tool.params.append(info)
        return scope

    def warn_shadowed_params(self):
        for name_node, entity in self.shadowed:
            if name_node.name not in self.outer_names:  # the author never wrote `$name`: likely a slip
                self.warn(
                    "AWM4004",
                    f"`{name_node.name}` here is the field of `{entity}`, not the parameter `{name_node.name}`",
                    name_node.span,
                    help=f"write `${name_node.name}` to mean the parameter, "
                    f"or `{entity}.{name_node.name}` to mean the field",
                )

    def check_param(self, p: n.Param) -> ParamInfo:
        t = self.resolve_type(p.type)
        info = ParamInfo(p.name.name, t, required=not t.optional and p.default is None, default=p.default, decl=p)
        if p.name.name in RESERVED:
            self.error("AWM1015", f"`{p.name.name}` is reserved and cannot name a parameter", p.name.span)
        if p.default is not None:
            v = info.default_value = self.const_value(p.default, t)
            if v is NOT_CONST:
                self.error("AWM2009", f"the default of parameter `{p.name.name}` must be a constant", p.default.span)
        for a in p.attrs:
            if a.name.name in ("range", "length"):
                setattr(info, a.name.name, self.param_bounds(a, t))
            else:
                self.error(
                    "AWM1008",
                    f"unknown parameter attribute `@{a.name.name}`",
                    a.name.span,
                    help=did_you_mean(a.name.name, ["range", "length"])
                    or "parameters take `@range(lo, hi)` and `@length(lo, hi)`",
                )
        return info

    def param_bounds(self, a: n.Attr, t: T):
        """The bounds of `@range` or `@length` on a parameter of type `t`, None if they are invalid
        (reported; bounds of the wrong kind of parameter are kept, as they are ignored)."""
        kind = a.name.name
        bounds = self.const_bounds(a)
        elem = t.elem if t.kind == "list" else t
        if kind == "range" and not is_numeric(elem):
            self.error("AWM2011", "`@range` applies to numeric parameters", a.span)
        elif kind == "length" and elem.kind != "text" and t.kind != "list":
            self.error("AWM2011", "`@length` applies to text or list parameters", a.span)
        elif (
            bounds
            and (kind == "length" or elem.kind == "int")
            and not all(b is None or (isinstance(b, int) and (b >= 0 or kind == "range")) for b in bounds)
        ):
            what = "lengths" if kind == "length" else "bounds of an int parameter"
            self.error(
                "AWM2011",
                f"`@{kind}` {what} must be whole numbers" + (" of at least 0" if kind == "length" else ""),
                a.span,
            )
            return None
        return bounds
