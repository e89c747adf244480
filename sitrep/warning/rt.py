"""The instantaneous reproduction number Rt (Cori et al. 2013, as EpiEstim's ``estimate_R``
computes it) and the doubling or halving time of the local cases.

Method, step by step, with days numbered 1..T from the first day of the series:

- Incidence: ``local`` and ``imported`` cases per day (imported = overseas or domestic
  imported). As in EpiEstim, the cases of day 1 all count as imported (nothing in the
  series can have infected them); when only a total is known, every later case counts as
  local.
- Serial interval: a gamma of mean ``si_mean - 1`` and sd ``si_sd`` shifted by one day,
  discretised as Cori et al. do (:func:`discr_si`; w_0 = 0), on days 0..T-1 and not
  renormalised; or a distribution given as numbers (w_0 must be 0).
- Infectivity: Lambda_t = sum_{s=1}^{t-1} (local + imported)_{t-s} w_s.
- Windows: the window ending on day t covers t-w+1..t (w = ``window_days``); the first
  starts on day 2; a window ending on or before the mean of the discretised serial
  interval is dropped (EpiEstim: estimates need ``t_end > mean SI``).
- Posterior: Gamma(shape = prior_shape + local cases in the window,
  scale = 1 / (1 / prior_scale + sum of Lambda over the window)); mean, sd, 2.5%,
  50% and 97.5% quantiles.
- Every window gets its numbers, as EpiEstim reports every window; ``enough_cases`` flags
  the windows with at least ``min_cases`` local cases (EpiEstim only warns about the first
  window). The posterior of a thin window is mostly the prior: the dashboard does not draw
  it and says "too few cases" instead.

Growth: r = ln(local cases in the latest ``window_days`` / local cases in the
``window_days`` before) / ``window_days`` per day; doubling time ln 2 / r when r > 0,
halving time ln 2 / |r| when r < 0; none when the two windows hold fewer than
``min_cases`` local cases or either window has none.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from sitrep.errors import UsageError
from sitrep.warning.config import RtConfig, load_config

# The posterior quantiles EpiEstim's estimate_R reports: column name -> probability.
QUANTILES = {"q025": 0.025, "q05": 0.05, "q25": 0.25, "median": 0.5, "q75": 0.75, "q95": 0.95, "q975": 0.975}
OUTPUT_COLUMNS = ("t_start", "t_end", "local_cases", "mean", "std", *QUANTILES, "enough_cases")


class IncidenceError(ValueError):
    """An incidence or serial-interval file that cannot be used; the message names the file
    and the column."""


# ---------------------------------------------------------------- serial interval


def discr_si(k: Sequence[int] | np.ndarray, mean: float, sd: float) -> np.ndarray:
    """P(serial interval = k days) for a gamma of mean ``mean - 1`` and sd ``sd`` shifted by
    one day, discretised as in Cori et al. (2013, web appendix 11) and EpiEstim's ``discr_si``:

        w_k = k F(k) + (k-2) F(k-2) - 2 (k-1) F(k-1) + a b (2 G(k-1) - G(k-2) - G(k)),

    F the gamma CDF of shape a = ((mean-1)/sd)^2 and scale b = sd^2/(mean-1), G the gamma CDF
    of shape a+1 and scale b (both 0 below 0), clipped at 0. It is the probability that the
    continuous delay, taken from a uniform time within the day, lands on day k, so w_0 = 0
    and the discrete mean equals ``mean``.
    """
    from scipy.special import gammainc  # scipy takes ~0.3-0.8 s to import: only when Rt is estimated

    if sd <= 0:
        raise ValueError("the serial interval's sd must be > 0")
    if mean <= 1:
        raise ValueError("the serial interval's mean must be > 1 (it is shifted by one day)")
    k = np.asarray(k, dtype=float)
    if np.any(k < 0):
        raise ValueError("days of the serial interval must be >= 0")
    a = ((mean - 1) / sd) ** 2
    b = sd**2 / (mean - 1)

    def cdf(x, shape):
        return gammainc(shape, np.clip(x, 0, None) / b)  # regularised lower incomplete gamma; 0 at x <= 0

    w = (k * cdf(k, a) + (k - 2) * cdf(k - 2, a) - 2 * (k - 1) * cdf(k - 1, a)
         + a * b * (2 * cdf(k - 1, a + 1) - cdf(k - 2, a + 1) - cdf(k, a + 1)))
    return np.maximum(w, 0.0)


def check_si_distr(w: Sequence[float] | np.ndarray, source: str = "serial interval") -> np.ndarray:
    """A given discrete serial interval (w_0, w_1, ...): non-negative, w_0 = 0, summing to 1
    (within 0.01, as EpiEstim asks; it is used as given)."""
    w = np.asarray(w, dtype=float)
    if w.ndim != 1 or len(w) < 2:
        raise IncidenceError(f"{source}: needs at least two values (w_0 = 0, w_1, ...)")
    if np.any(~np.isfinite(w)) or np.any(w < 0):
        raise IncidenceError(f"{source}: probabilities must be numbers >= 0")
    if w[0] != 0:
        raise IncidenceError(f"{source}: the first value (serial interval of 0 days) must be 0, got {w[0]:g}")
    if abs(w.sum() - 1) > 0.01:
        raise IncidenceError(f"{source}: probabilities must sum to 1, they sum to {w.sum():.4f}")
    return w


def _si_for(n_days: int, si_mean: float, si_sd: float, si_distr: np.ndarray | None) -> np.ndarray:
    """The serial interval on days 0..n_days (EpiEstim: discr_si(0..T-1), padded with zeros)."""
    if si_distr is None:
        w = discr_si(np.arange(n_days), si_mean, si_sd)
    else:
        w = np.asarray(si_distr, dtype=float)[:n_days]
    return np.concatenate([w, np.zeros(max(0, n_days + 1 - len(w)))])


# ---------------------------------------------------------------- Rt


def overall_infectivity(total: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Lambda_t = sum_{s=1}^{t-1} total_{t-s} w_s for every day (index 0 = day 1, where it is 0)."""
    total = np.asarray(total, dtype=float)
    w = np.asarray(w, dtype=float).copy()
    w[0] = 0.0
    return np.convolve(total, w[: len(total)])[: len(total)]


