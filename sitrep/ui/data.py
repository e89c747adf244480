"""The web's one way to the database: named queries cached per database version, every one of them through the
access module's scope check (a township user's region forced into their township, a query that could read
outside it refused); and, for the read functions of sitrep.alerts, sitrep.control, sitrep.quality and
sitrep.warning, the same check on every query they run (:func:`checked_db`). No page and no other sitrep.ui
module opens the database (tests/test_structure.py).

The cache key includes the database file's version, so a finished import (which
replaces the file) shows on the next rerun without a restart.
"""

from __future__ import annotations

import os

import pandas as pd
import streamlit as st

from sitrep.auth import web as access
from sitrep.auth.roles import ScopeError
from sitrep.db import Database, load_query, sweep_at_start
from sitrep.lake_db import LakeDatabase, served_database, served_path
from sitrep.quality.config import config_path
from sitrep.rules import rules_version


@st.cache_resource
def _database(path: str, lake: str | None) -> Database:
    # lake: $SITREP_LAKE, in the key only: the same file path served over another lake is another database
    sweep_at_start(path)  # an import killed while nobody was importing: its copy is removed and logged
    return served_database(path)


def _served(path: str | None = None) -> Database:
    return _database(path or str(served_path()), os.environ.get("SITREP_LAKE"))


def get_db() -> Database:
    """The served database ($SITREP_DB, else data/sitrep.duckdb; over a lake when $SITREP_LAKE is set,
    sitrep.lake_db), shared by all sessions: its version, whether it exists, and writes (the Data page's
    imports). Reads go through :func:`query` or :func:`checked_db`."""
    return _served()


def serves_lake() -> bool:
    """Whether the dashboard reads a lake of many counties (sitrep.lake_db): no imports here then."""
    return isinstance(get_db(), LakeDatabase)


class CheckedDatabase:
    """The served database as the read functions of sitrep.alerts, sitrep.control, sitrep.quality and
    sitrep.warning see it from the web: every named query through the access module's scope check, as
    :func:`query`; free SQL (the consistency rules of the quality checks) only for a user who sees the whole
    city. Cache what it returns with :func:`scope_key` in the key."""

    def __init__(self, db: Database):
        self._db = db
        self.path = db.path

    def version(self) -> tuple | None:
        return self._db.version()

    def exists(self) -> bool:
        return self._db.exists()

    def query(self, name: str, **params) -> pd.DataFrame:
        params = access.scoped_params(name, {p.name for p in load_query(name).params}, params)
        return self._db.query(name, **params)

    def _whole_city(self, what: str) -> None:
        if access.scope_limit() is not None:
            raise ScopeError(f"{what} can read outside the township; a township user reads named queries only")

    def sql(self, sql: str, params: dict | None = None) -> pd.DataFrame:
        self._whole_city("free SQL")
        return self._db.sql(sql, params)

    def rows(self, sql: str, params: dict | None = None) -> list[tuple]:
        self._whole_city("free SQL")
        return self._db.rows(sql, params)


def checked_db(path: str | None = None) -> CheckedDatabase:
    """The served database (or the one at ``path``) for a read function: every query scope-checked."""
    return CheckedDatabase(_served(path))


def scope_key() -> str | None:
    """What a cached result read through :func:`checked_db` depends on besides its arguments: the township the
    user is limited to (None: the whole city)."""
    return access.scope_limit()


def db_version() -> tuple | None:
    return get_db().version()


@st.cache_data(max_entries=2000, show_spinner=False)
def _run(name: str, path: str, version: tuple, params: tuple) -> pd.DataFrame:
    return _served(path).query(name, **dict(params))


def query(name: str, **params) -> pd.DataFrame:
    """Run queries/NAME.sql with bound parameters; cached until the database changes.
    (st.cache_data hands out a fresh copy each time, so a page may change it.)"""
    # access control where the data is read: a township user's region_code is forced into
    # their township, and a query that could read outside it is refused (sitrep.auth.roles)
    params = access.scoped_params(name, {p.name for p in load_query(name).params}, params)
    db = get_db()
    # the quarantine rules and quality settings files feed some queries too (bound as parameters
    # when not given): editing them must not serve stale results
    return _run(name, str(db.path), (db.version(), rules_version(), quality_version()),
                tuple(sorted(params.items())))


def quality_version() -> tuple | None:
    """Changes whenever the quality settings file ($SITREP_QUALITY, data/quality_rules.toml) does."""
    p = config_path()
    try:
        return (str(p.resolve()), p.stat().st_mtime_ns)
    except FileNotFoundError:
        return None
