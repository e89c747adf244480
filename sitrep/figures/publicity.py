"""Figure builders for the publicity page ("one flag"): channel mix, reach per head, themes by week."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sitrep import i18n, l10n
from sitrep.figures import FONT, PALETTE, _finish, area_strings, nice_step

CHANNELS = ("vehicle", "cable_tv", "village_broadcast", "loudspeaker", "bulletin_board", "poster", "leaflet",
            "sms", "wechat")
THEMES = ("knowledge", "protection", "policy", "vaccination", "confidence")
THEME_COLOURS = {"knowledge": PALETTE[0], "protection": PALETTE[2], "policy": PALETTE[1],
                 "vaccination": PALETTE[5], "confidence": PALETTE[4], None: PALETTE[8]}


@dataclass(frozen=True)
class PublicityLabels:
    """The words of the publicity charts in one language: the contract's enumerations (code -> label) and the
    publicity strings (sitrep/strings/publicity.*.toml); ``lang`` writes the large counts (万 or K/M). ``of(lang)``
    builds them; a field left out shows codes."""
    lang: str = i18n.DEFAULT_LANG
    channel: Mapping[str, str] = field(default_factory=dict)
    activities: str = ""
    reach: str = ""
    reach_axis: str = ""
    reach_average: str = "{v}"  # takes {v}
    theme: Mapping[str, str] = field(default_factory=dict)
    theme_unspecified: str = ""
    themes_week: str = ""

    @classmethod
    def of(cls, lang: str) -> "PublicityLabels":
        t = area_strings("publicity", lang)

        return cls(lang=lang, channel=i18n.enum_labels("publicity", "channel", lang), activities=t("activities"),
                   reach=t("reach"), reach_axis=t("reach_axis"), reach_average=t("reach_average"),
                   theme=i18n.enum_labels("publicity", "theme", lang), theme_unspecified=t("theme_unspecified"),
                   themes_week=t("themes_week"))


def big_number(v: float, lang: str) -> str:
    """A count as people read it: 547万 / 5.47M, in full below ten thousand (sitrep.l10n.compact)."""
    return l10n.compact(v, lang)


def channel_mix(df: pd.DataFrame, labels: PublicityLabels, *, title: str | None = None, height: int = 380,
                dark: bool = False) -> go.Figure:
    """Activities and people reached by channel, side by side on one channel axis in the contract's
    order (df: channel, activities, reach)."""
    channel_labels, activities_label, reach_label, lang = labels.channel, labels.activities, labels.reach, labels.lang
    df = df.set_index("channel").reindex(list(CHANNELS)).fillna(0).reset_index()
    names = [channel_labels.get(c, c) for c in df["channel"]]
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=[activities_label, reach_label])
    fig.add_bar(x=df["activities"], y=names, orientation="h", marker_color=PALETTE[0], name=activities_label,
                text=[f"{int(v):,}" for v in df["activities"]], textposition="outside", cliponaxis=False,
                meta={"channel": list(df["channel"])},  # the codes behind the marks (sitrep.drill)
                hovertemplate="%{y}: %{x:,}<extra>" + activities_label + "</extra>", row=1, col=1)
    fig.add_bar(x=df["reach"], y=names, orientation="h", marker_color=PALETTE[2], name=reach_label,
                text=[big_number(v, lang) for v in df["reach"]], textposition="outside", cliponaxis=False,
                meta={"channel": list(df["channel"])},
                hovertemplate="%{y}: %{x:,}<extra>" + reach_label + "</extra>", row=1, col=2)
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(rangemode="tozero", showticklabels=False, showgrid=False)
    fig.update_xaxes(range=[0, max(1.0, float(df["activities"].max())) * 1.3], row=1, col=1)
    fig.update_xaxes(range=[0, max(1.0, float(df["reach"].max())) * 1.35], row=1, col=2)
    fig.update_annotations(font=dict(size=15, family=FONT))
    fig.update_layout(showlegend=False, bargap=0.3)
    return _finish(fig, title, height, dark)


def reach_per_head(df: pd.DataFrame, labels: PublicityLabels, *, title: str | None = None,
                   height: int | None = None, dark: bool = False) -> go.Figure:
    """People reached per resident by region, highest first, with the scope's overall value as a line
    (df: name, reach_per_head, scope_reach_per_head)."""
    axis_label, average_label = labels.reach_axis, labels.reach_average
    df = df.sort_values("reach_per_head", ascending=False, na_position="last")
    fig = go.Figure(go.Bar(
        x=df["reach_per_head"], y=df["name"], orientation="h", marker_color=PALETTE[2],
        text=[("—" if pd.isna(v) else f"{v:.2f}") for v in df["reach_per_head"]], textposition="outside",
        cliponaxis=False, hovertemplate="%{y}: %{x:.2f}<extra></extra>",
    ))
    if not df.empty and pd.notna(df["scope_reach_per_head"].iloc[0]):
        avg = float(df["scope_reach_per_head"].iloc[0])
        fig.add_vline(x=avg, line=dict(color="#444" if not dark else "#ddd", dash="dash", width=2), layer="below")
        fig.add_annotation(x=avg, y=1, yref="paper", yanchor="bottom", showarrow=False,
                           text=average_label.format(v=f"{avg:.2f}"))
    top = df["reach_per_head"].max() if not df.empty else None
    top = float(top) if pd.notna(top) and top else 1.0
    fig.update_xaxes(title=axis_label, rangemode="tozero", range=[0, top * 1.2])
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_layout(showlegend=False, bargap=0.25, margin=dict(l=10, r=10, t=70, b=10))
    return _finish(fig, title, height or max(260, 26 * len(df) + 90), dark)


def themes_by_week(df: pd.DataFrame, labels: PublicityLabels, *, title: str | None = None, height: int = 360,
                   dark: bool = False) -> go.Figure:
    """Activities per week stacked by theme, in the contract's order (df: week_start, week_end, theme,
    activities). The x axis is the week's last day."""
    theme_labels, unspecified, week_label = labels.theme, labels.theme_unspecified, labels.themes_week
    fig = go.Figure()
    present = set(df["theme"].dropna())
    order = [t for t in THEMES if t in present] + sorted(present - set(THEMES))
    if df["theme"].isna().any():
        order.append(None)
    for theme in order:
        part = df[df["theme"].isna()] if theme is None else df[df["theme"] == theme]
        name = unspecified if theme is None else theme_labels.get(theme, theme)
        fig.add_bar(x=part["week_end"], y=part["activities"], name=name,
                    marker_color=THEME_COLOURS.get(theme, PALETTE[7]),
                    customdata=part["week_start"], meta={"theme": theme or ""},  # its code (sitrep.drill)
                    hovertemplate="%{customdata|%m-%d} – %{x|%m-%d}: %{y:,}<extra>" + name + "</extra>")
    fig.update_layout(barmode="stack", bargap=0.15, legend=dict(y=-0.22, yanchor="top", traceorder="normal"))
    fig.update_xaxes(title=week_label, tickformat="%m-%d")
    peak = float(df.groupby("week_end")["activities"].sum().max()) if not df.empty else 0.0
    fig.update_yaxes(rangemode="tozero", tickformat=",d", dtick=nice_step(peak))
    return _finish(fig, title, height, dark)
