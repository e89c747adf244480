-- duplicate_pairs: candidate pairs of returnee records that are probably one person, for the whole city, computed
-- by sitrep/cube.py at every write into the table quality_duplicate_pairs (the scan of every returnee costs seconds
-- at a large scale: the Data page and the trust line read the pairs instead). queries/quality_duplicate_persons.sql
-- takes the pairs in scope and within its max_id_distance.
--   id_number   the same ID number on two records (often in two townships);
--   name_phone  the same name and phone, at least one of the two without an ID number;
--   name_birth  the same name, birth date (ID digits 7-14) and arrival date (the same trip), two different ID
--               numbers; id_distance is their Damerau-Levenshtein distance (the setting max_id_distance is
--               applied when the pairs are read).
-- Row: one pair: kind, a_id, b_id (person ids, a_id < b_id), id_distance (name_birth only).
with

returnees as (
    -- the importer trims values and stores empty cells as NULL
    select person_id, name, id_number, phone, arrival_date
    from returnees
),

by_id as (
    select id_number from returnees where id_number is not null group by id_number having count(*) > 1
),

by_name_phone as (
    select name, phone from returnees where phone is not null
    group by name, phone
    having count(*) > 1 and count(id_number) < count(*)  -- at least one without an ID number
),

by_name_birth as (
    select name, substr(id_number, 7, 8) as birth, arrival_date from returnees
    where id_number is not null
    group by all
    having min(id_number) <> max(id_number)  -- two different ID numbers at least
),

pairs as (
    select 'id_number' as kind, a.person_id as a_id, b.person_id as b_id, null::integer as id_distance
    from returnees a
    join by_id k on k.id_number = a.id_number
    join returnees b on b.id_number = a.id_number and b.person_id > a.person_id
    union all
    select 'name_phone', a.person_id, b.person_id, null
    from returnees a
    join by_name_phone k on k.name = a.name and k.phone = a.phone
    join returnees b on b.name = a.name and b.phone = a.phone and b.person_id > a.person_id
    where a.id_number is null or b.id_number is null
    union all
    select 'name_birth', a.person_id, b.person_id, damerau_levenshtein(a.id_number, b.id_number)
    from returnees a
    join by_name_birth k on k.name = a.name and k.birth = substr(a.id_number, 7, 8) and k.arrival_date = a.arrival_date
    join returnees b on b.name = a.name and substr(b.id_number, 7, 8) = k.birth and b.arrival_date = a.arrival_date
                    and b.person_id > a.person_id
    where a.id_number <> b.id_number
),

final as (
    select * from pairs
)

select * from final