def estimate_rt(
    local: Sequence[float] | np.ndarray,
    imported: Sequence[float] | np.ndarray | None = None,
    *,
    si_mean: float | None = None,
    si_sd: float | None = None,
    si_distr: Sequence[float] | np.ndarray | None = None,
    window_days: int | None = None,
    prior_shape: float | None = None,
    prior_scale: float | None = None,
    min_cases: int | None = None,
    config: RtConfig | None = None,
) -> pd.DataFrame:
    """Rt on sliding windows from daily incidence (consecutive days, day 1 first).

    ``local``: locally acquired cases per day (or the total, with ``imported`` None: then
    the cases of day 1 count as imported and the rest as local). Parameters not given come
    from ``config`` (default: data/early_warning.toml [rt]). ``si_distr`` replaces the
    parametric serial interval.

    Returns one row per window kept: t_start, t_end (days 1..T), local_cases in the window,
    the posterior's mean, std and quantiles (q025, q05, q25, median, q75, q95, q975: those
    of EpiEstim), and enough_cases (at least ``min_cases`` local cases in the window).
    """
    from scipy.special import gammaincinv  # as above: only when Rt is estimated

    cfg = config or load_config().rt
    si_mean = cfg.si_mean if si_mean is None else si_mean
    si_sd = cfg.si_sd if si_sd is None else si_sd
    window = cfg.window_days if window_days is None else int(window_days)
    a_prior = cfg.prior_shape if prior_shape is None else prior_shape
    b_prior = cfg.prior_scale if prior_scale is None else prior_scale
    min_cases = cfg.min_cases if min_cases is None else min_cases
    if window < 1:
        raise ValueError("the window must be at least one day")

    local = np.asarray(local, dtype=float).copy()
    imported = np.zeros_like(local) if imported is None else np.asarray(imported, dtype=float).copy()
    if local.shape != imported.shape or local.ndim != 1:
        raise ValueError("local and imported must be two series of the same length")
    if np.any(~np.isfinite(local)) or np.any(~np.isfinite(imported)) or np.any(local < 0) or np.any(imported < 0):
        raise ValueError("incidence must be numbers >= 0")
    n = len(local)
    empty = pd.DataFrame({c: pd.Series(dtype="int64" if c in ("t_start", "t_end") else "bool"
                                       if c == "enough_cases" else "float64") for c in OUTPUT_COLUMNS})
    if n == 0:
        return empty
    # Nothing in the series can have infected the first day's cases (EpiEstim's process_I).
    imported[0] += local[0]
    local[0] = 0.0

    w = _si_for(n, si_mean, si_sd, None if si_distr is None else check_si_distr(si_distr))
    mean_si = float(np.sum(w * np.arange(len(w))))
    lam = overall_infectivity(local + imported, w)

    t_end = np.arange(window + 1, n + 1)          # first window starts on day 2
    t_end = t_end[t_end > mean_si]
    if len(t_end) == 0:
        return empty
    t_start = t_end - window + 1
    cum_local = np.concatenate([[0.0], np.cumsum(local)])
    cum_lam = np.concatenate([[0.0], np.cumsum(lam)])
    local_cases = cum_local[t_end] - cum_local[t_start - 1]
    lam_sum = cum_lam[t_end] - cum_lam[t_start - 1]

    shape = a_prior + local_cases
    scale = 1.0 / (1.0 / b_prior + lam_sum)
    return pd.DataFrame({
        "t_start": t_start.astype("int64"),
        "t_end": t_end.astype("int64"),
        "local_cases": local_cases,
        "mean": shape * scale,
        "std": np.sqrt(shape) * scale,
        **{name: gammaincinv(shape, p) * scale for name, p in QUANTILES.items()},
        "enough_cases": local_cases >= min_cases,
    })


