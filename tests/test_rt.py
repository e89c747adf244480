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
QUANTILES = {"q025": 0.025, "q05": 0.05, "q25": 0.25, "median": 0.5, "q75": 0.75, "q95": 0.95, "q975": 0.975}


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
        rows.append({"t_start": t_start, "t_end": t_end, "local_cases": cases, "mean": g.mean(), "std": g.std(),
                     **{name: g.ppf(p) for name, p in QUANTILES.items()}, "enough_cases": cases >= min_cases})
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
    for c in ("local_cases", "mean", "std", *QUANTILES):
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


def test_thin_windows_keep_their_numbers_and_are_flagged():
    # windows of 7 days with 11, then 12 local cases: both have numbers (as EpiEstim reports every
    # window); only the second has enough cases
    local = np.array([3, 1, 1, 2, 1, 2, 2, 2, 2], dtype=float)  # days 2..8: 1+1+2+1+2+2+2 = 11; 3..9: 12
    got = rt.estimate_rt(local)
    assert got["local_cases"].tolist() == [11, 12]
    assert got["enough_cases"].tolist() == [False, True]
    assert got[["mean", "std", *QUANTILES]].notna().all().all()
    # posteriors by hand: shape 1 + 11 = 12 and 1 + 12 = 13, mean = shape x scale
    lam = rt.overall_infectivity(np.r_[0, local[1:]] + np.r_[3, np.zeros(8)], rt.discr_si(np.arange(10), 4.7, 2.9))
    for row, shape, days in ((0, 12, slice(1, 8)), (1, 13, slice(2, 9))):
        scale = 1 / (1 / 5 + lam[days].sum())
        assert got["mean"].iloc[row] == pytest.approx(shape * scale, abs=1e-12)
        assert got["std"].iloc[row] == pytest.approx(math.sqrt(shape) * scale, abs=1e-12)
        assert got["median"].iloc[row] == pytest.approx(stats.gamma(shape, scale=scale).median(), abs=1e-10)


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
                                 "q025", "q05", "q25", "median", "q75", "q95", "q975", "enough_cases"]
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


# ---------------------------------------------------------------- EpiEstim's own local / imported example

# EpiEstim's documented example of incidence split into local and imported cases (estimate_R's
# help page; tests/testthat/test-estimate_R.R, "Example 2"): 17 cases by day of onset 0..26,
# parametric serial interval of mean 2.6 and sd 1.5 (Ferguson et al. 2005 for influenza), the
# default prior (mean 5, sd 5: shape 1, scale 5), weekly windows t_start 2..21, t_end 8..27.
EPIESTIM_ONSET_DAYS = [0, 1, 1, 2, 1, 3, 4, 5, 5, 5, 5, 4, 4, 26, 6, 7, 9]
EPIESTIM_LOCATION = ["imported", "local", "imported", "imported", "local", "imported", "imported", "imported",
                     "imported", "local", "local", "local", "imported", "local", "imported", "local", "imported"]
