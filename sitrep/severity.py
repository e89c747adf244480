"""The severity model (data/severity.toml): what is red, amber or for information on a day at a scope, in what
order, and the sentence that says it - one assessment shared by the Overview, the projection screen, the daily
briefing and the counts of the alerts.

:func:`assess` reads the day through a ``query(name, **params) -> DataFrame`` callable (cached
``sitrep.ui.query`` on the pages, ``Database.query`` in the briefing and on the screen) and returns a
:class:`Situation`: the items (one rule met at one place), ordered by level, rule weight and size; the items
folded by rule and KPI (:func:`fold`); the township (or village) ranking, 红黑榜 (:func:`ranking`); and the facts of
the headline (:func:`headline`): new local cases with their township and village, imported cases by source, the
days since the last local case, what got worse since the day before, how many items need a decision.

KPI values come from sitrep.decisions (kpi_values, kpis_by_region), so the KPI items agree with the KPI cards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Callable

import pandas as pd

from sitrep import catalogue, decisions, i18n, l10n, tomlfile
from sitrep import regions as region_tree
from sitrep.warning.config import load_config as load_warning

CONFIG_FILE = Path(__file__).resolve().parent.parent / "data" / "severity.toml"
KINDS = ("cluster", "case", "sentinel", "kpi")
LEVELS = ("red", "amber", "info")
# the catalogue statuses an item can take, and the status the cards and maps give a level
LEVEL_STATUS = {"red": "red", "amber": "amber", "info": "none"}
Query = Callable[..., pd.DataFrame]

ITEM_COLUMNS = ["rule", "level", "weight", "size", "kpi", "item", "region_code", "township_code", "where",
                "value", "value_text", "detail", "pillar", "responsible_person", "phone"]

_RULE_KEYS = {
    "cluster": {"key", "kind", "level", "weight", "sources", "categories", "min_cases", "recent_days"},
    "case": {"key", "kind", "level", "weight", "sources", "categories"},
    "sentinel": {"key", "kind", "level", "weight", "statistic", "consecutive_days"},
    "kpi": {"key", "kind", "exclude", "default_weight", "weights"},
}


class SeverityConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Rule:
    key: str
    kind: str
    level: str = "red"  # a kpi rule takes each KPI's own level from the catalogue
    weight: float = 0
    sources: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    min_cases: int = 2
    recent_days: int = 7
    statistic: str = "c2"
    consecutive_days: int = 2
    exclude: tuple[str, ...] = ()
    default_weight: float = 0
    weights: dict = field(default_factory=dict, compare=False, hash=False)

    def kpi_weight(self, kpi: str) -> float:
        return float(self.weights.get(kpi, self.default_weight))


@dataclass(frozen=True)
class SeverityConfig:
    levels: tuple[str, ...]
    rules: tuple[Rule, ...]

    def rank(self, level: str) -> int:
        return self.levels.index(level)

    def rules_of(self, kind: str) -> list[Rule]:
        return [r for r in self.rules if r.kind == kind]

    def local_case_rule(self) -> Rule | None:
        """The case rule of local cases (the headline's new local cases and days since the last one)."""
        return next((r for r in self.rules_of("case") if "local" in r.sources), None)


def load_config(path: Path = CONFIG_FILE) -> SeverityConfig:
    """Read and check data/severity.toml; raise SeverityConfigError naming the rule and key."""
    return _load(Path(path), Path(path).stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _load(path: Path, _stamp: int) -> SeverityConfig:
    raw = tomlfile.read(path, "severity model", SeverityConfigError)
    unknown = sorted(set(raw) - {"levels", "rule"})
    if unknown:
        raise SeverityConfigError(f"{path.name}: unknown keys {', '.join(unknown)}")
    levels = tuple(raw.get("levels", {}).get("order", LEVELS))
    if sorted(levels) != sorted(LEVELS):
        raise SeverityConfigError(f"{path.name}: [levels] order must list {', '.join(LEVELS)} once each")
    cat = catalogue.by_key()
    rules = []
    for i, entry in enumerate(raw.get("rule", []), start=1):
        where = f"{path.name}: rule #{i} ({entry.get('key', '?')})"
        kind = entry.get("kind")
        if kind not in KINDS:
            raise SeverityConfigError(f"{where}: kind must be one of {', '.join(KINDS)} (got {kind!r})")
        extra = sorted(set(entry) - _RULE_KEYS[kind])
        if extra:
            raise SeverityConfigError(f"{where}: unknown keys {', '.join(extra)}")
        if "key" not in entry:
            raise SeverityConfigError(f"{where}: missing key key")
        if kind != "kpi":
            for required in sorted(_RULE_KEYS[kind] - {"key", "kind"}):
                if required not in entry:
                    raise SeverityConfigError(f"{where}: missing key {required}")
            if entry["level"] not in LEVELS:
                raise SeverityConfigError(f"{where}: level must be one of {', '.join(LEVELS)}")
        rule = Rule(key=entry["key"], kind=kind, level=entry.get("level", "red"), weight=float(entry.get("weight", 0)),
                    sources=tuple(entry.get("sources", ())), categories=tuple(entry.get("categories", ())),
                    min_cases=int(entry.get("min_cases", 2)), recent_days=int(entry.get("recent_days", 7)),
                    statistic=entry.get("statistic", "c2"), consecutive_days=int(entry.get("consecutive_days", 2)),
                    exclude=tuple(entry.get("exclude", ())), default_weight=float(entry.get("default_weight", 0)),
                    weights=dict(entry.get("weights", {})))
        bad = [k for k in (*rule.exclude, *rule.weights) if k not in cat]
        if bad:
            raise SeverityConfigError(f"{where}: not KPIs of data/kpis.toml: {', '.join(bad)}")
        if rule.statistic not in ("c1", "c2", "c3", "mp"):
            raise SeverityConfigError(f"{where}: statistic must be c1, c2, c3 or mp")
        if rule.consecutive_days < 1 or rule.min_cases < 1 or rule.recent_days < 1:
            raise SeverityConfigError(f"{where}: consecutive_days, min_cases and recent_days must be positive")
        rules.append(rule)
    keys = [r.key for r in rules]
    if len(set(keys)) != len(keys):
        raise SeverityConfigError(f"{path.name}: duplicate rule keys")
    return SeverityConfig(levels, tuple(rules))


# ---------------------------------------------------------------- words


def t(key: str, lang: str, **values) -> str:
    return i18n.t(f"severity.{key}", lang, **values)


def place_text(township: str | None, village: str | None, lang: str) -> str:
    """'白沙镇三湾村' / '三湾村, 白沙镇'; the township alone when there is no village."""
    township = township if isinstance(township, str) else ""
    village = village if isinstance(village, str) else ""
    if not village:
        return township
    if not township:
        return village
    return f"{township}{village}" if lang == "zh" else f"{village}, {township}"


def _enum(column: str, code: str, lang: str) -> str:
    """A case enum label as it reads inside a sentence ("确诊", "confirmed")."""
    label = i18n.enum_label("cases", column, code, lang)
    return label if lang == "zh" else label[:1].lower() + label[1:]


def _cases(n: int, lang: str) -> str:
    return t("cases_n", lang, n=n) if lang == "zh" or n != 1 else t("case_1", lang)


# ---------------------------------------------------------------- the items


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="float64" if c in ("weight", "size", "value") else "object")
                         for c in ITEM_COLUMNS})


