"""Rt (Cori et al. 2013 / EpiEstim) and the doubling time, against values worked by hand and
an independent computation written here from the definitions (loops, numerical
integration, scipy.stats.gamma), not from sitrep's code."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from sitrep.warning import rt
from sitrep.warning.config import load_config
from tests.builders import build_db, tiny_regions

E = math.exp(1)


# ---------------------------------------------------------------- independent reference


def reference_si(mean: float, sd: float, n: int) -> np.ndarray:
    """w_k = P(day k) for 1 + Y, Y ~ gamma(mean - 1, sd), the delay starting at a uniform time
    within the day: the triangular kernel max(0, 1 - |y - (k - 1)|) integrated against the
    gamma density (this is what Cori et al.'s closed form computes)."""
    a = ((mean - 1) / sd) ** 2
    b = sd**2 / (mean - 1)
    pdf = stats.gamma(a, scale=b).pdf
    w = np.zeros(n)
    for k in range(1, n):
        c = k - 1
        lo = integrate.quad(lambda y: (y - (c - 1)) * pdf(y), max(0, c - 1), c, epsabs=1e-13, epsrel=1e-12)[0] if c > 0 else 0.0
        hi = integrate.quad(lambda y: ((c + 1) - y) * pdf(y), c, c + 1, epsabs=1e-13, epsrel=1e-12)[0]
        w[k] = lo + hi
    return w


def reference_rt(local, imported, w, window=7, a_prior=1.0, b_prior=5.0, min_cases=12):
    """EpiEstim's estimate_R (parametric or given SI), written out with loops."""
    local = list(map(float, local))
    imported = list(map(float, imported))
    imported[0] += local[0]  # the first day's cases are imported
    local[0] = 0.0
    T = len(local)
    w = list(w[:T]) + [0.0] * max(0, T + 1 - len(w))
    total = [local[i] + imported[i] for i in range(T)]
    lam = [0.0] * T  # lam[t-1] = Lambda_t, t = 1..T
    for t in range(2, T + 1):
        lam[t - 1] = sum(w[s] * total[t - s - 1] for s in range(1, t))
    mean_si = sum(k * w[k] for k in range(len(w)))
    rows = []
    for t_start in range(2, T - window + 2):
        t_end = t_start + window - 1
        if not t_end > mean_si:
            continue
        cases = sum(local[t_start - 1:t_end])
        g = stats.gamma(a_prior + cases, scale=1 / (1 / b_prior + sum(lam[t_start - 1:t_end])))
        ok = cases >= min_cases
        rows.append({"t_start": t_start, "t_end": t_end, "local_cases": cases,
                     "mean": g.mean() if ok else np.nan, "std": g.std() if ok else np.nan,
                     "q025": g.ppf(0.025) if ok else np.nan, "median": g.median() if ok else np.nan,
                     "q975": g.ppf(0.975) if ok else np.nan, "enough_cases": ok})
    return pd.DataFrame(rows)


def synthetic_outbreak(T=70, seed=20220115):
    """A renewal-process outbreak: imports on a few days, R = 2.2 then 0.6 from day 31."""
    rng = np.random.default_rng(seed)
    w = reference_si(4.7, 2.9, T)
    imported = np.zeros(T)
    imported[[0, 2, 9, T - 30]] = [3, 1, 2, 5]
    local = np.zeros(T)
    for t in range(1, T):
        lam = sum(w[s] * (local[t - s] + imported[t - s]) for s in range(1, t + 1))
        local[t] = rng.poisson((2.2 if t < 30 else 0.6) * lam)
    return local, imported


def assert_frames_close(got: pd.DataFrame, want: pd.DataFrame, tol=1e-6):
    assert got["t_start"].tolist() == want["t_start"].tolist()
    assert got["t_end"].tolist() == want["t_end"].tolist()
    assert got["enough_cases"].tolist() == want["enough_cases"].tolist()
    for c in ("local_cases", "mean", "std", "q025", "median", "q975"):
        np.testing.assert_allclose(got[c].to_numpy(float), want[c].to_numpy(float), rtol=0, atol=tol,
                                   equal_nan=True, err_msg=c)


# ---------------------------------------------------------------- serial interval


def test_discr_si_exponential_case_by_hand():
    # mean 2, sd 1: Y = SI - 1 is gamma(shape a = ((2-1)/1)^2 = 1, scale b = 1^2/(2-1) = 1), i.e. Exp(1):
    # F(x) = 1 - e^-x, G(x) (shape 2) = 1 - e^-x (1 + x).
    # w_0 = 0.
    # w_1 = 1 F(1) + (-1) F(-1) - 0 + a b (2 G(0) - G(-1) - G(1)) = (1 - e^-1) - (1 - 2 e^-1) = e^-1 = 0.36787944...
    # w_2 = 2 F(2) - 2 F(1) + (2 G(1) - G(2)) = 2(1 - e^-2) - 2(1 - e^-1) + 2(1 - 2e^-1) - (1 - 3e^-2)
    #     = 1 - 2 e^-1 + e^-2 = (1 - e^-1)^2 = 0.39957640...
    # w_k (k >= 2) = e^-(k-2) (1 - e^-1)^2: w_3 = 0.14699594..., w_4 = 0.05407659...
    w = rt.discr_si([0, 1, 2, 3, 4], 2.0, 1.0)
    want = [0.0, 1 / E, (1 - 1 / E) ** 2, (1 - 1 / E) ** 2 / E, (1 - 1 / E) ** 2 / E**2]
    np.testing.assert_allclose(w, want, rtol=0, atol=1e-12)
    assert w[1] == pytest.approx(0.3678794412, abs=1e-10)
    assert w[2] == pytest.approx(0.3995764008, abs=1e-10)


def test_discr_si_default_matches_integration_sums_to_one_and_keeps_the_mean():
    k = np.arange(0, 80)
    w = rt.discr_si(k, 4.7, 2.9)
    np.testing.assert_allclose(w, reference_si(4.7, 2.9, 80), rtol=0, atol=1e-9)
    assert w[0] == 0
    assert w.sum() == pytest.approx(1.0, abs=1e-9)
    assert (k * w).sum() == pytest.approx(4.7, abs=1e-7)  # the discretisation keeps the mean


def test_discr_si_rejects_bad_parameters():
    with pytest.raises(ValueError):
        rt.discr_si([0, 1], 1.0, 1.0)
    with pytest.raises(ValueError):
        rt.discr_si([0, 1], 4.7, 0.0)


# ---------------------------------------------------------------- Rt


def test_rt_on_synthetic_outbreak_matches_independent_computation():
    local, imported = synthetic_outbreak()
    got = rt.estimate_rt(local, imported, si_mean=4.7, si_sd=2.9, window_days=7, prior_shape=1,
                         prior_scale=5, min_cases=12)
    want = reference_rt(local, imported, reference_si(4.7, 2.9, len(local)))
    assert len(got) == len(local) - 7  # windows ending on days 8..70, all after the mean SI 4.7
    assert_frames_close(got, want)
    # both regimes show: growth (R 2.2) early, decline (R 0.6) late
    early = got[got["t_end"] == 25].iloc[0]
    late = got[got["t_end"] == 60].iloc[0]
    assert early["q025"] > 1 and late["q975"] < 1


def test_rt_defaults_come_from_the_config_file():
    local, imported = synthetic_outbreak()
    cfg = load_config().rt
    assert (cfg.si_mean, cfg.si_sd, cfg.prior_shape, cfg.prior_scale, cfg.window_days, cfg.min_cases) == (
        4.7, 2.9, 1.0, 5.0, 7, 12)
    assert_frames_close(rt.estimate_rt(local, imported), reference_rt(local, imported, reference_si(4.7, 2.9, 70)))


def test_rt_with_given_si_distribution_and_other_window():
    local, imported = synthetic_outbreak(T=40, seed=3)
    w = np.array([0, 0.1, 0.3, 0.3, 0.2, 0.1])  # mean 0.1 + 0.6 + 0.9 + 0.8 + 0.5 = 2.9
    got = rt.estimate_rt(local, imported, si_distr=w, window_days=10)
    assert_frames_close(got, reference_rt(local, imported, w, window=10))
    assert got["t_start"].iloc[0] == 2 and got["t_end"].iloc[0] == 11


def test_windows_ending_on_or_before_the_mean_si_are_dropped():
    # SI concentrated near 9.3 days: the discretised SI on days 0..19 has mean 9.3, so of the
    # windows ending on days 8..20 those ending on 8 and 9 are dropped (EpiEstim: t_end > mean SI).
    local = np.full(20, 3.0)
    got = rt.estimate_rt(local, si_mean=9.3, si_sd=0.5)
    w = rt.discr_si(np.arange(20), 9.3, 0.5)
    assert (np.arange(20) * w).sum() == pytest.approx(9.3, abs=1e-9)
    assert got["t_end"].tolist() == list(range(10, 21))
    assert_frames_close(got, reference_rt(local, np.zeros(20), reference_si(9.3, 0.5, 20)))


def test_first_day_counts_as_imported_and_imported_cases_stay_out_of_the_numerator():
    local = np.array([4, 1, 2, 3, 2, 4, 3, 5, 4, 6], dtype=float)
    imported = np.array([0, 0, 0, 5, 0, 0, 0, 0, 0, 0], dtype=float)
    a = rt.estimate_rt(local, imported, min_cases=0)
    moved = rt.estimate_rt(np.r_[0, local[1:]], imported + np.r_[4, np.zeros(9)], min_cases=0)
    pd.testing.assert_frame_equal(a, moved)
    # window days 2..8: local 1+2+3+2+4+3+5 = 20 (the 5 imported on day 4 are not counted)
    assert a["local_cases"].iloc[0] == 20
    # total only: day 1's 4 cases imported, the rest local (EpiEstim's process_I)
    total_only = rt.estimate_rt(local + imported, min_cases=0)
    pd.testing.assert_frame_equal(total_only, rt.estimate_rt(np.r_[0, (local + imported)[1:]],
                                                              np.r_[4, np.zeros(9)], min_cases=0))
    assert total_only["local_cases"].iloc[0] == 25


def test_too_few_cases_gives_no_number():
    # windows of 7 days with 11, then 12 local cases: the first is "too few cases", the second has a number
    local = np.array([3, 1, 1, 2, 1, 2, 2, 2, 2], dtype=float)  # days 2..8: 1+1+2+1+2+2+2 = 11; 3..9: 12
    got = rt.estimate_rt(local)
    assert got["local_cases"].tolist() == [11, 12]
    assert got["enough_cases"].tolist() == [False, True]
    assert got[["mean", "std", "q025", "median", "q975"]].iloc[0].isna().all()
    assert got[["mean", "std", "q025", "median", "q975"]].iloc[1].notna().all()
    # posterior of the second window by hand: shape 1 + 12 = 13, mean = 13 x scale
    lam = rt.overall_infectivity(np.r_[0, local[1:]] + np.r_[3, np.zeros(8)], rt.discr_si(np.arange(10), 4.7, 2.9))
    scale = 1 / (1 / 5 + lam[2:9].sum())
    assert got["mean"].iloc[1] == pytest.approx(13 * scale, abs=1e-12)
    assert got["median"].iloc[1] == pytest.approx(stats.gamma(13, scale=scale).median(), abs=1e-10)


def test_short_or_empty_series():
    assert rt.estimate_rt(np.zeros(7)).empty          # the first window (days 2..8) does not fit
    assert len(rt.estimate_rt(np.zeros(8))) == 1
    assert list(rt.estimate_rt([]).columns) == list(rt.OUTPUT_COLUMNS)


# ---------------------------------------------------------------- growth


def test_growth_doubling_and_halving_by_hand():
    # previous week 10, last week 20: r = ln(20/10)/7 = 0.0990210 per day; doubling = ln 2 / r = 7 days
    g = rt.growth([1, 2, 1, 2, 1, 2, 1] + [3, 3, 3, 3, 3, 3, 2])
    assert (g.cases_previous, g.cases_last, g.enough_cases) == (10, 20, True)
    assert g.growth_rate_per_day == pytest.approx(math.log(2) / 7, abs=1e-12)
    assert g.doubling_days == pytest.approx(7.0, abs=1e-12) and g.halving_days is None
    # previous 12, last 3: r = ln(3/12)/7 = -0.1980421; halving = ln 2 / 0.1980421 = 3.5 days
    g = rt.growth([0] * 30 + [2, 2, 2, 2, 2, 1, 1] + [1, 0, 1, 0, 1, 0, 0])
    assert g.growth_rate_per_day == pytest.approx(math.log(0.25) / 7, abs=1e-12)
    assert g.halving_days == pytest.approx(3.5, abs=1e-12) and g.doubling_days is None


def test_growth_guard():
    g = rt.growth([1] * 11)  # 11 local cases in the two weeks (the missing 3rd day counts 0): too few
    assert (g.enough_cases, g.growth_rate_per_day, g.doubling_days, g.halving_days) == (False, None, None, None)
    g = rt.growth([0] * 7 + [2] * 7)  # 14 cases, none in the previous week: no finite rate
    assert g.enough_cases and g.growth_rate_per_day is None


# ---------------------------------------------------------------- from the database

D = date(2022, 3, 20)


def case(i, report, source, onset=None, category="confirmed", region="451481001001"):
    return {"case_id": f"C{i:03d}", "report_date": report, "onset_date": onset, "category": category,
            "source": source, "region_code": region}


@pytest.fixture(scope="module")
def cases_db(tmp_path_factory):
    d = D
    cases = [
        case(1, d - timedelta(5), "overseas", onset=d - timedelta(6)),       # day -6 (onset) imported
        case(2, d - timedelta(3), "local", onset=d - timedelta(4)),          # day -4 local
        case(3, d - timedelta(3), "local"),                                  # day -3 local (no onset: report)
        case(4, d - timedelta(3), "domestic_imported", region="451481002001"),  # day -3 imported, 河西镇
        case(5, d - timedelta(1), "local", category="suspected"),             # suspected: left out
        case(6, d + timedelta(1), "local"),                                  # reported after D: unknown on D
        case(7, d, "local", onset=d - timedelta(1), region="451481002002"),   # day -1 local, 河西镇
    ]
    return build_db(tmp_path_factory.mktemp("rt") / "rt.duckdb", {"regions": tiny_regions(), "cases": cases})


def test_incidence_query_by_onset_and_report(cases_db):
    inc = rt.incidence_from_db(cases_db, as_of=D)
    # days D-6 .. D: onset basis
    assert [d.isoformat() for d in pd.to_datetime(inc["date"]).dt.date] == [
        (D - timedelta(k)).isoformat() for k in range(6, -1, -1)]
    assert inc["local"].tolist() == [0, 0, 1, 1, 0, 1, 0]
    assert inc["imported"].tolist() == [1, 0, 0, 1, 0, 0, 0]
    rep = rt.incidence_from_db(cases_db, as_of=D, date_basis="report")  # days D-5 .. D
    assert rep["local"].tolist() == [0, 0, 2, 0, 0, 1]
    assert rep["imported"].tolist() == [1, 0, 1, 0, 0, 0]
    town = rt.incidence_from_db(cases_db, as_of=D, region_code="451481002000")  # 河西镇: cases 4, 7
    assert town["local"].tolist() == [0, 0, 1, 0] and town["imported"].tolist() == [1, 0, 0, 0]
    assert rt.incidence_from_db(cases_db, as_of=D - timedelta(10)).empty


def test_rt_and_growth_from_db_use_that_incidence(cases_db):
    inc = rt.incidence_from_db(cases_db, as_of=D + timedelta(30))
    got = rt.rt_from_db(cases_db, as_of=D + timedelta(30))
    want = rt.estimate_rt(inc["local"].to_numpy(), inc["imported"].to_numpy())
    assert_frames_close(got, want)
    assert got["date_start"].iloc[0] == D - timedelta(5) and got["date_end"].iloc[0] == D + timedelta(1)
    assert not got["enough_cases"].any()   # 4 local cases: too few everywhere
    g = rt.growth_from_db(cases_db, as_of=D)
    assert (g.cases_last, g.cases_previous, g.enough_cases, g.doubling_days) == (3, 0, False, None)


# ---------------------------------------------------------------- command line


def run_cli(*args):
    """``python -m sitrep rt ARGS`` in a child process, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "sitrep", "rt", *args], capture_output=True, text=True, timeout=60)


def cli_status(capsys, *args) -> tuple[int, str]:
    """The same command through sitrep.cli.main in this process (faster): (exit status, stderr)."""
    from sitrep.cli import main

    try:
        code = main(["rt", *args])
    except SystemExit as e:  # argparse's own usage errors
        code = e.code
    return code, capsys.readouterr().err


def test_cli_csv_and_json(tmp_path):
    local, imported = synthetic_outbreak(T=30, seed=5)
    days = [date(2022, 1, 1) + timedelta(i) for i in range(30)]
    frame = pd.DataFrame({"date": days, "local": local.astype(int), "imported": imported.astype(int)})
    frame = frame.drop(index=[12, 13])  # days with no row count 0
    local[[12, 13]] = 0
    imported[[12, 13]] = 0
    path = tmp_path / "incidence.csv"
    frame.to_csv(path, index=False)
    want = reference_rt(local, imported, reference_si(4.7, 2.9, 30))

    r = run_cli("--incidence", str(path))
    assert r.returncode == 0, r.stderr
    got = pd.read_csv(__import__("io").StringIO(r.stdout))
    assert list(got.columns) == ["t_start", "t_end", "date_start", "date_end", "local_cases", "mean", "std",
                                 "q025", "median", "q975", "enough_cases"]
    assert got["date_start"].iloc[0] == "2022-01-02" and got["date_end"].iloc[0] == "2022-01-08"
    assert set(r.stdout.split("\n")[1].split(",")[-1:]) <= {"true", "false"}
    assert_frames_close(got, want, tol=1e-8)

    r = run_cli("--incidence", str(path), "--format", "json", "--si-mean", "4.7", "--si-sd", "2.9", "--window", "7")
    assert r.returncode == 0, r.stderr
    records = json.loads(r.stdout)
    assert isinstance(records[0]["enough_cases"], bool)
    assert_frames_close(pd.DataFrame(records), want)


def test_cli_incidence_column_day_column_and_si_file(tmp_path):
    inc = tmp_path / "total.csv"
    inc.write_text("day,incidence\n1,2\n2,1\n3,3\n4,2\n5,4\n6,5\n7,3\n8,6\n9,7\n10,8\n", encoding="utf-8")
    si = tmp_path / "si.csv"
    si.write_text("day,w\n0,0\n1,0.25\n2,0.5\n3,0.25\n", encoding="utf-8")  # mean 2
    r = run_cli("--incidence", str(inc), "--si-distr", str(si))
    assert r.returncode == 0, r.stderr
    got = pd.read_csv(__import__("io").StringIO(r.stdout))
    total = np.array([2, 1, 3, 2, 4, 5, 3, 6, 7, 8], dtype=float)
    want = reference_rt(total, np.zeros(10), [0, 0.25, 0.5, 0.25])
    assert got["day_start"].tolist() == [2, 3, 4] and got["day_end"].tolist() == [8, 9, 10]
    assert_frames_close(got, want, tol=1e-8)


@pytest.mark.parametrize("content, message", [
    ("date,local\n2022-01-01,3\n", "missing column imported"),
    ("date,local,imported,extra\n2022-01-01,3,0,1\n", "unknown column(s) extra"),
    ("date,local,imported\n2022-01-01,3,0\n2022-01-02,x,0\n", "column local, row 3"),
    ("date,local,imported\n2022-01-01,3,0\n2022-13-02,1,0\n", "column date, row 3"),
    ("day,incidence\n1,3\n1,2\n", "column day, row 3"),
    ("day,incidence\n1,-3\n", "column incidence, row 2"),
])
def test_cli_bad_file_names_the_column(tmp_path, capsys, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    code, err = cli_status(capsys, "--incidence", str(path))
    assert code == 1
    assert str(path) in err and message in err, err


def test_cli_bad_file_in_a_child_process(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("date,cases\n2022-01-01,3\n", encoding="gb18030")
    r = run_cli("--incidence", str(path))
    assert r.returncode == 1 and "unknown column(s) cases" in r.stderr and str(path) in r.stderr
    assert r.stdout == ""


def test_cli_usage_errors(tmp_path, capsys):
    path = tmp_path / "ok.csv"
    path.write_text("incidence\n1\n2\n", encoding="utf-8")
    assert cli_status(capsys, "--incidence", str(path), "--si-distr", "si.csv", "--si-mean", "5")[0] == 2
    assert cli_status(capsys, "--incidence", str(path), "--window", "0")[0] == 2
    assert cli_status(capsys, "--incidence", str(path), "--si-mean", "1")[0] == 2
    assert cli_status(capsys)[0] == 2
    assert cli_status(capsys, "--incidence", str(path), "--format", "xml")[0] == 2
    code, err = cli_status(capsys, "--incidence", str(tmp_path / "missing.csv"))
    assert code == 1 and "missing.csv" in err
    si = tmp_path / "si.csv"
    si.write_text("w\n0.1\n0.9\n", encoding="utf-8")
    code, err = cli_status(capsys, "--incidence", str(path), "--si-distr", str(si))
    assert code == 1 and "must be 0" in err
