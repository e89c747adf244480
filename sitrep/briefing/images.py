"""Static images for the briefing: maps as plotly figures (the township/village polygons filled with
the same colours as the page maps) and PNG rendering of plotly figures with kaleido.

kaleido drives Debian's Chromium. One browser renders every figure of a briefing (starting it costs
a few seconds, each figure after that a fraction of one). kaleido's global sync server is not used: when
no browser can be started its queue waits forever, while a Kaleido session started here fails at
once, and the briefing goes out with tables only.
"""

from __future__ import annotations

import asyncio
import math
import queue
import threading
from dataclasses import dataclass
from typing import Callable

import pandas as pd
import plotly.graph_objects as go

from sitrep import maps
from sitrep.briefing.keycharts import MapSpec
from sitrep.figures import FONT, _finish


def _rgb(colour) -> str:
    return "rgb({},{},{})".format(*colour[:3])


def static_map(spec: MapSpec, polys: pd.DataFrame, *, outline: pd.DataFrame | None = None,
               labels: pd.DataFrame | None = None, no_data_label: str = "—", height: int = 520,
               dark: bool = False) -> go.Figure:
    """The choropleth of ``spec`` as a plotly figure: one filled trace per legend entry (regions in
    bins of the value, or in the spec's classes; highlighted regions in vermillion; no data in grey),
    township borders on top of a village map, points, and region names (labels: name, lon, lat).

    polys and outline are sitrep.maps.polygons() frames; x is longitude and y latitude, the y axis
    scaled by 1/cos(latitude) so the city keeps its shape."""
    data = polys.merge(spec.values[["region_code", "value"]], on="region_code", how="left")
    if spec.classes:
        colours = [spec.classes[v].colour if not pd.isna(v) and v in spec.classes else maps.NO_DATA
                   for v in data["value"]]
        legend = list(dict.fromkeys(spec.classes.values()))
    else:
        colours, legend = maps.colour_scale(data["value"], spec.palette, fmt=spec.fmt)
    colours = [maps.HIGHLIGHT if code in spec.highlight else tuple(c) for code, c in zip(data["region_code"], colours)]
    entries = [(tuple(item.colour), item.label) for item in legend]
    if any(c == maps.NO_DATA for c in colours):
        entries.append((maps.NO_DATA, no_data_label))
    if spec.highlight and any(c == maps.HIGHLIGHT for c in colours):
        entries.append((maps.HIGHLIGHT, spec.highlight_label))
    line = "#ffffff" if not dark else "#1e1e1e"
    fig = go.Figure()
    for colour, label in dict.fromkeys(entries):
        xs, ys = [], []
        for poly, c in zip(data["polygon"], colours):
            if tuple(c) != colour:
                continue
            for ring in poly:
                xs += [p[0] for p in ring] + [None]
                ys += [p[1] for p in ring] + [None]
        # a class no region falls in still has its legend entry: the legend shows the whole scale
        fig.add_scatter(x=xs or [None], y=ys or [None], mode="lines", fill="toself", fillcolor=_rgb(colour),
                        name=label, line=dict(color=line, width=0.8), hoverinfo="skip")
    if outline is not None and not outline.empty:
        xs, ys = [], []
        for poly in outline["polygon"]:
            for ring in poly:
                xs += [p[0] for p in ring] + [None]
                ys += [p[1] for p in ring] + [None]
        fig.add_scatter(x=xs, y=ys, mode="lines", line=dict(color="#3c3c3c" if not dark else "#f0f0f0", width=1.6),
                        showlegend=False, hoverinfo="skip")
    if spec.points is not None and not spec.points.empty:
        pts = spec.points
        fig.add_scatter(x=pts["lon"], y=pts["lat"], mode="markers", showlegend=False, hoverinfo="skip",
                        marker=dict(size=7, color=[_rgb(c) for c in pts["colour"]] if "colour" in pts else _rgb(maps.HIGHLIGHT),
                                    line=dict(width=0.8, color="#000000")))
        for item in spec.point_legend:
            fig.add_scatter(x=[None], y=[None], mode="markers", name=item.label,
                            marker=dict(size=9, color=_rgb(item.colour), line=dict(width=0.8, color="#000000")))
    if labels is not None and not labels.empty:
        fig.add_scatter(x=labels["lon"], y=labels["lat"], mode="text", text=labels["name"], showlegend=False,
                        hoverinfo="skip", textfont=dict(family=FONT, size=13, weight="bold", color="#111111" if not dark else "#ffffff",
                                      shadow="auto"))
    lats = [p[1] for poly in polys["polygon"] for ring in poly for p in ring]
    mid = (max(lats) + min(lats)) / 2 if lats else 0.0
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=1 / max(math.cos(math.radians(mid)), 0.1))
    fig.update_layout(legend=dict(orientation="v", x=1.0, xanchor="left", y=1, yanchor="top", title_text=spec.value_label),
                      margin=dict(l=5, r=5, t=10, b=5))
    return _finish(fig, None, height, dark)


