"""Quarantine rules as data: load and check ``data/quarantine_rules.toml`` and hand the
rules to SQL as one bound parameter.

A rule set applies from its ``effective_from`` date. A returnee is judged by the latest
rule set whose ``effective_from`` is on or before their ``arrival_date``; a returnee who
arrived before the first rule set is judged by none (no schedule, never misclassified).
For each origin risk a rule set lists the local stages in order (measure, days) and the
test days within each stage. An origin risk with no stages owes no measure.

Day counting (all dates are whole days):

- Stages run back to back from the returnee's recorded ``measure_start`` M. Day 1 of a
  stage is its first day: stage 1 day k is M + k - 1; stage 2 starts on M + days1;
  stage n starts on M + (days of the stages before it).
- The expected release day is R = M + total days: the first day free. Released "on R"
  (``measure_end`` = R) is on time; ``measure_end`` < R is released early.
- A test scheduled on day s is done when the person has a test sampled on s-1, s or
  s+1 (and on or before the as-of day D: a view of the past ignores later samples).
  It is overdue on D when s + 1 < D and it is not done, so on D = s + 1 it is still
  open and on D = s + 2 it is overdue. Tests scheduled on or after the actual
  ``measure_end`` are not owed.
- Overdue tests are chased only while the returnee is not released as of D: a test
  left undone by a returnee released anyway is "missed" (shown in the schedule, counted
  in the funnel's "tests on schedule" step), not overdue, so the overdue count does not
  pile up history nobody can act on.
- Due tomorrow: a test scheduled on D+1 and not already done (a sample on D counts).
- Release is overdue on D when the measure is not ``none``, the person is not released
  as of D (``measure_end`` empty or later than D) and R < D. Releases due: R is D or D+1.
- Stage on D: the stage of the schedule containing D (after the last stage an
  unreleased returnee stays in it); the records hold only the first measure.

Unclear cases, decided:

- Misclassified: the recorded ``measure`` is not the first stage the rule in force at
  arrival gives for the origin risk (``none`` when it gives no stage). A returnee with
  no recorded measure yet is unclassified, not misclassified.
- A misclassified returnee is still scheduled by the rule's stages, from
  ``measure_start``: the rule says what is owed, whatever was recorded.
- Recorded measure ``none`` (or empty), or no ``measure_start``: nothing is scheduled,
  so no test or release is owed, whatever the rule says; when the rule asks for a
  measure the returnee shows up as misclassified, which is the thing to act on.
- Recorded a measure but the rule gives no stage (e.g. origin risk ``none`` put in
  home quarantine): misclassified, nothing scheduled, no release day, so never
  release-overdue.
- Returnees with status ``moved_out`` never count; only returnees who arrived on or
  before D count (people registered ahead of arrival are not yet in the city).
- Returnees with status ``positive`` are in the case pathway (hospital): their tests
  and release are not chased (never overdue or due; undone tests are missed), though
  they still count as registered and can be misclassified.

How rules reach SQL: :meth:`Rules.as_param` turns the rules into a list of structs, one
per (rule set, origin risk, stage), bound as the named-query parameter of type
``rules`` (``sitrep.db`` fills it from :func:`load_rules` when the caller passes none,
so ``python -m sitrep query ...`` needs no rules argument). An origin risk with no stages
is one row with ``stage_no`` 0 and measure ``none``, so that every rule set says
something about every origin risk. The schedules themselves are computed set-based in
DuckDB by the table macros of ``queries/macros/returnee_control.sql`` (stored in every
database by ``sitrep.db.ensure_schema``, so a database gets a changed macro on its next
write); the named queries ``returnee_*`` / ``returnees_*`` select from them.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Iterable, Mapping

from sitrep import contract

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RULES = ROOT / "data" / "quarantine_rules.toml"

_RETURNEES = contract.TABLES_BY_NAME["returnees"]
ORIGIN_RISKS: tuple[str, ...] = tuple(e[0] for e in _RETURNEES.column("origin_risk").enum)
MEASURES: tuple[str, ...] = tuple(e[0] for e in _RETURNEES.column("measure").enum if e[0] != "none")

# The SQL type of the bound parameter (sitrep.db casts to it; the macros unnest it).
SQL_TYPE = (
    "STRUCT(rule_set VARCHAR, effective_from DATE, origin_risk VARCHAR, stage_no INTEGER, "
    "measure VARCHAR, stage_days INTEGER, test_days INTEGER[])[]"
)

# Applied to every arrival: the effective date of a rule set picked out with Rules.only().
EVERYONE = date(1900, 1, 1)


class RulesError(ValueError):
    """A rules file or rules object that breaks the format; the message names the key."""


@dataclass(frozen=True)
class Stage:
    measure: str
    days: int
    test_days: tuple[int, ...] = ()


@dataclass(frozen=True)
class RuleSet:
    name: str
    effective_from: date
    risks: Mapping[str, tuple[Stage, ...]] = field(default_factory=dict)
    note: str = ""
    zh: str = ""  # the name people read, in Chinese and in English (``name`` is the rule set's key)
    en: str = ""

    def label(self, lang: str = "zh") -> str:
        """The rule set's name in a language ('2022年2月15日起 高风险10+7'), else its key."""
        return (self.zh if lang == "zh" else self.en) or self.name

    def stages(self, origin_risk: str) -> tuple[Stage, ...]:
        return self.risks.get(origin_risk, ())

    def first_measure(self, origin_risk: str) -> str:
        stages = self.stages(origin_risk)
        return stages[0].measure if stages else "none"

    def total_days(self, origin_risk: str) -> int:
        return sum(s.days for s in self.stages(origin_risk))