def _case_items(rule: Rule, cases: pd.DataFrame, lang: str) -> list[dict]:
    df = cases[cases["source"].isin(rule.sources) & cases["category"].isin(rule.categories)]
    rows = []
    place = df["village_code"].fillna(df["township_code"])
    for code, g in df.groupby(place, sort=True):
        first = g.iloc[0]
        parts = []
        for (source, category), h in g.groupby(["source", "category"], sort=True):
            parts.append(t("case_detail", lang, source=_enum("source", source, lang),
                           category=_enum("category", category, lang),
                           cases=_cases(int(h["cases"].sum()), lang)))
        n = int(g["cases"].sum())
        rows.append(dict(rule=rule.key, level=rule.level, weight=rule.weight, size=float(n), kpi=None,
                         item=t(f"item.{rule.key}", lang), region_code=code, township_code=first["township_code"],
                         where=place_text(first["township"], first["village"], lang), value=float(n),
                         value_text=_cases(n, lang), detail=t("list_sep", lang).join(parts), pillar="cases"))
    return rows


def _cluster_items(rule: Rule, clusters: pd.DataFrame, lang: str, as_of: date) -> list[dict]:
    rows = []
    for cluster_id, g in clusters.groupby("cluster_id", sort=False):
        top = g.iloc[0]  # the village with most of the cluster's cases (the query's order)
        towns = g["township_code"].nunique()
        where = place_text(top["township"], top["village"], lang)
        if len(g) > 1:
            where = t("cluster_where_more", lang, where=where, n=len(g)) if towns == 1 else \
                t("cluster_where_towns", lang, where=where, n=towns)
        n, new = int(top["cluster_cases"]), int(top["new_cases"])
        days = (as_of - pd.Timestamp(top["first_report"]).date()).days + 1
        rows.append(dict(rule=rule.key, level=rule.level, weight=rule.weight, size=float(n), kpi=None,
                         item=t(f"item.{rule.key}", lang),
                         region_code=top["village_code"] if isinstance(top["village_code"], str) else top["township_code"],
                         township_code=top["township_code"], where=where, value=float(n),
                         value_text=t("cluster_value", lang, cases=_cases(n, lang), new=new),
                         detail=t("cluster_detail", lang, cluster=cluster_id, days=days), pillar="cases"))
    return rows


