"""``python -m sitrep users add|passwd|disable|enable|list``: manage the local users file.

Passwords are asked twice on the terminal (never on the command line, where ``ps`` and
the shell history would keep them), or read from standard input with ``--password-stdin``
for scripts. Changing a password or disabling a user ends that user's sessions.
"""

from __future__ import annotations

import getpass
import sys

from sitrep.errors import UsageError
from sitrep.auth.roles import GRANTS, ROLES


def add_parser(sub) -> None:
    p = sub.add_parser("users", help="manage the dashboard's users (data/users.toml or $SITREP_USERS)")
    p.add_argument("--file", help="users file (default: $SITREP_USERS, else data/users.toml)")
    us = p.add_subparsers(dest="users_command", required=True, metavar="ACTION")

    a = us.add_parser("add", help="add a user")
    a.add_argument("name")
    a.add_argument("--role", required=True, choices=list(ROLES))
    a.add_argument("--township", help="officer: the township's 12-digit region code")
    a.add_argument("--display-name", default="", help="the name shown on pages and in the watermark")
    a.add_argument("--grant", action="append", default=[], choices=list(GRANTS),
                   help="an extra permission: unmask (see personal data unmasked, logged), explorer")
    a.add_argument("--email", default="", help="identity at the OIDC provider (st.login), if one is configured")
    a.add_argument("--no-password", action="store_true", help="signs in only through the identity provider")
    a.add_argument("--password-stdin", action="store_true", help="read the password from standard input")

    a = us.add_parser("passwd", help="set a user's password (ends their sessions)")
    a.add_argument("name")
    a.add_argument("--password-stdin", action="store_true", help="read the password from standard input")

    a = us.add_parser("disable", help="disable a user (ends their sessions)")
    a.add_argument("name")
    a = us.add_parser("enable", help="enable a disabled user")
    a.add_argument("name")
    a = us.add_parser("unlock", help="lift a lock after failed sign-ins")
    a.add_argument("name")
    us.add_parser("list", help="list the users (no hashes)")


# The users file, the state store and the audit log load pandas and DuckDB (~0.4 s): imported when a users command
# runs, not when `python -m sitrep` builds its parser (add_parser above).


def _password(args) -> str:
    from sitrep.auth import users

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise users.UsersError("the two passwords differ")
    return first


def cli_users(args) -> int:
    from sitrep import audit
    from sitrep.auth import store, users
    try:
        uf = users.load(args.file)
        action = args.users_command
        if action == "list":
            print(f"# {uf.path}")
            print("name\trole\ttownship\tgrants\tdisabled\tdisplay_name\temail")
            for u in uf.users.values():
                print("\t".join([u.name, u.role, u.township or "", ",".join(u.grants), "yes" if u.disabled else "",
                                 u.display_name, u.email]))
            return 0
        if action == "add":
            password = None if args.no_password else _password(args)
            u = users.add_user(uf, args.name, args.role, password, display_name=args.display_name,
                               township=args.township, grants=tuple(dict.fromkeys(args.grant)), email=args.email)
            detail = {"target": u.name, "role": u.role, "township": u.township, "grants": list(u.grants)}
        elif action == "passwd":
            u = users.set_password(uf, args.name, _password(args))
            detail = {"target": u.name}
        elif action in ("disable", "enable"):
            u = users.set_disabled(uf, args.name, action == "disable")
            detail = {"target": u.name}
        elif action == "unlock":
            store.clear_failures(args.name)
            audit.record_quietly("users", user=getpass.getuser(), action="unlock", target=args.name)
            print(f"{args.name}: unlocked")
            return 0
        else:  # argparse only lets the actions above through
            raise UsageError(f"unknown action {action}")
        users.save(uf)
        if action in ("passwd", "disable"):
            store.end_user_sessions(u.name)
        audit.record_quietly("users", user=getpass.getuser(), action=action, **detail)
        print(f"{u.name}: {action} done ({uf.path})")
        return 0
    except users.UsersError as e:
        raise UsageError(str(e)) from None

