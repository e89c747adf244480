"""Early warning: sentinel aberration detection (EARS C1/C2/C3 and the moving percentile,
``ears``) and the reproduction number and doubling time of the cases (``rt``). Method
parameters live in ``data/early_warning.toml`` (``config``)."""

from sitrep.warning.config import ConfigError, WarningConfig, load_config

__all__ = ["ConfigError", "WarningConfig", "load_config"]
