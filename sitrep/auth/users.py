"""Local users: a TOML file of accounts with Argon2id password hashes, and the settings of
sign-in (session length, lockout, watermark).

``$SITREP_USERS``, else ``data/users.toml`` (git-ignored; ``data/users.example.toml``
shows the format). Managed with ``python -m sitrep users add|passwd|disable|enable|list``.
The file holds only hashes (argon2-cffi's defaults: Argon2id, a random salt per hash);
it is written atomically with mode 0600.

Plain Python, no Streamlit.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import tomlkit
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from sitrep import tomlfile
from sitrep.auth.roles import GRANTS, ROLES, Principal
from sitrep.db import ROOT

DEFAULT_PATH = ROOT / "data" / "users.toml"
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
CODE_RE = re.compile(r"\d{12}")
MIN_PASSWORD = 10

_hasher = PasswordHasher()
_dummy: list[str] = []


def _dummy_hash() -> str:
    """Verified against when the name is unknown or disabled, so that a wrong name costs
    the same time as a wrong password and the answer cannot tell them apart."""
    if not _dummy:
        _dummy.append(_hasher.hash("sitrep: no such user"))
    return _dummy[0]


class UsersError(ValueError):
    """A users file that cannot be read, or a change to it that is not allowed."""


@dataclass(frozen=True)
class Settings:
    session_hours: float = 12.0        # a sign-in survives page refreshes this long
    max_failures: int = 5              # failed sign-ins (within failure_window_minutes) that lock a name
    failure_window_minutes: float = 15.0
    lock_minutes: float = 15.0
    watermark: bool = True             # the viewer's name and the time over every page

    @staticmethod
    def from_dict(raw: dict) -> "Settings":
        known = {k: v for k, v in raw.items() if k in Settings.__dataclass_fields__}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise UsersError(f"unknown setting(s) {', '.join(unknown)}")
        s = Settings(**known)
        if s.session_hours <= 0 or s.max_failures < 1 or s.lock_minutes <= 0 or s.failure_window_minutes <= 0:
            raise UsersError("session_hours, max_failures, failure_window_minutes and lock_minutes must be positive")
        return s


@dataclass(frozen=True)
class User:
    name: str
    role: str
    password_hash: str = ""
    display_name: str = ""
    township: str | None = None
    grants: tuple[str, ...] = ()
    email: str = ""                    # identity from the OIDC provider (st.login), if used
    disabled: bool = False
    created: str = ""
    changed: str = ""

    def principal(self, via: str = "local") -> Principal:
        return Principal(name=self.name, role=self.role, display_name=self.display_name, township=self.township,
                         grants=frozenset(self.grants), via=via)


@dataclass
class UsersFile:
    path: Path
    users: dict[str, User] = field(default_factory=dict)
    settings: Settings = field(default_factory=Settings)

    @property
    def active(self) -> list[User]:
        return [u for u in self.users.values() if not u.disabled]


def path() -> Path:
    env = os.environ.get("SITREP_USERS")
    return Path(env) if env else DEFAULT_PATH


def validate_user(u: User) -> None:
    if not NAME_RE.fullmatch(u.name):
        raise UsersError(f"user name {u.name!r}: letters, digits and _ . @ - only (at most 64)")
    if u.role not in ROLES:
        raise UsersError(f"user {u.name}: unknown role {u.role!r}; roles: {', '.join(ROLES)}")
    if u.role == "officer" and not (u.township and CODE_RE.fullmatch(u.township)):
        raise UsersError(f"user {u.name}: an officer needs --township, the township's 12-digit region code")
    if u.role != "officer" and u.township:
        raise UsersError(f"user {u.name}: only an officer is limited to a township")
    bad = sorted(set(u.grants) - set(GRANTS))
    if bad:
        raise UsersError(f"user {u.name}: unknown grant(s) {', '.join(bad)}; grants: {', '.join(GRANTS)}")
    if u.role == "screen" and u.grants:
        raise UsersError(f"user {u.name}: a projection screen gets no grants")


def load(p: Path | None = None) -> UsersFile:
    """The users file (an empty one when it does not exist)."""
    p = Path(p) if p else path()
    if not p.exists():
        return UsersFile(p)
    try:
        with open(p, "rb") as f:
            raw = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise UsersError(f"{p}: {e}") from None
    unknown = sorted(set(raw) - {"settings", "users"})
    if unknown:
        raise UsersError(f"{p}: unknown section(s) {', '.join(unknown)}")
    settings = Settings.from_dict(raw.get("settings", {}))
    users = {}
    for name, entry in raw.get("users", {}).items():
        fields = set(User.__dataclass_fields__) - {"name"}
        extra = sorted(set(entry) - fields)
        if extra:
            raise UsersError(f"{p}: user {name}: unknown field(s) {', '.join(extra)}")
        u = User(name=name, **{**entry, "grants": tuple(entry.get("grants", ()))})
        validate_user(u)
        users[name] = u
    return UsersFile(p, users, settings)


_cache: dict[str, tuple[tuple, UsersFile]] = {}


def load_cached(p: Path | None = None) -> UsersFile:
    """:func:`load`, re-read whenever the file changes (the CLI edits it while the dashboard runs)."""
    p = Path(p) if p else path()
    try:
        st = p.stat()
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
    except FileNotFoundError:
        stamp = None
    hit = _cache.get(str(p))
    if hit and hit[0] == stamp:
        return hit[1]
    loaded = load(p)
    _cache[str(p)] = (stamp, loaded)
    return loaded


def save(uf: UsersFile) -> None:
    """Write the file atomically, readable by its owner only (tomlkit writes the TOML)."""
    doc = tomlkit.document()
    doc.add(tomlkit.comment("sitrep users: managed with `python -m sitrep users ...`; holds password hashes only."))
    doc.add(tomlkit.nl())
    doc["settings"] = {k: getattr(uf.settings, k) for k in Settings.__dataclass_fields__}
    users_table = tomlkit.table(is_super_table=True)
    for u in uf.users.values():
        entry = {}
        for k in User.__dataclass_fields__:
            v = getattr(u, k)
            if k == "name" or v in (None, "", ()) or (k == "disabled" and not v):
                continue
            entry[k] = list(v) if isinstance(v, tuple) else v
        users_table[u.name] = entry
    doc["users"] = users_table
    tomlfile.write_atomic(uf.path, tomlkit.dumps(doc), mode=0o600)


def hash_password(password: str) -> str:
    """The Argon2id hash of a password of at least MIN_PASSWORD characters (every path that sets
    one comes here: users add, users passwd)."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise UsersError(f"a password needs at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    """Whether password is the user's; False for a missing, disabled or hash-less user
    (after the same work as a real check)."""
    usable = user is not None and not user.disabled and user.password_hash
    try:
        return bool(_hasher.verify(user.password_hash if usable else _dummy_hash(), password)) and bool(usable)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def add_user(uf: UsersFile, name: str, role: str, password: str | None, *, display_name: str = "",
             township: str | None = None, grants: tuple[str, ...] = (), email: str = "") -> User:
    """Add a user (a password, or None for a user who signs in through the identity provider
    only; an empty password is a password that is too short, not none)."""
    if name in uf.users:
        raise UsersError(f"user {name} exists; use `users passwd` or edit the file")
    u = User(name=name, role=role, password_hash=hash_password(password) if password is not None else "",
             display_name=display_name, township=township or None, grants=tuple(grants), email=email,
             created=_now(), changed=_now())
    validate_user(u)
    uf.users[name] = u
    return u


def set_password(uf: UsersFile, name: str, password: str) -> User:
    u = _get(uf, name)
    uf.users[name] = replace(u, password_hash=hash_password(password), changed=_now())
    return uf.users[name]


def set_disabled(uf: UsersFile, name: str, disabled: bool) -> User:
    u = _get(uf, name)
    uf.users[name] = replace(u, disabled=disabled, changed=_now())
    return uf.users[name]


def _get(uf: UsersFile, name: str) -> User:
    if name not in uf.users:
        raise UsersError(f"no user {name}")
    return uf.users[name]


def by_email(uf: UsersFile, email: str | None) -> User | None:
    """The user an identity provider's e-mail address belongs to (its email field, or its name)."""
    if not email:
        return None
    email = email.strip().lower()
    for u in uf.users.values():
        if (u.email and u.email.strip().lower() == email) or u.name.lower() == email:
            return u
    return None
