"""What an import tells its user: problems (with their zh/en messages) and per-file reports.

A :class:`Problem` is one finding about a file: file-level (``row is None``: not a
spreadsheet, empty, a required column missing, table unknown) or about one cell, with
the row number as the user sees it in Excel. Its ``reason`` is a stable code; the text
comes from the string tables (``sitrep/strings/ingest.<lang>.toml``, ``ingest.reason.<code>``) in either
language, as does the rest of a report, so the CLI, the Data page and the rejects file all say the same thing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from dataclasses import field as dc_field
from typing import Any

from sitrep import contract, i18n

# Reasons that are information only: they never reject a row.
INFO_REASONS = frozenset({"duplicate_key", "no_rows"})
REASON_PREFIX = "ingest.reason."


def reasons() -> list[str]:
    """Every reason code that has a message."""
    return [k[len(REASON_PREFIX):] for k in i18n.table(i18n.DEFAULT_LANG) if k.startswith(REASON_PREFIX)]


def both_languages(key: str, **values) -> str:
    """A string in Chinese and English at once, "行号/row": for files read by either (rejects, headers)."""
    return "/".join(i18n.t(key, lang, **values) for lang in i18n.LANGS)


@dataclass
class Problem:
    """One finding. ``row`` is the Excel row number (None for the whole file);
    ``column`` the header as written in the file (or the contract's Chinese name when the
    column is missing); ``field`` the canonical column name."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    reason: str
    field: str | None = None
    detail: dict[str, Any] = dc_field(default_factory=dict)

    @property
    def is_error(self) -> bool:
        return self.reason not in INFO_REASONS

    def message(self, lang: str = "zh") -> str:
        """The reason in words, without the location."""
        template = i18n.table(lang).get(REASON_PREFIX + self.reason, self.reason)
        values = {"column": self.column or "", "value": self.value or "", "row": self.row or ""}
        for k, v in self.detail.items():
            if isinstance(v, dict):  # e.g. target table names per language
                v = v.get(lang, next(iter(v.values())))
            values[k] = v
        try:
            return template.format(**values)
        except (KeyError, IndexError):
            return template

    def describe(self, lang: str = "zh") -> str:
        """Location + value + reason, one line."""
        where = []
        if self.row is not None:
            where.append(i18n.t("ingest.at_row", lang, row=self.row))
        if self.column and self.row is not None:
            where.append(i18n.t("ingest.at_column", lang, column=self.column))
        text = self.message(lang)
        if self.value not in (None, "") and self.row is not None:
            text = i18n.t("ingest.with_value", lang, value=self.value) + text
        loc = " ".join(where)
        return i18n.t("ingest.located", lang, where=loc, text=text) if loc else text

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["message_zh"] = self.message("zh")
        d["message_en"] = self.message("en")
        return d


@dataclass
class FileReport:
    """What happened to one file.

    ``rows_read`` counts data rows (blank rows are not data). ``rejected`` counts rows with
    at least one error; for a rejected file nothing was loaded whatever the counts say
    (a file-level problem leaves ``rejected`` = ``rows_read``). ``problems`` keeps at
    most :data:`~sitrep.ingest.load.MAX_PROBLEMS` entries; ``problem_count`` is the total.
    """

    file: str
    table: str | None = None
    sha256: str | None = None
    status: str = "rejected"  # loaded | partial | rejected
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    rejected: int = 0
    problems: list[Problem] = dc_field(default_factory=list)
    ignored_columns: list[str] = dc_field(default_factory=list)
    import_id: int | None = None
    problem_count: int = 0
    rejects_path: str | None = None
    sheet: str | None = None
    header_row: int | None = None
    # seconds the KPI cube took to come up to date after the import (sitrep.cube), the same for every file of it
    cube_seconds: float | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["problems"] = [p.to_dict() for p in self.problems]
        return d

    def summary(self, lang: str = "zh", max_problems: int | None = None) -> str:
        """A few lines for people: outcome, counts, ignored columns, then the problems."""
        def t(key: str, **values) -> str:
            return i18n.t(f"ingest.{key}", lang, **values)

        table = contract.TABLES_BY_NAME.get(self.table or "")
        if table:
            table_name = i18n.table_label(table.name, lang)
        elif self.table == "boundaries":
            table_name = t("table_boundaries")
        else:
            table_name = self.table or t("table_unknown")
        lines = [t("summary", file=self.file, table=table_name, status=t(f"status.{self.status}"),
                   rows_read=self.rows_read, inserted=self.inserted, updated=self.updated, rejected=self.rejected)]
        if self.ignored_columns:
            lines.append("  " + t("ignored_columns", columns=t("list_sep").join(self.ignored_columns)))
        if self.cube_seconds is not None:
            lines.append("  " + t("cube_updated", seconds=f"{self.cube_seconds:.2f}"))
        if self.rejects_path:
            lines.append("  " + t("rejects_written", path=self.rejects_path))
        shown = self.problems if max_problems is None else self.problems[:max_problems]
        for p in shown:
            lines.append("  - " + p.describe(lang))
        hidden = self.problem_count - len(shown)
        if hidden > 0:
            lines.append("  " + t("more_problems", n=hidden))
        return "\n".join(lines)
