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
