"""Settings files: reading one (its TOML as a dict, or an error naming the file and what went wrong), writing
one atomically, and editing one with tomlkit so that its comments and layout stay."""

from __future__ import annotations

import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any, Mapping

import tomlkit


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


def updated(text: str, data: Mapping[str, Mapping[str, Any]], header: str = "") -> str:
    """The TOML ``text`` with each ``[section] key`` of ``data`` set to its value; everything else (comments,
    other keys, order) as it was (tomlkit). An empty ``text`` starts from ``header`` (comment lines)."""
    doc = tomlkit.parse(text) if text.strip() else tomlkit.parse(header.rstrip("\n") + "\n" if header else "")
    for section, keys in data.items():
        if section not in doc:
            doc[section] = tomlkit.table()
        for key, value in keys.items():
            doc[section][key] = list(value) if isinstance(value, tuple) else value
    return tomlkit.dumps(doc)


def write_atomic(p: Path, text: str, *, mode: int | None = None, before: os.stat_result | None = None) -> None:
    """Write ``text`` to ``p`` through a file in the same folder and one rename, so a reader sees the old file or
    the new one, never half of it. ``mode``: the new file's permissions; else those of the file it replaces
    (``before``, its stat), whose modification time it moves past (readers cache on it)."""
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        elif before is not None:
            os.chmod(tmp, before.st_mode & 0o7777)
        if before is not None and os.stat(tmp).st_mtime_ns <= before.st_mtime_ns:  # a coarse clock: a new stamp
            os.utime(tmp, ns=(before.st_atime_ns, before.st_mtime_ns + 1))
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
