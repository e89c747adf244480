"""Returnees and their nucleic-acid tests, generated one township at a time (numpy,
bounded memory) so that the scale can go to millions of people.

Measures and test days follow the city's quarantine rules (``sitrep.rules``, the rule
set in force on the arrival day), with a realistic share of gaps: misclassified
measures, late, missing and early releases, missed and late tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Iterator

import numpy as np
import pandas as pd

from sitrep import rules as rules_mod
from sitrep.demo import people
from sitrep.demo.city import COUNTY_CODE
from sitrep.demo.scenario import (END, FESTIVAL, IMPORTED_CASES, INDEX_REPORT, N_DAYS, N_DUPLICATE_IDS,
                                  N_DUPLICATE_NAME_PHONE, RETURNEES_AT_SCALE_1, START, Scenario, day)

EPOCH = np.datetime64(START.isoformat(), "D")
NAT = np.datetime64("NaT", "D")
END_I = day(END)

CATEGORY_P = {  # in_province, out_of_province, overseas, nonlocal_staying
    "ordinary": [0.575, 0.405, 0.006, 0.014],
    "park": [0.42, 0.28, 0.005, 0.295],
}
CATEGORIES = ("in_province", "out_of_province", "overseas", "nonlocal_staying")

IN_PROVINCE_AREAS = ["南宁市", "柳州市", "桂林市", "玉林市", "贵港市", "北海市", "钦州市", "梧州市", "来宾市",
                     "河池市", "崇左市", "贺州市", "防城港市", "百色市"]
IN_PROVINCE_P = [18, 12, 8, 10, 10, 5, 5, 6, 5, 4, 3, 3, 3, 4]
OUT_AREAS = ["广东省广州市", "广东省深圳市", "广东省东莞市", "广东省佛山市", "广东省中山市", "广东省惠州市",
             "浙江省杭州市", "浙江省温州市", "福建省厦门市", "福建省泉州市", "上海市", "北京市", "江苏省苏州市",
             "湖南省长沙市", "海南省海口市", "云南省昆明市", "四川省成都市", "贵州省贵阳市"]
OUT_P = [20, 16, 14, 10, 5, 4, 4, 3, 3, 3, 3, 2, 3, 2, 2, 2, 2, 2]
OVERSEAS_AREAS = ["马来西亚", "越南", "泰国", "新加坡", "柬埔寨", "印度尼西亚", "阿联酋", "美国", "英国", "日本"]
NONLOCAL_AREAS = ["贵州省", "湖南省", "云南省", "四川省", "广东省", "江西省", "河南省", "湖北省"]
NONLOCAL_ID_AREAS = ["522422", "431023", "532128", "513030", "441581", "360733", "411522", "421127"]

# Areas at high or medium risk during the period: (area, category, risk, first day, last day).
RISK_AREAS = (
    ("陕西省西安市雁塔区", "out_of_province", "high", date(2021, 12, 12), date(2022, 1, 25)),
    ("陕西省西安市", "out_of_province", "medium", date(2021, 12, 12), date(2022, 1, 31)),
    ("浙江省绍兴市上虞区", "out_of_province", "high", date(2021, 12, 7), date(2022, 1, 3)),
    ("浙江省宁波市北仑区", "out_of_province", "medium", date(2021, 12, 7), date(2021, 12, 31)),
    ("浙江省杭州市萧山区", "out_of_province", "medium", date(2021, 12, 10), date(2022, 1, 5)),
    ("河南省许昌市禹州市", "out_of_province", "high", date(2022, 1, 3), date(2022, 2, 5)),
    ("河南省郑州市", "out_of_province", "medium", date(2022, 1, 5), date(2022, 2, 10)),
    ("天津市津南区", "out_of_province", "high", date(2022, 1, 9), date(2022, 2, 10)),
    ("广东省深圳市", "out_of_province", "medium", date(2022, 1, 14), date(2022, 2, 20)),
    ("广东省珠海市", "out_of_province", "medium", date(2022, 1, 13), date(2022, 2, 5)),
    ("北京市丰台区", "out_of_province", "medium", date(2022, 1, 15), date(2022, 2, 20)),
    ("上海市", "out_of_province", "medium", date(2022, 3, 1), date(2022, 3, 31)),
    ("上海市浦东新区", "out_of_province", "high", date(2022, 3, 12), date(2022, 3, 31)),
    ("吉林省吉林市", "out_of_province", "high", date(2022, 3, 5), date(2022, 3, 31)),
    ("广东省东莞市", "out_of_province", "medium", date(2022, 3, 10), date(2022, 3, 31)),
    ("百色市德保县", "in_province", "high", date(2022, 2, 6), date(2022, 3, 15)),
    ("百色市", "in_province", "medium", date(2022, 2, 6), date(2022, 3, 10)),
    ("防城港市东兴市", "in_province", "medium", date(2022, 2, 20), date(2022, 3, 31)),
)

COLUMNS = ["person_id", "name", "id_number", "phone", "origin_category", "origin_area", "origin_risk",
           "arrival_date", "region_code", "screening", "health_code", "measure", "measure_start",
           "measure_end", "status", "employer"]
TEST_COLUMNS = ["person_id", "sample_date", "sample_no", "pooled", "result", "lab_id"]

# Stages the offices apply by mistake (misclassified measures).
WRONG_CENTRAL = (rules_mod.Stage("home_quarantine", 14, (7, 14)),)
WRONG_NONE = (rules_mod.Stage("home_monitoring", 14, (7, 14)),)
# The cluster township tested everyone three times (全员核酸).
MASS_TEST_DAYS = (1, 4, 7)  # days after the index report


def load_city_rules() -> rules_mod.Rules:
    """The city's rules file in the repository (not $SITREP_RULES: the demo must not
    depend on the environment)."""
    return rules_mod.load_rules(rules_mod.DEFAULT_RULES)


@dataclass
class Counters:
    """State carried from one township to the next (identity numbers, sample numbers,
    people planted as duplicates)."""

    ids: people.IdNumbers
    sample: int = 0
    pending_duplicates: list | None = None
    # imported case key -> person_id, region_code and date of the positive sample
    imported: dict = field(default_factory=dict)


def township_counts(scen: Scenario, scale: float) -> dict[str, int]:
    """Returnees registered per township: rural townships send more people out to work."""
    towns = scen.city.townships
    w = np.array([t.population * (0.7 if t.is_urban else 1.1) for t in towns], dtype=float)
    w /= w.sum()
    total = max(int(round(RETURNEES_AT_SCALE_1 * scale)), 20 * len(towns))
    raw = w * total
    n = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - n))[: total - n.sum()]:
        n[i] += 1
    return {t.code: int(k) for t, k in zip(towns, n)}


def _arrival_days(rng: np.random.Generator, cat: np.ndarray) -> np.ndarray:
    n = len(cat)
    peak = day(FESTIVAL) - 10
    wave = np.round(rng.normal(peak, 7.5, n))
    spread = rng.integers(0, N_DAYS, n)
    wave = np.where((wave < 0) | (wave > day(FESTIVAL) + 10), spread, wave)
    d = np.where(rng.random(n) < 0.78, wave, spread)
    # non-locals staying were registered by the carpet screening in December and January
    staying = rng.integers(0, day(date(2022, 1, 31)) + 1, n)
    d = np.where(cat == 3, staying, d)
    d = np.where(cat == 2, rng.integers(0, N_DAYS, n), d)  # overseas: flights all along
    return d.astype(np.int64)


def _origin(rng: np.random.Generator, cat: np.ndarray, arrival: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Origin area and origin risk: high/medium only from areas at risk on the arrival day."""
    n = len(cat)
    area = np.empty(n, dtype=object)
    risk = np.empty(n, dtype=object)
    p_in = np.array(IN_PROVINCE_P, float) / sum(IN_PROVINCE_P)
    p_out = np.array(OUT_P, float) / sum(OUT_P)
    area[cat == 0] = np.array(IN_PROVINCE_AREAS, dtype=object)[rng.choice(len(p_in), (cat == 0).sum(), p=p_in)]
    area[cat == 1] = np.array(OUT_AREAS, dtype=object)[rng.choice(len(p_out), (cat == 1).sum(), p=p_out)]
    area[cat == 2] = np.array(OVERSEAS_AREAS, dtype=object)[rng.integers(0, len(OVERSEAS_AREAS), (cat == 2).sum())]
    area[cat == 3] = np.array(NONLOCAL_AREAS, dtype=object)[rng.integers(0, len(NONLOCAL_AREAS), (cat == 3).sum())]
    u = rng.random(n)
    risk[:] = "none"
    # in-province: mostly no risk ("by temperature and the two codes"), special posts low
    risk[(cat == 0) & (u < 0.16)] = "low"
    # out-of-province: low risk, home health monitoring
    risk[(cat == 1) & (u < 0.95)] = "low"
    risk[(cat == 3) & (u < 0.04)] = "low"
    risk[cat == 2] = "overseas"
    # high and medium: a few percent, from the areas at risk at the time
    u2 = rng.random(n)
    for cat_code, share in ((0, 0.035), (1, 0.07)):
        pick = np.nonzero((cat == cat_code) & (u2 < share))[0]
        cname = CATEGORIES[cat_code]
        for i in pick:
            d = START + timedelta(days=int(arrival[i]))
            options = [a for a in RISK_AREAS if a[1] == cname and a[3] <= d <= a[4]]
            if options:
                a = options[int(rng.integers(0, len(options)))]
                area[i], risk[i] = a[0], a[2]
    return area, risk


