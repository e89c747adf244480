"""What an import tells its user: problems (with their zh/en messages) and per-file reports.

A :class:`Problem` is one finding about a file: file-level (``row is None``: not a
spreadsheet, empty, a required column missing, table unknown) or about one cell, with
the row number as the user sees it in Excel. Its ``reason`` is a stable code; the text
comes from :data:`MESSAGES` in either language, so the CLI, the Data page and the
rejects file all say the same thing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from dataclasses import field as dc_field
from typing import Any

# reason code -> (zh, en). Placeholders: {column} {value} {row} and the problem's detail keys.
MESSAGES: dict[str, tuple[str, str]] = {
    # file level
    "no_such_file": ("文件不存在", "no such file"),
    "not_text": ("不是表格或文本文件（无法识别的编码或二进制内容）",
                 "not a spreadsheet or text file (binary content or unknown encoding)"),
    "old_xls": ("不支持旧版 .xls 格式，请另存为 .xlsx 或 CSV", "old .xls format is not supported; save as .xlsx or CSV"),
    "bad_xlsx": ("无法读取 Excel 文件：{error}", "cannot read the Excel file: {error}"),
    "no_sheet": ("找不到工作表“{sheet}”（现有：{sheets}）", "no sheet named '{sheet}' (sheets: {sheets})"),
    "bad_geojson": ("无法读取 GeoJSON：{error}", "cannot read the GeoJSON: {error}"),
    "empty": ("文件为空（没有表头）", "the file is empty (no header row)"),
    "no_rows": ("文件只有表头，没有数据行", "the file has a header but no data rows"),
    "unknown_table": ("无法判断是哪张表：表头与任何表都不匹配（已比对：{considered}）",
                      "cannot tell which table this is: the headers match no table (considered: {considered})"),
    "ambiguous_table": ("无法判断是哪张表：表头同样符合 {considered}，请用 --table 指定",
                        "cannot tell which table this is: the headers fit {considered} equally; use --table"),
    "missing_column": ("缺少必填列“{column}”", "required column '{column}' is missing"),
    "missing_region_column": ("缺少区划列：需要“区划代码”，或“乡镇/街道”（可加“村/社区”）",
                              "no region column: needs 'region_code', or 'township' (optionally with 'village')"),
    "duplicate_column": ("列“{column}”出现多次（表头：{headers}）", "column '{column}' appears more than once (headers: {headers})"),
    "internal_error": ("导入时发生内部错误：{error}", "internal error during import: {error}"),
    # limits (sitrep.ingest.readers): a hostile or broken file is refused before it costs memory
    "cell_too_large": ("第 {row} 行“{column}”列的单元格有 {chars} 个字符，超过上限 {limit} 个字符（Excel 单元格的上限）",
                       "row {row}, column '{column}': the cell has {chars} characters, more than the limit of {limit} "
                       "(Excel's own limit for a cell)"),
    "cell_too_large_part": ("Excel 文件的 {part} 中有超过 {limit} 个字符的单元格（超过上限）",
                            "the Excel file's {part} holds a cell of more than {limit} characters (over the limit)"),
    "too_many_columns": ("第 {row} 行有 {count} 列，超过上限 {limit} 列",
                         "row {row} has {count} columns, more than the limit of {limit}"),
    "too_many_rows": ("文件有 {count} 行，超过上限 {limit} 行", "the file has {count} rows, more than the limit of {limit}"),
    "line_too_long": ("文件中有一行超过 {limit}，超过单行上限", "a line of the file is longer than {limit}, the limit for one line"),
    "xlsx_too_large": ("Excel 文件解压后有 {size}，超过上限 {limit}",
                       "the Excel file unpacks to {size}, more than the limit of {limit}"),
    "xlsx_ratio": ("Excel 文件的 {part} 压缩比为 {ratio}:1，超过上限 {limit}:1（疑似压缩炸弹）",
                   "the Excel file's {part} is packed {ratio}:1, more than the limit of {limit}:1 (a zip bomb?)"),
    # row level
    "extra_values": ("该行的数据比表头多出 {count} 列", "this row has {count} more values than the header"),
    "missing_value": ("必填项为空", "required value is empty"),
    "bad_date": ("不是有效日期（如 2022-01-15、2022/1/15、2022年1月15日、20220115）",
                 "not a valid date (e.g. 2022-01-15, 2022/1/15, 2022年1月15日, 20220115)"),
    "bad_timestamp": ("不是有效时间（如 2022-01-15 08:30、2022/1/15 8:30、2022年1月15日 8时30分）",
                      "not a valid date-time (e.g. 2022-01-15 08:30, 2022/1/15 8:30, 2022年1月15日 8时30分)"),
    "bad_int": ("不是整数", "not a whole number"),
    "bad_number": ("不是数字", "not a number"),
    "negative": ("不能为负数", "may not be negative"),
    "bad_bool": ("不是“是/否”（可填 是/否、有/无、√/×、Y/N、TRUE/FALSE、1/0）",
                 "not a yes/no value (accepted: 是/否, 有/无, √/×, Y/N, TRUE/FALSE, 1/0)"),
    "bad_enum": ("不是可选值之一（可选：{allowed}）", "not one of the accepted values ({allowed})"),
    "bad_id_number": ("身份证号应为18位（17位数字 + 数字或X）", "an ID number has 18 characters (17 digits + a digit or X)"),
    "bad_check_digit": ("身份证号校验位错误", "ID number check digit is wrong"),
    "bad_mobile": ("不是11位手机号码", "not an 11-digit mobile number"),
    "bad_pool_size": ("混检比例只能是 1、5、10 或 20", "pool size must be 1, 5, 10 or 20"),
    "bad_region_code": ("区划代码应为12位（组为15位）数字", "a region code has 12 digits (15 for a group)"),
    "unknown_region": ("区划中没有该地区", "no such region in the regions table"),
    "ambiguous_region": ("该名称对应多个地区，请填写区划代码", "this name matches several regions; give the region code"),
    "region_mismatch": ("区划代码与乡镇/村名称不一致（名称对应 {resolved}）",
                        "region code does not match the township/village names (the names give {resolved})"),
    "unknown_reference": ("在{target}中找不到该编号", "not found in {target}"),
    "date_order": ("早于同一行的“{other}”", "is before '{other}' on the same row"),
    "missing_key": ("“{column}”和“{fallback}”至少填一项", "give '{column}' or '{fallback}'"),
    "missing_geometry": ("要素没有几何图形", "the feature has no geometry"),
    # information, not errors
    "duplicate_key": ("与第 {later_row} 行重复（同一主键），以后者为准",
                      "same key as row {later_row}; the later row is kept"),
}

# Reasons that are information only: they never reject a row.
INFO_REASONS = frozenset({"duplicate_key", "no_rows"})


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
        zh, en = MESSAGES.get(self.reason, (self.reason, self.reason))
        template = zh if lang == "zh" else en
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
            where.append(f"第{self.row}行" if lang == "zh" else f"row {self.row}")
        if self.column and self.row is not None:
            where.append(f"“{self.column}”" if lang == "zh" else f"column '{self.column}'")
        text = self.message(lang)
        if self.value not in (None, "") and self.row is not None:
            text = (f"值“{self.value}”：" if lang == "zh" else f"value '{self.value}': ") + text
        loc = " ".join(where)
        return f"{loc}：{text}" if (loc and lang == "zh") else (f"{loc}: {text}" if loc else text)

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
        from sitrep import contract

        zh = lang == "zh"
        table = contract.TABLES_BY_NAME.get(self.table or "")
        if table:
            table_name = table.zh if zh else table.en
        elif self.table == "boundaries":
            table_name = "行政区划边界" if zh else "Boundaries"
        else:
            table_name = self.table or ("未知表" if zh else "unknown table")
        status = {
            "loaded": ("已导入", "loaded"),
            "partial": ("部分导入（无效行已跳过）", "partly loaded (invalid rows skipped)"),
            "rejected": ("未导入", "rejected"),
        }[self.status][0 if zh else 1]
        if zh:
            head = (f"{self.file} → {table_name}：{status}。读取 {self.rows_read} 行，新增 {self.inserted} 行，"
                    f"更新 {self.updated} 行，无效 {self.rejected} 行。")
        else:
            head = (f"{self.file} -> {table_name}: {status}. {self.rows_read} rows read, {self.inserted} inserted, "
                    f"{self.updated} updated, {self.rejected} invalid.")
        lines = [head]
        if self.ignored_columns:
            cols = "、".join(self.ignored_columns) if zh else ", ".join(self.ignored_columns)
            lines.append(f"  已忽略未知列：{cols}" if zh else f"  ignored unknown columns: {cols}")
        if self.cube_seconds is not None:
            lines.append(f"  各地区各日指标已重新计算，用时 {self.cube_seconds:.2f} 秒" if zh
                         else f"  KPI cube (every KPI for every place and day) updated in {self.cube_seconds:.2f} s")
        if self.rejects_path:
            lines.append(f"  无效行已写入：{self.rejects_path}" if zh else f"  invalid rows written to: {self.rejects_path}")
        shown = self.problems if max_problems is None else self.problems[:max_problems]
        for p in shown:
            lines.append("  - " + p.describe(lang))
        hidden = self.problem_count - len(shown)
        if hidden > 0:
            lines.append(f"  …… 另有 {hidden} 个问题未列出" if zh else f"  ... and {hidden} more problems not listed")
        return "\n".join(lines)