def _sentinel_items(rule: Rule, query: Query, as_of: date, scope: str | None, lang: str, warning=None) -> list[dict]:
    cfg = warning or load_warning()
    first = as_of - timedelta(days=rule.consecutive_days - 1)
    ab = query("sentinel_aberrations_daily", as_of=as_of, region_code=scope, metric="visits", date_from=first,
               **cfg.aberration_params())
    if ab.empty:
        return []
    flag = f"{rule.statistic}_alarm"
    runs = ab.groupby(["township_code", "township", "site_type"], sort=True).agg(
        days=(flag, "sum"), stat=(rule.statistic, "last"), y=("y", "last")).reset_index()
    runs = runs[runs["days"] >= rule.consecutive_days]
    rows = []
    for r in runs.itertuples(index=False):
        site = i18n.enum_label("sentinel_sites", "site_type", r.site_type, lang)
        stat = float(r.stat) if r.stat is not None and not pd.isna(r.stat) else 0.0
        rows.append(dict(rule=rule.key, level=rule.level, weight=rule.weight, size=stat, kpi=None,
                         item=t(f"item.{rule.key}", lang, site_type=site), region_code=r.township_code,
                         township_code=r.township_code, where=r.township,
                         value=stat, value_text=t("sentinel_value", lang, statistic=rule.statistic.upper(),
                                                  value=f"{stat:.1f}", days=rule.consecutive_days),
                         detail=t("sentinel_detail", lang, y=int(r.y)), pillar="monitoring"))
    return rows


def exceedance(kpi: catalogue.Kpi, value: float | None, level: str) -> float:
    """How far a value is past the threshold of its level, relative to it (the size that orders KPI items)."""
    if value is None or kpi.amber is None:
        return 0.0
    threshold = kpi.red if level == "red" else kpi.amber
    past = (threshold - value) if kpi.up_is_good else (value - threshold)
    return float(past / abs(threshold)) if threshold else float(past)


def _kpi_items(rule: Rule, now: dict, by_region: pd.DataFrame, scope: str | None, scope_name: str,
               regions: dict, lang: str) -> list[dict]:
    rows = []
    for key, kpi in catalogue.by_key().items():
        if kpi.amber is None or key in rule.exclude:
            continue
        places = [(scope, None if scope is None else region_tree.township_of(scope, regions), scope_name, now.get(key))]
        sub = by_region[(by_region["kpi"] == key) & (by_region["region_code"] != scope)]
        for r in sub.itertuples(index=False):
            value = None if pd.isna(r.value) else float(r.value)
            places.append((r.region_code, region_tree.township_of(r.region_code, regions), r.name, value))
        for code, township, where, value in places:
            status = kpi.status(value)
            if status not in ("red", "amber"):
                continue
            rows.append(dict(rule=rule.key, level=status, weight=rule.kpi_weight(key),
                             size=exceedance(kpi, value, status), kpi=key, item=kpi.name(lang), region_code=code,
                             township_code=township, where=where, value=value, value_text=kpi.format(value, lang),
                             detail=kpi.thresholds_text(lang), pillar=kpi.pillar))
    return rows


