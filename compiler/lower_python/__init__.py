"""Phase 3b: the Model -> the functions of the Python handlers module (handlers_module.py
assembles them into its text).

Handlers run against a session (`rt`) and its SQLite connection (`db`). Values inside a
handler: entity values are row keys, decimals are `Decimal`, dates are ISO text, records
are dicts. Every SQL statement is a module constant; every value reaches SQL as a `?`.

One generated function is written by an `Emitter`, a stack of classes, one module each, each
using only the ones below it:

| module | holds |
|---|---|
| `snippets.py` | small functions over code text: storage conversions, coercions, truth tests |
| `core.py` | `EmitterCore`: lines, SQL constants, temporaries, local functions, SQL with parameters |
| `calls.py` | `BuiltinCalls`: one `call_<name>` per builtin of compiler/builtins.py |
| `expressions.py` | `Expressions`: an `x_<Kind>` per expression node, inserts, group by, output |
| `statements.py` | `Emitter`: statements, updates and deletes |
| `functions.py` | a tool's, an entity output's and a task's function; parameter schemas; the module |
"""

from .functions import json_default, lower_output, lower_python, lower_task, lower_tool, param_spec, tool_params
from .statements import Emitter

__all__ = [
    "Emitter",
    "json_default",
    "lower_output",
    "lower_python",
    "lower_task",
    "lower_tool",
    "param_spec",
    "tool_params",
]
