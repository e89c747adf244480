"""Every demo table except returnees and their tests: regions, cases, contacts (and
their tests), testing capacity, reserves, funds, grid units, sentinel sites and
reports, publicity, orders, duty roster, supervision and vaccinations.

Each function returns a DataFrame with the contract's canonical column names and raw
values (enum codes, numpy/Python dates); ``writers`` turns them into export files.
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from sitrep.demo import geo, people
from sitrep.demo.city import CITY_CODE, CITY_NAME, City, Region
from sitrep.demo.returnees import Counters, make_tests
from sitrep.demo.scenario import (BLIND_DAYS, CLUSTER_CASES, CLUSTER_ID, END, FESTIVAL, IMPORTED_CASES,
                                  INDEX_REPORT, ITEMS, LABS, N_DAYS, N_DUTY_SHIFTS_MISSING, N_ORDERS,
                                  N_ORDERS_OPEN_OVERDUE, N_SENTINEL_OUTLIERS, N_SUPERVISION,
                                  N_SUPERVISION_OPEN_OVERDUE, START, Scenario, day)

R = day(INDEX_REPORT)
DAYS = [START + timedelta(days=i) for i in range(N_DAYS)]
LEVEL_LABELS = {"市": "市", "街道": "街道", "镇": "乡镇", "乡": "乡镇", "社区": "社区", "村": "村", "组": "组"}


def _rng(name: str, seed: int) -> random.Random:
    return random.Random(f"{name}:{seed}")


def _nrng(name: str, seed: int) -> np.random.Generator:
    return np.random.default_rng([seed, sum(ord(c) * 31**i for i, c in enumerate(name)) % 2**32])


def point_in(region: Region, rng: random.Random) -> tuple[float, float]:
    """A point well inside a region (so rounding cannot push it out), rounded to 5 decimals."""
    poly = region.polygon_exact
    cx, cy = geo.centroid(poly)
    inner = [(cx + (x - cx) * 0.7, cy + (y - cy) * 0.7) for x, y in poly]
    x, y = geo.random_point_in(inner, rng)
    return round(x, 5), round(y, 5)


def wave(d: int) -> float:
    """The returnee wave, 0..1, peaking ten days before the festival."""
    return math.exp(-0.5 * ((d - (day(FESTIVAL) - 10)) / 8.0) ** 2)


# ------------------------------------------------------------------------------ regions


def regions(city: City) -> pd.DataFrame:
    rows = []
    for r in city.regions.values():
        rows.append({
            "region_code": r.code, "name": r.name, "level": LEVEL_LABELS[r.kind], "parent_code": r.parent,
            "population": r.population, "households": r.households, "is_urban": r.is_urban,
            "lon": r.lon, "lat": r.lat,
        })
    return pd.DataFrame(rows)


def boundaries(city: City, level: str) -> dict:
    """GeoJSON FeatureCollection of the townships or the villages."""
    feats = []
    for r in city.level(level):
        feats.append({"type": "Feature",
                      "properties": {"region_code": r.code, "name": r.name, "level": level},
                      "geometry": geo.geojson_polygon(r.polygon)})
    return {"type": "FeatureCollection", "name": f"{CITY_NAME}{'乡镇街道' if level == 'township' else '村社区'}边界",
            "features": feats}


# ------------------------------------------------------------------------------ cases


def case_plan(scen: Scenario, imported_people: dict[str, dict], seed: int) -> pd.DataFrame:
    """The imported cases (from the returnees found positive) and the local cluster, in
    report order, with case ids LJ001...; column `key` names the designed case."""
    rng = _rng("cases", seed)
    city = scen.city
    rows = []
    for c in IMPORTED_CASES:
        p = imported_people[c.key]
        sample = p["positive_date"]
        report = sample + timedelta(days=1)
        discharge = report + timedelta(days=c.discharge) if c.discharge is not None else None
        rows.append({
            "key": c.key, "report_date": report, "onset_date": sample if c.category == "confirmed" else None,
            "category": c.category, "severity": c.severity,
            "source": "overseas" if c.origin_risk == "overseas" else "domestic_imported",
            "found_by": "central_quarantine", "region_code": p["region_code"],
            "status": "discharged" if discharge and discharge <= END else "hospitalised",
            "discharge_date": discharge if discharge and discharge <= END else None,
            "infector_key": None, "cluster_id": None,
        })
    homes = {"index": scen.index_village, "neighbour": scen.index_village, "other": scen.other_village}
    for c in CLUSTER_CASES:
        report = INDEX_REPORT + timedelta(days=c.report)
        discharge = report + timedelta(days=c.discharge)
        rows.append({
            "key": c.key, "report_date": report,
            "onset_date": report + timedelta(days=c.onset) if c.onset is not None else None,
            "category": c.category, "severity": c.severity, "source": "local", "found_by": c.found_by,
            "region_code": homes[c.home],
            "status": "discharged" if discharge <= END else "hospitalised",
            "discharge_date": discharge if discharge <= END else None,
            "infector_key": c.infector, "cluster_id": CLUSTER_ID,
        })
    df = pd.DataFrame(rows).sort_values(["report_date", "key"], kind="stable").reset_index(drop=True)
    df["case_id"] = [f"LJ{k + 1:03d}" for k in range(len(df))]
    ids = dict(zip(df["key"], df["case_id"]))
    df["infector_case_id"] = df["infector_key"].map(ids)
    # the index household shares one address; others live somewhere in their village
    household = point_in(city.regions[scen.index_village], rng)
    pts = []
    for key, code in zip(df["key"], df["region_code"]):
        pts.append(household if key in ("C1", "C2", "C3", "C4") else point_in(city.regions[code], rng))
    df["lon"] = [p[0] for p in pts]
    df["lat"] = [p[1] for p in pts]
    return df


def cases(plan: pd.DataFrame) -> pd.DataFrame:
    return plan.drop(columns=["key", "infector_key"])


# ------------------------------------------------------------------------------ contacts


def contacts(scen: Scenario, plan: pd.DataFrame, seed: int, scale: float,
             counters: Counters) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Close and secondary contacts of every case, and their tests.

    The cluster's later cases appear as close contacts of their infector (last result
    positive), except C6, found by mass testing without being a known contact.
    """
    rng = _rng("contacts", seed)
    nrng = _nrng("contacts", seed)
    city = scen.city
    by_key = plan.set_index("key")
    designed = {c.key: c for c in CLUSTER_CASES if c.infector and c.found_by != "mass_testing"}
    rows, test_rows = [], []

    def add(case, k, ctype, ident, start, place, region, result, positive_on=None):
        cid = f"MJ{case['case_id'][2:]}{k:05d}"
        days = 14 if ctype == "close" else 7
        release = start + timedelta(days=days)
        if positive_on is not None or release > END:
            release = None
        rows.append({"contact_id": cid, "case_id": case["case_id"], "contact_type": ctype, "identified_date": ident,
                     "quarantine_start": start, "quarantine_place": place, "region_code": region,
                     "release_date": release, "last_result": result})
        test_days = (1, 4, 7, 10, 14) if ctype == "close" else (1, 4, 7)
        for t in test_days:
            d = start + timedelta(days=t - 1)
            if d > END or (release and d >= release) or (positive_on and d >= positive_on):
                break
            test_rows.append((cid, day(d), False))
        if positive_on is not None:
            test_rows.append((cid, day(positive_on), True))

    villages_of = {t.code: [v.code for v in city.villages_of(t.code)] for t in city.townships}
    all_villages = [v.code for v in city.villages]
    for key, case in by_key.iterrows():
        case = dict(case, key=key)
        report = case["report_date"]
        local = case["source"] == "local"
        home = case["region_code"]
        township = home[:9] + "000"
        k = 0
        # designed contacts first: later cases of the chain
        for d in [d for d in designed.values() if d.infector == key]:
            later = by_key.loc[d.key]
            k += 1
            sample = max(later["report_date"] - timedelta(days=1), report)
            add(case, k, "close", report, report, "central", later["region_code"], "positive", positive_on=sample)
        if local:
            n_close = max(3, round(rng.uniform(20, 40) * scale))
            n_second = max(2, round(rng.uniform(25, 60) * scale))
        else:
            n_close = max(1, round(rng.uniform(3, 8) * scale))
            n_second = max(0, round(rng.uniform(0, 10) * scale))
        for ctype, n in (("close", n_close), ("secondary", n_second)):
            for _ in range(n):
                k += 1
                lag = rng.choices([0, 1, 2], [6, 3, 1])[0] + (1 if ctype == "secondary" else 0)
                ident = report + timedelta(days=lag)
                if ident > END:
                    continue
                start = ident + timedelta(days=1 if rng.random() < 0.15 else 0)
                start = min(start, END)
                central = rng.random() < (0.85 if ctype == "close" else 0.15)
                u = rng.random()
                region = home if u < 0.55 else (rng.choice(villages_of[township]) if u < 0.9
                                                else rng.choice(all_villages))
                days = 14 if ctype == "close" else 7
                in_q = start + timedelta(days=days) > END
                result = "pending" if in_q and rng.random() < 0.3 else "negative"
                add(case, k, ctype, ident, start, "central" if central else "home", region, result)
    df = pd.DataFrame(rows)
    if test_rows:
        pid = np.array([t[0] for t in test_rows], dtype=object)
        when = np.array([t[1] for t in test_rows], dtype=np.int64)
        pos = np.array([t[2] for t in test_rows])
    else:
        pid, when, pos = np.array([], dtype=object), np.array([], np.int64), np.array([], bool)
    lab_p = np.array([0.6, 0.05, 0.05, 0.0, 0.2, 0.1])
    tests = make_tests(nrng, pid, when, np.zeros(len(when), bool), pos, scen, counters, lab_p=lab_p)
    return df, tests


