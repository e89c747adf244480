"""The quarantine rules file: the default file encodes DOMAIN.md's table and the demo's
rule change; a broken file is rejected with a message naming the key at fault."""

from datetime import date

import pytest

from sitrep import db, rules
from sitrep.rules import RulesError, Stage, load_rules, parse_rules

GOOD_SET = """
[[rule_set]]
name = "a"
effective_from = 2021-01-01
overseas = [
    { measure = "central_quarantine", days = 7, test_days = [1, 4, 7] },
    { measure = "home_quarantine", days = 7, test_days = [3, 7] },
]
high = [
    { measure = "central_quarantine", days = 14, test_days = [1, 14] },
    { measure = "home_quarantine", days = 7, test_days = [7] },
]
medium = [{ measure = "central_quarantine", days = 7, test_days = [7] }]
low = [{ measure = "home_monitoring", days = 14, test_days = [7, 14] }]
none = []
"""


def test_default_file_encodes_the_domain_table():
    r = load_rules()
    assert r.names == ["baseline", "2022-02-15 high risk 10+7"]
    base = r.rule_set("baseline")
    assert base.stages("overseas") == (Stage("central_quarantine", 7, (1, 4, 7)), Stage("home_quarantine", 7, (3, 7)))
    assert base.stages("high") == (Stage("central_quarantine", 14, (1, 14)), Stage("home_quarantine", 7, (7,)))
    assert base.stages("medium") == (Stage("central_quarantine", 7, (7,)), Stage("home_quarantine", 7, (7,)))
    assert base.stages("low") == (Stage("home_monitoring", 14, (7, 14)),)
    assert base.stages("none") == ()
    # "3+2" and "2+1" tests
    assert [len(s.test_days) for s in base.stages("overseas")] == [3, 2]
    assert [len(s.test_days) for s in base.stages("high")] == [2, 1]
    assert [base.total_days(k) for k in rules.ORIGIN_RISKS] == [14, 21, 14, 14, 0]
    assert [base.first_measure(k) for k in rules.ORIGIN_RISKS] == [
        "central_quarantine", "central_quarantine", "central_quarantine", "home_monitoring", "none"]
    demo = r.rule_set("2022-02-15 high risk 10+7")
    assert demo.effective_from == date(2022, 2, 15)
    assert demo.stages("high") == (Stage("central_quarantine", 10, (1, 10)), Stage("home_quarantine", 7, (7,)))
    # everything else unchanged
    assert {k: demo.stages(k) for k in rules.ORIGIN_RISKS if k != "high"} == {
        k: base.stages(k) for k in rules.ORIGIN_RISKS if k != "high"}


def test_rule_sets_have_names_in_both_languages():
    r = load_rules()
    assert [(s.label("zh"), s.label("en")) for s in r.sets] == [
        ("基础规则（市防控工作会议）", "Baseline (city prevention meeting)"),
        ("2022年2月15日起 高风险地区10+7", "From Feb 15, 2022: high-risk areas 10+7")]
    # the names survive a copy; a rule set without them shows its key
    assert r.with_stages("high", []).sets[1].label("zh") == "2022年2月15日起 高风险地区10+7"
    assert parse_rules(GOOD_SET).sets[0].label("zh") == "a"
    with pytest.raises(rules.RulesError, match='key "zh"'):
        parse_rules(GOOD_SET.replace('name = "a"\n', 'name = "a"\nzh = ""\n'))


def test_rule_set_in_force_switches_on_its_effective_date():
    r = load_rules()
    assert r.for_arrival(date(2022, 2, 14)).name == "baseline"
    assert r.for_arrival(date(2022, 2, 15)).name == "2022-02-15 high risk 10+7"
    assert r.for_arrival(date(2020, 12, 31)) is None


def test_as_param_rows_and_the_no_measure_row():
    rows = parse_rules(GOOD_SET).as_param()
    assert len(rows) == 2 + 2 + 1 + 1 + 1
    assert rows[0] == {"rule_set": "a", "effective_from": date(2021, 1, 1), "origin_risk": "overseas", "stage_no": 1,
                       "measure": "central_quarantine", "stage_days": 7, "test_days": [1, 4, 7]}
    assert rows[-1] == {"rule_set": "a", "effective_from": date(2021, 1, 1), "origin_risk": "none", "stage_no": 0,
                        "measure": "none", "stage_days": 0, "test_days": []}


def test_only_and_with_stages_make_checked_copies():
    r = load_rules()
    only = r.only("baseline")
    assert only.for_arrival(date(2022, 3, 1)).stages("high")[0].days == 14
    assert only.for_arrival(date(1990, 1, 1)).name == "baseline"
    edited = r.with_stages("high", [{"measure": "central_quarantine", "days": 7, "test_days": [1, 7]}],
                           rule_set="2022-02-15 high risk 10+7")
    assert edited.rule_set("2022-02-15 high risk 10+7").total_days("high") == 7
    assert edited.rule_set("baseline").total_days("high") == 21
    everywhere = r.with_stages("medium", [Stage("home_quarantine", 7, (7,))])
    assert [s.first_measure("medium") for s in everywhere.sets] == ["home_quarantine", "home_quarantine"]
    with pytest.raises(RulesError, match='key "days"'):
        r.with_stages("low", [Stage("home_monitoring", 0, ())])
    with pytest.raises(RulesError, match="no rule set named"):
        r.only("nope")
    assert rules.rules_from_dict(r.to_dict()).sets == r.sets


