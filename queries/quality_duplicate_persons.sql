-- quality_duplicate_persons: returnees registered more than once, as pairs of records side by side,
-- to resolve by hand (see data/quality_rules.toml [duplicates]):
--   id_number   the same ID number on two records (often in two townships);
--   name_phone  the same name and phone, at least one of the two without an ID number;
--   name_birth  the same name, birth date (ID digits 7-14) and arrival date (the same trip), two
--               different ID numbers within max_id_distance edits of each other (an ID probably
--               mistyped; without the arrival date, namesakes born on one day fill the list).
-- A person on k records gives k(k-1)/2 pairs. Personal columns (name_a, id_number_a, phone_a, ...)
-- are masked by sitrep.privacy when shown.
-- param region_code str optional: scope: pairs with either record in it
-- param max_id_distance int: name_birth: most edits (Damerau-Levenshtein) between the two ID numbers
-- The candidate pairs are computed at every write (queries/cube/duplicate_pairs.sql, table quality_duplicate_pairs).
-- Row: one pair: kind, then record a and record b (person id, name, ID number, phone,
-- village and township, arrival date, status), and whether the two are in different townships.
with

returnees as (
    select person_id, name, id_number, phone, region_code, arrival_date, status from returnees
),

regions as (
    select region_code, name from regions
),

pairs as (
    select kind, a_id, b_id
    from quality_duplicate_pairs
    where kind <> 'name_birth' or id_distance <= $max_id_distance
),

final as (
    select p.kind,
           a.person_id as person_id_a, a.name as name_a, a.id_number as id_number_a, a.phone as phone_a,
           a.region_code as region_code_a, ta.name as township_a, va.name as village_a,
           a.arrival_date as arrival_date_a, a.status as status_a,
           b.person_id as person_id_b, b.name as name_b, b.id_number as id_number_b, b.phone as phone_b,
           b.region_code as region_code_b, tb.name as township_b, vb.name as village_b,
           b.arrival_date as arrival_date_b, b.status as status_b,
           township_code(a.region_code) <> township_code(b.region_code) as different_townships,
           township_code(a.region_code) as township_code_a, township_code(b.region_code) as township_code_b
    from pairs p
    join returnees a on a.person_id = p.a_id
    join returnees b on b.person_id = p.b_id
    left join regions ta on ta.region_code = township_code(a.region_code)
    left join regions va on va.region_code = village_code(a.region_code)
    left join regions tb on tb.region_code = township_code(b.region_code)
    left join regions vb on vb.region_code = village_code(b.region_code)
    where in_scope(a.region_code, $region_code) or in_scope(b.region_code, $region_code)
)

select * from final
order by kind, township_code_a, person_id_a, person_id_b