def order(items: pd.DataFrame, config: SeverityConfig) -> pd.DataFrame:
    """Items by level (the configured order), then weight (higher first), then size (larger first), then place."""
    if items.empty:
        return items
    return (items.assign(_l=items["level"].map(config.rank), _w=-items["weight"], _s=-items["size"].fillna(0),
                         _p=items["region_code"].fillna(""))
            .sort_values(["_l", "_w", "_s", "_p"], kind="stable").drop(columns=["_l", "_w", "_s", "_p"])
            .reset_index(drop=True))


def items(query: Query, *, as_of: date, scope: str | None, lang: str, now: dict, by_region: pd.DataFrame,
          regions: dict, scope_name: str, config: SeverityConfig | None = None, warning=None) -> pd.DataFrame:
    """Every item of the day at the scope and below it (columns :data:`ITEM_COLUMNS`), in order (:func:`order`),
    with the grid person who answers for each item's place (phone unmasked: mask it where it is shown)."""
    config = config or load_config()
    rows: list[dict] = []
    cases = None
    for rule in config.rules:
        if rule.kind == "case":
            if cases is None:
                cases = query("cases_new_by_village", as_of=as_of, region_code=scope)
            rows += _case_items(rule, cases, lang)
        elif rule.kind == "cluster":
            clusters = query("clusters_recent_by_village", as_of=as_of, region_code=scope,
                             sources=",".join(rule.sources), categories=",".join(rule.categories),
                             min_cases=rule.min_cases, recent_days=rule.recent_days)
            rows += _cluster_items(rule, clusters, lang, as_of)
        elif rule.kind == "sentinel":
            rows += _sentinel_items(rule, query, as_of, scope, lang, warning)
        else:
            rows += _kpi_items(rule, now, by_region, scope, scope_name, regions, lang)
    if not rows:
        return _empty()
    df = pd.DataFrame(rows)
    owners = query("grid_owner_by_region", region_code=scope).set_index("region_code")
    person = owners["responsible_person"].reindex(df["region_code"]).to_numpy()
    phone = owners["phone"].reindex(df["region_code"]).to_numpy()
    df["responsible_person"] = ["—" if p is None or pd.isna(p) else p for p in person]
    df["phone"] = ["" if p is None or pd.isna(p) else p for p in phone]
    return order(df.reindex(columns=ITEM_COLUMNS), config)


def needing_decision(items: pd.DataFrame) -> pd.DataFrame:
    """The items that need a decision: the red ones (the one definition the pages, the screen and the briefing
    count)."""
    return items[items["level"] == "red"].reset_index(drop=True)


# ---------------------------------------------------------------- folding


@dataclass
class Folded:
    """The items of one rule (one KPI) in one or more places: one row of the 需决策事项 list."""
    rule: str
    level: str
    kpi: str | None
    item: str
    text: str  # the row as a leader reads it: "检测能力使用率 · 6处：城东街道 91.3%、…"
    where_text: str  # the part after the item: "6处：城东街道 91.3%、…"
    places: pd.DataFrame  # the items folded into it, largest first

    @property
    def count(self) -> int:
        return len(self.places)