def map_layers(query, spec: MapSpec, scope: str | None) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame]:
    """The polygons of a map spec, the township outline over a village map, and the labels (township
    names at their centre) from the boundaries query."""
    polys = maps.polygons(query("boundaries_by_level", level=spec.level, region_code=scope))
    townships = query("boundaries_by_level", level="township", region_code=scope)
    outline = maps.polygons(townships) if spec.level == "village" else None
    labels = townships[["name", "lon", "lat"]].dropna() if spec.level == "township" or scope is None else \
        townships.iloc[0:0][["name", "lon", "lat"]]
    return polys, outline, labels


# ---------------------------------------------------------------- rendering


@dataclass
class Rendered:
    images: list[bytes | None]
    error: str | None  # why there are no images (no browser, ...), None when all rendered


class Renderer:
    """One browser session that renders plotly figures to PNG in a thread of its own.

    It starts at once, so the browser comes up while the caller reads the data; figures are
    submitted as they are built and rendered while the next ones are built; :meth:`finish`
    collects them. When the browser cannot be started (or rendering fails) the images not made
    are None and ``error`` says why. Use as a context manager, so the browser always stops."""

    def __init__(self, *, scale: float = 2, timeout: float = 60):
        self.scale, self.timeout = scale, timeout
        self._jobs: queue.Queue = queue.Queue()
        self._out: queue.Queue = queue.Queue()
        self._count = 0
        self._result: Rendered | None = None
        self._thread = threading.Thread(target=self._work, name="briefing-images", daemon=True)
        self._thread.start()

    def submit(self, fig: go.Figure, width: int, height: int) -> int:
        """Queue a figure; returns its index in the finished list."""
        index = self._count
        self._count += 1
        self._jobs.put((index, fig, width, height))
        return index

    def finish(self, progress: Callable[[int, int], None] | None = None) -> Rendered:
        """Wait for every submitted figure; progress(done, total) is called in the caller's thread."""
        if self._result is not None:
            return self._result
        self._jobs.put(None)
        images: list[bytes | None] = [None] * self._count
        error, done = None, 0
        while True:
            kind, index, payload = self._out.get()
            if kind == "image":
                images[index] = payload
                done += 1
                if progress:
                    progress(done, self._count)
            elif kind == "error":
                error = payload
            else:
                break
        self._thread.join()
        self._result = Rendered(images, error)
        return self._result

    def __enter__(self) -> "Renderer":
        return self

    def __exit__(self, *exc) -> None:
        self.finish()

    def _work(self) -> None:
        try:
            asyncio.run(self._session())
        except BaseException as e:  # noqa: BLE001 - any failure means: no more images
            text = str(e).splitlines()[0] if str(e) else ""
            self._out.put(("error", None, f"{type(e).__name__}: {text}".rstrip(": ")))
        self._out.put(("done", None, None))

    async def _session(self) -> None:
        import kaleido  # only when images are drawn (PDF/DOCX with charts): it starts Chromium

        loop = asyncio.get_running_loop()
        async with kaleido.Kaleido(n=1, timeout=self.timeout, mathjax=False) as k:
            while True:
                job = await loop.run_in_executor(None, self._jobs.get)
                if job is None:
                    return
                index, fig, width, height = job
                png = await k.calc_fig(fig, opts=dict(format="png", width=width, height=height, scale=self.scale))
                self._out.put(("image", index, png))


def render_pngs(figures: list[tuple[go.Figure, int, int]], *, scale: float = 2,
                progress: Callable[[int], None] | None = None, timeout: float = 60) -> Rendered:
    """PNG bytes of each (figure, width, height), rendered by one browser session; progress(i) after
    the i-th image (in the caller's thread)."""
    if not figures:
        return Rendered([], None)
    with Renderer(scale=scale, timeout=timeout) as renderer:
        for fig, width, height in figures:
            renderer.submit(fig, width, height)
        return renderer.finish(lambda done, total: progress(done) if progress else None)


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels from a PNG header."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
