"""The README documents the real contract (generated from sitrep/contract.py)."""

from sitrep import docs
from sitrep.db import ROOT


def test_readme_contract_section_is_up_to_date():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert docs.readme_with_contract(readme) == readme, "run `python -m sitrep docs --write`"


def test_readme_names_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_every_environment_setting_is_documented():
    """Like datasette: a setting the code reads but the README does not mention fails."""
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    names = set()
    for path in (ROOT / "sitrep").rglob("*.py"):
        names |= set(re.findall(r"""environ(?:\.get)?[\(\[]\s*["'](SITREP_[A-Z_]+)["']""", path.read_text(encoding="utf-8")))
    names -= {"SITREP_TEST_DB", "SITREP_TEST_SCALE"}  # test-suite knobs, documented in tests/conftest.py
    assert names, "found no settings at all: the pattern is broken"
    assert sorted(n for n in names if n not in readme) == []


# ---------------------------------------------------------------- the README's command-line usage block

import argparse
import re


def _section(title: str) -> str:
    """A section of the README, from its `## title` to the next `## `."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def _usages() -> list[tuple[str, str]]:
    """The README's usage block as (command, text) per `python -m sitrep` line, continuation lines joined."""
    block = _section("Command line").split("```", 2)[1]
    usages: list[list[str]] = []
    for line in block.splitlines():
        m = re.match(r"python -m sitrep\s+(\S+)(.*)", line)
        if m:
            usages.append([m.group(1), m.group(2)])
        elif line.strip():
            assert usages, f"a usage line before any command: {line!r}"
            usages[-1][1] += " " + line
    return [(name, text) for name, text in usages]


def _usage_block() -> dict[str, str]:
    """{command: the text of all its usage lines}."""
    commands: dict[str, str] = {}
    for name, text in _usages():
        commands[name] = commands.get(name, "") + " " + text
    return commands


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {s: a for a in parser._actions for s in a.option_strings if s not in ("-h", "--help")}


def test_readme_usage_block_documents_every_command():
    from sitrep.cli import build_parser

    assert sorted(_usage_block()) == sorted(_subparsers(build_parser()))


def test_every_flag_in_the_readme_usage_block_exists_and_every_flag_is_there():
    """Each `--flag` of a command's usage lines is an option of that command (or, for `users`, of
    one of its actions), `a|b` alternatives are exactly the option's choices, and every option the
    parser has is in the block: the README cannot drift from sitrep/cli.py again."""
    from sitrep.cli import build_parser

    commands = _subparsers(build_parser())
    problems = []
    for name, text in _usage_block().items():
        parser = commands[name]
        options = _options(parser)
        actions = _subparsers(parser)
        for sub in actions.values():
            options.update(_options(sub))
        written = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", text))
        problems += [f"{name}: README has {flag}, the parser has not" for flag in sorted(written - set(options))]
        problems += [f"{name}: the parser has {flag}, README has not" for flag in sorted(set(options) - written)]
        for flag, alternatives in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)[ =]([\w.-]+(?:\|[\w.-]+)+)", text):
            choices = options.get(flag) and options[flag].choices
            if choices is not None and set(alternatives.split("|")) != set(choices):
                problems.append(f"{name}: README gives {flag} {alternatives}, the parser {'|'.join(choices)}")
        for action in actions:  # e.g. users add, passwd, ...: each named
            if not re.search(rf"(?<![\w-]){action}(?![\w-])", text):
                problems.append(f"{name}: README does not name the action {action}")
    for name, text in _usages():  # the command's own options come before its action (argparse refuses them after)
        actions = _subparsers(commands[name])
        found = [m.start() for a in actions for m in re.finditer(rf"(?<![\w-]){a}(?![\w-])", text)]
        if found:
            for flag in _options(commands[name]):
                if any(m.start() > min(found) for m in re.finditer(re.escape(flag) + r"(?![\w-])", text)):
                    problems.append(f"{name}: {flag} must come before the action")
    assert problems == []


def test_readme_bench_choices_are_the_benchmarks():
    from sitrep.bench import WHAT

    text = _usage_block()["bench"]
    assert re.findall(r"\[([a-z]+)\]", text) == list(WHAT)


def test_every_subcommand_help_runs():
    """`python -m sitrep COMMAND --help` works for every command the README lists."""
    import subprocess
    import sys

    for name in _usage_block():
        proc = subprocess.run([sys.executable, "-m", "sitrep", name, "--help"], cwd=ROOT, capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode == 0, f"{name} --help: {proc.stderr[-500:]}"
        assert "usage:" in proc.stdout


def test_readme_names_every_data_toml_and_screen_url_parameter():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [f"data/{p.name}" for p in (ROOT / "data").glob("*.toml")
               if p.name != "users.toml" and f"data/{p.name}" not in readme]
    assert missing == []
    from sitrep import projection as screen

    for key in screen.ScreenConfig.__dataclass_fields__:
        assert f"`{key}`" in readme, f"data/screen.toml's {key} is not in the README"
    for param in ("rotate=", "screens=", "screen=", "paused=1", "as_of=", "scope=", "lang="):
        assert param in _section("Projection mode (会议室大屏)"), f"?mode=screen's {param} is not in the README"


def test_readme_roles_table_lists_every_role():
    from sitrep.auth.roles import GRANTS, ROLES

    section = _section("Users and access")
    assert re.findall(r"^\| `(\w+)` \|", section, flags=re.M) == list(ROLES)
    for grant in GRANTS:
        assert f"`{grant}`" in section


def test_readme_screenshots_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shots = re.findall(r"\]\((docs/screenshots/[^)]+\.png)\)", readme)
    assert shots, "no screenshots in the README"
    assert [s for s in shots if not (ROOT / s).exists()] == []
