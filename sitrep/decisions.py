"""The KPIs of a day at a scope and at each region one level below it, read from the KPI cube
(sitrep/cube.py) through queries/kpis.sql and queries/kpis_by_region.sql, and the regions themselves.

Plain functions over a ``query(name, **params) -> DataFrame`` callable, so the Overview page
(cached ``sitrep.ui.query``), the projection screen and the daily briefing
(``sitrep.db.Database.query``) read the same numbers; sitrep.severity judges them.
"""

from __future__ import annotations

from datetime import date
from typing import Callable

import pandas as pd


Query = Callable[..., pd.DataFrame]


def kpi_values(query: Query, as_of: date, scope: str | None) -> dict[str, float | None]:
    """{kpi: value} from queries/kpis.sql for one day and scope (None where there is no value)."""
    return as_dict(query("kpis", as_of=as_of, region_code=scope))


def as_dict(df: pd.DataFrame) -> dict[str, float | None]:
    return {k: (None if pd.isna(v) else float(v)) for k, v in zip(df["kpi"], df["value"])}


def kpis_by_region(query: Query, as_of: date, scope: str | None) -> pd.DataFrame:
    """Every KPI for each region one level below the scope: region_code, name, kpi, value (one read of the KPI
    cube, queries/kpis_by_region.sql)."""
    return query("kpis_by_region", as_of=as_of, region_code=scope)
