"""`awmc import awm`: turn the AWM pipeline's JSONL files into `.awm` specs, one per scenario.

The pipeline (Snowflake/AgentWorldModel-1K) writes per scenario: gen_db (table DDL and
indexes), gen_sample (INSERT statements), gen_spec (REST endpoints) and gen_tasks (task
instructions). The importer

1. reads every JSONL line, groups records by scenario (a record's kind follows from its keys)
   and reports malformed lines and unknown fields with file and line;
2. rebuilds the scenario's database the way the pipeline does, in memory with sqlite3: the
   DDL, the indexes, then each INSERT in order, skipping (and reporting) those that fail.
   `'now'`, CURRENT_TIMESTAMP and friends are pinned to the env's fixed clock first, so the
   import is deterministic. A second in-memory database holds the verbatim DDL only: the
   catalog that says exactly what SQLite made of it (columns, declared types, keys, indexes);
3. maps tables to entities (sqlglot parses the DDL for CHECK constraints, defaults and
   AUTOINCREMENT), the rebuilt rows to seeds, endpoints to tools (a real body where the
   meaning follows from method, path and tables, otherwise `fail not_implemented`) and
   tasks to `task` blocks whose placeholder `expect` never holds;
4. writes the spec, compiles it, and compares the compiled seed database with the rebuilt
   one, table by table, so the report says whether the data carried over exactly.

docs/import.md describes what carries over and what is approximated.

The modules, in the order the data flows through them (each imports only those above it):

- problems: errors and warnings, with the file and line they are about
- read: the JSONL files and their records, grouped by scenario
- sql: statement splitting and parsing, the pinned clock, sandboxed SQLite, affinity
- rebuild: the pipeline's database rebuilt from gen_db and gen_sample
- catalog: the rebuilt tables as SQLite made them (AwmTable, AwmColumn, ...)
- naming, literals: awm names and awm literal text
- entities, relations, checks, seeds, schema: the plan of the spec's entities (SchemaPlan)
- endpoints, tools, tasks: gen_spec endpoints to tools, gen_tasks to tasks
- render: the spec text
- compare: the compiled seed database against the rebuilt one
- scenario: one scenario, end to end
- command: `awmc import awm` and its report
"""

from awmlang.import_awm.command import cmd_import_awm, import_awm, register
from awmlang.import_awm.problems import Problem, Where, aggregated
from awmlang.import_awm.sql import CLOCK, affinity, pin_now
from awmlang.import_awm.tasks import NEEDS_VERIFIER

__all__ = [
    "CLOCK",
    "NEEDS_VERIFIER",
    "Problem",
    "Where",
    "affinity",
    "aggregated",
    "cmd_import_awm",
    "import_awm",
    "pin_now",
    "register",
]
