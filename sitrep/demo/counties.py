"""Several demo counties under one prefecture, for the province path (``demo --counties N``).

County 0 is the demo city itself (临江市, 451481), unchanged. Every other county is the demo
generator run with a seed of its own (so its townships, villages, people, cluster village and
imported cases differ) and a scale of its own (some counties are bigger), then relabelled the
way a real county's export differs from its neighbour's: its own 6-digit code in every region
code, its own name in place of 临江市 in every text, its own place on the map, and its own
prefix on every record identifier (case, contact, person, site, laboratory, warehouse, order,
supervision issue, cluster), since identifiers are only unique within the county that issues
them. Each county's regions file also carries the province and the prefecture above it, so
each county database is complete on its own and a lake of many counties has the whole tree.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sitrep.demo.city import CITY_NAME, COUNTY_CODE

PROVINCE_CODE, PROVINCE_NAME = "450000000000", "南江省"
PREFECTURE_CODE, PREFECTURE_NAME = "451400000000", "崇山市"

# (6-digit code, name, level label) of the counties after the demo city; all fictional.
_MORE = (
    ("451402", "江州区", "区"), ("451421", "扶岭县", "县"), ("451422", "宁安县", "县"),
    ("451423", "龙川县", "县"), ("451424", "大新县", "县"), ("451425", "天等县", "县"),
    ("451426", "云开县", "县"), ("451427", "石城县", "县"), ("451428", "青溪县", "县"),
    ("451429", "桂平县", "县"), ("451430", "安远县", "县"), ("451431", "永宁县", "县"),
)
MAX_COUNTIES = 1 + len(_MORE)

# Columns holding a record identifier issued by the county (prefixed in counties after the first).
ID_COLUMNS = ("case_id", "infector_case_id", "contact_id", "person_id", "site_id", "order_id", "issue_id",
              "lab_id", "warehouse_id", "cluster_id")
REGION_COLUMNS = ("region_code", "parent_code")


@dataclass(frozen=True)
class County:
    index: int
    code: str         # 6 digits
    name: str
    level_label: str  # 市 (a county-level city), 县 or 区
    seed: int
    scale_factor: float
    lon_offset: float
    lat_offset: float

    @property
    def region_code(self) -> str:
        return self.code + "000000"

    @property
    def stem(self) -> str:
        """The name less its 市/县/区 (临江 of 临江市): what a lab's name uses."""
        return self.name[:-1]

    def new_id(self, value):
        if self.index == 0 or value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
            return value
        return f"{self.code}{value}"

    def text(self, value):
        if self.index == 0 or not isinstance(value, str):
            return value
        return value.replace(CITY_NAME, self.name).replace(CITY_NAME[:-1], self.stem)


def counties(n: int, seed: int = 42) -> list[County]:
    """The first n demo counties: the demo city, then its neighbours on a grid of the map."""
    if not 1 <= n <= MAX_COUNTIES:
        raise ValueError(f"--counties takes 1 to {MAX_COUNTIES}, got {n}")
    out = [County(0, COUNTY_CODE, CITY_NAME, "市", seed, 1.0, 0.0, 0.0)]
    for k, (code, name, label) in enumerate(_MORE[: n - 1], start=1):
        col, row = k % 4, k // 4
        # the demo city is about 0.6 degrees wide and 0.45 high: its neighbours sit side by side
        out.append(County(k, code, name, label, seed + 1000 * k, (0.5, 1.3, 0.8, 1.0)[k % 4],
                          0.65 * col, -0.5 * row))
    return out


def relabel(county: County, table: str, df: pd.DataFrame) -> pd.DataFrame:
    """The demo city's rows of one table as county ``county`` exports them."""
    if county.index == 0 and table != "regions":
        return df
    df = df.copy()
    if county.index > 0:
        for c in df.columns:
            if c in REGION_COLUMNS:
                df[c] = df[c].map(lambda v: county.code + v[6:] if isinstance(v, str) and v.startswith(COUNTY_CODE)
                                  else v)
            elif c in ID_COLUMNS:
                df[c] = df[c].map(county.new_id)
            elif c == "lon":
                df[c] = (df[c] + county.lon_offset).round(5)
            elif c == "lat":
                df[c] = (df[c] + county.lat_offset).round(5)
            elif df[c].dtype == object or pd.api.types.is_string_dtype(df[c]):
                df[c] = df[c].map(county.text)
    if table == "regions":
        top = df["region_code"] == county.region_code
        df.loc[top, "parent_code"] = PREFECTURE_CODE
        df.loc[top, "level"] = county.level_label
        # the same rows in every county's file (a lake checks that they agree); populations as the statistics
        # office gives them, not the sum of the demo's counties
        above = pd.DataFrame([
            {"region_code": PROVINCE_CODE, "name": PROVINCE_NAME, "level": "省", "population": 50_130_000},
            {"region_code": PREFECTURE_CODE, "name": PREFECTURE_NAME, "level": "地级市", "parent_code": PROVINCE_CODE,
             "population": 2_090_000},
        ])
        df = pd.concat([above, df], ignore_index=True)
    return df


def relabel_geojson(county: County, collection: dict) -> dict:
    """Boundaries of the demo city as county ``county`` exports them (codes, names, place)."""
    if county.index == 0:
        return collection

    def move(coords):
        if coords and isinstance(coords[0], (int, float)):
            return [round(coords[0] + county.lon_offset, 5), round(coords[1] + county.lat_offset, 5)]
        return [move(c) for c in coords]

    feats = []
    for f in collection["features"]:
        props = dict(f["properties"])
        props["region_code"] = county.code + props["region_code"][6:]
        geom = dict(f["geometry"])
        geom["coordinates"] = move(geom["coordinates"])
        feats.append({**f, "properties": props, "geometry": geom})
    return {**collection, "name": county.text(collection.get("name")), "features": feats}
