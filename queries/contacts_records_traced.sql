-- contacts_records_traced: every contact traced by D in scope, as it stood at the end of D (a later release is
-- not shown), and whether it was in quarantine then (quarantine started by D, not released by D, as KPI
-- contacts_in_quarantine counts): the records behind a mark of the contacts chart, which sitrep.drill picks out
-- by type, place, identified_date or in_quarantine.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one contact.
with

final as (
    select contact_id, case_id, contact_type, identified_date, quarantine_start, quarantine_place,
           case when release_date <= $as_of then release_date end as release_date, last_result, region_code,
           coalesce(quarantine_start <= $as_of and (release_date is null or release_date > $as_of), false)
               as in_quarantine
    from contacts
    where (identified_date <= $as_of or quarantine_start <= $as_of) and in_scope(region_code, $region_code)
    order by identified_date, contact_id
)

select * from final
