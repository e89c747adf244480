"""Owns DuckDB: nothing else in the project imports ``duckdb``.

- :mod:`sitrep.db.queries`: the named-query registry (``queries/*.sql`` and their parameters).
- :mod:`sitrep.db.database`: the database file, read through connections that follow it and
  written through a copy swapped in by one rename; its schema and shared macros.
- :mod:`sitrep.db.sandbox`: the SQL explorer's sandbox processes.

The names below are the package's public face; callers import them from ``sitrep.db``.
"""

from sitrep.db.database import (CONNECT_CONFIG, DEFAULT_DB, MACROS, Database, Error, connect_memory, cube_inputs,
                                ensure_schema, log_sweep, macro_files, resolve_db_path, schema_fingerprint, stale_copies,
                                stored_fingerprint, sweep_at_start, sweep_stale_copies)
from sitrep.db.queries import (PARAM_TYPES, QUERY_DIR, ROOT, NamedQuery, Param, QueryError, convert_param,
                               load_query, quality_param, query_names, rules_param)
from sitrep.db.sandbox import (MAX_RESULT_BYTES, MAX_STRING_CHARS, MAX_VALUE_BYTES, SANDBOX_GUARDS,
                               SANDBOX_MEMORY_LIMIT, SANDBOX_RSS_LIMIT, Interrupted, OutOfMemory, PermissionDenied,
                               Sandbox, SandboxError, SandboxPool, TooLarge, explorer_sandbox, functions_used,
                               run_sandboxed, statement_types)

__all__ = [
    "CONNECT_CONFIG", "DEFAULT_DB", "MACROS", "Database", "Error", "connect_memory", "cube_inputs", "ensure_schema",
    "log_sweep", "macro_files", "resolve_db_path", "schema_fingerprint", "stale_copies", "stored_fingerprint", "sweep_at_start",
    "sweep_stale_copies", "PARAM_TYPES", "QUERY_DIR", "ROOT", "NamedQuery", "Param", "QueryError", "convert_param",
    "load_query", "quality_param", "query_names", "rules_param", "MAX_RESULT_BYTES", "MAX_STRING_CHARS",
    "MAX_VALUE_BYTES", "SANDBOX_GUARDS", "SANDBOX_MEMORY_LIMIT", "SANDBOX_RSS_LIMIT", "Interrupted", "OutOfMemory",
    "PermissionDenied", "Sandbox", "SandboxError", "SandboxPool", "TooLarge", "explorer_sandbox", "functions_used",
    "run_sandboxed", "statement_types",
]
