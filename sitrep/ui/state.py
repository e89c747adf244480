"""The global view every page shares: as-of date, scope and language, kept in the URL.

`dashboard.py` calls :func:`controls` once per run, before the page runs; pages call
:func:`view` to read it. The state lives in the query parameters (``as_of``, ``scope``,
``lang``), so a link opens the same view.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import streamlit as st

from sitrep import drill, i18n, l10n
from sitrep import regions as region_tree
from sitrep.auth import web as access
from sitrep.ui.data import query, db_version

_CODE_RE = re.compile(r"\d{12}")


@dataclass(frozen=True)
class View:
    as_of: date
    scope: str | None  # None = the whole city
    lang: str
    min_date: date
    max_date: date

    @property
    def previous(self) -> date:
        return self.as_of - timedelta(days=1)

    def t(self, key: str, **values) -> str:
        return i18n.t(key, self.lang, **values)

    def labels(self, prefix: str, names) -> dict[str, str]:
        """{name: the string ``prefix.name``}: the headers of a table's columns (``view.labels("data.col",
        df.columns)``)."""
        return {n: self.t(f"{prefix}.{n}") for n in names}

    def enum(self, table: str, column: str, code) -> str:
        return i18n.enum_label(table, column, code, self.lang)

    def enums(self, table: str, column: str) -> dict[str, str]:
        return i18n.enum_labels(table, column, self.lang)

    def date_text(self, d: date) -> str:
        return l10n.full_date(d, self.lang)

    @property
    def as_of_text(self) -> str:
        """'截至2022年3月31日24时' / 'as of the end of 31 Mar 2022'."""
        return self.t("common.as_of", date=self.date_text(self.as_of))

    @property
    def params(self) -> dict:
        """The parameters every scoped query takes."""
        return {"as_of": self.as_of, "region_code": self.scope}


def current_lang() -> str:
    """Language before the widgets are drawn (navigation titles need it first)."""
    lang = st.session_state.get("w_lang") or st.query_params.get("lang") or i18n.DEFAULT_LANG
    return lang if lang in i18n.LANGS else i18n.DEFAULT_LANG


def _parse_date(text) -> date | None:
    try:
        return date.fromisoformat(str(text))
    except (TypeError, ValueError):
        return None


def regions_index() -> dict[str, dict]:
    """region_code -> {name, level, parent_code, root} for every region but groups (sitrep.regions)."""
    return region_tree.index(query)


def region_name(code: str) -> str:
    """A region's name (its code when there is no database yet or no such region)."""
    try:
        return regions_index().get(code, {}).get("name", code)
    except Exception:  # no database yet
        return code


def controls() -> View:
    """Draw the global controls in the sidebar and return the view. Reads the URL once
    per session, then keeps the URL in step with the widgets."""
    ss = st.session_state
    qp = st.query_params
    bounds = query("data_date_range")
    min_date = bounds["min_date"].iloc[0]
    max_date = bounds["max_date"].iloc[0]
    min_date = min_date.date() if hasattr(min_date, "date") else min_date
    max_date = max_date.date() if hasattr(max_date, "date") else max_date
    regions = regions_index()

    if ss.get("_url_read") != db_version():
        # first run of the session (or a new database): the URL decides
        lang = qp.get("lang")
        ss.w_lang = lang if lang in i18n.LANGS else ss.get("w_lang", i18n.DEFAULT_LANG)
        as_of = _parse_date(qp.get("as_of"))
        ss.w_as_of = as_of if as_of and min_date <= as_of <= max_date else ss.get("w_as_of", max_date)
        scope = qp.get("scope")
        ss.sitrep_scope = scope if region_tree.is_below_root(scope, regions) else None
        ss._url_read = db_version()

    lang = ss.w_lang
    with st.sidebar:
        st.radio("语言 / Language", i18n.LANGS, key="w_lang", horizontal=True,
                 format_func=lambda x: {"zh": "中文", "en": "English"}[x])
        lang = ss.w_lang
        days = day_range(min_date, max_date)
        if ss.get("w_as_of") not in days:
            ss.w_as_of = max_date
        day_select(st, i18n.t("common.as_of_label", lang), days, key="w_as_of", lang=lang)
        _scope_picker(regions, lang)

    as_of = ss.w_as_of or max_date
    # a township user's view never leaves the township (URL, widgets, drill-up alike)
    scope = ss.sitrep_scope = access.clamp_scope(ss.get("sitrep_scope"))
    wanted = {"lang": lang, "as_of": as_of.isoformat()}
    if scope:
        wanted["scope"] = scope
    if qp.get("records"):  # the records dialog a page has open (sitrep.ui.widgets.records_dialog), and the
        # day and filter of a chart's mark (sitrep.drill)
        wanted.update({k: qp[k] for k in drill.URL_PARAMS if qp.get(k)})
    if dict(qp) != wanted:
        qp.from_dict(wanted)
    return View(as_of=as_of, scope=scope, lang=lang, min_date=min_date, max_date=max_date)


