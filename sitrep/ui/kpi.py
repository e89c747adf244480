"""KPIs across regions: the values behind the overview map and the "needs a decision" list.

The logic is sitrep.decisions (plain functions, shared with the projection screen and the
daily briefing); here it runs on the cached queries and is laid out for the page.
"""

from __future__ import annotations

import pandas as pd

from sitrep import decisions
from sitrep.ui.data import query
from sitrep.ui.state import View, regions_index, scope_name


def child_level(view: View) -> str:
    """Regions one level below the scope: townships for the city, villages below."""
    return decisions.child_level(view.scope)


def children(view: View) -> list[str]:
    return decisions.children(view.scope, regions_index())


def kpis_by_region(view: View) -> pd.DataFrame:
    """Every KPI for each region one level below the scope: region_code, name, kpi, value."""
    return decisions.kpis_by_region(query, view.as_of, view.scope, regions_index())


def needs_decision(view: View, now: dict) -> pd.DataFrame:
    """Items red on the catalogue: at the scope itself and in each region below it, with
    the grid person responsible for that region."""
    items = decisions.needs_decision(query, as_of=view.as_of, scope=view.scope, lang=view.lang, now=now,
                                     scope_name=scope_name(view), regions=regions_index(),
                                     by_region=kpis_by_region(view))
    cols = {"item": view.t("overview.col_item"), "where": view.t("overview.col_where"),
            "value_text": view.t("overview.col_value"), "responsible_person": view.t("overview.col_responsible"),
            "phone": "phone"}
    return items[list(cols)].rename(columns=cols)
