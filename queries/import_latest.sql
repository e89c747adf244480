-- import_latest: when the newest successful import happened (the data's freshness line).
-- Row: one row: imported_at (NULL when nothing was imported yet), files (loaded or partial imports).
with

final as (
    select max(imported_at) as imported_at, count(*) as files
    from import_log
    where status in ('loaded', 'partial')
)

select * from final