def _plans(rule_sets: rules_mod.Rules, risk: np.ndarray, arrival: np.ndarray,
           wrong: np.ndarray) -> tuple[list[tuple], np.ndarray]:
    """The stages each person is put under: the rule set in force on the arrival day for
    the origin risk, or for the misclassified a wrong one. Returns (plans, plan index per
    person)."""
    effective = np.array([day(s.effective_from) for s in rule_sets.sets])
    rs_index = np.searchsorted(effective, arrival, side="right") - 1
    plans: list[tuple] = []
    plan_of = np.zeros(len(risk), dtype=np.int64)
    for r in np.unique(risk):
        for k in np.unique(rs_index):
            for w in (False, True):
                m = (risk == r) & (rs_index == k) & (wrong == w)
                if not m.any():
                    continue
                stages = rule_sets.sets[k].stages(r) if k >= 0 else ()
                if w:
                    stages = WRONG_NONE if not stages else (
                        () if stages[0].measure == "home_monitoring" else WRONG_CENTRAL)
                if stages not in plans:
                    plans.append(stages)
                plan_of[m] = plans.index(stages)
    return plans, plan_of


def generate_township(scen: Scenario, code: str, index: int, n: int, counters: Counters,
                      rule_sets: rules_mod.Rules, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Returnees registered in one township and their tests."""
    rng = np.random.default_rng([seed, 17, index])
    city = scen.city
    park = code in scen.park_townships
    cat = rng.choice(4, n, p=CATEGORY_P["park" if park else "ordinary"])
    arrival = _arrival_days(rng, cat)
    area, risk = _origin(rng, cat, arrival)

    # the imported cases registered here
    designed = [c for c in IMPORTED_CASES if scen.imported_townships[c.key] == code]
    if designed:
        cat = np.concatenate([cat, [CATEGORIES.index(c.origin_category) for c in designed]])
        arrival = np.concatenate([arrival, [day(c.arrival) for c in designed]])
        area = np.concatenate([area, np.array([c.origin_area for c in designed], dtype=object)])
        risk = np.concatenate([risk, np.array([c.origin_risk for c in designed], dtype=object)])
    n_all = len(cat)
    case_of = np.full(n_all, -1)
    case_of[n:] = [IMPORTED_CASES.index(c) for c in designed]

    villages = city.villages_of(code)
    vpop = np.array([v.population for v in villages], float)
    village = np.array([v.code for v in villages], dtype=object)[rng.choice(len(villages), n_all, p=vpop / vpop.sum())]

    id_area = np.full(n_all, COUNTY_CODE, dtype=object)
    nonlocal_ = np.nonzero(cat == 3)[0]
    id_area[nonlocal_] = np.array(NONLOCAL_ID_AREAS, dtype=object)[rng.integers(0, len(NONLOCAL_ID_AREAS), len(nonlocal_))]
    id_number, _birth, male = counters.ids.issue(rng, id_area.astype(np.int64))
    name = people.names(rng, male)
    phone = people.mobiles(rng, n_all)
    id_number[(rng.random(n_all) < 0.01) & (case_of < 0)] = None

    # measures by the rules in force on the arrival day, with misclassifications
    designed_mask = case_of >= 0
    wrong = (rng.random(n_all) < 0.03) & ~designed_mask
    wrong &= (risk != "none") | (rng.random(n_all) < 0.003)
    start_shift = (rng.random(n_all) < 0.2).astype(np.int64)
    start_shift[designed_mask] = 0
    plans, plan_of = _plans(rule_sets, risk, arrival, wrong)
    measure = np.full(n_all, "none", dtype=object)
    start = np.full(n_all, -1, dtype=np.int64)
    due = np.full(n_all, -1, dtype=np.int64)
    for p, stages in enumerate(plans):
        if not stages:
            continue
        m = plan_of == p
        measure[m] = stages[0].measure
        start[m] = arrival[m] + start_shift[m]
        due[m] = start[m] + sum(s.days for s in stages)

    # outcomes: on time, early, late, never released, moved out; as of END
    u = rng.random(n_all)
    end = due.copy()
    status = np.full(n_all, "released", dtype=object)
    has = start >= 0
    moved = has & (u < 0.015)
    early = has & (u >= 0.015) & (u < 0.025)
    late = has & (u >= 0.025) & (u < 0.035)
    never = has & (u >= 0.035) & (u < 0.045)
    for m in (moved, early, late, never):
        m &= ~designed_mask
    span = np.maximum(due - start, 2)
    end[moved] = start[moved] + 1 + (rng.random(moved.sum()) * (span[moved] - 1)).astype(np.int64)
    status[moved] = "moved_out"
    end[early] = due[early] - rng.integers(1, 5, early.sum())
    end[late] = due[late] + rng.integers(2, 7, late.sum())
    end[never] = 10**6
    open_ = has & (end > END_I)
    status[open_] = "managed"
    end[open_] = -1
    end[~has] = -1

    # the imported cases: positive on a test day of central quarantine, transferred to hospital
    positive_day = np.full(n_all, -1, dtype=np.int64)
    for i in np.nonzero(designed_mask)[0]:
        c = IMPORTED_CASES[case_of[i]]
        positive_day[i] = start[i] + c.positive_day - 1
        status[i] = "positive"
        end[i] = -1

    for i in np.nonzero(designed_mask)[0]:
        counters.imported[IMPORTED_CASES[case_of[i]].key] = {
            "person_id": f"R{code[6:9]}{i + 1:07d}", "region_code": village[i],
            "positive_date": START + timedelta(days=int(positive_day[i]))}

    health = np.full(n_all, "green", dtype=object)
    uh = rng.random(n_all)
    health[(risk == "high") & (uh < 0.6)] = "yellow"
    health[(risk == "high") & (uh < 0.15)] = "red"
    health[(risk == "medium") & (uh < 0.4)] = "yellow"
    health[(risk == "overseas") & (uh < 0.2)] = "yellow"
    health[(risk == "low") & (uh < 0.004)] = "yellow"
    health[designed_mask] = "red"
    screening = np.where((cat == 3) | (rng.random(n_all) < 0.3), "carpet", "targeted").astype(object)
    employer = np.full(n_all, None, dtype=object)
    emp = scen.employers[code]
    staying = np.nonzero(cat == 3)[0]
    if park:
        employer[staying] = np.array(emp, dtype=object)[rng.integers(0, len(emp), len(staying))]
    else:
        employer[staying] = np.array(emp[-4:], dtype=object)[rng.integers(0, 4, len(staying))]
    employer[staying[rng.random(len(staying)) < 0.05]] = None

    df = pd.DataFrame({
        "person_id": [f"R{code[6:9]}{k + 1:07d}" for k in range(n_all)],
        "name": name, "id_number": id_number, "phone": phone,
        "origin_category": np.array(CATEGORIES, dtype=object)[cat],
        "origin_area": area, "origin_risk": risk,
        "arrival_date": EPOCH + arrival,
        "region_code": village, "screening": screening, "health_code": health, "measure": measure,
        "measure_start": np.where(start >= 0, EPOCH + np.maximum(start, 0), NAT),
        "measure_end": np.where(end >= 0, EPOCH + np.maximum(end, 0), NAT),
        "status": status, "employer": employer,
    })
    # data-quality plants: the same person registered again in the next township (same
    # id_number, new person_id), and pairs with the same name and phone but no id_number
    df = _plant_duplicates(df, index, code, counters, rng, villages)

    tests = _tests(rng, df, plans, plan_of, start, end, positive_day, code, scen, counters)
    return df, tests


def _plant_duplicates(df, index, code, counters, rng, villages):
    extra = []
    if counters.pending_duplicates:
        row = counters.pending_duplicates.pop()
        row = dict(row)
        row["region_code"] = villages[int(rng.integers(0, len(villages)))].code
        extra.append(row)
    ordinary = df.index[(df["status"] == "released") & (df["measure"] == "none") & df["id_number"].notna()]
    if index < N_DUPLICATE_IDS and len(ordinary):
        counters.pending_duplicates = [df.loc[ordinary[0]].to_dict()]
    if N_DUPLICATE_IDS <= index < N_DUPLICATE_IDS + N_DUPLICATE_NAME_PHONE and len(ordinary) > 1:
        i = ordinary[1]
        df.loc[i, "id_number"] = None
        row = df.loc[i].to_dict()
        row["region_code"] = villages[int(rng.integers(0, len(villages)))].code
        extra.append(row)
    if not extra:
        return df
    add = pd.DataFrame(extra, columns=df.columns)
    add["person_id"] = [f"R{code[6:9]}{len(df) + k + 1:07d}" for k in range(len(add))]
    return pd.concat([df, add], ignore_index=True)


def _tests(rng, df, plans, plan_of, start, end, positive_day, code, scen, counters) -> pd.DataFrame:
    """Tests on the stage test days (most on time, some a day late, a few missed), an
    arrival test (pooled) for most returnees from elsewhere in the country who owe no
    quarantine, and the cluster township's three rounds of mass testing."""
    n_rows = len(df)
    pid_idx, when, pooled = [], [], []
    for p, stages in enumerate(plans):
        offs, base = [], 0
        for s in stages:
            offs += [base + t - 1 for t in s.test_days]
            base += s.days
        idx = np.nonzero((plan_of == p) & (start >= 0))[0]
        if not offs or not len(idx):
            continue
        offs = np.array(offs, dtype=np.int64)
        pid_idx.append(np.repeat(idx, len(offs)))
        when.append((start[idx][:, None] + offs[None, :]).ravel())
        pooled.append(np.full(len(idx) * len(offs), stages[0].measure == "home_monitoring"))
    if pid_idx:
        pid_idx = np.concatenate(pid_idx)
        when = np.concatenate(when)
        pooled = np.concatenate(pooled)
        u = rng.random(len(when))
        when = when + (u >= 0.90)  # one day late
        keep = u < 0.97            # 3% missed
        pooled = pooled & (rng.random(len(when)) < 0.6)
    else:
        pid_idx = when = pooled = keep = np.array([], dtype=np.int64)
    # stop at release, move-out, positive and the end of the period
    n_orig = len(plan_of)
    stop = np.where(end[:n_orig] >= 0, end[:n_orig] - 1, END_I)
    pos = positive_day[:n_orig]
    stop = np.where(pos >= 0, pos, stop)
    keep = keep & (when <= stop[pid_idx]) & (when <= END_I)
    # the imported cases keep their positive test whatever the draw
    is_pos = (pos[pid_idx] >= 0) & (when == pos[pid_idx])
    pos_rows = np.nonzero(pos >= 0)[0]
    for i in pos_rows:
        if not (is_pos & keep & (pid_idx == i)).any():
            pid_idx = np.append(pid_idx, i)
            when = np.append(when, pos[i])
            pooled = np.append(pooled, False)
            keep = np.append(keep, True)
            is_pos = np.append(is_pos, True)
    pid_idx, when, pooled, is_pos = pid_idx[keep], when[keep], pooled[keep], is_pos[keep]

    # arrival test (落地检) for returnees from other places without central quarantine, pooled
    cats = df["origin_category"].to_numpy()
    meas = df["measure"].to_numpy()
    arr = (df["arrival_date"].to_numpy().astype("datetime64[D]") - EPOCH).astype(np.int64)
    land = np.nonzero(np.isin(cats, ["in_province", "out_of_province"]) & np.isin(meas, ["none", "home_monitoring"])
                      & (rng.random(n_rows) < 0.65))[0]
    land_when = arr[land] + (rng.random(len(land)) < 0.3)
    ok = land_when <= END_I
    extra_idx = [land[ok]]
    extra_when = [land_when[ok]]
    # mass testing in the cluster township: everyone registered and not moved out
    if code == scen.cluster_township:
        st = df["status"].to_numpy()
        for k in MASS_TEST_DAYS:
            d = day(INDEX_REPORT) + k
            who = np.nonzero((arr <= d) & (st != "moved_out") & (rng.random(n_rows) < 0.9))[0]
            extra_idx.append(who)
            extra_when.append(np.full(len(who), d))
    extra_idx = np.concatenate(extra_idx)
    extra_when = np.concatenate(extra_when)
    pid_idx = np.concatenate([pid_idx, extra_idx]).astype(np.int64)
    when = np.concatenate([when, extra_when]).astype(np.int64)
    pooled = np.concatenate([pooled, np.ones(len(extra_idx), bool)])
    is_pos = np.concatenate([is_pos, np.zeros(len(extra_idx), bool)])
    return make_tests(rng, df["person_id"].to_numpy()[pid_idx], when, pooled, is_pos, scen, counters)


_YYMMDD_FROM = -400
_YYMMDD = np.array([int((START + timedelta(days=i)).strftime("%y%m%d")) for i in range(_YYMMDD_FROM, N_DAYS + 400)],
                   dtype=np.int64)


def make_tests(rng, person_ids, when, pooled, is_pos, scen: Scenario, counters: Counters,
               lab_p: np.ndarray | None = None) -> pd.DataFrame:
    """Test rows with sample numbers, labs and results (pending on the last two days)."""
    n = len(when)
    order = np.lexsort((person_ids.astype(str), when))
    person_ids, when, pooled, is_pos = person_ids[order], when[order], pooled[order], is_pos[order]
    lab_ids, w = scen.lab_weights()
    lab = rng.choice(len(lab_ids), n, p=w if lab_p is None else lab_p)
    dates = EPOCH + when
    ymd = _YYMMDD[when - _YYMMDD_FROM]
    seq = np.arange(counters.sample, counters.sample + n, dtype=np.int64)
    counters.sample += n
    sample_no = (ymd * 10**9 + (lab + 1) * 10**8 + seq % 10**8).astype(str).astype(object)
    result = np.full(n, "negative", dtype=object)
    u = rng.random(n)
    result[(when == END_I) & (u < 0.75)] = "pending"
    result[(when == END_I - 1) & (u < 0.12)] = "pending"
    result[is_pos] = "positive"
    return pd.DataFrame({
        "person_id": person_ids, "sample_date": dates, "sample_no": sample_no,
        "pooled": np.where(pooled, "pooled", "single").astype(object),
        "result": result, "lab_id": np.array(lab_ids, dtype=object)[lab],
    })


def new_counters(seed: int) -> Counters:
    return Counters(people.IdNumbers(np.random.default_rng([seed, 16])))


def returnee_chunks(scen: Scenario, seed: int, scale: float,
                    counters: Counters) -> Iterator[tuple[str, pd.DataFrame, pd.DataFrame]]:
    """(township code, returnees, tests) for every township in code order."""
    rule_sets = load_city_rules()
    counts = township_counts(scen, scale)
    for index, t in enumerate(scen.city.townships):
        df, tests = generate_township(scen, t.code, index, counts[t.code], counters, rule_sets, seed)
        yield t.code, df, tests
