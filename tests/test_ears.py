"""EARS C1/C2/C3, the moving percentile and KPI sentinel_alarms_today, against values worked
by hand on short series in a database built through the production import path; the
configuration file's loader; and the planted cluster of the demo city."""

from __future__ import annotations

import math
import re
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from sitrep.db import Database
from sitrep.warning import ears
from sitrep.warning.config import ConfigError, config_from_dict, load_config
from tests.builders import build_db, tiny_regions

ROOT = Path(__file__).resolve().parent.parent
DAY1 = date(2022, 1, 1)
EAST, WEST = "451481001000", "451481002000"  # 城东街道, 河西镇


def day(n: int) -> date:
    """Day n of the test series (day 1 = 2022-01-01)."""
    return DAY1 + timedelta(n - 1)


# Weekly levels of the pharmacy series of 城东街道 (sites P1 + P2): every day of week k
# (days 7k-6 .. 7k) has WEEK_LEVEL[k-1] visits; P2 always reports 3 of them.
WEEK_LEVEL = [14, 10, 17, 12, 15, 11, 16, 13, 16, 15]

# 河西镇 fever clinic F1: days 1..14, no report on day 13; fever counts only from day 3.
FEVER_CLINIC = {**{d: 5 for d in range(1, 10)}, 10: 6, 11: 6, 12: 5, 14: 5}
# 河西镇 school S1: reports from day 6 only.
SCHOOL = {**{d: 2 for d in range(6, 14)}, 14: 3}
# 城东街道 (西门社区) village clinic V1: days 1..12, a jump on day 10.
VILLAGE_CLINIC = {**{d: 5 for d in range(1, 10)}, 10: 7, 11: 5, 12: 5}


