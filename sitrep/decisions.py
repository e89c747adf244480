"""What needs a decision: KPIs red on the catalogue at the scope and in each region one level
below it, with the grid person who answers for that region.

Plain functions over a ``query(name, **params) -> DataFrame`` callable, so the Overview page
(cached ``sitrep.ui.query``), the projection screen and the daily briefing
(``sitrep.db.Database.query``) list the same items from the same code. Each region's values
come from the same named query as the headline numbers (queries/kpis.sql with that region as
the scope), so the map, the list, the briefing and the command line always agree.
"""

from __future__ import annotations

from datetime import date
from typing import Callable

import pandas as pd

from sitrep import catalogue

Query = Callable[..., pd.DataFrame]
COLUMNS = ["kpi", "item", "region_code", "where", "value", "value_text", "status", "responsible_person", "phone"]


def regions_index(query: Query) -> dict[str, dict]:
    """region_code -> {name, level, parent_code} for the city, its townships and villages."""
    df = query("regions_list")
    return {r.region_code: {"name": r.name, "level": r.level, "parent_code": r.parent_code}
            for r in df.itertuples(index=False)}


def child_level(scope: str | None) -> str:
    """Regions one level below the scope: townships for the city, villages below."""
    return "township" if scope is None else "village"


def children(scope: str | None, regions: dict[str, dict]) -> list[str]:
    """Codes of the regions one level below the scope (a village scope: the village itself)."""
    level = child_level(scope)
    if scope is None:
        return sorted(c for c, r in regions.items() if r["level"] == level)
    if regions.get(scope, {}).get("level") == "village":
        return [scope]
    return sorted(c for c, r in regions.items() if r["level"] == level and r["parent_code"] == scope)


def kpi_values(query: Query, as_of: date, scope: str | None) -> dict[str, float | None]:
    """{kpi: value} from queries/kpis.sql for one day and scope (None where there is no value)."""
    return as_dict(query("kpis", as_of=as_of, region_code=scope))


def as_dict(df: pd.DataFrame) -> dict[str, float | None]:
    return {k: (None if pd.isna(v) else float(v)) for k, v in zip(df["kpi"], df["value"])}


def kpis_by_region(query: Query, as_of: date, scope: str | None,
                   regions: dict[str, dict] | None = None) -> pd.DataFrame:
    """Every KPI for each region one level below the scope: region_code, name, kpi, value (one read of the KPI
    cube, queries/kpis_by_region.sql). ``regions`` is accepted for callers that have it; it is not needed."""
    return query("kpis_by_region", as_of=as_of, region_code=scope)


def needs_decision(query: Query, *, as_of: date, scope: str | None, lang: str, now: dict, scope_name: str,
                   regions: dict[str, dict] | None = None, by_region: pd.DataFrame | None = None) -> pd.DataFrame:
    """Items red on the catalogue, at the scope itself (``scope_name``) and in each region below it, in
    catalogue order: kpi, item (the KPI's name), region_code, where, value, value_text (as the catalogue
    formats it), status, responsible_person and phone (unmasked: mask it where it is shown) of the grid
    unit of that region ("—" and "" when the region has none).

    ``now`` is {kpi: value} at the scope; ``by_region`` (from :func:`kpis_by_region`) may be passed when
    the caller has it already."""
    cat = catalogue.by_key()
    regions = regions if regions is not None else regions_index(query)
    owners = query("grid_owner_by_region", region_code=scope).set_index("region_code")
    if by_region is None:
        by_region = kpis_by_region(query, as_of, scope, regions)
    rows = []

    def add(kpi, code, where, value):
        owner = owners.loc[code] if code in owners.index else None
        rows.append((kpi.key, kpi.name(lang), code, where, value, kpi.format(value, lang), "red",
                     "—" if owner is None else owner["responsible_person"],
                     "" if owner is None else owner["phone"]))

    for key, kpi in cat.items():
        if kpi.status(now.get(key)) == "red":
            add(kpi, scope, scope_name, now.get(key))
        for r in by_region[(by_region["kpi"] == key) & (by_region["region_code"] != scope)].itertuples():
            value = None if pd.isna(r.value) else float(r.value)
            if kpi.status(value) == "red":
                add(kpi, r.region_code, r.name, value)
    return pd.DataFrame(rows, columns=COLUMNS)