def _second(effective_from="2022-02-15", high=None):
    text = GOOD_SET.replace('name = "a"', 'name = "b"').replace("2021-01-01", effective_from)
    if high:
        text = text.replace('{ measure = "central_quarantine", days = 14, test_days = [1, 14] }', high)
    return text


@pytest.mark.parametrize("text, message", [
    # missing keys
    (GOOD_SET.replace("none = []\n", ""), 'rule_set #1 ("a"): missing key "none"'),
    (GOOD_SET.replace('name = "a"\n', ""), 'key "name" is missing'),
    (GOOD_SET.replace("effective_from = 2021-01-01\n", ""), 'key "effective_from" is missing'),
    (GOOD_SET.replace(", test_days = [1, 14]", ""), 'high -> stage 1: missing key "test_days"'),
    (GOOD_SET.replace("days = 14, ", ""), 'high -> stage 1: missing key "days"'),
    ("", 'missing key "rule_set"'),
    # bad names and values
    (GOOD_SET.replace('"home_monitoring"', '"home_monitor"'), 'low -> stage 1: key "measure" is \'home_monitor\''),
    (GOOD_SET.replace('medium = [{ measure = "central_quarantine"', 'medium = [{ measure = "none"'),
     "for no measure write an empty list"),
    (GOOD_SET.replace("high = [", "hihg = [0]\nhigh = ["), 'unknown key "hihg"'),
    (GOOD_SET.replace("days = 14, test_days = [1, 14]", "days = 14, tests = [1], test_days = [1, 14]"),
     'unknown key "tests"'),
    (GOOD_SET.replace("effective_from = 2021-01-01", 'effective_from = "soon"'),
     'key "effective_from" must be a date'),
    # non-positive days
    (GOOD_SET.replace("days = 14, test_days = [1, 14]", "days = 0, test_days = []"),
     'high -> stage 1: key "days" must be a whole number of 1 or more, got 0'),
    (GOOD_SET.replace("days = 14, test_days = [7, 14]", "days = -3, test_days = []"), 'key "days"'),
    (GOOD_SET.replace("days = 14, test_days = [7, 14]", "days = 1.5, test_days = []"), 'key "days"'),
    # test day outside the stage
    (GOOD_SET.replace("days = 14, test_days = [7, 14]", "days = 14, test_days = [7, 15]"),
     'low -> stage 1: key "test_days" has day 15, outside the stage (days 1 to 14)'),
    (GOOD_SET.replace("test_days = [3, 7]", "test_days = [0, 7]"), 'key "test_days" has day 0'),
    (GOOD_SET.replace("test_days = [3, 7]", "test_days = [7, 3]"), "increasing order without repeats"),
    (GOOD_SET.replace("test_days = [3, 7]", "test_days = [3, 3]"), "increasing order without repeats"),
    # unsorted or duplicate effective_from, repeated names
    (GOOD_SET + _second("2022-02-15"), None),
    (GOOD_SET + _second("2021-01-01"), 'rule_set #2 ("b"): key "effective_from" 2021-01-01 must be later'),
    (GOOD_SET + _second("2020-06-01"), 'key "effective_from" 2020-06-01 must be later'),
    (GOOD_SET + GOOD_SET.replace("2021-01-01", "2022-01-01"), 'key "name" repeats'),
    # not TOML at all
    ("[[rule_set]\n", "not valid TOML"),
])
def test_bad_rules_are_rejected_naming_the_key(text, message):
    if message is None:
        assert parse_rules(text, "x.toml").names == ["a", "b"]
        return
    with pytest.raises(RulesError) as e:
        parse_rules(text, "x.toml")
    assert str(e.value).startswith("x.toml")
    assert message in str(e.value)


def test_load_rules_names_the_file_and_follows_sitrep_rules(tmp_path, monkeypatch):
    bad = tmp_path / "r.toml"
    bad.write_text(GOOD_SET.replace("days = 14, test_days = [1, 14]", "days = 0, test_days = []"), encoding="utf-8")
    with pytest.raises(RulesError, match=r"r\.toml: rule_set #1"):
        load_rules(bad)
    with pytest.raises(RulesError, match="not found"):
        load_rules(tmp_path / "missing.toml")
    good = tmp_path / "good.toml"
    good.write_text(GOOD_SET, encoding="utf-8")
    monkeypatch.setenv("SITREP_RULES", str(good))
    assert load_rules().names == ["a"]


def test_rules_param_is_filled_from_the_default_file():
    q = db.load_query("returnees_worklist")  # (the KPIs read the cube, computed with the default file)
    assert [p.type for p in q.params if p.name == "rules"] == ["rules"]
    assert q.bind({"as_of": "2022-01-15"})["rules"] == load_rules().as_param()
    alt = load_rules().only("baseline")
    assert q.bind({"as_of": "2022-01-15", "rules": alt})["rules"] == alt.as_param()
    with pytest.raises(db.QueryError, match="rules file not found"):
        q.bind({"as_of": "2022-01-15", "rules": "/no/such/rules.toml"})
    with pytest.raises(db.QueryError, match="takes quarantine rules"):
        q.bind({"as_of": "2022-01-15", "rules": 3})