@dataclass(frozen=True)
class Rules:
    sets: tuple[RuleSet, ...]
    source: str = "<rules>"

    def for_arrival(self, arrival: date) -> RuleSet | None:
        """The rule set a returnee arriving on ``arrival`` is judged by (None before the first)."""
        found = None
        for s in self.sets:
            if s.effective_from <= arrival:
                found = s
        return found

    def rule_set(self, name: str) -> RuleSet:
        for s in self.sets:
            if s.name == name:
                return s
        raise RulesError(f"{self.source}: no rule set named {name!r}; known: {', '.join(s.name for s in self.sets)}")

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.sets]

    def only(self, name: str) -> "Rules":
        """The named rule set alone, applied to every returnee whatever their arrival
        date (what-if: "judge everyone by this set")."""
        s = self.rule_set(name)
        return Rules((replace(s, effective_from=EVERYONE),), f"{self.source} [{name} for everyone]")

    def with_stages(self, origin_risk: str, stages: Iterable[Stage | Mapping[str, Any]],
                    rule_set: str | None = None) -> "Rules":
        """A copy with the stages of one origin risk replaced, in the named rule set or
        (None) in every set; checked like a file (what-if: days edited in a form)."""
        if origin_risk not in ORIGIN_RISKS:
            raise RulesError(f"{self.source}: unknown origin risk {origin_risk!r}; known: {', '.join(ORIGIN_RISKS)}")
        if rule_set is not None:
            self.rule_set(rule_set)
        data = self.to_dict()
        new = [s if isinstance(s, Mapping) else
               {"measure": s.measure, "days": s.days, "test_days": list(s.test_days)} for s in stages]
        for raw in data["rule_set"]:
            if rule_set is None or raw["name"] == rule_set:
                raw[origin_risk] = new
        return rules_from_dict(data, f"{self.source} [edited {origin_risk}]")

    def to_dict(self) -> dict[str, Any]:
        """The rules as the TOML file's structure (``rules_from_dict`` reads it back)."""
        return {"rule_set": [
            {"name": s.name, "effective_from": s.effective_from, "note": s.note,
             **{k: v for k, v in (("zh", s.zh), ("en", s.en)) if v},
             **{risk: [{"measure": st.measure, "days": st.days, "test_days": list(st.test_days)}
                       for st in s.stages(risk)] for risk in ORIGIN_RISKS}}
            for s in self.sets
        ]}

    def as_param(self) -> list[dict[str, Any]]:
        """Rows for the SQL parameter of type ``rules`` (see :data:`SQL_TYPE`)."""
        rows = []
        for s in self.sets:
            for risk in ORIGIN_RISKS:
                stages = s.stages(risk)
                if not stages:
                    rows.append(_row(s, risk, 0, "none", 0, ()))
                for no, st in enumerate(stages, start=1):
                    rows.append(_row(s, risk, no, st.measure, st.days, st.test_days))
        return rows


def _row(s: RuleSet, risk: str, no: int, measure: str, days: int, test_days: tuple[int, ...]) -> dict[str, Any]:
    return {"rule_set": s.name, "effective_from": s.effective_from, "origin_risk": risk, "stage_no": no,
            "measure": measure, "stage_days": days, "test_days": list(test_days)}


# ---------------------------------------------------------------- loading and checking


def default_rules_path() -> Path:
    """$SITREP_RULES, else data/quarantine_rules.toml."""
    env = os.environ.get("SITREP_RULES")
    return Path(env) if env else DEFAULT_RULES


_cache: dict[tuple[str, int], Rules] = {}


def rules_version(path: str | os.PathLike | None = None) -> tuple[str, int] | None:
    """Changes whenever the rules file changes: part of the cache key of any cached
    result computed with the default rules (None when the file is missing)."""
    p = Path(path) if path else default_rules_path()
    try:
        return (str(p.resolve()), p.stat().st_mtime_ns)
    except FileNotFoundError:
        return None


def load_rules(path: str | os.PathLike | None = None) -> Rules:
    """Read and check a rules file (default :func:`default_rules_path`); cached until
    the file changes. Raises RulesError naming the file and the key at fault."""
    p = Path(path) if path else default_rules_path()
    try:
        stamp = p.stat().st_mtime_ns
    except FileNotFoundError:
        raise RulesError(f"{p}: rules file not found") from None
    key = (str(p.resolve()), stamp)  # = rules_version(p)
    if key not in _cache:
        _cache[key] = parse_rules(p.read_text(encoding="utf-8"), str(p))
    return _cache[key]