# ------------------------------------------------------------------------------ testing capacity

MASS_USE = (0.88, 0.93, 0.79, 0.91, 0.87, 0.74, 0.66)  # city-wide capacity use, R+1 .. R+7


def test_capacity(scen: Scenario, seed: int) -> pd.DataFrame:
    nrng = _nrng("capacity", seed)
    rows = []
    for i, d in enumerate(DAYS):
        mass = 1 <= i - R <= len(MASS_USE)
        base_use = 0.28 + 0.22 * wave(i) + (0.12 if R + 8 <= i <= R + 20 else 0.0)
        for lab in LABS:
            cap = lab.surge_capacity if i > R else lab.capacity
            if mass:
                use = MASS_USE[i - R - 1] * (1 + nrng.normal(0, 0.02))
            else:
                use = base_use * (1 + nrng.normal(0, 0.08))
            use = float(np.clip(use, 0.05, 0.985))
            tat = {"cdc": 6.0, "hospital": 5.0, "third_party": 9.0}[lab.lab_type] + nrng.normal(0, 0.8)
            if mass:
                tat += 6 + 4 * nrng.random()
            points = (max(1, round(cap / 400)) if not mass else round(cap / 60)) + int(nrng.integers(0, 3))
            rows.append({
                "date": d, "lab_id": lab.lab_id, "lab_name": scen.lab_names[lab.lab_id], "lab_type": lab.lab_type,
                "region_code": scen.lab_townships[lab.lab_id], "capacity_tubes": cap,
                "pool_size": 10 if mass and lab.pool_size > 1 else (5 if mass else lab.pool_size),
                "tubes_tested": int(round(cap * use)), "turnaround_hours": round(max(tat, 2.0), 1),
                "sampling_points": points,
                "staff": int(round(lab.staff * (1.6 if mass else 1.0) + nrng.integers(-1, 2))),
            })
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------ reserves


