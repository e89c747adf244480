"""The demo city: geometry that tiles, valid fake people, byte-identical exports for a
seed, and every designed feature present in the database built through the import
path (counted through DuckDB, exact where the design fixes the number)."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta

import pytest

from sitrep import contract
from sitrep.db import Database
from sitrep.demo import geo, people, scenario
from sitrep.demo.city import CITY_CODE, build_city
from sitrep.demo.scenario import END, INDEX_REPORT


# ------------------------------------------------------------------------------ geometry


@pytest.fixture(scope="module", params=[42, 7])
def city(request):
    return build_city(request.param)


def test_region_tree_shape(city):
    towns = city.townships
    assert len(towns) == 18
    assert sum(t.kind == "街道" for t in towns) == 4
    assert all(t.is_urban == (t.kind == "街道") for t in towns)
    assert 200 <= len(city.villages) <= 300
    for t in towns:
        assert 10 <= len(t.children) <= 25
        assert t.code.startswith("451481") and len(t.code) == 12 and t.code.endswith("000")
        for v in city.villages_of(t.code):
            assert v.code[:9] == t.code[:9] and len(v.code) == 12
            assert 4 <= len(v.children) <= 10
            assert all(len(g) == 15 and g.startswith(v.code) for g in v.children)
            assert v.population == sum(city.regions[g].population for g in v.children)
        assert t.population == sum(city.regions[v].population for v in t.children)
    assert 780_000 <= city.city.population <= 820_000
    # names resolve uniquely: township names, and village names within the whole city
    assert len({t.name for t in towns}) == len(towns)
    assert len({v.name for v in city.villages}) == len(city.villages)


def test_townships_tile_the_city_and_villages_tile_their_township(city):
    # rounded coordinates as written to the GeoJSON files
    city_area = geo.area(city.outline)
    assert sum(geo.area(t.polygon) for t in city.townships) == pytest.approx(city_area, rel=1e-9)
    for t in city.townships:
        t_area = geo.area(t.polygon)
        assert t_area > 0
        villages = city.villages_of(t.code)
        assert sum(geo.area(v.polygon) for v in villages) == pytest.approx(t_area, rel=1e-9)
        assert all(geo.area(v.polygon) > 0 for v in villages)
        for v in villages:
            # convex cells: the centroid is inside the village, and so inside the township
            assert geo.contains(t.polygon_exact, geo.centroid(v.polygon_exact), tol=1e-12)
            assert geo.contains(t.polygon, (v.lon, v.lat), tol=1e-9)


def test_city_size_and_place(city):
    lons = [p[0] for p in city.outline]
    lats = [p[1] for p in city.outline]
    assert 109 <= min(lons) < max(lons) <= 110.3 and 23 <= min(lats) < max(lats) <= 24
    width_km = (max(lons) - min(lons)) * 102
    height_km = (max(lats) - min(lats)) * 110.6
    assert 50 <= width_km <= 62 and 40 <= height_km <= 52


def test_half_plane_clip_and_voronoi_tile_a_square():
    square = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]
    assert geo.area(geo.clip_half_plane(square, 1, 0, 0.5)) == pytest.approx(0.5)
    cells = geo.voronoi_cells(square, [(0.25, 0.5), (0.75, 0.5)])
    assert [geo.area(c) for c in cells] == pytest.approx([0.5, 0.5])


# ------------------------------------------------------------------------------ people


def test_id_numbers_have_a_valid_check_digit_and_are_unique():
    import numpy as np

    ids = people.IdNumbers(np.random.default_rng(1))
    issued, _birth, male = ids.issue(np.random.default_rng(2), np.full(20_000, 451481))
    assert len(set(issued)) == len(issued)
    assert all(people.valid_id_number(s) for s in issued)
    assert all((int(s[16]) % 2 == 1) == m for s, m in zip(issued[:200], male[:200]))
    assert people.id_check_digit("11010519491231002") == "X"  # the standard's example


def test_mobiles_are_eleven_digits():
    import numpy as np

    phones = people.mobiles(np.random.default_rng(3), 1000)
    assert all(len(p) == 11 and p.startswith("1") and p[1] in "3456789" for p in phones)


# ------------------------------------------------------------------------------ exports


def _digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.slow
def test_same_seed_same_bytes(tmp_path):
    from sitrep.demo import write_exports

    a = write_exports(tmp_path / "a", seed=3, scale=0.02)
    write_exports(tmp_path / "b", seed=3, scale=0.02)
    write_exports(tmp_path / "c", seed=4, scale=0.02)
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")
    assert _digests(tmp_path / "a")["returnees.csv"] != _digests(tmp_path / "c")["returnees.csv"]
    names = {p.name for p in a}
    assert {"regions.csv", "boundaries_township.geojson", "boundaries_village.geojson", "returnees.csv",
            "tests_2021-12.csv", "tests_2022-01.csv", "tests_2022-02.csv", "tests_2022-03.csv",
            "funds.xlsx", "orders.xlsx", "publicity.csv"} <= names
    # the formats vary as real offices' do
    assert (tmp_path / "a" / "returnees.csv").read_bytes().decode("gb18030").startswith("人员编号,姓名")
    assert (tmp_path / "a" / "cases.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert "乡镇/街道,村/社区" in (tmp_path / "a" / "publicity.csv").read_bytes().decode("gb18030").splitlines()[0]


def test_written_boundaries_tile(tmp_path):
    from sitrep.demo import write_exports

    write_exports(tmp_path, seed=42, scale=0.02)
    towns = json.loads((tmp_path / "boundaries_township.geojson").read_text(encoding="utf-8"))["features"]
    villages = json.loads((tmp_path / "boundaries_village.geojson").read_text(encoding="utf-8"))["features"]

    def area(f):
        return geo.area([tuple(p) for p in f["geometry"]["coordinates"][0][:-1]])

    by_town = {}
    for f in villages:
        by_town.setdefault(f["properties"]["region_code"][:9], []).append(area(f))
    assert len(towns) == 18
    for f in towns:
        assert f["properties"]["level"] == "township"
        assert sum(by_town[f["properties"]["region_code"][:9]]) == pytest.approx(area(f), rel=1e-9)


# ------------------------------------------------------------------------------ the built database


@pytest.fixture(scope="module")
def db(demo_db):
    return Database(demo_db)


def one(db, sql, **params):
    return db.rows(sql, params)[0][0]


def test_every_table_is_loaded_and_non_empty(db):
    statuses = db.rows("select distinct status from import_log")
    assert statuses == [("loaded",)]
    for t in contract.TABLES:
        assert one(db, f"select count(*) from {t.name}") > 0, t.name
    assert db.rows("select level, count(*) from boundaries group by 1 order by 1") == [
        ("township", 18), ("village", one(db, "select count(*) from regions where level = 'village'"))]
    assert one(db, "select population from regions where region_code = $c", c=CITY_CODE) > 700_000


def test_local_cluster_and_its_chain(db):
    cluster = db.rows("""select case_id, report_date, found_by, infector_case_id, source from cases
                         where cluster_id = $c order by report_date, case_id""", {"c": scenario.CLUSTER_ID})
    assert len(cluster) == len(scenario.CLUSTER_CASES) == 10
    index = [c for c in cluster if c[3] is None]
    assert len(index) == 1 and index[0][1] == INDEX_REPORT and index[0][2] == "screening"
    ids = {c[0] for c in cluster}
    assert all(c[4] == "local" for c in cluster)
    # every infector is an earlier case of the same cluster: one chain from the index case
    reported = {c[0]: c[1] for c in cluster}
    for case_id, report, _found, infector, _src in cluster:
        if infector is not None:
            assert infector in ids and reported[infector] <= report
    # the cluster stays in one township (a family and its contacts)
    assert one(db, "select count(distinct left(region_code, 9)) from cases where cluster_id = $c",
               c=scenario.CLUSTER_ID) == 1
    # later cases were close contacts of their infector, found positive in quarantine
    assert one(db, """select count(*) from contacts k join cases c on c.case_id = k.case_id
                      where c.cluster_id = $c and k.last_result = 'positive'""", c=scenario.CLUSTER_ID) == 8


def test_imported_cases_come_from_returnees_found_in_quarantine(db):
    imported = db.rows("select source, found_by from cases where source <> 'local'")
    assert len(imported) == len(scenario.IMPORTED_CASES) == 6
    assert all(f == "central_quarantine" for _s, f in imported)
    assert one(db, "select count(*) from returnees where status = 'positive'") == 6
    # a positive test for every case found by testing (the imported six and the eight contacts)
    assert one(db, "select count(*) from tests where result = 'positive'") == 14
    assert one(db, "select count(*) from cases where status = 'hospitalised'") == 1


def test_every_test_belongs_to_a_returnee_or_a_contact(db):
    assert one(db, """select count(*) from tests t where not exists (select 1 from returnees r where r.person_id = t.person_id)
                      and not exists (select 1 from contacts c where c.contact_id = t.person_id)""") == 0
    assert one(db, "select count(*) - count(distinct (person_id, sample_date, sample_no)) from tests") == 0
    assert one(db, "select count(*) from tests where sample_date > $d", d=END) == 0


def test_grid_holes_and_five_haves(db):
    holes = db.rows("""select region_code from regions r where level = 'village'
                       and not exists (select 1 from grid_units g where g.region_code = r.region_code)""")
    assert len(holes) == scenario.N_GRID_HOLES == 3
    assert db.rows("""select responsible_level, count(*) from grid_units where length(region_code) = 12
                      and region_code like '%000' group by 1""") == [("city_leader", 18)]
    units = one(db, "select count(*) from grid_units")
    missing = one(db, """select count(*) from grid_units where not (has_guide and has_system_owner and has_materials
                         and has_medical_support and has_isolation_transfer)""")
    assert missing == round(0.05 * units)


def test_planted_duplicate_people(db):
    dup_ids = db.rows("""select id_number, count(distinct left(region_code, 9)) from returnees
                         where id_number is not null group by 1 having count(*) > 1""")
    assert len(dup_ids) == scenario.N_DUPLICATE_IDS == 5
    assert all(towns == 2 for _id, towns in dup_ids)
    pairs = one(db, """select count(*) from (select name, phone from returnees where id_number is null
                       group by 1, 2 having count(*) > 1)""")
    assert pairs == scenario.N_DUPLICATE_NAME_PHONE == 5


def test_sentinel_rise_before_the_index_case(db):
    # EARS C2 on the cluster township's fever clinics and pharmacies: fever counts more
    # than 3 standard deviations above days t-9..t-3, 3 to 6 days before the report
    rows = db.rows("""
        with daily as (
            select r.date, sum(r.fever) as fever
            from sentinel_reports r join sentinel_sites s using (site_id)
            where s.site_type in ('fever_clinic', 'pharmacy')
              and left(s.region_code, 9) = (select left(region_code, 9) from cases
                                            where cluster_id is not null and infector_case_id is null)
            group by 1),
        c2 as (
            select date, fever, avg(fever) over w as mean, stddev_samp(fever) over w as sd
            from daily window w as (order by date rows between 9 preceding and 3 preceding))
        select date, (fever - mean) / sd from c2 where date between $lo and $hi order by date""",
                   {"lo": INDEX_REPORT - timedelta(days=6), "hi": INDEX_REPORT - timedelta(days=3)})
    assert len(rows) == 4 and max(z for _d, z in rows) > 3


def test_sentinel_gaps_and_outliers(db):
    sites = one(db, "select count(*) from sentinel_sites")
    assert 60 <= sites <= 80
    days = (END - scenario.START).days + 1
    missing = sites * days - one(db, "select count(*) from sentinel_reports")
    assert 3 <= missing <= 0.02 * sites * days
    # the x10 entry errors: far above the site's own median
    outliers = one(db, """select count(*) from sentinel_reports r join (
                            select site_id, median(visits) m from sentinel_reports group by 1) s using (site_id)
                          where r.visits > 6 * s.m and s.m >= 20""")
    assert outliers == scenario.N_SENTINEL_OUTLIERS


def test_points_lie_in_their_village(db):
    city = build_city(42)
    points = db.rows("select region_code, lon, lat from sentinel_sites union all select region_code, lon, lat from cases")
    assert len(points) > 60
    for code, lon, lat in points:
        assert geo.contains(city.regions[code].polygon, (lon, lat), tol=1e-9), code


def test_command_gaps_at_the_end_of_the_period(db):
    end_ts = END + timedelta(days=1)
    assert one(db, "select count(*) from orders") == scenario.N_ORDERS
    assert one(db, """select count(*) from orders where deadline < $e and (closed_at is null or closed_at >= $e)""",
               e=end_ts) == scenario.N_ORDERS_OPEN_OVERDUE
    assert one(db, "select count(*) from orders where closed_at > deadline") > 10  # some closed late
    assert one(db, "select count(*) from supervision") == scenario.N_SUPERVISION
    assert one(db, "select count(*) from supervision where due_date < $d and rectified_date is null",
               d=END) == scenario.N_SUPERVISION_OPEN_OVERDUE
    days = (END - scenario.START).days + 1
    assert one(db, "select count(*) from duty_roster") == 2 * days - scenario.N_DUTY_SHIFTS_MISSING
    assert one(db, "select min(staff_count) >= 3 and max(staff_count) <= 8 from duty_roster")


def test_publicity_blind_villages(db):
    blind = db.rows("""select region_code from regions r where level = 'village' and not exists (
                         select 1 from publicity p where p.region_code = r.region_code and p.date > $d)""",
                    {"d": END - timedelta(days=scenario.BLIND_DAYS)})
    assert len(blind) == scenario.N_BLIND_VILLAGES == 5
    # every other village heard something in the last 7 days
    assert one(db, """select count(*) from regions r where level = 'village' and not exists (
                        select 1 from publicity p where p.region_code = r.region_code and p.date > $d)""",
               d=END - timedelta(days=7)) == 5


def test_capacity_strained_during_mass_testing(db):
    strained = db.rows("""select date from test_capacity group by date
                          having sum(tubes_tested) > 0.85 * sum(capacity_tubes) order by date""")
    assert 3 <= len(strained) <= 6
    assert all(INDEX_REPORT < d <= INDEX_REPORT + timedelta(days=7) for (d,) in strained)
    assert one(db, "select count(distinct lab_id) from test_capacity") == 6
    assert one(db, "select max(tubes_tested > capacity_tubes) from test_capacity") is False


def test_reserves_below_target_at_the_end(db):
    below = db.rows("""
        with last as (select warehouse_id, max(date) as d from reserves group by 1)
        select r.warehouse_id, r.item_code from reserves r join last l on r.warehouse_id = l.warehouse_id and r.date = l.d
        where r.on_hand < r.target_days * r.daily_use order by 1, 2""")
    from sitrep.demo.tables import SHORTFALLS

    assert below == sorted(SHORTFALLS)
    # right after the cluster, more items fall below 30 days somewhere
    assert one(db, """select count(distinct item_code) from reserves where date = $d
                      and on_hand < target_days * daily_use""", d=INDEX_REPORT + timedelta(days=5)) >= 3


def test_funds_are_consistent(db):
    assert one(db, "select count(*) from funds where not (spent < disbursed and disbursed <= allocated)") == 0
    # cumulative rows never go down
    assert one(db, """select count(*) from (select allocated - lag(allocated) over w as a, spent - lag(spent) over w as s
                      from funds window w as (partition by source, purpose order by date)) where a < 0 or s < 0""") == 0


def test_vaccination_coverage(db):
    rows = dict(((age, dose), n) for age, dose, n in db.rows(
        "select age_group, dose, sum(doses) from vaccinations group by 1, 2"))
    population = one(db, "select population from regions where region_code = $c", c=CITY_CODE)
    from sitrep.demo.tables import AGE_SHARE

    full_adult = rows[("18-59", "full")] / (population * AGE_SHARE["18-59"])
    full_old = rows[("60+", "full")] / (population * AGE_SHARE["60+"])
    assert 0.85 <= full_adult <= 0.9
    assert full_old < full_adult
    assert one(db, "select min(doses) from vaccinations") > 0


def test_returnees_follow_the_rules(db):
    cats = dict(db.rows("select origin_category, count(*) from returnees group by 1"))
    assert set(cats) == {"in_province", "out_of_province", "overseas", "nonlocal_staying"}
    assert cats["in_province"] > cats["out_of_province"] > cats["nonlocal_staying"] > cats["overseas"]
    assert one(db, "select count(*) from returnees where (origin_category = 'overseas') <> (origin_risk = 'overseas')") == 0
    # arrivals peak in the two weeks before the Spring Festival
    peak = one(db, "select arrival_date from returnees group by 1 order by count(*) desc limit 1")
    assert date(2022, 1, 18) <= peak <= date(2022, 1, 31)
    # high risk: 14 + 7 days before the rule change of 2022-02-15, 10 + 7 after it
    spans = dict(db.rows("""select arrival_date >= date '2022-02-15', mode(measure_end - measure_start) from returnees
                            where origin_risk = 'high' and measure = 'central_quarantine' and status = 'released'
                            group by 1"""))
    assert spans == {False: 21, True: 17}
    # gaps the control checks find (sitrep.rules semantics, through the project's query)
    kpis = dict(db.query("returnee_control_kpis", as_of=END.isoformat()).itertuples(index=False, name=None))
    owing = one(db, "select count(*) from returnees where origin_risk <> 'none' or measure <> 'none'")
    assert 0.01 < kpis["returnees_misclassified"] / owing < 0.06
    assert kpis["returnees_release_overdue"] > 0 and kpis["returnees_tests_overdue"] > 0


@pytest.mark.slow
def test_cli_rebuilds_from_scratch(tmp_path):
    from sitrep.cli import main

    path = tmp_path / "x.duckdb"
    assert main(["demo", "--db", str(path), "--scale", "0.02", "--seed", "5", "--quiet"]) == 0
    first = Database(path)
    n_files = one(first, "select count(*) from import_log")
    first.close()
    stamp = path.stat().st_ino, path.stat().st_mtime_ns
    assert main(["demo", "--db", str(path), "--if-missing", "--quiet"]) == 0
    assert (path.stat().st_ino, path.stat().st_mtime_ns) == stamp
    assert main(["demo", "--db", str(path), "--scale", "0.02", "--seed", "6", "--quiet"]) == 0
    again = Database(path)
    assert one(again, "select count(*) from import_log") == n_files  # rebuilt, not merged
    assert (tmp_path / "demo_exports" / "regions.csv").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left
