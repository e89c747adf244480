"""KPIs across regions: the values behind the overview map and the "needs a decision" list.

Each region's values come from the same named query as the headline numbers
(queries/kpis.sql with that region as the scope), so the map, the list and the command
line always agree.
"""

from __future__ import annotations

import pandas as pd

from sitrep import catalogue
from sitrep.ui.data import query
from sitrep.ui.state import View, regions_index, scope_name


def child_level(view: View) -> str:
    """Regions one level below the scope: townships for the city, villages below."""
    return "township" if view.scope is None else "village"


def children(view: View) -> list[str]:
    regions = regions_index()
    level = child_level(view)
    if view.scope is None:
        return sorted(c for c, r in regions.items() if r["level"] == level)
    if regions.get(view.scope, {}).get("level") == "village":
        return [view.scope]
    return sorted(c for c, r in regions.items() if r["level"] == level and r["parent_code"] == view.scope)


def kpis_by_region(view: View) -> pd.DataFrame:
    """Every KPI for each region one level below the scope: region_code, name, kpi, value."""
    regions = regions_index()
    frames = []
    for code in children(view):
        df = query("kpis", as_of=view.as_of, region_code=code)
        df.insert(0, "region_code", code)
        df.insert(1, "name", regions[code]["name"])
        frames.append(df)
    if not frames:
        return pd.DataFrame(columns=["region_code", "name", "kpi", "value"])
    return pd.concat(frames, ignore_index=True)


def needs_decision(view: View, now: dict) -> pd.DataFrame:
    """Items red on the catalogue: at the scope itself and in each region below it, with
    the grid person responsible for that region."""
    cat = catalogue.by_key()
    owners = query("grid_owner_by_region", region_code=view.scope).set_index("region_code")
    by_region = kpis_by_region(view)
    rows = []

    def add(kpi, code, where, value):
        owner = owners.loc[code] if code in owners.index else None
        rows.append((kpi.name(view.lang), where, kpi.format(value, view.lang),
                     "—" if owner is None else owner["responsible_person"],
                     "" if owner is None else owner["phone"]))

    for key, kpi in cat.items():
        if kpi.status(now.get(key)) == "red":
            add(kpi, view.scope, scope_name(view), now.get(key))
        for r in by_region[(by_region["kpi"] == key) & (by_region["region_code"] != view.scope)].itertuples():
            value = None if pd.isna(r.value) else float(r.value)
            if kpi.status(value) == "red":
                add(kpi, r.region_code, r.name, value)
    cols = [view.t("overview.col_item"), view.t("overview.col_where"), view.t("overview.col_value"),
            view.t("overview.col_responsible"), "phone"]
    return pd.DataFrame(rows, columns=cols)