def fold(items: pd.DataFrame, lang: str, scope: str | None = None, shown: int = 3) -> list[Folded]:
    """One row per (level, rule, KPI), in the order of the first (most severe) item of each; the row names up to
    ``shown`` places with their values, the scope's own value first."""
    out = []
    if items.empty:
        return out
    # one row per level too: a KPI red at the city and amber in its townships is a red row and an amber row
    key = items["level"] + "|" + items["rule"] + "|" + items["kpi"].fillna("")
    for k in dict.fromkeys(key):
        g = items[key == k]
        first = g.iloc[0]
        at_scope = g[g["region_code"].isna() if scope is None else g["region_code"] == scope]
        others = g.drop(at_scope.index).sort_values("size", ascending=False, kind="stable")
        sep = t("list_sep_short", lang)
        names = [t("fold_place", lang, where=r.where, value=r.value_text) for r in others.head(shown).itertuples()]
        listed = sep.join(names) + (t("fold_etc", lang) if len(others) > shown else "")
        if len(g) == 1:
            where = t("fold_one", lang, where=first["where"], value=first["value_text"])
        elif at_scope.empty:
            where = t("fold_many", lang, n=len(others), places=listed)
        else:
            s = at_scope.iloc[0]
            where = t("fold_many_scope", lang, scope=s["where"], value=s["value_text"], n=len(others), places=listed)
        out.append(Folded(first["rule"], first["level"], first["kpi"], first["item"],
                          t("fold_row", lang, item=first["item"], where=where), where,
                          pd.concat([at_scope, others]).reset_index(drop=True)))
    return out


# ---------------------------------------------------------------- the ranking (红黑榜)


RANKING_COLUMNS = ["rank", "region_code", "name", "level", "red", "amber", "worst"]


def ranking(items: pd.DataFrame, scope: str | None, regions: dict, lang: str, config: SeverityConfig | None = None,
            worst: int = 3) -> pd.DataFrame:
    """The regions one level below the scope, worst first: by their worst level (red, amber, then ok), then the
    number of red items, then amber items, then the summed weight of their items, then the code. An item counts
    for the region it lies in (a village's case for its township at the city's scope). ``worst``: each region's
    first items, as text ("新增本土病例、检测能力使用率")."""
    config = config or load_config()
    codes = region_tree.children(scope, regions)
    owner = region_tree.owner(items["region_code"], codes)
    rows = []
    for code in codes:
        mine = items[(owner == code).to_numpy()]
        mine = mine[mine["level"].isin(("red", "amber"))]
        red, amber = int((mine["level"] == "red").sum()), int((mine["level"] == "amber").sum())
        level = "red" if red else "amber" if amber else "ok"
        names = list(dict.fromkeys(mine["item"]))[:worst]
        rows.append(dict(region_code=code, name=regions[code]["name"], level=level, red=red, amber=amber,
                         worst=t("list_sep", lang).join(names), _w=float(mine["weight"].sum())))
    df = pd.DataFrame(rows, columns=["region_code", "name", "level", "red", "amber", "worst", "_w"])
    if df.empty:
        return df.drop(columns="_w").assign(rank=pd.Series(dtype=int))[RANKING_COLUMNS]
    rank = {"red": 0, "amber": 1, "ok": 2}
    df = (df.assign(_l=df["level"].map(rank), _r=-df["red"], _a=-df["amber"], _ww=-df["_w"])
          .sort_values(["_l", "_r", "_a", "_ww", "region_code"], kind="stable").reset_index(drop=True))
    df["rank"] = range(1, len(df) + 1)
    return df[RANKING_COLUMNS]


# ---------------------------------------------------------------- the headline


@dataclass
class Facts:
    """What the headline says, as data."""
    as_of: date
    scope_name: str
    is_city: bool
    local_new: pd.DataFrame  # category, township, village, cases: new local cases on D
    imported_new: pd.DataFrame  # source, category, cases: new imported cases on D
    last_local: date | None  # the last local case's report day up to D
    local_total: int  # local cases reported up to D
    worse: list[tuple[str, float | None, float | None, str, str]]  # (kpi, before, now, status before, status now)
    decisions: int  # items needing a decision (red)

    @property
    def local_count(self) -> int:
        return int(self.local_new["cases"].sum()) if len(self.local_new) else 0

    @property
    def imported_count(self) -> int:
        return int(self.imported_new["cases"].sum()) if len(self.imported_new) else 0

    @property
    def days_since_local(self) -> int | None:
        """0 on a day with a local case; None when there has been none."""
        return None if self.last_local is None else (self.as_of - self.last_local).days


STATUS_RANK = {"none": 0, "ok": 0, "amber": 1, "red": 2}