def day_range(first: date, last: date) -> list[date]:
    """The days last .. first, newest first (the options of a day picker)."""
    return [last - timedelta(days=i) for i in range((last - first).days + 1)]


def day_select(where, label: str, days: list, *, key: str, lang: str, none_label: str | None = None):
    """A day picked from a list, each written in the reader's language (2022年1月16日周日 / Sun, Jan 16, 2022):
    Streamlit's calendar writes its months and weekdays in English whatever the page's language, this list does
    not; typing filters it. ``none_label``: a first option for no day."""
    options = ([None] if none_label is not None else []) + list(days)
    return where.selectbox(label, options, key=key,
                           format_func=lambda d: none_label if d is None else l10n.day_with_weekday(d, lang))


def set_scope(code: str | None) -> None:
    """Drill down (or up) to a region; None is the whole (the city; a lake's prefecture or province)."""
    st.session_state.sitrep_scope = access.clamp_scope(code)
    for level in PICKER_LEVELS:
        st.session_state.pop(f"w_{level}", None)


# the scope pickers, from the top: each lists the regions below the one picked above it (the widget key is
# w_<level>; a county-level city is picked as a county)
PICKER_LEVELS = ("prefecture", "county", "township", "village")


def _picker_level(level: str) -> str:
    return "county" if level == "city" else level


def _scope_picker(regions: dict[str, dict], lang: str) -> None:
    """One select box per level below the root, down to the picked region's children: the counties of a
    lake's prefecture, then the townships, then the villages. A township user picks only among the villages
    of their township."""
    ss = st.session_state
    limit = access.scope_limit()
    scope = access.clamp_scope(ss.get("sitrep_scope")) if limit else ss.get("sitrep_scope")
    # the picked region and the regions above it, below the root (a township user: from their township)
    path, code = [], scope
    while code is not None and region_tree.is_below_root(code, regions):
        path.append(code)
        code = None if code == limit else regions[code]["parent_code"]
    path.reverse()
    above = regions[limit]["parent_code"] if limit else region_tree.root(regions)
    for depth in range(len(PICKER_LEVELS)):
        options = [limit] if (limit and depth == 0) else region_tree.children(above, regions)
        options = [c for c in options if c != above]
        if above is None or not options:
            break
        level = _picker_level(regions[options[0]]["level"])
        current = path[depth] if depth < len(path) else None
        key = f"w_{level}"
        ss[key] = current
        everything = i18n.t(region_tree.whole_key(regions) if depth == 0 else f"common.all_{level}", lang)
        up = above if depth > 0 else None
        st.selectbox(i18n.t(f"common.{level}", lang), options if (limit and depth == 0) else [None, *options],
                     key=key, placeholder=everything,
                     format_func=lambda c, e=everything: e if c is None else regions.get(c, {}).get("name", c),
                     on_change=lambda k=key, u=up: set_scope(ss[k] or u))
        if current is None or regions[current]["level"] == "village":
            break
        above = current


def scope_name(view: View) -> str:
    if view.scope is None:
        return view.t(whole_key())
    regions = regions_index()
    return regions.get(view.scope, {}).get("name", view.scope)


def parent_scope(code: str | None) -> str | None:
    """The scope one level up (village -> township -> county of a lake); None at the root's children."""
    return region_tree.parent(code, regions_index())


def whole_key() -> str:
    """The string key of the whole scope's name: 全市 (a city, a prefecture), 全县, 全省 (sitrep.regions)."""
    return region_tree.whole_key(regions_index())