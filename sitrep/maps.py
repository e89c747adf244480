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


# ---------------------------------------------------------------- region names on the map, without overlap


def _text_width(text: str, size_px: float) -> float:
    """About how wide a label is drawn: a CJK character is one em, other characters about 0.6 em."""
    return sum(size_px if ord(ch) > 0x2E80 else 0.6 * size_px for ch in text)


def _pixels(lon: float, lat: float, view: pdk.ViewState, width_px: float, height_px: float) -> tuple[float, float]:
    """Screen pixels (x right, y down) of a point in a Web Mercator view of width x height pixels."""
    scale = 512 * 2 ** view.zoom / (2 * math.pi)

    def merc(lo, la):
        return scale * math.radians(lo), scale * math.log(math.tan(math.pi / 4 + math.radians(la) / 2))

    x, y = merc(lon, lat)
    cx, cy = merc(view.longitude, view.latitude)
    return width_px / 2 + (x - cx), height_px / 2 - (y - cy)


def place_labels(labels: pd.DataFrame, view: pdk.ViewState, *, width_px: float = 800, height_px: float = 520,
                 size_px: float = 14, gap_px: float = 2) -> pd.DataFrame:
    """Where to draw each region's name so that no two overlap: labels (name, lon, lat), in priority order (the
    first keeps its centre). Each label tries its centre, then just above, below, right and left of it, then
    further out; it takes the first place that overlaps no label placed before it (or, if none is free, the
    place that overlaps least). Returns name, lon, lat, offset ([dx, dy] pixels for the TextLayer's
    get_pixel_offset), and x, y, w, h (the label's box on the screen, for tests)."""
    placed: list[tuple[float, float, float, float]] = []
    rows = []
    for r in labels.itertuples(index=False):
        w = _text_width(str(r.name), size_px) + 2 * gap_px
        h = 1.25 * size_px + 2 * gap_px
        x, y = _pixels(float(r.lon), float(r.lat), view, width_px, height_px)
        candidates = [(0, 0)]
        for k in (1, 2):
            candidates += [(0, -k * h), (0, k * h), (k * (w / 2 + 4), 0), (-k * (w / 2 + 4), 0),
                           (k * w / 2, -k * h), (-k * w / 2, -k * h), (k * w / 2, k * h), (-k * w / 2, k * h)]
        best, best_overlap = None, math.inf
        for dx, dy in candidates:
            box = (x + dx - w / 2, y + dy - h / 2, w, h)
            overlap = sum(_overlap(box, other) for other in placed)
            if overlap < best_overlap:
                best, best_overlap = (dx, dy, box), overlap
            if overlap == 0:
                break
        dx, dy, box = best
        placed.append(box)
        rows.append({"name": r.name, "lon": float(r.lon), "lat": float(r.lat), "offset": [round(dx, 1), round(dy, 1)],
                     "x": box[0], "y": box[1], "w": box[2], "h": box[3]})
    return pd.DataFrame(rows, columns=["name", "lon", "lat", "offset", "x", "y", "w", "h"])


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    dx = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    dy = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return dx * dy if dx > 0 and dy > 0 else 0.0


def label_layer(placed: pd.DataFrame, *, layer_id: str, size_px: float = 14, dark: bool = False) -> pdk.Layer:
    """A TextLayer of the names placed by :func:`place_labels` (CJK glyphs in its font atlas, a halo so that
    they read on any fill)."""
    return pdk.Layer(
        "TextLayer", data=placed[["name", "lon", "lat", "offset"]], id=layer_id, get_position=["lon", "lat"],
        get_text="name", get_size=size_px, get_pixel_offset="offset",
        get_color=[255, 255, 255, 255] if dark else [20, 20, 20, 255],
        # the glyphs to put in the font atlas: deck.gl's default is ASCII only
        # (pydeck turns a plain string or a list of strings into an expression: String keeps it text)
        character_set=pdk.types.String("".join(sorted(set("".join(placed["name"].astype(str)))))),
        font_family=pdk.types.String('"Noto Sans CJK SC", "Microsoft YaHei", sans-serif'), font_weight=700,
        outline_width=4 if dark else 3, outline_color=[0, 0, 0, 255] if dark else [255, 255, 255, 230],
        font_settings={"sdf": True}, pickable=False)
