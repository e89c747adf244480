"""The demo city's region tree: city, townships, villages and groups with codes, names,
population, households and geometry (deterministic from the seed).

Codes follow the statistical division scheme: 6 county digits (451481), 3 township
digits (街道 001-099, 镇 100-199, 乡 200-399), 3 village digits (社区 001-199,
村 200-399), and 3 more for a group.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import numpy as np

from sitrep.demo import geo

CITY_NAME = "临江市"
COUNTY_CODE = "451481"
CITY_CODE = COUNTY_CODE + "000000"
# Where the city sits on the map (centre of the outline) and how big it is.
CENTRE_LON, CENTRE_LAT = 109.62, 23.46
WIDTH_KM, HEIGHT_KM = 60.0, 50.0
TARGET_POPULATION = 800_000
DEG_PER_KM_LAT = 1 / 110.574
DEG_PER_KM_LON = 1 / (111.320 * math.cos(math.radians(CENTRE_LAT)))

STREET_NAMES = ["江滨", "城东", "城西", "河南", "江北", "东门"]
TOWN_NAMES = ["石门", "大塘", "平安", "龙潭", "黄泥", "马岭", "江口", "白沙", "新和", "长安",
              "六合", "高田", "罗村", "永福", "沙坪"]
XIANG_NAMES = ["古城", "高峰", "桥圩", "云岭", "青山", "木格", "思旺"]
COMMUNITY_WORDS = ["和平", "解放", "人民", "建设", "新华", "朝阳", "光明", "幸福", "文化", "民主",
                   "胜利", "团结", "红旗", "东风", "北门", "南门", "西门", "站前", "滨江", "园林",
                   "育才", "锦绣", "金桥", "银湖", "春晖", "长青", "青年", "工农", "中山", "新城",
                   "花园", "翠竹", "龙湾", "凤凰", "鹅塘", "桂园", "荷塘", "书院", "学府", "怡景",
                   "广场", "体育", "汽车站", "火车站", "永安", "丰收", "江景", "康宁", "振兴", "迎宾",
                   "城中", "河堤", "公园", "江南", "东湖", "西湖", "南湖", "向阳", "友谊", "兴华"]
VILLAGE_FIRST = list("大小上下东西南北新旧老石黄龙马杨李陈罗高长平古水沙竹桥塘牛鹿凤松枫梅桃李"
                     "白青金银六三五双田良福安和富")
VILLAGE_SECOND = list("塘岭坡湾岗坪田冲垌寨屯桥山江河洞湖头口林坝营圩垄埇岩")
CN_DIGITS = "零一二三四五六七八九十"


def cn_number(n: int) -> str:
    """1..99 as Chinese numerals (一, 十二, 二十三)."""
    if n <= 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return (CN_DIGITS[tens] if tens > 1 else "") + "十" + (CN_DIGITS[ones] if ones else "")


@dataclass
class Region:
    code: str
    name: str
    level: str  # city, township, village, group
    parent: str | None
    is_urban: bool
    population: int = 0
    households: int = 0
    lon: float = 0.0
    lat: float = 0.0
    kind: str = ""  # township: 街道/镇/乡; village: 社区/村
    polygon: geo.Polygon = field(default_factory=list, repr=False)  # lon/lat, rounded, conformed
    polygon_exact: geo.Polygon = field(default_factory=list, repr=False)  # lon/lat, unrounded
    children: list[str] = field(default_factory=list, repr=False)


@dataclass
class City:
    regions: dict[str, Region]
    outline: geo.Polygon  # lon/lat, rounded
    outline_exact: geo.Polygon

    @property
    def city(self) -> Region:
        return self.regions[CITY_CODE]

    def level(self, level: str) -> list[Region]:
        return [r for r in self.regions.values() if r.level == level]

    @property
    def townships(self) -> list[Region]:
        return self.level("township")

    @property
    def villages(self) -> list[Region]:
        return self.level("village")

    def villages_of(self, township_code: str) -> list[Region]:
        return [self.regions[c] for c in self.regions[township_code].children]

    def township_of(self, code: str) -> Region:
        return self.regions[code[:9] + "000"]


def km_to_lonlat(p: geo.Point) -> geo.Point:
    return (CENTRE_LON + p[0] * DEG_PER_KM_LON, CENTRE_LAT + p[1] * DEG_PER_KM_LAT)


def build_city(seed: int = 42) -> City:
    """The region tree and the boundaries of townships and villages."""
    rng = random.Random(f"city:{seed}")
    nrng = np.random.default_rng(rng.getrandbits(64))
    outline = geo.city_outline(rng, WIDTH_KM, HEIGHT_KM)

    # --- townships: 4 街道 around an urban core a little off-centre, 10 镇 and 4 乡 spread out
    core = (rng.uniform(-4, 0), rng.uniform(0, 3))
    street_seeds = [(core[0] + 3.2 * math.cos(a), core[1] + 3.2 * math.sin(a))
                    for a in (math.pi / 4 + k * math.pi / 2 + rng.uniform(-0.25, 0.25) for k in range(4))]
    rural_seeds = geo.spread_points(outline, 14, rng, avoid=street_seeds + [core], inset=0.12)
    # 乡 are the remote ones: the four rural seeds farthest from the core
    by_distance = sorted(range(14), key=lambda i: math.dist(rural_seeds[i], core))
    town_idx, xiang_idx = by_distance[:10], by_distance[10:]
    seeds = street_seeds + [rural_seeds[i] for i in town_idx] + [rural_seeds[i] for i in xiang_idx]
    kinds = ["街道"] * 4 + ["镇"] * 10 + ["乡"] * 4
    codes = [f"{k + 1:03d}" for k in range(4)] + [f"{100 + k:03d}" for k in range(10)] + \
            [f"{200 + k:03d}" for k in range(4)]
    names = ([n + "街道" for n in rng.sample(STREET_NAMES, 4)] + [n + "镇" for n in rng.sample(TOWN_NAMES, 10)]
             + [n + "乡" for n in rng.sample(XIANG_NAMES, 4)])
    township_cells = geo.voronoi_cells(outline, seeds)

    # --- villages inside each township cell
    community_words = rng.sample(COMMUNITY_WORDS, len(COMMUNITY_WORDS))
    stems = {n.removesuffix("街道").removesuffix("镇").removesuffix("乡") for n in names}
    village_names = [a + b for a in VILLAGE_FIRST for b in VILLAGE_SECOND if a != b and a + b not in stems]
    rng.shuffle(village_names)
    village_names = list(dict.fromkeys(village_names))
    township_recs = []
    village_recs = []  # (township index, code, name, kind, cell_km, urban)
    for t, (seed_pt, cell, kind, code, name) in enumerate(zip(seeds, township_cells, kinds, codes, names)):
        if kind == "街道":
            n_comm, n_vill = rng.randint(10, 12), 0
        elif kind == "镇":
            n_comm, n_vill = rng.randint(1, 2), rng.randint(11, 20)
        else:
            n_comm, n_vill = 0, rng.randint(10, 15)
        n = n_comm + n_vill
        # the seat (first community or first village) sits at the township's seed
        vseeds = [seed_pt] + geo.spread_points(cell, n - 1, rng, avoid=[seed_pt], inset=0.1)
        if not geo.contains(cell, seed_pt):
            vseeds[0] = geo.centroid(cell)
        vcells = geo.voronoi_cells(cell, vseeds)
        township_recs.append((COUNTY_CODE + code + "000", name, kind, cell))
        for v in range(n):
            if v < n_comm:
                vcode = f"{v + 1:03d}"
                vname = (community_words.pop() if kind == "街道" or v > 0 else name[:-1]) + "社区"
                vkind = "社区"
            else:
                vcode = f"{200 + v - n_comm + 1:03d}"
                vname = village_names.pop() + "村"
                vkind = "村"
            village_recs.append((t, COUNTY_CODE + code + vcode, vname, vkind, vcells[v], kind == "街道"))

    # --- geometry in lon/lat: conformed (shared vertices) then rounded to 5 decimals
    polys_km = [outline] + [r[3] for r in township_recs] + [r[4] for r in village_recs]
    conformed = geo.conform(polys_km, tol=1e-6)
    exact = [[km_to_lonlat(p) for p in poly] for poly in polys_km]
    rounded = [geo.round_polygon([km_to_lonlat(p) for p in poly]) for poly in conformed]

    regions: dict[str, Region] = {}
    city = Region(CITY_CODE, CITY_NAME, "city", None, False, kind="市",
                  polygon=rounded[0], polygon_exact=exact[0])
    regions[CITY_CODE] = city
    for i, (code, name, kind, _cell) in enumerate(township_recs):
        regions[code] = Region(code, name, "township", CITY_CODE, kind == "街道", kind=kind,
                               polygon=rounded[1 + i], polygon_exact=exact[1 + i])
        city.children.append(code)
    base = 1 + len(township_recs)
    for i, (t, code, name, kind, _cell, urban) in enumerate(village_recs):
        parent = township_recs[t][0]
        regions[code] = Region(code, name, "village", parent, urban, kind=kind,
                               polygon=rounded[base + i], polygon_exact=exact[base + i])
        regions[parent].children.append(code)

    # --- population: communities are denser than villages; scaled to about 800,000
    raw = {}
    for r in regions.values():
        if r.level == "village":
            if r.is_urban:
                raw[r.code] = rng.uniform(4000, 7500)
            elif r.kind == "社区":
                raw[r.code] = rng.uniform(3000, 6000)
            else:
                raw[r.code] = rng.lognormvariate(math.log(2400), 0.35)
    factor = TARGET_POPULATION / sum(raw.values())

    for r in list(regions.values()):
        if r.level != "village":
            continue
        pop = int(round(raw[r.code] * factor))
        n_groups = rng.randint(4, 10)
        shares = nrng.dirichlet(np.full(n_groups, 8.0))
        gpop = np.floor(shares * pop).astype(int)
        gpop[0] += pop - gpop.sum()
        hh_size = 2.7 if r.is_urban else 3.4
        for g in range(n_groups):
            gcode = f"{r.code}{g + 1:03d}"
            lon, lat = geo.random_point_in(r.polygon_exact, rng)
            hh = max(1, int(round(gpop[g] / rng.uniform(hh_size - 0.3, hh_size + 0.3))))
            regions[gcode] = Region(gcode, cn_number(g + 1) + "组", "group", r.code, r.is_urban,
                                    int(gpop[g]), hh, round(lon, 5), round(lat, 5), kind="组")
            r.children.append(gcode)
        r.population = pop
        r.households = sum(regions[c].households for c in r.children)

    for r in regions.values():
        if r.level == "township":
            r.population = sum(regions[c].population for c in r.children)
            r.households = sum(regions[c].households for c in r.children)
    city.population = sum(regions[c].population for c in city.children)
    city.households = sum(regions[c].households for c in city.children)
    for r in regions.values():
        if r.polygon_exact:
            r.lon, r.lat = (round(v, 5) for v in geo.centroid(r.polygon_exact))
    return City(regions, rounded[0], exact[0])
