"""Errors shared across the package that belong to no one layer.

``UsageError``: the command line was used wrongly (exit status 2). Subcommands raise it from their own modules;
it lives here, not in sitrep.cli, so that no module has to import the command line's module (which imports them).
"""


class UsageError(Exception):
    """Wrong usage: exit status 2."""
