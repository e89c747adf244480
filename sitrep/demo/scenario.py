"""The demo's designed story: the period, the local cluster, the imported cases, the
laboratories and warehouses, and the planted gaps (grid holes, blind villages,
duplicates) that the dashboard's checks must find.

Everything the tests count exactly is fixed here; the seed only chooses where it
happens (which township, which village, which names).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from sitrep.demo.city import CITY_NAME, City

START = date(2021, 12, 1)
END = date(2022, 3, 31)  # the as-of day of the exports
FESTIVAL = date(2022, 2, 1)
N_DAYS = (END - START).days + 1
RETURNEES_AT_SCALE_1 = 50_000

# The local cluster: the index case is reported on this day (found by screening).
INDEX_REPORT = date(2022, 1, 14)
CLUSTER_ID = "JQ2022-01"

# The planted gaps, counted exactly by the tests.
N_GRID_HOLES = 3            # villages with no grid unit row at all
N_BLIND_VILLAGES = 5        # villages with no publicity in the last BLIND_DAYS days
BLIND_DAYS = 30
N_DUPLICATE_IDS = 5         # people registered twice (same id_number, two townships)
N_DUPLICATE_NAME_PHONE = 5  # pairs with the same name and phone and no id_number
N_ORDERS = 200
N_ORDERS_OPEN_OVERDUE = 10  # open past their deadline at END
N_SUPERVISION = 80
N_SUPERVISION_OPEN_OVERDUE = 8
N_DUTY_SHIFTS_MISSING = 3
N_SENTINEL_OUTLIERS = 2     # reports with visits x10


def day(d: date) -> int:
    """Day number within the period (START = 0)."""
    return (d - START).days


@dataclass(frozen=True)
class ClusterCase:
    """One case of the local cluster, relative to the index report day."""

    key: str             # C1..C10
    relation: str        # why they are in the chain (documentation of the story)
    infector: str | None
    report: int          # days after INDEX_REPORT
    found_by: str
    category: str
    severity: str | None
    onset: int | None    # days relative to the report day, never after it (None: asymptomatic)
    discharge: int       # days after the report day
    home: str            # "index" (the index household's village), "neighbour" (same village), "other" (another village of the township)


CLUSTER_CASES = (
    ClusterCase("C1", "index case, found by screening", None, 0, "screening", "confirmed", "moderate", -4, 20, "index"),
    ClusterCase("C2", "spouse of C1", "C1", 1, "contact_tracing", "confirmed", "mild", -1, 16, "index"),
    ClusterCase("C3", "child of C1", "C1", 1, "contact_tracing", "asymptomatic", None, None, 14, "index"),
    ClusterCase("C4", "mother of C1", "C1", 2, "contact_tracing", "confirmed", "severe", 0, 24, "index"),
    ClusterCase("C5", "co-worker of C2", "C2", 3, "central_quarantine", "confirmed", "mild", 0, 17, "other"),
    ClusterCase("C6", "neighbour of C4", "C4", 4, "mass_testing", "confirmed", "moderate", -1, 19, "neighbour"),
    ClusterCase("C10", "colleague of C2", "C2", 4, "central_quarantine", "asymptomatic", None, None, 14, "other"),
    ClusterCase("C7", "husband of C6", "C6", 5, "central_quarantine", "asymptomatic", None, None, 14, "neighbour"),
    ClusterCase("C8", "wife of C5", "C5", 6, "central_quarantine", "confirmed", "mild", 0, 15, "other"),
    ClusterCase("C9", "daughter-in-law of C6", "C6", 7, "central_quarantine", "confirmed", "mild", -1, 16, "neighbour"),
)


@dataclass(frozen=True)
class ImportedCase:
    """An imported case: a returnee found positive on a test day of central quarantine."""

    key: str
    origin_category: str
    origin_risk: str
    origin_area: str
    arrival: date
    positive_day: int      # day of the measure (day 1 = measure_start) of the positive sample
    category: str
    severity: str | None
    discharge: int | None  # days after report; None = still in hospital at END


IMPORTED_CASES = (
    ImportedCase("I1", "overseas", "overseas", "马来西亚", date(2021, 12, 8), 4, "asymptomatic", None, 14),
    ImportedCase("I2", "overseas", "overseas", "越南", date(2021, 12, 27), 1, "confirmed", "mild", 17),
    ImportedCase("I3", "out_of_province", "high", "陕西省西安市雁塔区", date(2021, 12, 24), 1, "confirmed", "mild", 18),
    ImportedCase("I4", "overseas", "overseas", "泰国", date(2022, 2, 18), 4, "asymptomatic", None, 14),
    ImportedCase("I5", "in_province", "high", "百色市德保县", date(2022, 2, 20), 10, "confirmed", "mild", 16),
    ImportedCase("I6", "overseas", "overseas", "阿联酋", date(2022, 3, 16), 7, "confirmed", "moderate", None),
)


@dataclass(frozen=True)
class Lab:
    lab_id: str
    name: str
    lab_type: str
    township_index: int | None  # None: in the city's urban core (first 街道)
    capacity: int               # tubes per day before the cluster
    surge_capacity: int         # tubes per day from the mass testing on
    pool_size: int              # usual pooling; 10 during mass testing
    staff: int


LABS = (
    Lab("LAB01", CITY_NAME + "疾病预防控制中心", "cdc", 0, 1000, 1500, 10, 14),
    Lab("LAB02", CITY_NAME + "人民医院", "hospital", 1, 1500, 1800, 5, 18),
    Lab("LAB03", CITY_NAME + "中医医院", "hospital", 2, 800, 1000, 5, 10),
    Lab("LAB04", CITY_NAME + "妇幼保健院", "hospital", 3, 400, 500, 1, 6),
    Lab("LAB05", "华检医学" + CITY_NAME[:-1] + "医学检验实验室", "third_party", 0, 2000, 4000, 10, 24),
    Lab("LAB06", "", "hospital", None, 300, 600, 5, 5),  # the cluster township's central health centre
)


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    unit: str
    daily_use: float       # at the city reserve, normal days
    surge: float           # use multiplier during the cluster response
    starts: date | None = None  # first day in use (antigen kits: self-testing allowed from March 2022)


ITEMS = (
    Item("WZ001", "N95口罩", "只", 800, 3.0),
    Item("WZ002", "医用外科口罩", "只", 5000, 1.8),
    Item("WZ003", "防护服", "套", 300, 4.0),
    Item("WZ004", "护目镜", "副", 60, 3.0),
    Item("WZ005", "医用手套", "副", 2000, 2.5),
    Item("WZ006", "消毒液", "千克", 150, 2.5),
    Item("WZ007", "采样拭子", "支", 3000, 4.5),
    Item("WZ008", "核酸检测试剂", "人份", 4000, 4.5),
    Item("WZ009", "抗原检测试剂盒", "盒", 120, 1.0, date(2022, 3, 12)),
)


@dataclass
class Scenario:
    """Where the story happens in this city (chosen from the seed)."""

    city: City
    seed: int
    cluster_township: str
    index_village: str
    other_village: str                   # C5/C8/C10's village in the cluster township
    park_townships: list[str]            # townships with industrial parks (non-locals staying)
    employers: dict[str, list[str]]      # township -> employers
    imported_townships: dict[str, str]   # imported case key -> township code
    grid_holes: list[str]                # village codes with no grid unit row
    blind_villages: list[str]            # village codes without publicity in the last 30 days
    lab_townships: dict[str, str] = field(default_factory=dict)
    lab_names: dict[str, str] = field(default_factory=dict)

    def lab_weights(self) -> tuple[list[str], np.ndarray]:
        ids = [lab.lab_id for lab in LABS]
        w = np.array([lab.capacity for lab in LABS], dtype=float)
        return ids, w / w.sum()


def build_scenario(city: City, seed: int) -> Scenario:
    rng = random.Random(f"scenario:{seed}")
    townships = city.townships
    streets = [t for t in townships if t.kind == "街道"]
    towns = [t for t in townships if t.kind == "镇"]
    rural = [t for t in townships if t.kind != "街道"]

    cluster = rng.choice(towns)
    villages = [v for v in city.villages_of(cluster.code) if v.kind == "村"]
    index_village, other_village = rng.sample(villages, 2)

    park = [streets[-1].code, rng.choice([t for t in towns if t.code != cluster.code]).code]
    company_words = ["鑫达电子", "华茂纺织", "桂丰食品", "宏远建材", "恒通机械", "新锐光电", "绿源木业",
                     "金凤家具", "瑞丰化工", "众诚物流", "佳美服装", "东方陶瓷"]
    rng.shuffle(company_words)
    employers = {
        park[0]: [f"{CITY_NAME}{w}有限公司" for w in company_words[:6]],
        park[1]: [f"{CITY_NAME}{w}有限公司" for w in company_words[6:]],
    }
    builders = [f"广西{w}建筑工程有限公司" for w in ("城建", "华盛", "路桥", "鸿基")]
    for t in townships:
        employers.setdefault(t.code, [])
        employers[t.code] = employers[t.code] + builders

    imported = {c.key: rng.choice(townships).code for c in IMPORTED_CASES}

    # planted gaps: rural villages, away from the cluster so the stories do not mix
    candidates = [v for t in rural if t.code != cluster.code for v in city.villages_of(t.code) if v.kind == "村"]
    picks = rng.sample(candidates, N_GRID_HOLES + N_BLIND_VILLAGES)
    holes = sorted(v.code for v in picks[:N_GRID_HOLES])
    blind = sorted(v.code for v in picks[N_GRID_HOLES:])

    lab_townships, lab_names = {}, {}
    for lab in LABS:
        if lab.township_index is None:
            lab_townships[lab.lab_id] = cluster.code
            lab_names[lab.lab_id] = cluster.name + "中心卫生院"
        else:
            lab_townships[lab.lab_id] = streets[lab.township_index % len(streets)].code
            lab_names[lab.lab_id] = lab.name
    return Scenario(city, seed, cluster.code, index_village.code, other_village.code, park, employers,
                    imported, holes, blind, lab_townships, lab_names)

