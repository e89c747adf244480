-- The region tree's shared macros (made before the other macro files, which call them).

-- The region the dashboard's whole scope (no region picked) stands for: the one county of a county's database (the
-- demo city); in a lake of many counties (sitrep.lake_db) the lowest region above all of them (their prefecture, or
-- the province when they lie in several prefectures). sitrep/regions.py walks the tree from it.
CREATE OR REPLACE MACRO root_region() AS coalesce(
    (SELECT CASE WHEN count(*) = 1 THEN min(region_code) END FROM regions WHERE level IN ('city', 'county')),
    (SELECT r.region_code FROM regions r
     WHERE r.level IN ('province', 'prefecture')
       AND NOT EXISTS (SELECT 1 FROM regions c
                       WHERE c.level IN ('city', 'county') AND NOT starts_with(c.region_code, scope_prefix(r.region_code)))
     ORDER BY level_rank(r.level) DESC, r.region_code LIMIT 1),
    (SELECT min(region_code) FROM regions WHERE level = 'city'));

-- What a place's name starts with so that it is unique in the store: its county's name (江州区) when the store holds
-- several counties (a lake), else nothing; for headlines and lists that name townships and villages.
CREATE OR REPLACE MACRO county_prefix(code) AS coalesce(
    (SELECT CASE WHEN (SELECT count(*) FROM regions WHERE level IN ('city', 'county')) > 1 THEN min(name) END
     FROM regions WHERE region_code = left(code, 6) || '000000'), '');
