"""Roles, permissions and the signed-in principal: who may see what.

A role gives a set of permissions; a user's own ``grants`` in the users file add to it
(``unmask`` is only ever granted per user, never by a role). A township officer's scope
is their township: every query is limited to it (see :func:`scoped_params`).

Plain Python, no Streamlit: the data layer, the explorer and the tests share it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sitrep.regions import scope_prefix

# What each permission lets a user do.
PERMISSIONS = {
    "pages": "the situation pages (overview, cases, the five pillars)",
    "records": "lists of persons and records behind the numbers (worklists, KPI records), personal data masked",
    "data": "the Data page: import log, table counts, data dictionary, data quality",
    "imports": "import export files from the Data page",
    "explorer": "the SQL explorer",
    "audit": "the audit log and the list of users",
    "alert_settings": "change alert settings",
    "unmask": "see names, ID numbers and phone numbers unmasked (each time logged); per user only",
}

ROLES: dict[str, frozenset[str]] = {
    # everything in aggregate, all townships
    "leader": frozenset({"pages"}),
    # records (masked), data quality, the SQL explorer
    "analyst": frozenset({"pages", "records", "data", "explorer"}),
    # only their township, with its worklists
    "officer": frozenset({"pages", "records"}),
    # imports, users, alert settings
    "admin": frozenset({"pages", "records", "data", "imports", "audit", "alert_settings"}),
    # projection mode only, aggregates only
    "screen": frozenset({"pages"}),
}
# No users configured and served on localhost: everything as before access control,
# personal data masked. Not a role a user can be given.
DEMO_ROLE = "demo"
DEMO_PERMISSIONS = frozenset(PERMISSIONS) - {"unmask"}

# Grants a users file may add to a role. "unmask" is the point of per-user grants;
# "explorer" lets an admin give an officer the explorer (limited to the township).
GRANTS = ("unmask", "explorer")

_CODE_RE = re.compile(r"\d{12}")

# A table with any of these columns lists residents one by one (worklists, records behind
# a KPI, duplicate persons): shown only with the "records" permission. Tables of regions
# with their responsible cadre (masked phone) are not lists of residents.
RESIDENT_COLUMNS = frozenset({"person_id", "id_number", "contact_id", *(f"{c}_{s}" for c in ("person_id", "id_number")
                                                                        for s in ("a", "b"))})


@dataclass(frozen=True)
class Principal:
    """The person (or the demo) a Streamlit session runs for."""

    name: str
    role: str
    display_name: str = ""
    township: str | None = None  # officer: the township (12-digit region code) they are limited to
    grants: frozenset[str] = field(default_factory=frozenset)
    via: str = "local"  # local | oidc | demo

    @property
    def permissions(self) -> frozenset[str]:
        if self.role == DEMO_ROLE:
            return DEMO_PERMISSIONS
        base = ROLES.get(self.role, frozenset())
        if self.role == "screen":  # a projection screen never gets records or personal data
            return base
        return base | (self.grants & set(GRANTS))

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def is_demo(self) -> bool:
        return self.role == DEMO_ROLE

    @property
    def label(self) -> str:
        return self.display_name or self.name


DEMO = Principal(name="demo", role=DEMO_ROLE, display_name="demo", via="demo")


def in_scope(code: str | None, scope: str | None) -> bool:
    """Whether region ``code`` lies within ``scope`` (None: everything), as the
    ``in_scope`` SQL macro in sitrep.db: a scope of county level or above also takes no region."""
    if scope is None:
        return True
    prefix = scope_prefix(scope)
    if not code:
        return len(prefix) <= 6
    return code.startswith(prefix)


class ScopeError(PermissionError):
    """A query that would read outside the user's township."""


# Queries without a region_code parameter that a township user may still run: they hold
# no township's rows (dates of the data, the last import, region names, the city
# headquarters' duty roster and the city's funds). Any other query without a region_code
# parameter is refused to a township user: a new query is closed to them until it
# declares region_code or is added here.
SCOPE_FREE_QUERIES = frozenset({
    "data_date_range", "import_latest", "regions_list", "duty_roster_calendar", "funds_by_source_purpose",
})


def scoped_params(principal: Principal | None, name: str, declared: set[str], params: dict) -> dict:
    """The parameters of named query ``name`` for this principal.

    A township user's region_code is forced into their township: none given (the whole
    city) becomes the township; a region inside it (a village) stays; a region outside it
    raises :class:`ScopeError`. A query without a region_code parameter is refused unless
    it is in :data:`SCOPE_FREE_QUERIES`.
    """
    if principal is None or principal.township is None:
        return params
    township = principal.township
    if "region_code" not in declared:
        if name in SCOPE_FREE_QUERIES:
            return params
        raise ScopeError(f"query {name} is not limited to a township and is closed to township users")
    out = dict(params)
    value = out.get("region_code")
    if value is None or value == "":
        out["region_code"] = township
    elif not (isinstance(value, str) and _CODE_RE.fullmatch(value) and in_scope(value, township)):
        raise ScopeError(f"query {name}: region {value!r} is outside the township {township}")
    return out


def clamp_scope(principal: Principal | None, scope: str | None) -> str | None:
    """The scope a view may have: a township user's is their township or a region in it."""
    if principal is None or principal.township is None:
        return scope
    if scope and in_scope(scope, principal.township):
        return scope
    return principal.township


# Pages (dashboard.py's keys) and the permission each needs.
PAGE_PERMISSIONS = {
    "overview": "pages", "cases": "pages", "command": "pages", "monitoring": "pages", "screening": "pages",
    "publicity": "pages", "preparedness": "pages", "data": "data", "explorer": "explorer",
}


def page_allowed(principal: Principal | None, page: str) -> bool:
    """Whether the principal may open a page. A page not listed needs "pages": what it
    shows in tables is still limited by the records permission and masked (w.table)."""
    if principal is None:
        return False
    need = PAGE_PERMISSIONS.get(page, "pages")
    if page == "data" and principal.can("imports"):
        return True
    return principal.can(need)