def pharmacy_level(d: int) -> int:
    return WEEK_LEVEL[(d - 1) // 7]


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Database:
    sites = [
        {"site_id": "P1", "site_name": "东门药店", "site_type": "pharmacy", "region_code": "451481001001"},
        {"site_id": "P2", "site_name": "南门药店", "site_type": "pharmacy", "region_code": "451481001002"},
        {"site_id": "F1", "site_name": "河西镇卫生院发热哨点", "site_type": "fever_clinic", "region_code": "451481002001"},
        {"site_id": "S1", "site_name": "河西镇中学", "site_type": "school", "region_code": "451481002002"},
        {"site_id": "V1", "site_name": "西门社区卫生室", "site_type": "village_clinic", "region_code": "451481001003"},
    ]
    reports = []
    for d in range(1, 71):
        reports.append({"date": day(d), "site_id": "P1", "visits": pharmacy_level(d) - 3})
        reports.append({"date": day(d), "site_id": "P2", "visits": 3})
    for d, v in FEVER_CLINIC.items():
        reports.append({"date": day(d), "site_id": "F1", "visits": v, "fever": 1 if d >= 3 else None})
    for d, v in SCHOOL.items():
        reports.append({"date": day(d), "site_id": "S1", "visits": v})
    for d, v in VILLAGE_CLINIC.items():
        reports.append({"date": day(d), "site_id": "V1", "visits": v})
    return build_db(tmp_path_factory.mktemp("ears") / "ears.duckdb",
                    {"regions": tiny_regions(), "sentinel_sites": sites, "sentinel_reports": reports})


def series(df: pd.DataFrame, township_code: str, site_type: str) -> pd.DataFrame:
    out = df[(df["township_code"] == township_code) & (df["site_type"] == site_type)].copy()
    out["date"] = pd.to_datetime(out["date"]).dt.date
    return out.set_index("date")


def approx(x, tol=1e-9):
    return pytest.approx(x, abs=tol)


def is_null(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or pd.isna(x)


# ---------------------------------------------------------------- C1, C2, C3


def test_flat_baseline_uses_min_sigma_and_c3_accumulates(db):
    f = series(ears.aberrations(db, as_of=day(14)), WEST, "fever_clinic")
    assert f["township"].iloc[0] == "河西镇"
    # day 10: both baselines (C1: days 3..9, C2: days 1..7) are all 5: mean 5, s = 0 -> s' = 0.5
    #   C1 = C2 = (6 - 5) / 0.5 = 2.0: no alarm (threshold 3)
    r = f.loc[day(10)]
    assert (r.y, r.c1_mean, r.c1_sd, r.c1, r.c2_mean, r.c2_sd, r.c2) == (6, 5, 0, approx(2.0), 5, 0, approx(2.0))
    assert not r.c1_alarm and not r.c2_alarm
    # day 11: C2 baseline days 2..8 all 5 -> C2 = (6 - 5) / 0.5 = 2.0
    #   C1 baseline days 4..10 = 5,5,5,5,5,5,6: mean 36/7 = 5.142857, s^2 = (186 - 36^2/7) / 6 = (6/7)/6 = 1/7,
    #   s = 0.377964 < 0.5 -> s' = 0.5; C1 = (6 - 36/7) / 0.5 = 1.714286
    r = f.loc[day(11)]
    assert r.c2 == approx(2.0)
    assert r.c1_mean == approx(36 / 7) and r.c1_sd == approx(math.sqrt(1 / 7)) and r.c1 == approx((6 - 36 / 7) / 0.5)
    # day 12: C2 baseline days 3..9 all 5 -> C2 = 0
    #   C3 = max(0, 2 - 1) + max(0, 2 - 1) + max(0, 0 - 1) = 2.0: alarm (>= 2) with no C2 alarm on any day
    r = f.loc[day(12)]
    assert r.c2 == approx(0.0) and r.c3 == approx(2.0)
    assert r.c3_alarm and not r.c2_alarm and r.any_alarm
    # C3 needs C2 on three days: C2 exists from day 10 (its baseline days 1..7), so C3 from day 12
    assert is_null(f.loc[day(11), "c3"])


def test_missing_day_counts_zero(db):
    f = series(ears.aberrations(db, as_of=day(14)), WEST, "fever_clinic")
    assert len(f) == 14 and f.loc[day(13), "y"] == 0  # no report on day 13: a row with 0
    # day 13: C1 baseline days 6..12 = 5,5,5,5,6,6,5: mean 37/7, s^2 = (197 - 37^2/7) / 6 = (10/7)/6 = 5/21,
    #   s = 0.487950 < 0.5 -> s' = 0.5; C1 = (0 - 37/7) / 0.5 = -10.571429
    r = f.loc[day(13)]
    assert r.c1_sd == approx(math.sqrt(5 / 21)) and r.c1 == approx(-37 / 7 / 0.5)
    # day 14: C1 baseline days 7..13 = 5,5,5,6,6,5,0 (the 0 of day 13 counts): sum 32, mean 32/7 = 4.571429,
    #   s^2 = (172 - 32^2/7) / 6 = (180/7)/6 = 30/7, s = 2.070197; C1 = (5 - 32/7) / 2.070197 = 0.207020
    r = f.loc[day(14)]
    assert r.c1_mean == approx(32 / 7) and r.c1_sd == approx(math.sqrt(30 / 7))
    assert r.c1 == approx((5 - 32 / 7) / math.sqrt(30 / 7)) and r.c1 == approx(0.207020, 1e-6)


def test_incomplete_baseline_gives_no_statistic(db):
    s = series(ears.aberrations(db, as_of=day(14)), WEST, "school")
    # the series starts at its first report (day 6): no rows before it
    assert s.index.min() == day(6) and len(s) == 9
    # C1 needs days t-7..t-1 from day 6 on: first on day 13; C2 needs t-9..t-3: first on day 15 (after D)
    assert s.loc[: day(12), "c1"].isna().all() and s["c2"].isna().all() and s["c3"].isna().all()
    assert s.loc[day(13), "c1"] == approx(0.0)             # (2 - 2) / 0.5
    assert s.loc[day(14), "c1"] == approx(2.0)             # (3 - 2) / 0.5
    assert not s["c2_alarm"].any() and not s["c3_alarm"].any() and not s["mp_alarm"].any()
    # a series that stopped reporting runs on to D with zeros (village clinic: last report day 12)
    v = series(ears.aberrations(db, as_of=day(14)), EAST, "village_clinic")
    assert v.index.max() == day(14) and v.loc[day(14), "y"] == 0


def test_c2_alarm_and_c3_on_a_jump(db):
    v = series(ears.aberrations(db, as_of=day(14)), EAST, "village_clinic")
    # day 10: both baselines all 5: C1 = C2 = (7 - 5) / 0.5 = 4.0 >= 3: alarms
    r = v.loc[day(10)]
    assert r.c1 == approx(4.0) and r.c2 == approx(4.0) and r.c1_alarm and r.c2_alarm
    # day 12: C2 = 0 on days 11 and 12 (baselines all 5, y = 5): C3 = (4 - 1) + 0 + 0 = 3.0 >= 2
    assert v.loc[day(12), "c3"] == approx(3.0) and v.loc[day(12), "c3_alarm"]


# ---------------------------------------------------------------- moving percentile


def test_moving_percentile_linear_interpolation(db):
    p = series(ears.aberrations(db, as_of=day(64)), EAST, "pharmacy")
    # P1 + P2 = the weekly level every day (two sites, one series)
    assert p.loc[day(1), "y"] == 14 and p.loc[day(64), "y"] == 15
    # day 63: current window days 57..63 = 7 x 16 = 112; earlier windows = weeks 8..1:
    #   7 x (13, 16, 11, 15, 12, 17, 10, 14) = 91, 112, 77, 105, 84, 119, 70, 98
    #   sorted 70, 77, 84, 91, 98, 105, 112, 119; P80 at h = 0.8 x (8 - 1) = 5.6 -> 105 + 0.6 x (112 - 105) = 109.2
    #   112 > 109.2: alarm
    r = p.loc[day(63)]
    assert r.mp_sum == 112 and r.mp_threshold == approx(109.2) and r.mp_alarm
    # day 64: current days 58..64 = 6 x 16 + 15 = 111; windows ending 57, 50, ..., 8:
    #   57: 6x13+16 = 94, 50: 6x16+13 = 109, 43: 6x11+16 = 82, 36: 6x15+11 = 101, 29: 6x12+15 = 87,
    #   22: 6x17+12 = 114, 15: 6x10+17 = 77, 8: 6x14+10 = 94
    #   sorted 77, 82, 87, 94, 94, 101, 109, 114; P80 = 101 + 0.6 x (109 - 101) = 105.8; 111 > 105.8: alarm
    r = p.loc[day(64)]
    assert r.mp_sum == 111 and r.mp_threshold == approx(105.8) and r.mp_alarm
    # day 62: the oldest window would end on day 6 and start on day 0, before the series: no threshold
    assert is_null(p.loc[day(62), "mp_threshold"]) and not p.loc[day(62), "mp_alarm"]
    assert p.loc[: day(62), "mp_threshold"].isna().all()
    # the 7-day sum itself exists from day 7
    assert is_null(p.loc[day(6), "mp_sum"]) and p.loc[day(7), "mp_sum"] == 98


def test_moving_percentile_not_above_is_no_alarm(db):
    p = series(ears.aberrations(db, as_of=day(70)), EAST, "pharmacy")
    # day 70: current days 64..70 = 7 x 15 = 105; windows ending 63..14 = weeks 9..2:
    #   7 x (16, 13, 16, 11, 15, 12, 17, 10) = 112, 91, 112, 77, 105, 84, 119, 70
    #   sorted 70, 77, 84, 91, 105, 112, 112, 119; P80 = 112 + 0.6 x 0 = 112; 105 <= 112: no alarm
    r = p.loc[day(70)]
    assert r.mp_sum == 105 and r.mp_threshold == approx(112.0) and not r.mp_alarm


# ---------------------------------------------------------------- scope, metric, parameters


def test_scope_limits_the_sites(db):
    # the village 东门社区 has only P1: its pharmacy series is P1 alone (the level less 3)
    p = series(ears.aberrations(db, as_of=day(14), region_code="451481001001"), EAST, "pharmacy")
    assert p.loc[day(1), "y"] == 11
    df = ears.aberrations(db, as_of=day(14), region_code=WEST)
    assert sorted(set(df["site_type"])) == ["fever_clinic", "school"]
    city = ears.aberrations(db, as_of=day(14))
    assert len(city.drop_duplicates(["township_code", "site_type"])) == 4
    assert len(city) == 14 + 14 + 9 + 14  # pharmacy, village clinic, fever clinic from day 1; school from day 6


def test_fever_series_starts_at_the_first_fever_count(db):
    df = ears.aberrations(db, as_of=day(14), metric="fever")
    # only F1 gives fever counts, from day 3; flat 1 (0 on day 13): C1 first on day 10 (baseline days 3..9)
    assert set(zip(df["township_code"], df["site_type"])) == {(WEST, "fever_clinic")}
    f = series(df, WEST, "fever_clinic")
    assert f.index.min() == day(3) and f.loc[day(13), "y"] == 0
    assert f.loc[: day(9), "c1"].isna().all() and f.loc[day(10), "c1"] == approx(0.0)
    with pytest.raises(ValueError):
        ears.aberrations(db, metric="cough")


def test_date_from_and_as_of_default(db):
    df = ears.aberrations(db)  # up to the last report (day 70)
    p = series(df, EAST, "pharmacy")
    assert p.index.max() == day(70) and series(df, WEST, "fever_clinic").index.max() == day(70)
    only = ears.aberrations(db, as_of=day(64), date_from=day(63))
    p = series(only, EAST, "pharmacy")
    assert list(p.index) == [day(63), day(64)] and p.loc[day(63), "mp_threshold"] == approx(109.2)
    alarms = ears.alarms_on(db, as_of=day(10))
    assert list(zip(alarms["township_code"], alarms["site_type"])) == [(EAST, "village_clinic")]


def test_parameters_come_from_the_config(db):
    cfg = load_config()
    stricter = config_from_dict({
        "ears": {**cfg.ears.__dict__, "min_sigma": 1.0, "c3_threshold": 2.5},
        "moving_percentile": {**cfg.moving_percentile.__dict__, "percentile": 50.0},
        "rt": cfg.rt.__dict__, "growth": cfg.growth.__dict__,
    })
    f = series(ears.aberrations(db, as_of=day(14), config=stricter), WEST, "fever_clinic")
    # s' = max(0, 1.0) = 1: C2 on day 10 = (6 - 5) / 1 = 1; C3 on day 12 = 0 + 0 + 0
    assert f.loc[day(10), "c2"] == approx(1.0) and f.loc[day(12), "c3"] == approx(0.0)
    p = series(ears.aberrations(db, as_of=day(63), config=stricter), EAST, "pharmacy")
    # median of 70..119 step 7: (91 + 98) / 2 = 94.5
    assert p.loc[day(63), "mp_threshold"] == approx(94.5)


# ---------------------------------------------------------------- KPI


def test_kpi_counts_c2_alarms_on_the_day_in_scope(db):
    assert ears.sentinel_alarms_today(db, as_of=day(10)) == 1              # the village clinic's jump
    assert ears.sentinel_alarms_today(db, as_of=day(10), region_code=EAST) == 1
    assert ears.sentinel_alarms_today(db, as_of=day(10), region_code="451481001003") == 1
    assert ears.sentinel_alarms_today(db, as_of=day(10), region_code="451481001001") == 0
    assert ears.sentinel_alarms_today(db, as_of=day(10), region_code=WEST) == 0
    assert ears.sentinel_alarms_today(db, as_of=day(9)) == 0
    kpis = db.query("kpis", as_of=day(10))
    assert kpis.loc[kpis["kpi"] == "sentinel_alarms_today", "value"].tolist() == [1.0]


def test_kpi_agrees_with_the_c2_alarms_every_day(db):
    # the city on every day; the other scopes around the jumps (days 8..16) and the last days
    for scope, days in ((None, range(1, 71)), (EAST, [*range(8, 17), *range(60, 71)]),
                        (WEST, [*range(8, 17), *range(60, 71)]), ("451481001001", range(8, 17))):
        full = ears.aberrations(db, region_code=scope)
        full["date"] = pd.to_datetime(full["date"]).dt.date
        for d in days:
            want = int(full.loc[full["date"] == day(d), "c2_alarm"].sum())
            assert ears.sentinel_alarms_today(db, as_of=day(d), region_code=scope) == want, (scope, d)


def test_kpi_constants_are_the_config_defaults():
    sql = (ROOT / "queries" / "macros" / "sentinel_c2.sql").read_text(encoding="utf-8")
    m = re.search(r"select (\d+) as baseline_days, (\d+) as guard_days, ([\d.]+) as min_sigma, ([\d.]+) as c2_threshold",
                  sql)
    assert m, "the method CTE of queries/macros/sentinel_c2.sql changed shape"
    e = load_config().ears
    assert (int(m[1]), int(m[2]), float(m[3]), float(m[4])) == (e.baseline_days, e.guard_days, e.min_sigma,
                                                                 e.c2_threshold)


# ---------------------------------------------------------------- configuration file


def test_default_config_values():
    cfg = load_config()
    assert cfg.ears.__dict__ == {"baseline_days": 7, "guard_days": 2, "min_sigma": 0.5, "c1_threshold": 3.0,
                                 "c2_threshold": 3.0, "c3_threshold": 2.0}
    assert cfg.moving_percentile.__dict__ == {"window_days": 7, "baseline_windows": 8, "percentile": 80.0}
    assert cfg.growth.__dict__ == {"window_days": 7, "min_cases": 12}


@pytest.mark.parametrize("change, message", [
    (lambda d: d["ears"].update(min_sigm=0.5), "unknown key(s) min_sigm"),
    (lambda d: d["ears"].pop("c2_threshold"), "missing key c2_threshold"),
    (lambda d: d["moving_percentile"].update(percentile=120), "percentile = 120.0 must be a number in 0..100"),
    (lambda d: d["moving_percentile"].update(baseline_windows=2.5), "baseline_windows = 2.5"),
    (lambda d: d["rt"].update(si_mean="4.7"), "si_mean = '4.7'"),
    (lambda d: d.pop("growth"), "missing section [growth]"),
    (lambda d: d.update(extra={}), "unknown section(s) extra"),
])
def test_config_errors_name_the_key(change, message):
    import tomllib

    data = tomllib.loads((ROOT / "data" / "early_warning.toml").read_text(encoding="utf-8"))
    change(data)
    with pytest.raises(ConfigError, match=re.escape(message)):
        config_from_dict(data, "test.toml")


def test_config_file_from_environment(tmp_path, monkeypatch):
    text = (ROOT / "data" / "early_warning.toml").read_text(encoding="utf-8").replace("min_sigma = 0.5", "min_sigma = 2")
    (tmp_path / "ew.toml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("SITREP_EARLY_WARNING", str(tmp_path / "ew.toml"))
    assert load_config().ears.min_sigma == 2.0
    monkeypatch.setenv("SITREP_EARLY_WARNING", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match="missing.toml"):
        load_config()


# ---------------------------------------------------------------- the demo city


def test_demo_cluster_raises_c2_alarms(demo_db):
    """The demo plants a rise in the cluster township's fever clinics, pharmacies and village
    clinics from 6 days before the index case's report (2022-01-14); those sites flag reports."""
    db = Database(demo_db)
    township = db.sql("""select distinct township_code(s.region_code) as t from sentinel_reports r
                         join sentinel_sites s using (site_id) where r.flagged""")["t"].tolist()
    assert len(township) == 1
    df = ears.aberrations(db, as_of=date(2022, 1, 14), date_from=date(2022, 1, 8), region_code=township[0])
    peak = df.groupby("site_type")["c2"].max()
    for site_type in ("fever_clinic", "pharmacy", "village_clinic"):
        assert peak[site_type] >= 3, peak
    days = [date(2022, 1, 8) + timedelta(k) for k in range(7)]
    kpis = [ears.sentinel_alarms_today(db, as_of=d, region_code=township[0]) for d in days]
    assert max(kpis) == 3, kpis
    stats = ears.bench_alarms(db, repeat=1)
    assert stats["days"] == 121 and stats["seconds"] < 2