def warehouses(scen: Scenario) -> list[tuple[str, str, str | None, float, bool]]:
    """(id, name, region_code, size relative to the city reserve, daily rows)."""
    city = scen.city
    streets = [t for t in city.townships if t.kind == "街道"]
    others = [t for t in city.townships if t.kind != "街道" and t.code != scen.cluster_township]
    town2 = city.regions[scen.park_townships[1]]
    remote = [t for t in others if t.code != town2.code][-1]
    cluster = city.regions[scen.cluster_township]
    return [
        ("CK01", f"{CITY_NAME}应急物资储备库", CITY_CODE, 1.0, True),
        ("CK02", f"{CITY_NAME}卫生健康局医疗物资库", streets[0].code, 0.6, True),
        ("CK03", f"{cluster.name}防疫物资储备点", cluster.code, 0.12, True),
        ("CK04", f"{town2.name}防疫物资储备点", town2.code, 0.10, False),
        ("CK05", f"{remote.name}防疫物资储备点", remote.code, 0.08, False),
    ]


# (warehouse, item) that end the period below 30 days of supply
SHORTFALLS = (("CK03", "WZ004"), ("CK04", "WZ003"), ("CK01", "WZ009"))


def reserves(scen: Scenario, seed: int) -> pd.DataFrame:
    nrng = _nrng("reserves", seed)
    rows = []
    for wid, wname, wregion, size, daily in warehouses(scen):
        local_surge = wregion in (scen.cluster_township,)
        for item in ITEMS:
            base = item.daily_use * size
            starts = day(item.starts) if item.starts else 0
            short = (wid, item.code) in SHORTFALLS
            use = np.zeros(N_DAYS)
            for i in range(N_DAYS):
                if i < starts:
                    continue
                f = 1.0 + 0.3 * wave(i)
                if R <= i <= R + 21:
                    peak = item.surge if not local_surge else 1 + 2 * (item.surge - 1)
                    f *= 1 + (peak - 1) * max(0.0, 1 - max(0, i - R - 3) / 18)
                use[i] = base * f * nrng.lognormal(0, 0.15)
            if item.starts:  # new item: a first delivery a few days before it is allowed
                stock = 0.0
            else:
                stock = base * nrng.uniform(45, 70)
            pending: dict[int, float] = {}
            if item.starts:
                pending[starts - 2] = base * (40 if short else 60)
            history = []
            for i in range(N_DAYS):
                stock += pending.pop(i, 0.0)
                stock = max(stock - use[i], 0.0)
                recent = use[max(0, i - 6): i + 1]
                daily_use = float(recent[recent > 0].mean()) if (recent > 0).any() else 0.0
                no_orders = short and (i >= day(date(2022, 2, 10)) or item.starts)
                lead = int(nrng.integers(5, 10)) if not (R <= i <= R + 14) else int(nrng.integers(7, 13))
                if not no_orders and not pending and i >= starts and stock < 38 * max(base, daily_use):
                    pending[i + lead] = 62 * max(base, daily_use) - stock
                history.append((stock, daily_use))
            # no item should end below target by chance: only the planted shortfalls do
            last = max(i for i in range(N_DAYS) if daily or DAYS[i].weekday() == END.weekday())
            stock, du = history[last]
            if not short and du > 0 and stock / du < 32:
                history[last] = (45 * du, du)
            if short and du > 0 and stock / du > 22:
                # part of the stock was sent to another township on 1 March (调拨) and not replaced
                moved = stock - 22 * du
                first = day(date(2022, 3, 1))
                history = [(s - moved, u) if i >= first else (s, u) for i, (s, u) in enumerate(history)]
            for i, (stock, du) in enumerate(history):
                d = DAYS[i]
                if not daily and d.weekday() != END.weekday():
                    continue
                if i < starts - 2:
                    continue
                rows.append({
                    "date": d, "warehouse_id": wid, "warehouse_name": wname, "region_code": wregion,
                    "item_code": item.code, "item_name": item.name, "unit": item.unit,
                    "on_hand": int(round(stock)), "daily_use": round(du, 1), "target_days": 30,
                    "min_quantity": int(round(base * 30)),
                })
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------ funds

