-- kpi_records_contacts_in_quarantine: the contacts behind KPI contacts_in_quarantine. The records are the KPI's facts that count on D (queries/macros/kpi_facts.sql): their number is the KPI's value. States are as of the end of D (a later discharge, release, closing or rectification is not shown).
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one contact.
with

final as (
    select contact_id, case_id, contact_type, identified_date, quarantine_start, quarantine_place,
           case when release_date <= $as_of then release_date end as release_date, last_result, region_code
    from contacts
    semi join kpi_facts_on_day('contacts_in_quarantine', $as_of::date, $region_code::varchar) f on f.record_id = contacts.contact_id
    order by quarantine_start, contact_id
)

select * from final
