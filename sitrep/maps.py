"""pydeck map builders: the city's own boundaries as the base layer, no basemap.

`map_provider=None` and no `map_style`: the browser fetches nothing (see STACK.md); the
township and village polygons are the map. Builders are plain functions returning
pdk.Deck so tests can read their specs without Streamlit.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import pandas as pd
import pydeck as pdk

# Sequential palettes (light -> dark), colour-blind safe (ColorBrewer Blues / Oranges / Greens).
SEQUENTIAL = {
    "blues": [(239, 243, 255), (189, 215, 231), (107, 174, 214), (49, 130, 189), (8, 81, 156)],
    "oranges": [(254, 237, 222), (253, 190, 133), (253, 141, 60), (230, 85, 13), (166, 54, 3)],
    "greens": [(237, 248, 233), (186, 228, 179), (116, 196, 118), (49, 163, 84), (0, 109, 44)],
}
NO_DATA = (220, 220, 220)
HIGHLIGHT = (213, 94, 0)  # vermillion: blind spots, alarms


@dataclass(frozen=True)
class LegendItem:
    colour: tuple[int, int, int]
    label: str


def polygons(boundaries: pd.DataFrame) -> pd.DataFrame:
    """One row per polygon ring set: region_code, name, polygon (list of rings) from the
    boundaries query's GeoJSON geometry text."""
    rows = []
    for r in boundaries.itertuples(index=False):
        geom = json.loads(r.geometry)
        parts = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        for part in parts:
            rows.append({"region_code": r.region_code, "name": r.name, "polygon": part})
    return pd.DataFrame(rows, columns=["region_code", "name", "polygon"])


def view_state(polys: pd.DataFrame, width_px: int = 800, height_px: int = 520) -> pdk.ViewState:
    """Centre and zoom that fit every polygon in a map of about width x height pixels."""
    lons = [p[0] for poly in polys["polygon"] for ring in poly for p in ring]
    lats = [p[1] for poly in polys["polygon"] for ring in poly for p in ring]
    if not lons:
        return pdk.ViewState(longitude=0, latitude=0, zoom=1)
    lon_span = max(max(lons) - min(lons), 1e-3)
    lat_span = max(max(lats) - min(lats), 1e-3)
    mid_lat = (max(lats) + min(lats)) / 2
    # deck.gl: at zoom z the world is 512 * 2^z pixels wide (Web Mercator).
    z_lon = math.log2(width_px * 360 / (512 * lon_span))
    z_lat = math.log2(height_px * 360 / (512 * lat_span / max(math.cos(math.radians(mid_lat)), 0.1)))
    return pdk.ViewState(longitude=(max(lons) + min(lons)) / 2, latitude=mid_lat,
                         zoom=round(min(z_lon, z_lat) - 0.25, 2), pitch=0, bearing=0)


