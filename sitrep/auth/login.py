"""Signing in with a local user's password: the check, the lockout and the record.

The outcome never tells whether a name exists: failures are counted per name as typed
(a name nobody has is locked the same way after the same number of tries), a wrong name
costs the same hashing work as a wrong password, and both get the same message.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from sitrep import audit
from sitrep.auth import store, users
from sitrep.auth.roles import Principal


@dataclass(frozen=True)
class Outcome:
    principal: Principal | None
    status: str            # ok | failed | locked
    minutes: int = 0       # locked: minutes until the lock ends

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def authenticate(uf: users.UsersFile, name: str, password: str, *, now: float | None = None,
                 client: str | None = None) -> Outcome:
    """Check a name and password against the users file, with the lockout; logged."""
    now = time.time() if now is None else now
    name = (name or "").strip()[:64]
    s = uf.settings
    until = store.locked_until(name, now)
    if until:
        audit.record("login", "locked", user=name, client=client)
        return Outcome(None, "locked", math.ceil((until - now) / 60))
    user = uf.users.get(name)
    if users.verify_password(user, password or ""):
        store.clear_failures(name)
        audit.record("login", "ok", user=name, role=user.role, client=client, via="password")
        return Outcome(user.principal(), "ok")
    until = store.record_failure(name, max_failures=s.max_failures, window_minutes=s.failure_window_minutes,
                                 lock_minutes=s.lock_minutes, now=now)
    audit.record("login", "failed", user=name, client=client, locks=bool(until))
    if until:
        return Outcome(None, "locked", math.ceil((until - now) / 60))
    return Outcome(None, "failed")


def resume(uf: users.UsersFile, token: str | None, now: float | None = None) -> Principal | None:
    """The principal of a live session token (a page refresh), if its user may still sign in."""
    name = store.session_user(token, now)
    user = uf.users.get(name) if name else None
    if user is None or user.disabled:
        return None
    return user.principal()


def start_session(uf: users.UsersFile, principal: Principal) -> str:
    return store.create_session(principal.name, uf.settings.session_hours)
