"""The KPI catalogue (data/kpis.toml): names, definitions, units, thresholds and status."""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

CATALOGUE_FILE = Path(__file__).resolve().parent.parent / "data" / "kpis.toml"
PILLARS = ("cases", "command", "monitoring", "screening", "publicity", "preparedness")
STATUSES = ("ok", "amber", "red", "none")


@dataclass(frozen=True)
class Kpi:
    key: str
    pillar: str
    zh: str
    en: str
    def_zh: str
    def_en: str
    unit_zh: str
    unit_en: str
    up_is_good: bool
    decimals: int
    tables: tuple[str, ...]
    records: str
    amber: float | None = None
    red: float | None = None

    def name(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def definition(self, lang: str) -> str:
        return self.def_zh if lang == "zh" else self.def_en

    def unit(self, lang: str) -> str:
        return self.unit_zh if lang == "zh" else self.unit_en

    def status(self, value: float | None) -> str:
        """ok / amber / red from the thresholds; none when the KPI has none or no value."""
        if value is None or (isinstance(value, float) and math.isnan(value)) or self.amber is None:
            return "none"
        if self.up_is_good:
            if self.red is not None and value < self.red:
                return "red"
            return "amber" if value < self.amber else "ok"
        if self.red is not None and value >= self.red:
            return "red"
        return "amber" if value >= self.amber else "ok"

    def thresholds_text(self, lang: str = "zh") -> str:
        """The thresholds in words, for help texts: "黄色：≥80%；红色：≥90%" / "amber: ≥ 80%; red: ≥ 90%";
        "" for a KPI that only informs."""
        if self.amber is None:
            return ""
        sign = "<" if self.up_is_good else "≥"
        def fmt(v: float) -> str:  # a whole threshold without decimals: "≥80%", not "≥80.0%"
            return replace(self, decimals=0 if float(v).is_integer() else self.decimals).format(v, lang)

        amber, red = fmt(self.amber), fmt(self.red)
        if lang == "zh":
            return f"黄色：{sign}{amber}；红色：{sign}{red}"
        return f"amber: {sign} {amber}; red: {sign} {red}"

    def format(self, value: float | None, lang: str = "zh") -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "—"
        text = f"{value:,.{self.decimals}f}"
        unit = self.unit(lang)
        if unit == "%":
            return text + "%"
        return f"{text} {unit}".strip() if lang == "en" else f"{text}{unit}"


class CatalogueError(ValueError):
    pass


@lru_cache(maxsize=4)
def load(path: Path = CATALOGUE_FILE) -> tuple[Kpi, ...]:
    """Read and check the catalogue; raise CatalogueError naming the entry and key."""
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    kpis = []
    for i, entry in enumerate(raw.get("kpi", []), start=1):
        where = f"{path.name}: kpi #{i} ({entry.get('key', '?')})"
        try:
            kpi = Kpi(
                key=entry["key"], pillar=entry["pillar"], zh=entry["zh"], en=entry["en"],
                def_zh=entry["def_zh"], def_en=entry["def_en"],
                unit_zh=entry["unit_zh"], unit_en=entry["unit_en"],
                up_is_good=bool(entry["up_is_good"]), decimals=int(entry["decimals"]),
                tables=tuple(entry["tables"]), records=entry["records"],
                amber=entry.get("amber"), red=entry.get("red"),
            )
        except KeyError as e:
            raise CatalogueError(f"{where}: missing key {e.args[0]}") from None
        if kpi.pillar not in PILLARS:
            raise CatalogueError(f"{where}: pillar {kpi.pillar!r} is not one of {', '.join(PILLARS)}")
        if (kpi.amber is None) != (kpi.red is None):
            raise CatalogueError(f"{where}: give both amber and red, or neither")
        kpis.append(kpi)
    keys = [k.key for k in kpis]
    if len(set(keys)) != len(keys):
        raise CatalogueError(f"{path.name}: duplicate KPI keys")
    return tuple(kpis)


def by_key() -> dict[str, Kpi]:
    return {k.key: k for k in load()}


def for_pillar(pillar: str) -> list[Kpi]:
    return [k for k in load() if k.pillar == pillar]