def colour_scale(values: pd.Series, palette: str = "blues", bins: int = 5,
                 fmt=lambda v: f"{v:,.0f}", reverse: bool = False) -> tuple[list, list[LegendItem]]:
    """Colours for values and the legend: one class per value when the values are a few
    whole numbers (counts of cases: 0, 1, 2, 3), else equal-width bins between min and max."""
    colours = SEQUENTIAL[palette][::-1] if reverse else SEQUENTIAL[palette]
    valid = values.dropna().astype(float)
    if valid.empty:
        return [NO_DATA] * len(values), []
    lo, hi = float(valid.min()), float(valid.max())
    if (valid == valid.round()).all() and hi - lo < len(colours):
        levels = list(range(int(lo), int(hi) + 1))
        # spread the few levels over the whole palette, so 0 and 1 are far apart
        picks = [colours[round(i * (len(colours) - 1) / max(len(levels) - 1, 1))] for i in range(len(levels))]
        if len(levels) == 1:
            picks = [colours[len(colours) // 2]]
        lookup = dict(zip(levels, picks))
        out = [NO_DATA if pd.isna(v) else lookup[int(round(float(v)))] for v in values]
        return out, [LegendItem(c, fmt(v)) for v, c in lookup.items()]
    n = min(bins, len(colours)) if hi > lo else 1
    step = (hi - lo) / n if n else 1
    out = []
    for v in values:
        if pd.isna(v):  # None, NaN and pd.NA (nullable integer columns)
            out.append(NO_DATA)
        else:
            idx = 0 if n == 1 else min(int((float(v) - lo) / step), n - 1)
            out.append(colours[idx if n > 1 else len(colours) // 2])
    legend = []
    for i in range(n):
        a = lo + i * step
        b = lo + (i + 1) * step if n > 1 else hi
        legend.append(LegendItem(colours[i if n > 1 else len(colours) // 2],
                                 fmt(a) if n == 1 else f"{fmt(a)} – {fmt(b)}"))
    return out, legend


def choropleth(polys: pd.DataFrame, values: pd.DataFrame, *, value_label: str, fmt=lambda v: f"{v:,.0f}",
               palette: str = "blues", reverse: bool = False, highlight: set[str] | None = None,
               highlight_label: str = "", outline: pd.DataFrame | None = None, points: pd.DataFrame | None = None,
               point_label: str = "", no_data_label: str = "—", dark: bool = False,
               layer_id: str = "regions", classes: dict | None = None) -> tuple[pdk.Deck, list[LegendItem]]:
    """Regions coloured by value (values: region_code, value), optional highlighted regions
    (outlined and coloured as alarms), optional outline polygons drawn on top (e.g. township
    borders over villages), optional points (lon, lat, name, label columns).

    classes ({value: LegendItem}) colours regions by exact value instead of a scale, for a few
    categories such as a 0-5 score; points with a `colour` column ([r, g, b, a]) use it.

    Returns the deck and its legend."""
    data = polys.merge(values[["region_code", "value"]], on="region_code", how="left")
    if classes:
        colours = [classes[v].colour if v in classes else NO_DATA for v in data["value"]]
        legend = list(dict.fromkeys(classes.values()))
    else:
        colours, legend = colour_scale(data["value"], palette, fmt=fmt, reverse=reverse)
    data["fill"] = [list(c) + [210] for c in colours]
    data["value_text"] = [no_data_label if pd.isna(v) else fmt(v) for v in data["value"]]
    hl = highlight or set()
    data["flag"] = [highlight_label if code in hl else "" for code in data["region_code"]]
    data.loc[data["region_code"].isin(hl), "fill"] = pd.Series([list(HIGHLIGHT) + [235]] * len(data))
    data["line"] = [[255, 255, 255] if not dark else [30, 30, 30]] * len(data)
    data = data.drop(columns=["value"])
    layers = [pdk.Layer(
        "PolygonLayer", data=data, id=layer_id, get_polygon="polygon", get_fill_color="fill",
        get_line_color="line", line_width_min_pixels=1, stroked=True, filled=True, pickable=True,
        auto_highlight=True,
    )]
    if hl:
        legend = legend + [LegendItem(HIGHLIGHT, highlight_label)]
    if outline is not None and not outline.empty:
        layers.append(pdk.Layer(
            "PolygonLayer", data=outline[["region_code", "name", "polygon"]], id=f"{layer_id}-outline",
            get_polygon="polygon", filled=False, stroked=True, get_line_color=[60, 60, 60] if not dark else [240, 240, 240],
            line_width_min_pixels=2, pickable=False,
        ))
    if points is not None and not points.empty:
        layers.append(pdk.Layer(
            "ScatterplotLayer", data=points, id=f"{layer_id}-points", get_position=["lon", "lat"],
            get_fill_color="colour" if "colour" in points.columns else [213, 94, 0, 230],
            get_line_color=[0, 0, 0], stroked=True,
            radius_min_pixels=4, radius_max_pixels=14, get_radius=300, pickable=True,
        ))
    tooltip = {"html": f"<b>{{name}}</b><br/>{value_label}: {{value_text}} {{flag}}",
               "style": {"fontFamily": "Noto Sans CJK SC, sans-serif", "fontSize": "14px"}}
    deck = pdk.Deck(layers=layers, initial_view_state=view_state(polys), map_provider=None,
                    tooltip=tooltip)
    return deck, legend


def legend_html(items: list[LegendItem], title: str = "") -> str:
    """A small HTML legend to show beside a map (pydeck draws none)."""
    chips = "".join(
        f'<span style="display:inline-flex;align-items:center;margin-right:12px;">'
        f'<span style="width:14px;height:14px;background:rgb{tuple(i.colour)};border:1px solid #888;'
        f'display:inline-block;margin-right:4px;"></span>{i.label}</span>'
        for i in items
    )
    head = f"<b>{title}</b>&nbsp; " if title else ""
    return f'<div class="sitrep-legend" style="font-size:0.85rem;line-height:1.8;">{head}{chips}</div>'
