"""Phase 2: resolve names and type-check a parsed spec, producing the Model (checked IR).

All errors of the phase are collected; lowering never sees a spec with errors.

Structure. `check(modules)` runs a `Checker`: one class composed of a mixin per part of the
language (`checker.py`). The mixins keep no state of their own: all of it, the tables the Model
is made of, the notes for the warnings and the diagnostics, is `CheckerState`'s (`state.py`,
each attribute documented there), and a mixin calls the others' methods through `self`. The
passes run in `Checker.run`'s order: names (`collect`), field types (`resolve_types`), entity
defaults and owners, tools, seeds, invariants, tasks, whole-spec warnings.

Typing (mypy, `.ci/typecheck`). Each mixin inherits `CheckerState`, so it sees the state and
`error`/`warn` with their types. The methods one part calls on another (`expr`, `block`,
`resolve_type`, ...) are declared once more, for the type checker only, in `CheckerState` under
`if TYPE_CHECKING:`; mypy checks each mixin's definition against its declaration, and a call to
a method of another part that is not declared there is an error (declare it). A mixin's `self`
is not annotated as `Checker`: mypy accepts a self type that is a subclass of the class only if
it is a protocol ("the erased type of self is not a supertype of its class"). Most methods
are unannotated: pyproject.toml has mypy check their bodies all the same (`check_untyped_defs`).

One part is a pass with its own input and output instead of a mixin: `crud.desugar_crud` turns
a one-line CRUD tool (`n.Crud`) and the entities into parameters and a body, which `check_tool`
then checks as it checks any tool's.

| module | holds |
|---|---|
| `checker.py` | `Checker` (the mixins composed), `run` (the passes in order), `model`, `check` |
| `state.py` | `CheckerState` (the shared state, `error`/`warn`), `Scope`, `Ctx`, names and helpers every part uses |
| `declarations.py` | names of types and tools, field types, field and table attributes, relations, the env, owners |
| `const.py` | defaults and bounds that must be constants, and the values lowering inlines |
| `tools.py` | a tool: its parameters, its body, its return type |
| `crud.py` | the CRUD pass: `desugar_crud`, `CrudTool` (a method per operation) |
| `statements.py` | the statements of a body, an `s_<Node>` method each |
| `expressions.py` | the type of an expression (`expr`, an `e_<Node>` method each): names, members, literals, operators |
| `queries.py` | expressions over rows: where, order by, limit, group by, lookups, insert, upsert; values given to fields |
| `builtins.py` | calls to the builtin functions, an `f_<name>` method each (`FUNCTIONS` lists them) |
| `tasks.py` | invariants and tasks |
| `seeds.py` | seed blocks and seed files |
| `usage.py` | what the spec uses and which enum members it stores; the warnings about the whole spec |
| `walk.py` | walks over nodes: `walk` (every expression below), `writes` (does a block write) |
"""

from .checker import Checker, check

__all__ = ["Checker", "check"]
