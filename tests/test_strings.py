"""Both languages have the same string keys and placeholders; every enum code has an
English label; the catalogue is well-formed."""

import re
import string

import pytest

from sitrep import catalogue, contract, i18n


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_same_keys_in_both_languages():
    zh, en = i18n.table("zh"), i18n.table("en")
    assert sorted(set(zh) - set(en)) == []
    assert sorted(set(en) - set(zh)) == []


def test_same_placeholders_in_both_languages():
    zh, en = i18n.table("zh"), i18n.table("en")
    diff = {k: (zh[k], en[k]) for k in zh if _placeholders(zh[k]) != _placeholders(en[k])}
    assert diff == {}


def test_no_empty_strings():
    for lang in i18n.LANGS:
        assert [k for k, v in i18n.table(lang).items() if not v.strip()] == []


def test_every_enum_code_has_an_english_label():
    missing = []
    for table in contract.TABLES:
        for col in table.columns:
            for entry in col.enum:
                label = i18n.enum_label(table.name, col.name, entry[0], "en")
                if label == entry[0] and not re.fullmatch(r"[\d+-]+", entry[0]):
                    missing.append(f"{table.name}.{col.name}.{entry[0]}")
    assert missing == []


def test_enum_labels_in_chinese_come_from_the_contract():
    assert i18n.enum_label("cases", "source", "local", "zh") == "本土"
    assert i18n.enum_label("cases", "source", "local", "en") == "Local"
    assert i18n.enum_label("cases", "source", None, "en") == ""


def test_t_fills_placeholders_and_shows_missing_keys():
    assert i18n.t("common.as_of", "zh", date="2022年1月15日") == "截至2022年1月15日24时"
    assert i18n.t("common.as_of", "en", date="15 Jan 2022") == "as of the end of 15 Jan 2022"
    assert i18n.t("no.such.key", "en") == "no.such.key"


def test_catalogue_loads_and_statuses_follow_thresholds():
    cat = catalogue.by_key()
    up_bad = cat["orders_open_overdue"]  # amber 1, red 5
    assert [up_bad.status(v) for v in (0, 1, 4, 5, None)] == ["ok", "amber", "amber", "red", "none"]
    up_good = cat["grid_complete_pct"]  # amber 100, red 90
    assert [up_good.status(v) for v in (100, 99.9, 90, 89.9)] == ["ok", "amber", "amber", "red"]
    assert cat["cases_confirmed_cumulative"].status(10) == "none"
    assert cat["test_capacity_use_pct"].format(85.24, "zh") == "85.2%"
    assert cat["days_to_test_everyone"].format(2.5, "en") == "2.50 days"
    assert cat["days_to_test_everyone"].format(2.5, "zh") == "2.50天"


def test_catalogue_rejects_a_bad_file(tmp_path):
    bad = tmp_path / "kpis.toml"
    bad.write_text('[[kpi]]\nkey = "x"\npillar = "nowhere"\n', encoding="utf-8")
    with pytest.raises(catalogue.CatalogueError, match=r"kpi #1 \(x\): missing key"):
        catalogue.load(bad)
