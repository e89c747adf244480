"""The region tree as the pages walk it: the root (what "no region picked" stands for), the regions one level below
a scope, the one above, and the name of the whole.

The root is the one county of a county's database (the demo city), or, over a lake of many counties
(sitrep.lake_db), the lowest region above all of them: their prefecture, or the province (queries/regions_list.sql
marks it, from the macro root_region()). A scope of None is the root; a scope is never the root's code, nor a
region above it.
"""

from __future__ import annotations

import re
from typing import Callable

import pandas as pd

Query = Callable[..., pd.DataFrame]

# levels from the top; a county-level city is a county
RANK = {"province": 1, "prefecture": 2, "county": 3, "city": 3, "township": 4, "village": 5}


def index(query: Query) -> dict[str, dict]:
    """region_code -> {name, level, parent_code, root} for every region but groups (queries/regions_list.sql)."""
    df = query("regions_list")
    return {r.region_code: {"name": r.name, "level": r.level, "parent_code": r.parent_code, "root": bool(r.root)}
            for r in df.itertuples(index=False)}


def root(regions: dict[str, dict]) -> str | None:
    return next((c for c, r in regions.items() if r.get("root")), None)


def is_below_root(code: str | None, regions: dict[str, dict]) -> bool:
    """Whether code is a region below the root (a scope the pages can take)."""
    top = root(regions)
    if code not in regions or code == top:
        return False
    r = regions[code]
    return top is None or RANK.get(r["level"], 9) > RANK.get(regions[top]["level"], 0) and _under(code, top, regions)


def _under(code: str, top: str, regions: dict[str, dict]) -> bool:
    seen = 0
    while code is not None and seen < 10:
        code = regions.get(code, {}).get("parent_code")
        if code == top:
            return True
        seen += 1
    return False


def children(scope: str | None, regions: dict[str, dict]) -> list[str]:
    """Codes of the regions one level below the scope (None: the root), a village scope: the village itself."""
    at = scope if scope is not None else root(regions)
    if regions.get(at, {}).get("level") == "village":
        return [at]
    return sorted(c for c, r in regions.items() if r["parent_code"] == at and c != at)


def child_level(scope: str | None, regions: dict[str, dict]) -> str:
    """The level of the regions one level below the scope: ``county`` (a county-level city counts as one),
    ``township`` or ``village``; ``prefecture`` below a province."""
    at = scope if scope is not None else root(regions)
    level = regions.get(at, {}).get("level", "city")
    return {"province": "prefecture", "prefecture": "county", "county": "township", "city": "township"}.get(
        level, "village")


def parent(code: str | None, regions: dict[str, dict]) -> str | None:
    """The scope one level up (village -> township -> county ...); None at the root's children."""
    if code is None:
        return None
    up = regions.get(code, {}).get("parent_code")
    return up if is_below_root(up, regions) else None


def township_of(code: str | None, regions: dict[str, dict]) -> str | None:
    """The township a region lies in (itself for a township; None above townships)."""
    r = regions.get(code)
    if r is None:
        return None
    if r["level"] == "township":
        return code
    if r["level"] == "village":
        return r["parent_code"]
    return None


def whole_key(regions: dict[str, dict]) -> str:
    """The string key naming the whole scope: 全市 for a city or a prefecture, 全县 for a county, 全省 for a
    province."""
    top = root(regions)
    level = regions.get(top, {}).get("level", "city")
    return {"province": "common.whole_province", "county": "common.whole_county",
            "prefecture": "common.whole_prefecture"}.get(level, "common.whole_city")


def scope_prefix(code: str) -> str:
    """The region code less its trailing zeros (as the ``scope_prefix`` SQL macro): "000"
    groups below the county, "00" pairs above it (prefecture 451400000000 -> 4514)."""
    prefix = re.sub(r"(000)+$", "", code)
    return re.sub(r"(00)+$", "", code[:6]) if len(prefix) <= 6 else prefix


def owner(codes: pd.Series, places: list[str]) -> pd.Series:
    """For each region code, the one of places it lies in (None when none): an item's region for a ranking."""
    out = pd.Series([None] * len(codes), index=codes.index, dtype=object)
    filled = codes.fillna("")
    for place in places:
        out = out.where(~(filled.str.startswith(scope_prefix(place)) & out.isna()), place)
    return out