FUND_LINES = {  # (source, purpose): allocated by 2021-12-31 and added by each later month end, 万元
    ("central", "testing"): (320, 0, 180, 0),
    ("central", "quarantine"): (260, 0, 120, 0),
    ("central", "vaccination"): (410, 150, 0, 90),
    ("provincial", "testing"): (280, 200, 0, 60),
    ("provincial", "quarantine"): (180, 150, 40, 0),
    ("provincial", "materials"): (150, 120, 0, 40),
    ("provincial", "subsidies"): (90, 60, 30, 0),
    ("municipal", "testing"): (600, 450, 120, 150),
    ("municipal", "quarantine"): (520, 380, 150, 90),
    ("municipal", "materials"): (300, 260, 60, 80),
    ("municipal", "vaccination"): (240, 60, 80, 50),
    ("municipal", "subsidies"): (160, 120, 60, 40),
    ("municipal", "publicity"): (45, 20, 10, 10),
    ("municipal", "other"): (80, 40, 20, 20),
    ("donation", "materials"): (36.5, 58.2, 12.0, 5.3),
    ("donation", "other"): (12.0, 8.6, 3.5, 2.0),
}
FUND_DATES = (date(2021, 12, 31), date(2022, 1, 31), date(2022, 2, 28), date(2022, 3, 31))


def funds(seed: int) -> pd.DataFrame:
    rng = _rng("funds", seed)
    rows = []
    for (source, purpose), adds in FUND_LINES.items():
        allocated = disbursed = spent = 0.0
        for d, add in zip(FUND_DATES, adds):
            allocated += add * rng.uniform(0.95, 1.05)
            disbursed = max(disbursed, allocated * rng.uniform(0.80, 0.97))
            spent = max(spent, min(disbursed * rng.uniform(0.62, 0.9), disbursed - 0.5))
            rows.append({"date": d, "source": source, "purpose": purpose, "allocated": round(allocated, 2),
                         "disbursed": round(disbursed, 2), "spent": round(spent, 2)})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------ grid units

FIVE_HAVES = ("has_guide", "has_system_owner", "has_materials", "has_medical_support", "has_isolation_transfer")
FIVE_HAVES_P = (0.15, 0.1, 0.35, 0.15, 0.25)  # which one is missing, when one is


