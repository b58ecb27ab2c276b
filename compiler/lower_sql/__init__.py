"""Phase 3a: the Model -> SQLite SQL, as sqlglot expression trees rendered in the sqlite dialect.

Three products: the schema DDL, the seed INSERTs, and (for lower_python) the queries a tool
runs. Tool queries never contain a value from a tool call: every such value is a `?`
placeholder, and the Python expression that computes it is returned beside the SQL.

Representation in SQLite: decimal -> INTEGER cents; bool -> 0/1; date/datetime -> ISO text;
enum -> text; json, list, record, union -> JSON text; relation -> the parent's key.

Structure. `SqlCompiler` (`queries.py`) compiles expressions over rows; it is composed of a
mixin, `BuiltinCalls` (`calls.py`), over the state both share, `CompilerState` (`state.py`).
As in the checker (compiler/check/), the mixin keeps no state of its own, and the methods one
part calls on another are declared for mypy in `CompilerState` under `if TYPE_CHECKING:`.
Each module imports only the modules above it in this table:

| module | holds |
|---|---|
| `trees.py` | sqlglot helpers: `ident`, `table`, `col`, `sql`, `literal`, `to_storage`, `convert`; `LoweringError` |
| `state.py` | `CompilerState`: the Model, the parameters bound, the aliases; `param`, `type_of`, `binding` |
| `calls.py` | `BuiltinCalls`: `call` (the dispatcher), a `sql_<name>` per builtin that runs inside a query |
| `queries.py` | `SqlCompiler`, `Query`, `BackRef`: queries (flatten, where, select), values, members, operators |
| `tables.py` | the database's statements: schema DDL (`create_table`), seed INSERTs, invariant SELECTs, a row's owner (`owner_sql`) |
"""

from .queries import SqlCompiler
from .tables import (
    ddl_default,
    invariant_statement,
    owner_sql,
    schema_statements,
    seed_default,
    seed_rows_statements,
    table_statements,
)
from .trees import LoweringError, col, ident, sql, table, to_storage

__all__ = [
    "LoweringError",
    "SqlCompiler",
    "col",
    "ddl_default",
    "ident",
    "invariant_statement",
    "owner_sql",
    "schema_statements",
    "seed_default",
    "seed_rows_statements",
    "sql",
    "table",
    "table_statements",
    "to_storage",
]