def worse_since(now: dict, before: dict, top: int = 3,
                exclude: tuple[str, ...] = ()) -> list[tuple[str, float | None, float | None, str, str]]:
    """The KPIs with thresholds that got worse since the day before and are amber or red now, the largest
    changes first: a worse status
    first (ok to red before amber to red), then the change relative to the day before. Returns (kpi, before,
    now, status before, status now). ``exclude``: KPIs the headline says otherwise (new cases: by the case
    rules)."""
    out = []
    for key, kpi in catalogue.by_key().items():
        v, p = now.get(key), before.get(key)
        if kpi.amber is None or v is None or p is None or key in exclude:
            continue
        diff = (p - v) if kpi.up_is_good else (v - p)
        if diff <= 0 or math.isclose(diff, 0, abs_tol=0.5 * 10 ** -kpi.decimals):
            continue
        s_now, s_before = kpi.status(v), kpi.status(p)
        if s_now not in ("amber", "red"):  # a change within the normal range is not news
            continue
        relative = diff / abs(p) if p else math.inf
        out.append((STATUS_RANK[s_now] - STATUS_RANK[s_before], relative, key, p, v, s_before, s_now))
    out.sort(key=lambda r: (-r[0], -r[1], r[2]))
    return [(key, p, v, sb, sn) for _, _, key, p, v, sb, sn in out[:top]]


def facts(query: Query, *, as_of: date, scope: str | None, scope_name: str, items: pd.DataFrame, now: dict,
          before: dict, config: SeverityConfig | None = None) -> Facts:
    config = config or load_config()
    rule = config.local_case_rule()
    sources = rule.sources if rule else ("local",)
    categories = rule.categories if rule else ("confirmed", "asymptomatic")
    cases = query("cases_new_by_village", as_of=as_of, region_code=scope)
    local = cases[cases["source"].isin(sources) & cases["category"].isin(categories)]
    imported = cases[~cases["source"].isin(sources) & cases["category"].isin(categories)]
    imported = imported.groupby(["source", "category"], sort=True, as_index=False)["cases"].sum()
    last = query("cases_local_last", as_of=as_of, region_code=scope, sources=",".join(sources),
                 categories=",".join(categories))
    last_day = last["last_report"].iloc[0] if len(last) else None
    last_day = None if last_day is None or pd.isna(last_day) else pd.Timestamp(last_day).date()
    return Facts(as_of, scope_name, scope is None, local[["category", "township", "village", "cases"]].reset_index(drop=True),
                 imported, last_day, int(last["cases"].iloc[0]) if len(last) else 0,
                 worse_since(now, before, exclude=tuple(e for r in config.rules_of("kpi") for e in r.exclude)),
                 len(needing_decision(items)))


def _date(d: date, lang: str) -> str:
    """'1月16日' / 'Jan 16' (sitrep.l10n, as the briefing writes a day inside a sentence)."""
    return l10n.day(d, lang)


def headline(f: Facts, lang: str) -> str:
    """The sentence a leader reads first, as officials write it:
    截至1月16日24时，全市新增本土确诊病例1例（白沙镇三湾村），本轮累计本土病例4例；……；共12项需决策事项。"""
    sep = t("list_sep", lang)
    head = t("head", lang, date=_date(f.as_of, lang), scope=f.scope_name)
    parts = []
    if f.local_count:
        groups = []
        for category in ("confirmed", "asymptomatic"):
            g = f.local_new[f.local_new["category"] == category]
            if g.empty:
                continue
            places = sep.join(dict.fromkeys(place_text(r.township, r.village, lang) for r in g.itertuples()))
            groups.append(t(f"local_{category}", lang, cases=_cases(int(g["cases"].sum()), lang), places=places))
        parts.append(t("local_new", lang, cases=sep.join(groups), total=_cases(f.local_total, lang)))
    elif f.last_local is None:
        parts.append(t("local_none_ever", lang))
    else:
        parts.append(t("local_none", lang, days=f.days_since_local, last=_date(f.last_local, lang)))
    if f.imported_count:
        groups = [t("imported_item", lang, source=_enum("source", r.source, lang),
                    category=_enum("category", r.category, lang), cases=_cases(int(r.cases), lang))
                  for r in f.imported_new.itertuples()]
        parts.append(t("imported_new", lang, items=sep.join(groups)))
    else:
        parts.append(t("imported_none", lang))
    if f.worse:
        cat = catalogue.by_key()
        words = []
        for key, p, v, sb, sn in f.worse:
            kpi = cat[key]
            changed = t("worse_status", lang, status=t(f"status.{sn}", lang)) if STATUS_RANK[sn] > STATUS_RANK[sb] else ""
            words.append(t("worse_item", lang, kpi=kpi.name(lang), before=kpi.format(p, lang),
                           now=kpi.format(v, lang), status=changed))
        parts.append(t("worse", lang, items=sep.join(words)))
    else:
        parts.append(t("worse_none", lang))
    parts.append(t("decisions", lang, n=f.decisions) if f.decisions else t("decisions_none", lang))
    return head + t("clause_sep", lang).join(parts) + t("end", lang)


