"""Phase 2: resolve names and type-check a parsed spec, producing the Model (checked IR).

All errors of the phase are collected; lowering never sees a spec with errors.

`check(modules)` runs a `Checker`, one class composed of a mixin per pass (`checker.py`). The
mixins share one state, `state.CheckerState` (its attributes are documented there), and call
each other's methods through `self`; none holds state of its own.

| module | holds |
|---|---|
| `checker.py` | `Checker` (the mixins composed), `run` (the passes in order), `model`, `check` |
| `state.py` | `CheckerState` (the tables being built, the diagnostics, `error`/`warn`), `Scope`, `Ctx`, shared names |
| `declarations.py` | pass 1 and 2: names of types and tools, field types, attributes, relations, the env, owners |
| `const.py` | constant expressions: defaults and bounds (evaluated by `compiler/constants.py`) |
| `tools.py` | a tool: its parameters, its body, its return type |
| `crud.py` | one-line CRUD tools rewritten into parameters and a body |
| `statements.py` | the statements of a body |
| `expressions.py` | the type of an expression: names, members, literals, operators |
| `queries.py` | expressions over rows: where, order by, limit, group by, lookups, insert, upsert |
| `builtins.py` | calls to the builtin functions, one `f_<name>` each |
| `tasks.py` | invariants and tasks |
| `seeds.py` | seed blocks and seed files |
| `usage.py` | what the spec uses and which enum members it stores: the warnings about the whole spec |
| `walk.py` | walks over nodes: `walk` (every expression below), `writes` (does a block write) |
"""

from .checker import Checker, check

__all__ = ["Checker", "check"]
