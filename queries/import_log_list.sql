-- import_log_list: the import log, newest first; optionally one table and/or one status.
-- param table_name str optional: a contract table name or boundaries; empty = every table
-- param status str optional: loaded, partial or rejected; empty = every status
-- Row: one imported file: import_id, imported_at, user_name, file_name, sha256_short (first 12 hex digits),
-- table_name (NULL when the file's table could not be told), rows_inserted, rows_updated, rows_rejected, status.
with

final as (
    select import_id, imported_at, user_name, file_name, left(sha256, 12) as sha256_short, table_name,
           rows_inserted, rows_updated, rows_rejected, status
    from import_log
    where ($table_name is null or table_name = $table_name)
      and ($status is null or status = $status)
    order by imported_at desc, import_id desc
)

select * from final