# ---------------------------------------------------------------- one assessment


@dataclass
class Situation:
    items: pd.DataFrame
    folded: list[Folded]
    ranking: pd.DataFrame
    facts: Facts
    headline: str
    config: SeverityConfig | None = None  # the model the items were judged by (default: data/severity.toml)

    @property
    def decisions(self) -> pd.DataFrame:
        """The items needing a decision (red), in order."""
        return needing_decision(self.items)

    @property
    def decision_rows(self) -> list[Folded]:
        """The folded rows of the items needing a decision."""
        return [f for f in self.folded if f.level == "red"]

    def card_statuses(self, now: dict) -> dict[str, str]:
        """Statuses of KPI cards where the severity model says more than the catalogue's thresholds: new cases
        red on a local case (whatever the count), sentinel alarms red only after consecutive days."""
        out = {}
        config = self.config or load_config()
        lv = {r: set(self.items.loc[self.items["rule"] == r, "level"]) for r in set(self.items["rule"])}
        case_levels = set().union(*(lv.get(r.key, set()) for r in config.rules_of("case")))
        if "red" in case_levels:
            out["cases_new"] = "red"
        elif "amber" in case_levels:
            out["cases_new"] = "amber"
        elif now.get("cases_new") is not None:
            out["cases_new"] = "ok"
        sentinel = set().union(*(lv.get(r.key, set()) for r in config.rules_of("sentinel")))
        value = now.get("sentinel_alarms_today")
        if "red" in sentinel:
            out["sentinel_alarms_today"] = "red"
        elif value is not None:
            out["sentinel_alarms_today"] = "amber" if value >= 1 else "ok"
        return out


def assess(query: Query, *, as_of: date, scope: str | None, lang: str, scope_name: str, regions: dict | None = None,
           now: dict | None = None, before: dict | None = None, by_region: pd.DataFrame | None = None,
           config: SeverityConfig | None = None, warning=None) -> Situation:
    """The day at the scope under the severity model (see the module docstring). ``now``/``before`` ({kpi:
    value} at the scope on D and D-1) and ``by_region`` (decisions.kpis_by_region) may be passed when the caller
    has them."""
    config = config or load_config()
    regions = regions if regions is not None else region_tree.index(query)
    now = now if now is not None else decisions.kpi_values(query, as_of, scope)
    if before is None:  # the day before from the KPI cube's trend (queries/kpi_trend.sql)
        trend = query("kpi_trend", as_of=as_of - timedelta(days=1), date_from=as_of - timedelta(days=1),
                      region_code=scope, kpi=None)
        before = decisions.as_dict(trend)
    if by_region is None:
        by_region = decisions.kpis_by_region(query, as_of, scope)
    its = items(query, as_of=as_of, scope=scope, lang=lang, now=now, by_region=by_region, regions=regions,
                scope_name=scope_name, config=config, warning=warning)
    f = facts(query, as_of=as_of, scope=scope, scope_name=scope_name, items=its, now=now, before=before,
              config=config)
    return Situation(its, fold(its, lang, scope), ranking(its, scope, regions, lang, config), f, headline(f, lang),
                     config)
