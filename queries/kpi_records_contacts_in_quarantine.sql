-- kpi_records_contacts_in_quarantine: the contacts behind KPI contacts_in_quarantine.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one contact.
with

final as (
    select contact_id, case_id, contact_type, identified_date, quarantine_start, quarantine_place, release_date, last_result, region_code
    from contacts
    where quarantine_start <= $as_of and (release_date is null or release_date > $as_of)
      and in_scope(region_code, $region_code)
    order by quarantine_start, contact_id
)

select * from final
