"""Data functions of the screening and control page that take quarantine rules: the what-if, cached.

``ui.query`` caches on its parameters, and a :class:`~sitrep.rules.Rules` object cannot be one (its rule sets
hold dicts, which st.cache_data cannot hash). The what-if therefore runs through its own cached function keyed
by the alternative rules as canonical JSON (``Rules.to_dict()``, rebuilt with ``rules_from_dict`` inside), the
database version and the rules file's version, like ``ui.query``. Caching matters: every click on the page
reruns it, and two what-if queries per rerun would cost more than the rest of the page.
"""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import streamlit as st

from sitrep import control
from sitrep.rules import Rules, Stage, load_rules, rules_from_dict, rules_version
from sitrep.ui.data import checked_db, get_db, scope_key

HORIZON_DAYS = 28


def rules() -> Rules:
    """The rules in force (the rules file, re-read when it changes)."""
    return load_rules()


def rules_key(r: Rules) -> str:
    """Rules as canonical JSON: equal rules give equal keys."""
    return json.dumps(r.to_dict(), default=str, sort_keys=True, ensure_ascii=False)


@st.cache_data(max_entries=256, show_spinner=False)
def _whatif(path: str, version: tuple, limit: str | None, as_of: date, scope: str | None, alt_key: str,
            horizon_days: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    alt = rules_from_dict(json.loads(alt_key), "what-if")
    return control.whatif(checked_db(path), as_of, alt, region_code=scope, horizon_days=horizon_days)


def whatif(as_of: date, scope: str | None, alt: Rules,
           horizon_days: int = HORIZON_DAYS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(release shift distribution, daily central quarantine current vs alternative) for the people under a
    measure on as_of in scope: see queries/returnees_whatif_*.sql."""
    db = get_db()
    return _whatif(str(db.path), (db.version(), rules_version()), scope_key(), as_of, scope, rules_key(alt),
                   horizon_days)


def edit_days(r: Rules, base: str, days: dict[tuple[str, int], int]) -> Rules:
    """The rules with the stage days of rule set ``base`` replaced by ``days`` ({(origin risk, stage no): days},
    stage no from 1), for every arrival: an origin risk whose days differ from ``base`` gets the edited stages in
    every rule set; the others keep their rules as they are. A stage set to 0 days is dropped; test days past
    the new end of a stage move to its last day."""
    base_set = r.rule_set(base)
    out = r
    for risk in base_set.risks:
        stages = base_set.stages(risk)
        new = []
        for no, s in enumerate(stages, start=1):
            n = int(days.get((risk, no), s.days))
            if n > 0:
                new.append(Stage(s.measure, n, tuple(sorted({min(t, n) for t in s.test_days}))))
        if tuple(new) != stages:
            out = out.with_stages(risk, new)
    return out
