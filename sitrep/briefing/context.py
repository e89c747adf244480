"""The day, scope and language a briefing or a projection screen is about, with the query function
that reads the data - the plain (non-Streamlit) counterpart of sitrep.ui.state.View."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable

import pandas as pd

from sitrep import i18n, l10n
from sitrep import regions as region_tree

Query = Callable[..., pd.DataFrame]


def as_date(value) -> date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def data_dates(query: Query) -> tuple[date, date]:
    """The first and last day of the daily data (queries/data_date_range.sql)."""
    bounds = query("data_date_range")
    return as_date(bounds["min_date"].iloc[0]), as_date(bounds["max_date"].iloc[0])


@dataclass(frozen=True)
class Context:
    query: Query
    as_of: date
    scope: str | None  # None = the whole city
    lang: str
    min_date: date
    regions: dict[str, dict] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def make(cls, query: Query, as_of: date | None = None, scope: str | None = None, lang: str = "zh") -> "Context":
        """A context on the data behind query; as_of defaults to the last day of the data. Raises
        ValueError for a scope that is not a township or village, or a language that does not exist."""
        if lang not in i18n.LANGS:
            raise ValueError(f"unknown language {lang!r} (one of {', '.join(i18n.LANGS)})")
        min_date, max_date = data_dates(query)
        regions = region_tree.index(query)
        if scope is not None and not region_tree.is_below_root(scope, regions):
            raise ValueError(f"unknown scope {scope!r}: give the code of a region below "
                             f"{regions.get(region_tree.root(regions), {}).get('name', 'the whole')} "
                             f"(a township or village; a county of a lake)")
        return cls(query, as_of or max_date, scope, lang, min_date, regions)

    @property
    def previous(self) -> date:
        return self.as_of - timedelta(days=1)

    @property
    def params(self) -> dict:
        return {"as_of": self.as_of, "region_code": self.scope}

    def t(self, key: str, **values) -> str:
        return i18n.t(key, self.lang, **values)

    def enums(self, table: str, column: str) -> dict[str, str]:
        return i18n.enum_labels(table, column, self.lang)

    def date_text(self, d: date) -> str:
        """'2022年3月31日' / 'Mar 31, 2022' (sitrep.l10n, as sitrep.ui.state.View)."""
        return l10n.full_date(d, self.lang)

    def short_date(self, d: date) -> str:
        """'3月31日' / 'Mar 31': the form briefings use inside a sentence."""
        return l10n.day(d, self.lang)

    @property
    def scope_name(self) -> str:
        if self.scope is None:
            return self.t(region_tree.whole_key(self.regions))
        return self.regions.get(self.scope, {}).get("name", self.scope)

    @property
    def child_level(self) -> str:
        return region_tree.child_level(self.scope, self.regions)