def parse_rules(text: str, source: str = "<text>") -> Rules:
    """Check TOML text and return the rules it holds."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise RulesError(f"{source}: not valid TOML: {e}") from None
    return rules_from_dict(data, source)


def rules_from_dict(data: Mapping[str, Any], source: str = "<rules>") -> Rules:
    """Check the structure of a rules file (as parsed from TOML) and build Rules."""
    _only_keys(data, {"rule_set"}, source, "the top level")
    raw_sets = data.get("rule_set")
    if raw_sets is None:
        raise RulesError(f'{source}: missing key "rule_set" (one [[rule_set]] table per rule set)')
    if not isinstance(raw_sets, list) or not raw_sets or not all(isinstance(r, Mapping) for r in raw_sets):
        raise RulesError(f'{source}: key "rule_set" must be one or more [[rule_set]] tables')
    sets: list[RuleSet] = []
    for i, raw in enumerate(raw_sets, start=1):
        where = f"{source}: rule_set #{i}"
        _only_keys(raw, {"name", "zh", "en", "effective_from", "note", *ORIGIN_RISKS}, source, f"rule_set #{i}")
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            raise RulesError(f'{where}: key "name" is missing or empty')
        where = f'{where} ("{name}")'
        if name in (s.name for s in sets):
            raise RulesError(f'{where}: key "name" repeats the name of an earlier rule set')
        eff = _date(raw.get("effective_from"), f'{where}: key "effective_from"')
        if sets and eff <= sets[-1].effective_from:
            raise RulesError(
                f'{where}: key "effective_from" {eff} must be later than the previous rule set\'s '
                f"{sets[-1].effective_from} (rule sets are listed oldest first, one date each)")
        note = raw.get("note", "")
        if not isinstance(note, str):
            raise RulesError(f'{where}: key "note" must be text')
        for key in ("zh", "en"):
            if key in raw and (not isinstance(raw[key], str) or not raw[key].strip()):
                raise RulesError(f'{where}: key "{key}" (the name shown in {"Chinese" if key == "zh" else "English"}) '
                                 f"must be non-empty text")
        risks = {}
        for risk in ORIGIN_RISKS:
            if risk not in raw:
                raise RulesError(
                    f'{where}: missing key "{risk}" (list every origin risk: {", ".join(ORIGIN_RISKS)}; '
                    f"{risk} = [] for no measure)")
            risks[risk] = _stages(raw[risk], f"{where} -> {risk}")
        sets.append(RuleSet(name, eff, risks, note, raw.get("zh", "").strip(), raw.get("en", "").strip()))
    return Rules(tuple(sets), source)


def _only_keys(raw: Mapping[str, Any], allowed: set[str], source: str, where: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise RulesError(f'{source}: {where}: unknown key "{unknown[0]}"; allowed: {", ".join(sorted(allowed))}')


def _date(v: Any, where: str) -> date:
    if isinstance(v, date) and not hasattr(v, "hour"):
        return v
    if isinstance(v, str):
        try:
            return date.fromisoformat(v)
        except ValueError:
            pass
    if v is None:
        raise RulesError(f"{where} is missing (a date such as 2022-02-15)")
    raise RulesError(f"{where} must be a date such as 2022-02-15, got {v!r}")


def _whole(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _stages(raw: Any, where: str) -> tuple[Stage, ...]:
    if not isinstance(raw, list) or not all(isinstance(s, Mapping) for s in raw):
        raise RulesError(f"{where}: must be a list of stages like "
                         '{ measure = "home_quarantine", days = 7, test_days = [7] } ([] for no measure)')
    stages = []
    for no, st in enumerate(raw, start=1):
        at = f"{where} -> stage {no}"
        unknown = sorted(set(st) - {"measure", "days", "test_days"})
        if unknown:
            raise RulesError(f'{at}: unknown key "{unknown[0]}"; allowed: days, measure, test_days')
        for key in ("measure", "days", "test_days"):
            if key not in st:
                raise RulesError(f'{at}: missing key "{key}"')
        measure = st["measure"]
        if measure not in MEASURES:
            hint = " (for no measure write an empty list of stages)" if measure == "none" else ""
            raise RulesError(f'{at}: key "measure" is {measure!r}; allowed: {", ".join(MEASURES)}{hint}')
        days = st["days"]
        if not _whole(days) or days < 1:
            raise RulesError(f'{at}: key "days" must be a whole number of 1 or more, got {days!r}')
        tests = st["test_days"]
        if not isinstance(tests, list) or not all(_whole(t) for t in tests):
            raise RulesError(f'{at}: key "test_days" must be a list of whole numbers, got {tests!r}')
        for t in tests:
            if not 1 <= t <= days:
                raise RulesError(f'{at}: key "test_days" has day {t}, outside the stage (days 1 to {days})')
        if any(b <= a for a, b in zip(tests, tests[1:])):
            raise RulesError(f'{at}: key "test_days" must be in increasing order without repeats, got {tests}')
        stages.append(Stage(measure, days, tuple(tests)))
    return tuple(stages)