# ---------------------------------------------------------------- growth


@dataclass(frozen=True)
class Growth:
    """The 7-day growth of local cases up to a day (see the module docstring)."""
    cases_last: int
    cases_previous: int
    enough_cases: bool
    growth_rate_per_day: float | None
    doubling_days: float | None
    halving_days: float | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def growth(local: Sequence[float] | np.ndarray, *, window_days: int | None = None,
           min_cases: int | None = None) -> Growth:
    """Growth rate and doubling (or halving) time from the last 2 x window_days of a daily
    series of local cases (the last value is the latest day; missing leading days count 0)."""
    if window_days is None or min_cases is None:
        cfg = load_config().growth
        window_days = cfg.window_days if window_days is None else window_days
        min_cases = cfg.min_cases if min_cases is None else min_cases
    window = int(window_days)
    x = np.asarray(local, dtype=float)[-2 * window:]
    x = np.concatenate([np.zeros(2 * window - len(x)), x])
    previous, last = float(x[:window].sum()), float(x[window:].sum())
    enough = previous + last >= min_cases
    if not enough or previous == 0 or last == 0:
        return Growth(int(last), int(previous), enough, None, None, None)
    r = math.log(last / previous) / window
    return Growth(int(last), int(previous), enough, r,
                  math.log(2) / r if r > 0 else None, math.log(2) / -r if r < 0 else None)


# ---------------------------------------------------------------- from the database


def incidence_from_db(db, *, as_of: date | str, region_code: str | None = None,
                      date_basis: str = "onset") -> pd.DataFrame:
    """Daily local and imported cases in scope (queries/cases_incidence_daily.sql): one row per
    day from the first case's day to ``as_of``, zeros included."""
    if date_basis not in ("onset", "report"):
        raise ValueError("date_basis is 'onset' or 'report'")
    return db.query("cases_incidence_daily", as_of=as_of, region_code=region_code, date_basis=date_basis)


def rt_from_db(db, *, as_of: date | str, region_code: str | None = None, date_basis: str = "onset",
               config: RtConfig | None = None) -> pd.DataFrame:
    """Rt for the Cases page: :func:`estimate_rt` on the confirmed cases and asymptomatic
    infections in scope reported up to ``as_of``, by onset date when known, else report date
    (``date_basis="report"``: by report date). Rows as :func:`estimate_rt`, with date_start
    and date_end of each window."""
    inc = incidence_from_db(db, as_of=as_of, region_code=region_code, date_basis=date_basis)
    out = estimate_rt(inc["local"].to_numpy(), inc["imported"].to_numpy(), config=config)
    days = pd.to_datetime(inc["date"]).dt.date.to_numpy()
    out.insert(2, "date_start", days[out["t_start"].to_numpy() - 1] if len(out) else [])
    out.insert(3, "date_end", days[out["t_end"].to_numpy() - 1] if len(out) else [])
    return out


