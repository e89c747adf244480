"""Reading a settings file: its TOML as a dict, or an error naming the file and what went wrong."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any


def read(path: Path, what: str, error: type[Exception]) -> dict[str, Any]:
    """The TOML at ``path``; ``error`` ("PATH: cannot read the WHAT (reason)" or "PATH: not valid TOML: ...")
    when the file cannot be read or parsed."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise error(f"{path}: cannot read the {what} ({e.strerror or e})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise error(f"{path}: not valid TOML: {e}") from None
