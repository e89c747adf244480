"""Figure builders for cases: the epidemic curve, case points, how cases were found, contacts over time and
the transmission tree of a cluster."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sitrep import i18n
from sitrep.figures import _finish, area_strings, nice_step

HOVER_KEYS = ("infector", "source", "found_by", "reported", "onset", "place", "status")


@dataclass(frozen=True)
class CasesLabels:
    """The words of the case charts in one language: the contract's enumerations (code -> label) and the
    cases strings (sitrep/strings/cases.*.toml). ``of(lang)`` builds them; a field left out shows codes."""
    source: Mapping[str, str] = field(default_factory=dict)
    category: Mapping[str, str] = field(default_factory=dict)
    found_by: Mapping[str, str] = field(default_factory=dict)
    status: Mapping[str, str] = field(default_factory=dict)
    contact_type: Mapping[str, str] = field(default_factory=dict)
    quarantine_place: Mapping[str, str] = field(default_factory=dict)  # "unknown" included
    found_unknown: str = ""
    in_quarantine: str = ""
    identified: str = ""
    generation: str = "{n}"  # takes {n}
    outside: str = ""
    hover: Mapping[str, str] = field(default_factory=lambda: {k: k for k in HOVER_KEYS})
    date_format: str | None = None
    point_reported: str = "{first}–{last}"  # takes {first}, {last}
    point_active: str = ""
    point_past: str = ""

    @classmethod
    def of(cls, lang: str) -> "CasesLabels":
        t = area_strings("cases", lang)

        def enums(table: str, column: str) -> dict[str, str]:
            return i18n.enum_labels(table, column, lang)

        return cls(source=enums("cases", "source"), category=enums("cases", "category"),
                   found_by=enums("cases", "found_by"), status=enums("cases", "status"),
                   contact_type=enums("contacts", "contact_type"),
                   quarantine_place={**enums("contacts", "quarantine_place"), "unknown": t("place_unknown")},
                   found_unknown=t("found_unknown"), in_quarantine=t("contacts_in_quarantine"),
                   identified=t("contacts_identified"), generation=t("generation"), outside=t("outside"),
                   hover={k: t(f"hover.{k}") for k in HOVER_KEYS}, date_format=t("date_ticks"),
                   point_reported=t("point_reported"), point_active=t("point_active"), point_past=t("point_past"))

SOURCE_ORDER = ["local", "domestic_imported", "overseas"]
SOURCE_COLOURS = {"local": "#D55E00", "domestic_imported": "#E69F00", "overseas": "#0072B2"}


def epi_curve(df: pd.DataFrame, labels: CasesLabels, *, title: str | None = None,
              start=None, end=None, height: int = 320, dark: bool = False) -> go.Figure:
    """Cases per report day stacked by source (df: report_date, source, cases)."""
    source_labels = labels.source
    fig = go.Figure()
    days = df.groupby(["report_date", "source"], as_index=False)["cases"].sum() if not df.empty else df
    for source in SOURCE_ORDER:
        part = days[days["source"] == source] if not days.empty else days
        fig.add_bar(x=part["report_date"] if not part.empty else [], y=part["cases"] if not part.empty else [],
                    name=source_labels.get(source, source), marker_color=SOURCE_COLOURS[source],
                    meta={"source": source})  # the codes behind a mark (sitrep.drill: a click opens its records)
    fig.update_layout(barmode="stack", bargap=0.1)
    fig.update_xaxes(type="date")
    if start is not None and end is not None:
        fig.update_xaxes(range=[pd.Timestamp(start) - pd.Timedelta(hours=12), pd.Timestamp(end) + pd.Timedelta(hours=12)])
    peak = int(days.groupby("report_date")["cases"].sum().max()) if not days.empty else 1
    fig.update_yaxes(rangemode="tozero", tickformat=",d", tick0=0, dtick=max(1, -(-peak // 5)))
    return _finish(fig, title, height, dark)


# -- the cases page ------------------------------------------------------------------------------------------

CATEGORY_ORDER = ["confirmed", "asymptomatic", "suspected"]
# Colour says the source (as in epi_curve); the fill pattern says the category.
CATEGORY_PATTERNS = {"confirmed": "", "asymptomatic": "/", "suspected": "."}
CATEGORY_COLOURS = {"confirmed": "#D55E00", "asymptomatic": "#E69F00", "suspected": "#999999"}
FOUND_BY_ORDER = ["central_quarantine", "home_quarantine", "contact_tracing", "screening", "mass_testing",
                  "fever_clinic"]
# close contacts warm, secondary contacts cool; centralised dark, home light
CONTACT_COLOURS = {("close", "central"): "#D55E00", ("close", "home"): "#F4A582",
                   ("secondary", "central"): "#0072B2", ("secondary", "home"): "#92C5DE"}
CONTACT_TYPES = ["close", "secondary"]
QUARANTINE_PLACES = ["central", "home", "unknown"]
ACTIVE_POINT = [213, 94, 0, 235]
PAST_POINT = [110, 110, 110, 200]


def _integer_axis(fig: go.Figure, peak: float, **where) -> None:
    fig.update_yaxes(rangemode="tozero", tickformat=",d", tick0=0, dtick=nice_step(peak), **where)


def _day_range(fig: go.Figure, start, end, date_format: str | None = None, **where) -> None:
    if start is not None and end is not None:
        fig.update_xaxes(type="date", range=[pd.Timestamp(start) - pd.Timedelta(hours=12),
                                             pd.Timestamp(end) + pd.Timedelta(hours=12)], **where)
    if date_format:
        fig.update_xaxes(tickformat=date_format, **where)


def epi_curve_by_category(df: pd.DataFrame, labels: CasesLabels, *, start=None, end=None, title: str | None = None,
                          height: int = 380, dark: bool = False) -> go.Figure:
    """Cases per day stacked by source (colour, as in epi_curve) and category (fill pattern: confirmed solid,
    asymptomatic hatched). df: day, source, category, cases; rows with no day are left out."""
    source_labels, category_labels = labels.source, labels.category
    days = df[df["day"].notna()] if not df.empty else df
    fig = go.Figure()
    for source in SOURCE_ORDER:
        for category in CATEGORY_ORDER:
            part = days[(days["source"] == source) & (days["category"] == category)] if not days.empty else days
            if part.empty and category != "confirmed":
                continue  # keep one (empty) trace per source so the legend is the same on every day
            name = f"{source_labels.get(source, source)} · {category_labels.get(category, category)}"
            fig.add_bar(x=list(part["day"]) if not part.empty else [], y=list(part["cases"]) if not part.empty else [],
                        name=name, legendgroup=source, meta={"source": source, "category": category},
                        marker=dict(color=SOURCE_COLOURS[source],
                                    pattern=dict(shape=CATEGORY_PATTERNS.get(category, ""), fillmode="overlay",
                                                 fgcolor="#ffffff", size=7, solidity=0.35)),
                        hovertemplate="%{x|%Y-%m-%d}: %{y}<extra>" + name + "</extra>")
    fig.update_layout(barmode="stack", bargap=0.1, legend=dict(traceorder="normal"))
    fig.update_xaxes(type="date")
    _day_range(fig, start, end, labels.date_format)
    peak = days.groupby("day")["cases"].sum().max() if not days.empty else 1
    _integer_axis(fig, peak)
    return _finish(fig, title, height, dark)


def case_points(df: pd.DataFrame, labels: CasesLabels) -> pd.DataFrame:
    """Case locations as map points (lon, lat, name, value_text, flag, colour) from cases_points: vermillion
    where a case is still active on D, grey where all have left hospital."""
    reported, active_label, past_label = labels.point_reported, labels.point_active, labels.point_past

    def when(a, b):
        a, b = pd.Timestamp(a).strftime("%Y-%m-%d"), pd.Timestamp(b).strftime("%Y-%m-%d")
        return reported.format(first=a, last=b) if a != b else reported.format(first=a, last="").rstrip("–- ")

    return pd.DataFrame({
        "lon": df["lon"].astype(float), "lat": df["lat"].astype(float),
        "name": [f"{ids}({v})" if isinstance(v, str) else ids for ids, v in zip(df["case_ids"], df["village"])],
        "value_text": [when(a, b) for a, b in zip(df["first_report"], df["last_report"])],
        "flag": [active_label if a > 0 else past_label for a in df["active"]],
        "colour": [ACTIVE_POINT if a > 0 else PAST_POINT for a in df["active"]],
    }, columns=["lon", "lat", "name", "value_text", "flag", "colour"])


def found_by_bar(df: pd.DataFrame, labels: CasesLabels, *, title: str | None = None, height: int = 340,
                 dark: bool = False) -> go.Figure:
    """How cases were found: one horizontal bar per way (the contract's order, all shown, 'not recorded' when
    present), stacked by source, with the total at the end. df: found_by, source, cases."""
    found_labels, source_labels = labels.found_by, labels.source
    df = df.assign(found_by=df["found_by"].fillna("unknown"))
    order = FOUND_BY_ORDER + [f for f in found_labels if f not in FOUND_BY_ORDER]
    if (df["found_by"] == "unknown").any():
        order.append("unknown")
    ways = {**found_labels, "unknown": labels.found_unknown}
    names = [ways.get(f, f) for f in order]
    fig = go.Figure()
    for source in SOURCE_ORDER:
        part = df[df["source"] == source].set_index("found_by")["cases"].reindex(order).fillna(0)
        fig.add_bar(y=names, x=list(part), orientation="h", name=source_labels.get(source, source),
                    marker_color=SOURCE_COLOURS[source],
                    meta={"source": source, "found_by": ["" if f == "unknown" else f for f in order]},
                    hovertemplate="%{y}: %{x}<extra>" + source_labels.get(source, source) + "</extra>")
    totals = df.groupby("found_by")["cases"].sum().reindex(order).fillna(0)
    fig.add_scatter(y=names, x=list(totals), mode="text", text=[f"{int(v)}" for v in totals],
                    textposition="middle right", showlegend=False, hoverinfo="skip")
    fig.update_layout(barmode="stack", bargap=0.3, legend=dict(traceorder="normal"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(rangemode="tozero", tickformat=",d", dtick=nice_step(float(totals.max()), 6),
                     range=[0, max(1.0, float(totals.max())) * 1.15])
    return _finish(fig, title, height, dark)


def contacts_over_time(df: pd.DataFrame, labels: CasesLabels, *, start=None, end=None, title: str | None = None,
                       height: int = 460, dark: bool = False) -> go.Figure:
    """Contacts in quarantine at the end of each day (stacked areas, top) and contacts traced per day (bars,
    bottom), by type (close warm, secondary cool) and place (centralised dark, home light).
    df: day, contact_type, quarantine_place, identified, in_quarantine."""
    type_labels, place_labels = labels.contact_type, labels.quarantine_place
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.62, 0.38], vertical_spacing=0.1,
                        subplot_titles=[labels.in_quarantine, labels.identified])
    for ctype in CONTACT_TYPES:
        for place in QUARANTINE_PLACES:
            part = df[(df["contact_type"] == ctype) & (df["quarantine_place"] == place)] if not df.empty else df
            if part.empty:
                continue
            name = f"{type_labels.get(ctype, ctype)} · {place_labels.get(place, place)}"
            colour = CONTACT_COLOURS.get((ctype, place), "#999999")
            codes = {"contact_type": ctype, "quarantine_place": "" if place == "unknown" else place}
            fig.add_scatter(x=part["day"], y=part["in_quarantine"], name=name, legendgroup=name, mode="lines",
                            stackgroup="q", line=dict(width=0.5, color=colour), fillcolor=colour,
                            meta={**codes, "series": "in_quarantine"},
                            hovertemplate="%{x|%Y-%m-%d}: %{y}<extra>" + name + "</extra>", row=1, col=1)
            fig.add_bar(x=part["day"], y=part["identified"], name=name, legendgroup=name, showlegend=False,
                        meta={**codes, "series": "identified"},
                        marker_color=colour, hovertemplate="%{x|%Y-%m-%d}: %{y}<extra>" + name + "</extra>",
                        row=2, col=1)
    fig.update_layout(barmode="stack", bargap=0.1, margin=dict(l=10, r=10, t=80, b=10),
                      legend=dict(y=1.1, traceorder="normal"))
    for row in (1, 2):
        _day_range(fig, start, end, labels.date_format, row=row, col=1)
    if not df.empty:
        _integer_axis(fig, df.groupby("day")["in_quarantine"].sum().max(), row=1, col=1)
        _integer_axis(fig, df.groupby("day")["identified"].sum().max(), row=2, col=1)
    fig.update_annotations(font=dict(size=15), x=0, xanchor="left")
    return _finish(fig, title, height, dark)


def transmission_tree(df: pd.DataFrame, labels: CasesLabels, *, title: str | None = None,
                      dark: bool = False) -> go.Figure:
    """Who infected whom, top-down: one row per generation (0 = source unknown), each case under its infector,
    linked by elbow lines; nodes coloured by category and labelled with the case id, category and report date.
    Cases outside the scope are hollow grey. df: clusters_chain."""
    category_labels, source_labels, found_labels = labels.category, labels.source, labels.found_by
    status_labels, generation_label, outside_label = labels.status, labels.generation, labels.outside
    nodes = df.copy()
    nodes["generation"] = nodes["generation"].fillna(0).astype(int)
    ids = set(nodes["case_id"])
    parent = {c: (p if isinstance(p, str) and p in ids else None)
              for c, p, g in zip(nodes["case_id"], nodes["infector_case_id"], nodes["generation"])}
    nodes = nodes.sort_values(["report_date", "case_id"])
    children: dict[str | None, list[str]] = {}
    for c in nodes["case_id"]:
        children.setdefault(parent[c], []).append(c)
    # tidy layout: leaves take the next slot left to right, a parent sits above the middle of its children
    x: dict[str, float] = {}
    slot = [0]

    def place(c: str, seen: frozenset) -> float:
        kids = [k for k in children.get(c, []) if k not in seen]
        if not kids:
            x[c] = slot[0]
            slot[0] += 1
        else:
            xs = [place(k, seen | {c}) for k in kids]
            x[c] = (min(xs) + max(xs)) / 2
        return x[c]

    for root in children.get(None, []):
        place(root, frozenset())
    for c in nodes["case_id"]:  # anything on an infector loop: its own slot
        if c not in x:
            x[c] = slot[0]
            slot[0] += 1
    y = dict(zip(nodes["case_id"], nodes["generation"]))

    fig = go.Figure()
    ex, ey = [], []
    for c, p in parent.items():
        if p is not None and p in x:
            mid = (y[p] + y[c]) / 2
            ex += [x[p], x[p], x[c], x[c], None]
            ey += [y[p], mid, mid, y[c], None]
    fig.add_scatter(x=ex, y=ey, mode="lines", line=dict(color="#888" if not dark else "#bbb", width=1.5),
                    hoverinfo="skip", showlegend=False)
    compact = slot[0] > 14
    h = labels.hover

    def day(v):
        return "" if pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d")

    def text(r):
        short = "" if pd.isna(r.report_date) else pd.Timestamp(r.report_date).strftime("%m-%d")
        return f"<b>{r.case_id}</b>" if compact else \
            f"<b>{r.case_id}</b> {short}<br>{category_labels.get(r.category, r.category)}"

    def hover(r):
        rows = [f"<b>{r.case_id}</b> · {category_labels.get(r.category, r.category)}",
                f"{h['infector']}: {r.infector_case_id if isinstance(r.infector_case_id, str) else '—'}",
                f"{h['source']}: {source_labels.get(r.source, r.source)}",
                f"{h['found_by']}: {found_labels.get(r.found_by, '—') if isinstance(r.found_by, str) else '—'}",
                f"{h['reported']}: {day(r.report_date)}", f"{h['onset']}: {day(r.onset_date) or '—'}",
                f"{h['place']}: {r.township or ''} {r.village or ''}",
                f"{h['status']}: {status_labels.get(r.status_on_day, r.status_on_day)}"]
        return "<br>".join(rows)

    inside = nodes["in_scope"].fillna(True).astype(bool)
    groups = [(category_labels.get(cat, cat), nodes[(nodes["category"] == cat) & inside],
               dict(color=CATEGORY_COLOURS.get(cat, "#999999"), size=20, line=dict(color="#333", width=1)))
              for cat in CATEGORY_ORDER] + \
             [(outside_label, nodes[~inside], dict(color="#bbbbbb", size=20, symbol="circle-open",
                                                   line=dict(color="#888", width=2)))]
    for i, (name, part, marker) in enumerate(groups):
        if part.empty:
            continue
        inside_scope = i < len(CATEGORY_ORDER)  # a case outside the scope has no records here
        fig.add_scatter(x=[x[c] for c in part["case_id"]], y=list(part["generation"]), mode="markers+text",
                        name=name, marker=marker, meta={"case_id": list(part["case_id"])} if inside_scope else None,
                        text=[text(r) for r in part.itertuples()],
                        textposition="middle right", textfont=dict(size=14, color="#222" if not dark else "#eee"),
                        hovertext=[hover(r) for r in part.itertuples()], hoverinfo="text")
    gens = sorted(set(y.values())) or [0]
    fig.update_yaxes(autorange=False, range=[max(gens) + 0.4, min(gens) - 0.4], tickvals=gens,
                     ticktext=[generation_label.format(n=g) for g in gens], showgrid=False, zeroline=False)
    fig.update_xaxes(visible=False, range=[-0.4, max(slot[0] - 0.2, 0.8)])
    fig.update_layout(showlegend=True, margin=dict(l=10, r=10, t=60, b=10))
    return _finish(fig, title, 100 + 110 * (max(gens) - min(gens) + 1), dark)


def display_table(df: pd.DataFrame, labels: dict[str, dict[str, str]]) -> pd.DataFrame:
    """A copy of df for a table: enumeration codes of some columns turned into labels, dates without a time,
    missing text empty."""
    out = df.copy()
    for col, names in labels.items():
        out[col] = [names.get(v, v) if isinstance(v, str) else "" for v in out[col]]
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = [v.strftime("%Y-%m-%d") if pd.notna(v) else "" for v in out[col]]
        elif out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].where(out[col].notna(), "")
    return out