# EpiEstim's published output for it, as printed in its test snapshot
# (mrc-ide/EpiEstim tests/testthat/_snaps/estimate_R.md, "Example 2 matches saved output"):
# t_start t_end Mean(R) Std(R) Quantile.0.025 0.05 0.25 Median 0.75 0.95 0.975
EPIESTIM_EXAMPLE_2 = """\
2 8 0.6413590 0.2424109 0.257859602 0.301009564 0.46568686 0.6110903 0.7841500 1.0850325 1.1965445
3 9 0.3999222 0.1788506 0.129853640 0.157581299 0.26943560 0.3736000 0.5018568 0.7321390 0.8191677
4 10 0.3956574 0.1769434 0.128468883 0.155900853 0.26656234 0.3696159 0.4965050 0.7243315 0.8104321
5 11 0.4170468 0.1865090 0.135413957 0.164328910 0.28097279 0.3895975 0.5233462 0.7634891 0.8542443
6 12 0.3515432 0.1757716 0.095783678 0.120079970 0.22281862 0.3227220 0.4490461 0.6814362 0.7705187
7 13 0.1976371 0.1397505 0.023934764 0.035116301 0.09499215 0.1658518 0.2660822 0.4687817 0.5505816
8 14 0.2561099 0.1810970 0.031016091 0.045505792 0.12309648 0.2149206 0.3448051 0.6074752 0.7134764
9 15 0.1854957 0.1854957 0.004696345 0.009514686 0.05336379 0.1285758 0.2571517 0.5556955 0.6842713
10 16 0.2764736 0.2764736 0.006999704 0.014181240 0.07953649 0.1916369 0.3832737 0.8282408 1.0198776
11 17 0.4085199 0.4085199 0.010342829 0.020954333 0.11752386 0.2831644 0.5663289 1.2238163 1.5069808
12 18 0.6246688 0.6246688 0.015815245 0.032041322 0.17970602 0.4329874 0.8659749 1.8713406 2.3043280
13 19 1.0775772 1.0775772 0.027281893 0.055272486 0.30999965 0.7469196 1.4938392 3.2281329 3.9750525
14 20 1.7523399 1.7523399 0.044365405 0.089883287 0.50411678 1.2146295 2.4292589 5.2495412 6.4641707
15 21 2.5831197 2.5831197 0.065398929 0.132496720 0.74311724 1.7904822 3.5809643 7.7383351 9.5288173
16 22 3.4013907 3.4013907 0.086115755 0.174468532 0.97851911 2.3576643 4.7153287 10.1896558 12.5473201
17 23 4.0476611 4.0476611 0.102477905 0.207617870 1.16443952 2.8056248 5.6112497 12.1257088 14.9313337
18 24 4.4742953 4.4742953 0.113279349 0.229501345 1.28717454 3.1013452 6.2026903 13.4037908 16.5051359
19 25 4.7233814 4.7233814 0.119585664 0.242277793 1.35883215 3.2739985 6.5479970 14.1499861 17.4239846
20 26 4.8583931 4.8583931 0.123003865 0.249202990 1.39767261 3.3675815 6.7351630 14.5544451 17.9220266
21 27 9.8571825 6.9700806 1.193750537 1.751431640 4.73775012 8.2718863 13.2708950 23.3805693 27.4603530
"""


def epiestim_example_incidence() -> pd.DataFrame:
    """The example's cases counted per day 0..26 and location, as incidence::incidence does."""
    days = range(max(EPIESTIM_ONSET_DAYS) + 1)
    count = {(d, loc): 0 for d in days for loc in ("local", "imported")}
    for d, loc in zip(EPIESTIM_ONSET_DAYS, EPIESTIM_LOCATION):
        count[d, loc] += 1
    return pd.DataFrame({"day": list(days), "local": [count[d, "local"] for d in days],
                         "imported": [count[d, "imported"] for d in days]})


def test_cli_reproduces_epiestim_local_imported_example_in_every_window(tmp_path):
    inc = epiestim_example_incidence()
    # EpiEstim's $I_local and $I_imported for this example (the same snapshot)
    assert inc["local"].tolist() == [0, 2, 0, 0, 1, 2, 0, 1] + [0] * 18 + [1]
    assert inc["imported"].tolist() == [1, 1, 1, 1, 2, 2, 1, 0, 0, 1] + [0] * 17
    path = tmp_path / "epiestim_example_2.csv"
    inc.to_csv(path, index=False)
    r = run_cli("--incidence", str(path), "--si-mean", "2.6", "--si-sd", "1.5", "--window", "7")
    assert r.returncode == 0, r.stderr
    got = pd.read_csv(__import__("io").StringIO(r.stdout))
    want = pd.DataFrame([line.split() for line in EPIESTIM_EXAMPLE_2.splitlines()],
                        columns=["t_start", "t_end", "mean", "std", *QUANTILES]).astype(float)
    # every window EpiEstim reports, each with its numbers (none has 12 local cases: all flagged)
    assert got["t_start"].tolist() == list(range(2, 22)) and got["t_end"].tolist() == list(range(8, 28))
    assert got["day_start"].tolist() == list(range(1, 21)) and got["day_end"].tolist() == list(range(7, 27))
    assert got["local_cases"].tolist() == [6, 4, 4, 4, 3, 1, 1] + [0] * 12 + [1]
    assert got["enough_cases"].tolist() == [False] * 20
    # ...and, as EpiEstim warns, the command says so (on stderr, the numbers stay on stdout)
    assert "20 of 20 windows have fewer than 12 local cases" in r.stderr
    for c in ("mean", "std", *QUANTILES):
        np.testing.assert_allclose(got[c].to_numpy(float), want[c].to_numpy(), rtol=0, atol=1e-6, err_msg=c)
    # and the same from the closed form written out in this file
    assert_frames_close(got, reference_rt(inc["local"], inc["imported"], reference_si(2.6, 1.5, 27)))
