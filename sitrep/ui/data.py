"""Cached data functions for the pages: named queries, cached per database version.

The cache key includes the database file's version, so a finished import (which
replaces the file) shows on the next rerun without a restart.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sitrep.db import Database, resolve_db_path


@st.cache_resource
def _database(path: str) -> Database:
    from sitrep.db import sweep_at_start

    sweep_at_start(path)  # an import killed while nobody was importing: its copy is removed and logged
    return Database(path)


def get_db() -> Database:
    """The served database ($SITREP_DB, else data/sitrep.duckdb), shared by all sessions."""
    return _database(str(resolve_db_path()))


def db_version() -> tuple | None:
    return get_db().version()


@st.cache_data(max_entries=2000, show_spinner=False)
def _run(name: str, path: str, version: tuple, params: tuple) -> pd.DataFrame:
    return _database(path).query(name, **dict(params))


def query(name: str, **params) -> pd.DataFrame:
    """Run queries/NAME.sql with bound parameters; cached until the database changes.
    (st.cache_data hands out a fresh copy each time, so a page may change it.)"""
    from sitrep.auth import web as access
    from sitrep.db import load_query
    from sitrep.rules import rules_version

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
    from sitrep.quality.config import config_path

    p = config_path()
    try:
        return (str(p.resolve()), p.stat().st_mtime_ns)
    except FileNotFoundError:
        return None