def grid_units(scen: Scenario, seed: int) -> pd.DataFrame:
    rng = _rng("grid", seed)
    nrng = _nrng("grid", seed)
    city = scen.city
    units = [(t, "city_leader") for t in city.townships]
    for v in city.villages:
        if v.code in scen.grid_holes:
            continue
        units.append((v, "township_cadre"))
        units.extend((city.regions[g], "village_cadre") for g in v.children)
    n = len(units)
    names = people.names(nrng, nrng.random(n) < 0.7)
    phones = people.mobiles(nrng, n)
    leaders = people.names(nrng, np.array([True, True, False, True, True, True, False, True, True]))
    missing = set(rng.sample(range(n), round(0.05 * n)))
    rows = []
    for k, (r, level) in enumerate(units):
        haves = {h: True for h in FIVE_HAVES}
        if k in missing:
            haves[rng.choices(FIVE_HAVES, FIVE_HAVES_P)[0]] = False
        person = leaders[k // 2 % len(leaders)] if level == "city_leader" else names[k]
        checked = START + timedelta(days=int(min(N_DAYS - 1, abs(rng.gauss(45, 25)))))
        rows.append({"region_code": r.code, "responsible_person": person, "phone": phones[k],
                     "responsible_level": level, **haves, "checked_date": checked})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------ sentinel sites

PHARMACY_CHAINS = ("康民大药房", "仁和堂药店", "百姓平价药房", "济生堂药店", "同心大药房")
# site type -> (mean visits at scale 1 (urban, rural), share with fever)
SITE_BASE = {
    "fever_clinic": ((55, 12), 0.5),
    "pharmacy": ((40, 18), 0.08),
    "village_clinic": ((8, 8), 0.25),
    "school": ((6, 4), 0.25),
    "market": ((500, 300), 0.002),
    "cold_chain": ((25, 25), 0.001),
    "service_window": ((260, 150), 0.003),
}
CLUSTER_RISE = {-6: 1.8, -5: 2.6, -4: 3.2, -3: 3.5, -2: 3.5, -1: 3.4, 0: 3.2}


def sentinel_sites(scen: Scenario, seed: int) -> pd.DataFrame:
    rng = _rng("sites", seed)
    city = scen.city
    streets = [t for t in city.townships if t.kind == "街道"]
    rural = [t for t in city.townships if t.kind != "街道"]

    def seat(t):
        return city.villages_of(t.code)[0]

    def in_street(k):
        return rng.choice(city.villages_of(streets[k % len(streets)].code))

    sites = []  # (name, type, village)
    for lab, k in (("人民医院", 1), ("中医医院", 2), ("妇幼保健院", 3)):
        sites.append((f"{CITY_NAME}{lab}发热门诊", "fever_clinic", in_street(k)))
    for t in rural:
        clinic = "中心卫生院" if t.code == scen.cluster_township or t.kind == "镇" and rng.random() < 0.3 else "卫生院"
        sites.append((f"{t.name}{clinic}发热哨点诊室", "fever_clinic", seat(t)))
    for k in range(8):
        v = in_street(k)
        sites.append((f"{PHARMACY_CHAINS[k % 5]}（{v.name.removesuffix('社区')}店）", "pharmacy", v))
    for t in rural:
        sites.append((f"{rng.choice(PHARMACY_CHAINS)}（{t.name[:-1]}店）", "pharmacy", seat(t)))
    clinic_villages = [rng.choice([v for v in city.villages_of(scen.cluster_township) if v.kind == "村"])]
    clinic_villages += rng.sample([v for v in city.villages if v.kind == "村" and v.code[:9] != scen.cluster_township[:9]], 11)
    for v in clinic_villages:
        sites.append((f"{v.name}卫生室", "village_clinic", v))
    for k, s in enumerate(("第一中学", "第二中学", "实验小学", "职业技术学校")):
        sites.append((f"{CITY_NAME}{s}", "school", in_street(k)))
    for t in rng.sample([t for t in rural if t.kind == "镇"], 4):
        sites.append((f"{t.name}中学", "school", seat(t)))
    for k, s in enumerate(("城东农贸市场", "城西农贸市场", "江滨综合市场", "北门农贸市场")):
        sites.append((f"{CITY_NAME}{s}", "market", in_street(k)))
    for t in rng.sample([t for t in rural if t.kind == "镇"], 4):
        sites.append((f"{t.name[:-1]}圩农贸市场", "market", seat(t)))
    for k, s in enumerate(("进口冷链食品集中监管仓", "城南冷库", "江滨冷冻食品批发市场")):
        sites.append((f"{CITY_NAME}{s}", "cold_chain", in_street(k)))
    for k, s in enumerate(("火车站出站口", "汽车总站", "东高速收费站", "西高速收费站", "政务服务中心")):
        sites.append((f"{CITY_NAME}{s}", "service_window", in_street(k)))
    rows = []
    for k, (name, stype, v) in enumerate(sites):
        lon, lat = point_in(v, rng)
        rows.append({"site_id": f"SD{k + 1:03d}", "site_name": name, "site_type": stype,
                     "region_code": v.code, "lon": lon, "lat": lat})
    return pd.DataFrame(rows)


def _cluster_factor(i: int) -> float:
    k = i - R
    if k in CLUSTER_RISE:
        return CLUSTER_RISE[k]
    if 0 < k <= 14:
        return 3.2 - (3.2 - 1.3) * k / 14
    if 14 < k <= 24:
        return 1.3 - 0.3 * (k - 14) / 10
    return 1.0


def sentinel_reports(scen: Scenario, sites: pd.DataFrame, seed: int, scale: float) -> pd.DataFrame:
    """Daily reports with weekday pattern, winter and festival effects and noise; the
    cluster township's clinics and pharmacies rise from 6 days before the index case's
    report. A few site-days are missing; a few values are x10 entry errors."""
    rng = _rng("reports", seed)
    nrng = _nrng("reports", seed)
    # below scale 1 the counts stay at full size: smaller counts would drown the
    # cluster's rise in Poisson noise, and these few thousand rows cost nothing
    magnitude = max(scale, 1.0)
    city = scen.city
    holiday = (day(date(2022, 1, 20)), day(date(2022, 2, 13)))
    rows = []
    outage_site = sites[(sites.site_type == "pharmacy")].iloc[-1].site_id
    outage_days = set(range(day(date(2022, 2, 22)), day(date(2022, 2, 25))))
    normal_sites = sites[(sites.site_type.isin(["pharmacy", "market"]))
                         & (sites.region_code.str[:9] != scen.cluster_township[:9])]
    outliers = {(normal_sites.iloc[0].site_id, day(date(2021, 12, 20))),
                (normal_sites.iloc[-1].site_id, day(date(2022, 3, 9)))}
    assert len(outliers) == N_SENTINEL_OUTLIERS
    for s in sites.itertuples():
        urban = city.regions[s.region_code].is_urban
        (mu_urban, mu_rural), fever_share = SITE_BASE[s.site_type]
        mu = (mu_urban if urban else mu_rural) * rng.uniform(0.8, 1.2) * magnitude
        in_cluster = s.region_code[:9] == scen.cluster_township[:9] and s.site_type in (
            "fever_clinic", "pharmacy", "village_clinic")
        for i, d in enumerate(DAYS):
            if i in outage_days and s.site_id == outage_site:
                continue
            if rng.random() < 0.004:
                continue  # a site that did not report that day
            wd = d.weekday()
            f = 1.0 + 0.15 * math.exp(-0.5 * ((i - day(date(2022, 1, 5))) / 15) ** 2)  # winter
            if s.site_type in ("fever_clinic", "village_clinic"):
                f *= (1.15, 1.0, 1.0, 1.0, 1.0, 0.9, 0.85)[wd]
                if day(FESTIVAL) - 1 <= i <= day(FESTIVAL) + 5:
                    f *= 0.75
            elif s.site_type == "pharmacy":
                f *= 1.1 if wd >= 5 else 1.0
            elif s.site_type == "school":
                f *= 0.15 if holiday[0] <= i <= holiday[1] else (0.0 if wd >= 5 else 1.0)
            elif s.site_type == "market":
                f *= 1.4 if day(FESTIVAL) - 7 <= i < day(FESTIVAL) else (0.5 if i <= day(FESTIVAL) + 2 and
                                                                      i >= day(FESTIVAL) else 1.0)
            elif s.site_type == "service_window":
                f *= 1 + 1.2 * wave(i)
            fever_f = 1.0
            if in_cluster:  # more visits, and more of them with fever
                c = _cluster_factor(i)
                f *= c
                fever_f = 1 + 0.8 * (c - 1)
            lam = mu * f * nrng.gamma(60, 1 / 60)
            visits = int(nrng.poisson(lam))
            fever = min(visits, int(nrng.poisson(lam * min(0.9, fever_share * fever_f))))
            if (s.site_id, i) in outliers:
                visits *= 10
            flagged = in_cluster and R - 4 <= i <= R + 7
            rows.append({"date": d, "site_id": s.site_id, "visits": visits, "fever": fever, "flagged": flagged})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------ publicity

# (channel, mean interval in days (rural village, town community, urban community); None = not used)
CHANNELS = {
    "village_broadcast": (2, None, None),
    "loudspeaker": (5, 4, 6),
    "bulletin_board": (9, 7, 7),
    "leaflet": (12, 10, 14),
    "wechat": (4, 3, 2),
    "vehicle": (7, 6, 8),
    "sms": (None, 8, 7),
    "poster": (None, 9, 8),
    "cable_tv": (None, None, 3),
}
REACH = {"village_broadcast": (0.4, 0.7), "loudspeaker": (0.1, 0.3), "bulletin_board": (0.05, 0.15),
         "leaflet": (0.2, 0.45), "wechat": (0.3, 0.6), "vehicle": (0.2, 0.5), "sms": (0.6, 0.9),
         "poster": (0.05, 0.2), "cable_tv": (0.2, 0.4)}
PHASE_THEMES = (  # (first day, {theme: weight})
    (date(2021, 12, 1), {"knowledge": 35, "protection": 30, "confidence": 15, "policy": 15, "vaccination": 5}),
    (date(2022, 1, 10), {"policy": 40, "protection": 30, "knowledge": 20, "confidence": 10}),
    (INDEX_REPORT, {"protection": 35, "policy": 25, "confidence": 20, "knowledge": 15, "vaccination": 5}),
    (FESTIVAL, {"vaccination": 40, "protection": 20, "confidence": 15, "knowledge": 15, "policy": 10}),
    (date(2022, 3, 1), {"vaccination": 35, "knowledge": 25, "protection": 20, "policy": 15, "confidence": 5}),
)


def publicity(scen: Scenario, seed: int) -> pd.DataFrame:
    """Activities per village and channel every few days. Every village hears something
    at least every few days (village broadcast or WeChat), except the blind villages
    in the last 30 days."""
    rng = _rng("publicity", seed)
    city = scen.city
    blind_from = day(END) - BLIND_DAYS + 1
    rows = []
    for v in city.villages:
        kind = 2 if v.is_urban else (1 if v.kind == "社区" else 0)
        primary = ("village_broadcast", "wechat", "wechat")[kind]
        for channel, intervals in CHANNELS.items():
            mean = intervals[kind]
            if mean is None or (channel != primary and rng.random() < 0.25):
                continue
            i = rng.randrange(0, mean)
            while i < N_DAYS:
                if not (v.code in scen.blind_villages and i >= blind_from):
                    phase = [p for p in PHASE_THEMES if p[0] <= DAYS[i]][-1][1]
                    acts = rng.randint(2, 4) if channel == "village_broadcast" else rng.randint(1, 3)
                    lo, hi = REACH[channel]
                    reach = min(v.population, int(v.population * rng.uniform(lo, hi) * (1 + 0.2 * (acts - 1))))
                    rows.append({"date": DAYS[i], "region_code": v.code, "channel": channel, "activities": acts,
                                 "reach": reach, "theme": rng.choices(list(phase), list(phase.values()))[0]})
                intense = 0.6 if day(date(2022, 1, 10)) <= i <= day(date(2022, 2, 10)) else 1.0
                if v.code[:9] == scen.cluster_township[:9] and R <= i <= R + 14:
                    intense = 0.4
                step = mean * intense
                if channel == primary:  # never more than 3 days between two activities
                    i += max(1, min(3, round(rng.uniform(0.5, 1.5) * step)))
                else:
                    i += max(1, round(rng.uniform(0.5, 1.5) * step))
    return pd.DataFrame(rows).sort_values(["date", "region_code", "channel"], kind="stable").reset_index(drop=True)


# ------------------------------------------------------------------------------ orders

ORDER_SUBJECTS = {
    "information": ("汇总报送{t}返乡人员排查数据", "编制每日疫情防控信息专报", "核对{t}重点人员管控台账",
                    "报送全市核酸检测进度"),
    "cold_chain": ("开展{t}冷链食品经营单位专项检查", "对进口冷链食品集中监管仓开展环境采样",
                   "核查{t}冷库从业人员核酸检测情况"),
    "vaccine": ("推进{t}60岁以上人群加强针接种", "在{t}设置流动接种点", "核对{t}未接种人员名单"),
    "epi_investigation": ("完成{case}流调报告", "对{t}密接人员开展溯源排查", "核查外省协查函涉及人员"),
    "transfer": ("转运{t}密接人员至集中隔离点", "落实入境人员闭环转运", "协调转运车辆和司乘人员"),
    "materials": ("向{t}调拨防护服和N95口罩", "补充核酸检测试剂和采样拭子库存", "盘点{t}防疫物资储备"),
    "publicity": ("在{t}开展村村响防疫宣传", "发布春节返乡防疫提示", "制作方言版防疫宣传短视频"),
}
TASK_FORCE_P = {"information": 22, "cold_chain": 8, "vaccine": 14, "epi_investigation": 18, "transfer": 12,
                "materials": 14, "publicity": 12}
DEADLINE_HOURS = (2, 4, 6, 12, 24, 48, 72, 168)
END_TS = datetime.combine(END, datetime.max.time()).replace(microsecond=0)


def orders(scen: Scenario, plan: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = _rng("orders", seed)
    city = scen.city
    weights = []
    for i in range(N_DAYS):
        w = 1.0
        if day(date(2022, 1, 10)) <= i < day(FESTIVAL):
            w = 2.5
        if R <= i <= R + 8:
            w = 5.0
        if day(FESTIVAL) <= i < day(FESTIVAL) + 6:
            w = 0.6
        weights.append(w)
    issue_days = sorted(rng.choices(range(N_DAYS), weights, k=N_ORDERS))
    case_ids = list(plan["case_id"])
    rows = []
    per_day: dict[int, int] = {}
    for i in issue_days:
        tf = rng.choices(list(TASK_FORCE_P), list(TASK_FORCE_P.values()))[0]
        t = rng.choice(city.townships)
        if R <= i <= R + 8 and rng.random() < 0.6:
            t = city.regions[scen.cluster_township]
        template = rng.choice(ORDER_SUBJECTS[tf])
        subject = template.format(t=t.name, case=f"病例{rng.choice(case_ids)}")
        hour = int(min(23, max(7, rng.gauss(13, 4))))
        issued = datetime.combine(DAYS[i], datetime.min.time()) + timedelta(hours=hour, minutes=rng.randrange(0, 60))
        hours = rng.choice(DEADLINE_HOURS[:5] if tf in ("epi_investigation", "transfer") else DEADLINE_HOURS[3:])
        per_day[i] = per_day.get(i, 0) + 1
        rows.append({"order_id": f"ZL{DAYS[i]:%Y%m%d}{per_day[i]:02d}", "issued_at": issued, "task_force": tf,
                     "region_code": t.code if "{t}" in template else None, "subject": subject,
                     "deadline": issued + timedelta(hours=hours), "closed_at": None})
    # the planted open and overdue orders: among the recent ones already past their deadline
    candidates = [k for k, r in enumerate(rows) if r["deadline"] <= END_TS and r["issued_at"].date() >= date(2022, 2, 20)]
    overdue = set(rng.sample(candidates, N_ORDERS_OPEN_OVERDUE))
    for k, r in enumerate(rows):
        span = (r["deadline"] - r["issued_at"]).total_seconds()
        on_time = r["issued_at"] + timedelta(seconds=span * rng.uniform(0.2, 0.95))
        if k in overdue:
            continue
        if r["deadline"] > END_TS:
            if on_time <= END_TS and rng.random() < 0.5:
                r["closed_at"] = on_time
            continue
        closed = on_time
        if rng.random() < 0.14:
            closed = r["deadline"] + timedelta(minutes=rng.randrange(30, 36 * 60))
            if closed > END_TS:
                closed = on_time
        r["closed_at"] = closed
    for r in rows:
        for c in ("issued_at", "deadline", "closed_at"):
            if r[c] is not None:
                r[c] = r[c].replace(second=0)
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------ duty roster


def duty_roster(seed: int) -> pd.DataFrame:
    rng = _rng("duty", seed)
    nrng = _nrng("duty", seed)
    leaders = list(people.names(nrng, np.array([True, True, True, False, True, True])))
    quiet = [i for i in range(N_DAYS) if not (R - 2 <= i <= R + 12)]
    missing = set()
    for i in rng.sample(quiet, N_DUTY_SHIFTS_MISSING):
        missing.add((i, rng.choice(["day", "night", "night"])))
    rows = []
    for i, d in enumerate(DAYS):
        cluster = R <= i <= R + 10
        for k, shift in enumerate(("day", "night")):
            if (i, shift) in missing:
                continue
            lam = 18 if cluster else (6 if day(FESTIVAL) - 10 <= i <= day(FESTIVAL) + 6 else 3.5)
            staff = rng.randint(7, 8) if cluster else rng.randint(4, 6)
            if shift == "night":
                staff = max(3, staff - 2)
                lam *= 0.5
            rows.append({"date": d, "shift": shift, "leader": leaders[(i * 2 + k) % len(leaders)],
                         "staff_count": staff, "events": int(nrng.poisson(lam))})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------ supervision

SUPERVISION_ISSUES = {
    "information": ("返乡人员信息登记不全", "重点人员管控台账更新不及时", "数据报送与实际不符"),
    "cold_chain": ("冷链食品进货查验记录缺失", "冷库从业人员核酸检测未按期开展", "冷链食品追溯码未扫码录入"),
    "vaccine": ("60岁以上人群接种进度滞后", "接种点留观区设置不规范", "未接种人员底数不清"),
    "epi_investigation": ("流调报告未在规定时限内报送", "密接人员判定信息不完整"),
    "transfer": ("转运车辆消毒记录不全", "转运人员防护不到位"),
    "materials": ("防护物资储备不足", "物资出入库台账不规范", "部分物资已过有效期"),
    "publicity": ("宣传栏内容未及时更新", "村村响未按要求每日播放", "宣传覆盖存在盲区"),
}
SEVERITY_DAYS = {"minor": 15, "major": 7, "critical": 3}


def supervision(scen: Scenario, seed: int) -> pd.DataFrame:
    rng = _rng("supervision", seed)
    city = scen.city
    weights = [2.0 if day(date(2022, 1, 5)) <= i <= day(date(2022, 1, 31)) else 1.0 for i in range(N_DAYS)]
    found_days = sorted(rng.choices(range(N_DAYS - 2), weights[:-2], k=N_SUPERVISION))
    rows = []
    for k, i in enumerate(found_days):
        tf = rng.choices(list(TASK_FORCE_P), list(TASK_FORCE_P.values()))[0]
        severity = rng.choices(["minor", "major", "critical"], [60, 30, 10])[0]
        region = rng.choice(city.villages).code if rng.random() < 0.75 else rng.choice(city.townships).code
        found = DAYS[i]
        rows.append({"issue_id": f"DD{found:%y%m}{k + 1:03d}", "found_date": found, "region_code": region,
                     "task_force": tf, "description": rng.choice(SUPERVISION_ISSUES[tf]), "severity": severity,
                     "due_date": found + timedelta(days=SEVERITY_DAYS[severity] + rng.choice([0, 0, 1, 2])),
                     "rectified_date": None, "verified": None})
    candidates = [k for k, r in enumerate(rows) if r["due_date"] < END and r["found_date"] >= date(2022, 2, 1)]
    overdue = set(rng.sample(candidates, N_SUPERVISION_OPEN_OVERDUE))
    for k, r in enumerate(rows):
        if k in overdue:
            continue
        span = (r["due_date"] - r["found_date"]).days
        on_time = r["found_date"] + timedelta(days=rng.randint(1, span))
        if r["due_date"] >= END:
            if on_time <= END and rng.random() < 0.5:
                r["rectified_date"], r["verified"] = on_time, rng.random() < 0.5
            continue
        done = on_time
        if rng.random() < 0.18:
            done = r["due_date"] + timedelta(days=rng.randint(1, 10))
            if done > END:
                done = on_time
        r["rectified_date"] = done
        r["verified"] = rng.random() < 0.85
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------ vaccinations

AGE_SHARE = {"3-11": 0.11, "12-17": 0.07, "18-59": 0.58, "60+": 0.19}
# (age group, dose): (share of the age group reached by the end, mid-point, width in days) of a logistic curve
VACCINE_CURVES = {
    ("18-59", "first"): (0.93, date(2021, 6, 10), 28),
    ("18-59", "full"): (0.885, date(2021, 7, 15), 30),
    ("18-59", "booster"): (0.56, date(2022, 1, 15), 22),
    ("60+", "first"): (0.84, date(2021, 8, 20), 35),
    ("60+", "full"): (0.78, date(2021, 9, 30), 38),
    ("60+", "booster"): (0.38, date(2022, 2, 10), 22),
    ("12-17", "first"): (0.95, date(2021, 8, 5), 14),
    ("12-17", "full"): (0.92, date(2021, 9, 10), 14),
    ("3-11", "first"): (0.91, date(2021, 11, 25), 12),
    ("3-11", "full"): (0.84, date(2022, 1, 5), 14),
}
VACCINE_FROM = date(2021, 3, 28)  # first weekly row: doses given in the week ending that Sunday


def vaccination_dates() -> list[date]:
    out, d = [], VACCINE_FROM
    while d <= END:
        out.append(d)
        d += timedelta(days=7)
    if out[-1] != END:
        out.append(END)  # the last, partial week up to the as-of day
    return out


def vaccinations(scen: Scenario, seed: int) -> pd.DataFrame:
    """Doses given per township, week, age group and dose (not cumulative): summed up
    to the end they reach ~88% full for 18-59 and less for 60+. Weekly from March 2021
    so that the sums are the real coverage."""
    rng = _rng("vaccinations", seed)
    dates = vaccination_dates()
    rows = []
    for t in scen.city.townships:
        for (age, dose), (target, mid, width) in VACCINE_CURVES.items():
            pop = t.population * AGE_SHARE[age]
            tgt = target * rng.uniform(0.97, 1.02)
            mid_t = mid + timedelta(days=rng.randint(-8, 8))
            f0 = 1 / (1 + math.exp(-((VACCINE_FROM - timedelta(days=7)) - mid_t).days / width))
            fend = 1 / (1 + math.exp(-(END - mid_t).days / width))
            prev = 0
            for d in dates:
                f = 1 / (1 + math.exp(-(d - mid_t).days / width))
                cum = int(round(pop * tgt * (f - f0) / (fend - f0)))
                if cum > prev:
                    rows.append({"date": d, "region_code": t.code, "age_group": age, "dose": dose,
                                 "doses": cum - prev})
                prev = max(prev, cum)
    return pd.DataFrame(rows).sort_values(["date", "region_code", "age_group", "dose"]).reset_index(drop=True)