def growth_from_db(db, *, as_of: date | str, region_code: str | None = None,
                   date_basis: str = "onset") -> Growth:
    """Growth rate and doubling (or halving) time of the local cases in scope up to ``as_of``."""
    inc = incidence_from_db(db, as_of=as_of, region_code=region_code, date_basis=date_basis)
    return growth(inc["local"].to_numpy())


# ---------------------------------------------------------------- command line

TIME_COLUMNS = ("day", "date")
COUNT_COLUMNS = ("local", "imported", "incidence")


def read_incidence(path: str | Path) -> tuple[pd.DataFrame, str | None]:
    """Read an incidence CSV (UTF-8, with or without BOM, or GB18030): an optional ``day``
    (integer) or ``date`` column, and ``local`` + ``imported`` counts or one ``incidence``
    column. Returns (frame with columns [label,] local, imported over consecutive days, gaps
    filled with 0; the name of the time column or None)."""
    path = Path(path)
    raw = None
    for enc in ("utf-8-sig", "gb18030"):
        try:
            raw = pd.read_csv(path, encoding=enc, dtype=str, keep_default_na=False)
            break
        except UnicodeDecodeError:
            continue
        except FileNotFoundError:
            raise IncidenceError(f"{path}: no such file") from None
        except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
            raise IncidenceError(f"{path}: not a readable CSV file ({e})") from None
    if raw is None:
        raise IncidenceError(f"{path}: not a readable CSV file (encoding neither UTF-8 nor GB18030)")
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    unknown = [c for c in raw.columns if c not in TIME_COLUMNS + COUNT_COLUMNS]
    if unknown:
        raise IncidenceError(f"{path}: unknown column(s) {', '.join(unknown)}; expected day or date, "
                             f"and local + imported, or incidence")
    time_cols = [c for c in TIME_COLUMNS if c in raw.columns]
    if len(time_cols) > 1:
        raise IncidenceError(f"{path}: give either a day or a date column, not both")
    if "incidence" in raw.columns:
        if "local" in raw.columns or "imported" in raw.columns:
            raise IncidenceError(f"{path}: give either an incidence column or local + imported columns, not both")
        count_cols = ["incidence"]
    else:
        missing = [c for c in ("local", "imported") if c not in raw.columns]
        if missing:
            raise IncidenceError(f"{path}: missing column {' and '.join(missing)} "
                                 f"(expected local + imported, or incidence)")
        count_cols = ["local", "imported"]
    if raw.empty:
        raise IncidenceError(f"{path}: no rows")

    out = pd.DataFrame()
    for c in count_cols:
        values = pd.to_numeric(raw[c].str.strip(), errors="coerce")
        bad = values.isna() | (values < 0) | (values != values.round())
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise IncidenceError(f"{path}: column {c}, row {i + 2}: {raw[c].iloc[i]!r} is not a whole number >= 0")
        out[c] = values.astype(float)
    if count_cols == ["incidence"]:
        # only the total is known: all local (estimate_rt counts the first day's cases as imported)
        out = pd.DataFrame({"local": out["incidence"], "imported": 0.0})
    time_col = time_cols[0] if time_cols else None
    if time_col is None:
        return out, None

    text = raw[time_col].str.strip()
    if time_col == "day":
        labels = pd.to_numeric(text, errors="coerce")
        bad = labels.isna() | (labels != labels.round())
    else:
        labels = pd.to_datetime(text, format="ISO8601", errors="coerce")
        bad = labels.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        what = "a whole number" if time_col == "day" else "a date (YYYY-MM-DD)"
        raise IncidenceError(f"{path}: column {time_col}, row {i + 2}: {raw[time_col].iloc[i]!r} is not {what}")
    if time_col == "day":
        labels = labels.astype("int64")
    dup = labels.duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise IncidenceError(f"{path}: column {time_col}, row {i + 2}: {raw[time_col].iloc[i]!r} appears twice")
    out.insert(0, time_col, labels.to_numpy())
    out = out.sort_values(time_col).set_index(time_col)
    full = (pd.RangeIndex(out.index.min(), out.index.max() + 1, name=time_col) if time_col == "day"
            else pd.date_range(out.index.min(), out.index.max(), freq="D", name=time_col))
    out = out.reindex(full, fill_value=0.0).reset_index()  # a day with no row had no case
    return out, time_col


