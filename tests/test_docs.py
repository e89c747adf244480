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
