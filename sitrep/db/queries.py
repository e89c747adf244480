"""The named-query registry: ``queries/NAME.sql`` with its declared parameters
(``-- param NAME TYPE [optional]: doc``), and the binding of values to them."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sitrep import rules
from sitrep.quality.config import Config as QualityConfig
from sitrep.quality.config import QualityConfigError, load_config

ROOT = Path(__file__).resolve().parent.parent.parent
QUERY_DIR = ROOT / "queries"

# ---------------------------------------------------------------- named queries

# "rules": quarantine rules (sitrep.rules), bound as a list of structs; when not given, the
# default rules file. A rules object, a rules file path or as_param() rows are accepted.
# "quality": the [reporting] settings of the quality rules (sitrep.quality), bound as JSON; when
# not given, the default quality file. A Config, a quality rules file path or the JSON are accepted.
PARAM_TYPES = ("date", "timestamp", "str", "int", "float", "bool", "rules", "quality")
_PARAM_RE = re.compile(r"^--\s*param\s+(\w+)\s+(\w+)(\s+optional)?\s*(?::\s*(.*))?$")


class QueryError(ValueError):
    """A named query that does not exist, or parameters that do not fit it."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    optional: bool
    doc: str


@dataclass(frozen=True)
class NamedQuery:
    name: str
    sql: str
    params: tuple[Param, ...]
    doc: str

    def bind(self, values: dict[str, Any]) -> dict[str, Any]:
        """Check names against the declared parameters and convert string values."""
        declared = {p.name: p for p in self.params}
        unknown = sorted(set(values) - set(declared))
        if unknown:
            raise QueryError(
                f"query {self.name}: unknown parameter(s) {', '.join(unknown)}; "
                f"it takes {', '.join(declared) or 'none'}"
            )
        bound = {}
        for p in self.params:
            v = values.get(p.name)
            if p.type == "rules":
                bound[p.name] = rules_param(self.name, p, v)
            elif p.type == "quality":
                bound[p.name] = quality_param(self.name, p, v)
            elif v is None or v == "":
                if not p.optional:
                    raise QueryError(f"query {self.name}: missing parameter {p.name} ({p.type})")
                bound[p.name] = None
            else:
                bound[p.name] = convert_param(self.name, p, v)
        return bound


def rules_param(query: str, p: Param, v: Any) -> list[dict[str, Any]]:
    """The value bound for a ``rules`` parameter: the default rules file when not given."""
    try:
        if v is None or v == "":
            return rules.load_rules().as_param()
        if isinstance(v, rules.Rules):
            return v.as_param()
        if isinstance(v, (str, os.PathLike)):
            return rules.load_rules(v).as_param()
    except rules.RulesError as e:
        raise QueryError(f"query {query}: parameter {p.name}: {e}") from None
    if isinstance(v, list):
        return v
    raise QueryError(f"query {query}: parameter {p.name} takes quarantine rules, got {type(v).__name__}")


def quality_param(query: str, p: Param, v: Any) -> str:
    """The value bound for a ``quality`` parameter: the default quality file when not given."""
    if isinstance(v, str) and v.lstrip().startswith("{"):
        return v
    try:
        if isinstance(v, QualityConfig):
            return v.reporting_json()
        if v is None or v == "" or isinstance(v, (str, os.PathLike)):
            return load_config(v or None).reporting_json()
    except QualityConfigError as e:
        raise QueryError(f"query {query}: parameter {p.name}: {e}") from None
    raise QueryError(f"query {query}: parameter {p.name} takes quality settings, got {type(v).__name__}")


def convert_param(query: str, p: Param, v: Any) -> Any:
    if not isinstance(v, str):
        return v
    try:
        if p.type == "date":
            return date.fromisoformat(v)
        if p.type == "timestamp":
            return datetime.fromisoformat(v)
        if p.type == "int":
            return int(v)
        if p.type == "float":
            return float(v)
        if p.type == "bool":
            if v.lower() in ("1", "true", "yes", "y"):
                return True
            if v.lower() in ("0", "false", "no", "n"):
                return False
            raise ValueError(v)
    except ValueError:
        raise QueryError(f"query {query}: parameter {p.name}={v!r} is not a valid {p.type}") from None
    return v


def query_names() -> list[str]:
    return sorted(p.stem for p in QUERY_DIR.glob("*.sql"))


def load_query(name: str) -> NamedQuery:
    """Read queries/NAME.sql and its declared parameters (``-- param NAME TYPE [optional]: doc``)."""
    if not re.fullmatch(r"[a-z0-9_]+", name or "") or not (QUERY_DIR / f"{name}.sql").is_file():
        raise QueryError(f"unknown query {name!r}; known: {', '.join(query_names())}")
    return _load_query_cached(name, (QUERY_DIR / f"{name}.sql").stat().st_mtime_ns)


_query_cache: dict[tuple[str, int], NamedQuery] = {}


def _load_query_cached(name: str, mtime: int) -> NamedQuery:
    key = (name, mtime)
    if key not in _query_cache:
        sql = (QUERY_DIR / f"{name}.sql").read_text(encoding="utf-8")
        params, doc = [], []
        for line in sql.splitlines():
            if not line.startswith("--"):
                break
            m = _PARAM_RE.match(line)
            if m:
                if m.group(2) not in PARAM_TYPES:
                    raise QueryError(f"query {name}: parameter {m.group(1)} has unknown type {m.group(2)}")
                params.append(Param(m.group(1), m.group(2), bool(m.group(3)), m.group(4) or ""))
            else:
                doc.append(line.lstrip("- ").rstrip())
        _query_cache[key] = NamedQuery(name, sql, tuple(params), "\n".join(d for d in doc if d))
    return _query_cache[key]