def read_si_distr(path: str | Path) -> np.ndarray:
    """A discrete serial interval from a CSV: one column of probabilities for 0, 1, 2, ... days
    (header ``w``, ``si_distr`` or ``probability``; an optional ``day`` column must be 0, 1, 2, ...)."""
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise IncidenceError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise IncidenceError(f"{path}: not a readable CSV file ({e})") from None
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    names = [c for c in ("w", "si_distr", "probability") if c in raw.columns]
    unknown = [c for c in raw.columns if c not in ("day", "w", "si_distr", "probability")]
    if len(names) != 1 or unknown:
        raise IncidenceError(f"{path}: expected one column w (or si_distr, probability) and optionally day; "
                             f"found {', '.join(raw.columns) or 'none'}")
    col = names[0]
    values = pd.to_numeric(raw[col].str.strip(), errors="coerce")
    if values.isna().any():
        i = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise IncidenceError(f"{path}: column {col}, row {i + 2}: {raw[col].iloc[i]!r} is not a number")
    if "day" in raw.columns:
        days = pd.to_numeric(raw["day"].str.strip(), errors="coerce")
        if not days.tolist() == list(range(len(days))):
            raise IncidenceError(f"{path}: column day must be 0, 1, 2, ... in order")
    return check_si_distr(values.to_numpy(), f"{path}: column {col}")


def cli_rt(args) -> int:
    """``python -m sitrep rt``: Rt on sliding windows from an incidence CSV, printed as CSV or JSON."""
    if args.si_distr and (args.si_mean is not None or args.si_sd is not None):
        raise UsageError("give either --si-distr or --si-mean/--si-sd, not both")
    if args.window is not None and args.window < 1:
        raise UsageError("--window must be at least 1 day")
    if args.si_mean is not None and args.si_mean <= 1:
        raise UsageError("--si-mean must be > 1 (the serial interval is shifted by one day)")
    if args.si_sd is not None and args.si_sd <= 0:
        raise UsageError("--si-sd must be > 0")
    try:
        cfg = load_config().rt
        inc, time_col = read_incidence(args.incidence)
        si_distr = read_si_distr(args.si_distr) if args.si_distr else None
    except (IncidenceError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    out = estimate_rt(inc["local"].to_numpy(), inc["imported"].to_numpy(), si_mean=args.si_mean,
                      si_sd=args.si_sd, si_distr=si_distr, window_days=args.window, config=cfg)
    if time_col is not None:
        labels = inc[time_col].to_numpy()
        start, end = labels[out["t_start"].to_numpy() - 1], labels[out["t_end"].to_numpy() - 1]
        if time_col == "date":
            start = [pd.Timestamp(d).date().isoformat() for d in start]
            end = [pd.Timestamp(d).date().isoformat() for d in end]
        out.insert(2, f"{time_col}_start", start)
        out.insert(3, f"{time_col}_end", end)
    out["local_cases"] = out["local_cases"].round().astype("int64")
    thin = int((~out["enough_cases"]).sum())
    if thin:  # EpiEstim warns too ("estimating R too early ..."); the numbers are printed all the same
        print(f"note: {thin} of {len(out)} windows have fewer than {cfg.min_cases} local cases "
              f"(enough_cases false): their posterior leans on the prior", file=sys.stderr)
    if args.format == "json":
        records = json.loads(out.to_json(orient="records", double_precision=15))
        sys.stdout.write(json.dumps(records, ensure_ascii=False) + "\n")
    else:
        csv = out.assign(enough_cases=out["enough_cases"].map({True: "true", False: "false"}))
        csv.to_csv(sys.stdout, index=False, float_format="%.10g")
    return 0
