"""Load and check the early-warning method parameters (``data/early_warning.toml``).

Every key is required and an unknown key is an error: a misspelt parameter must not fall
back to a default without anyone noticing. The meaning of each key is documented in the
file itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Mapping

from sitrep import tomlfile

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_CONFIG = ROOT / "data" / "early_warning.toml"


class ConfigError(ValueError):
    """An early-warning configuration file that cannot be used, with the reason."""


@dataclass(frozen=True)
class EarsConfig:
    baseline_days: int
    guard_days: int
    min_sigma: float
    c1_threshold: float
    c2_threshold: float
    c3_threshold: float


@dataclass(frozen=True)
class MovingPercentileConfig:
    window_days: int
    baseline_windows: int
    percentile: float


@dataclass(frozen=True)
class RtConfig:
    si_mean: float
    si_sd: float
    prior_shape: float
    prior_scale: float
    window_days: int
    min_cases: int


@dataclass(frozen=True)
class GrowthConfig:
    window_days: int
    min_cases: int


@dataclass(frozen=True)
class WarningConfig:
    ears: EarsConfig
    moving_percentile: MovingPercentileConfig
    rt: RtConfig
    growth: GrowthConfig

    def aberration_params(self) -> dict[str, Any]:
        """The method parameters of queries/sentinel_aberrations.sql, by parameter name."""
        e, m = self.ears, self.moving_percentile
        return {
            "baseline_days": e.baseline_days, "guard_days": e.guard_days, "min_sigma": e.min_sigma,
            "c1_threshold": e.c1_threshold, "c2_threshold": e.c2_threshold, "c3_threshold": e.c3_threshold,
            "mp_window_days": m.window_days, "mp_baseline_windows": m.baseline_windows,
            "mp_percentile": m.percentile,
        }


# (section, class, checks): each check is (key, predicate, what it must be)
_SECTIONS = (
    ("ears", EarsConfig, (
        ("baseline_days", lambda v: v >= 2, "an integer >= 2 (a sample standard deviation needs two days)"),
        ("guard_days", lambda v: v >= 0, "an integer >= 0"),
        ("min_sigma", lambda v: v > 0, "a number > 0"),
        ("c1_threshold", lambda v: True, "a number"),
        ("c2_threshold", lambda v: True, "a number"),
        ("c3_threshold", lambda v: True, "a number"),
    )),
    ("moving_percentile", MovingPercentileConfig, (
        ("window_days", lambda v: v >= 1, "an integer >= 1"),
        ("baseline_windows", lambda v: v >= 1, "an integer >= 1"),
        ("percentile", lambda v: 0 <= v <= 100, "a number in 0..100"),
    )),
    ("rt", RtConfig, (
        ("si_mean", lambda v: v > 1, "a number > 1 (the serial interval is shifted by one day)"),
        ("si_sd", lambda v: v > 0, "a number > 0"),
        ("prior_shape", lambda v: v > 0, "a number > 0"),
        ("prior_scale", lambda v: v > 0, "a number > 0"),
        ("window_days", lambda v: v >= 1, "an integer >= 1"),
        ("min_cases", lambda v: v >= 0, "an integer >= 0"),
    )),
    ("growth", GrowthConfig, (
        ("window_days", lambda v: v >= 1, "an integer >= 1"),
        ("min_cases", lambda v: v >= 0, "an integer >= 0"),
    )),
)


def default_config_path() -> Path:
    """$SITREP_EARLY_WARNING, else data/early_warning.toml."""
    env = os.environ.get("SITREP_EARLY_WARNING")
    return Path(env) if env else DEFAULT_CONFIG


def load_config(path: str | os.PathLike | None = None) -> WarningConfig:
    """The configuration in ``path`` (default: :func:`default_config_path`)."""
    p = Path(path) if path else default_config_path()
    return config_from_dict(tomlfile.read(p, "early-warning configuration", ConfigError), str(p))


def config_from_dict(data: Mapping[str, Any], source: str = "<config>") -> WarningConfig:
    unknown = sorted(set(data) - {s[0] for s in _SECTIONS})
    if unknown:
        raise ConfigError(f"{source}: unknown section(s) {', '.join(unknown)}")
    sections = {}
    for name, cls, checks in _SECTIONS:
        raw = data.get(name)
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{source}: missing section [{name}]")
        extra = sorted(set(raw) - {c[0] for c in checks})
        if extra:
            raise ConfigError(f"{source}: [{name}] unknown key(s) {', '.join(extra)}")
        types = {f.name: f.type for f in fields(cls)}
        values = {}
        for key, ok, what in checks:
            if key not in raw:
                raise ConfigError(f"{source}: [{name}] missing key {key}")
            v = raw[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ConfigError(f"{source}: [{name}] {key} = {v!r} must be {what}")
            if types[key] == "int":
                if v != int(v):
                    raise ConfigError(f"{source}: [{name}] {key} = {v!r} must be {what}")
                v = int(v)
            else:
                v = float(v)
            if not ok(v):
                raise ConfigError(f"{source}: [{name}] {key} = {v!r} must be {what}")
            values[key] = v
        sections[name] = cls(**values)
    return WarningConfig(**sections)
