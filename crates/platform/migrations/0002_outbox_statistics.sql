-- No query filters or sorts on these columns, so the planner needs no statistics of them, and
-- an ANALYZE (autovacuum's or `platform::upkeep`'s) need not read and sort them.
ALTER TABLE outbox
    ALTER COLUMN id SET STATISTICS 0,
    ALTER COLUMN tenant_id SET STATISTICS 0,
    ALTER COLUMN subject SET STATISTICS 0,
    ALTER COLUMN payload SET STATISTICS 0,
    ALTER COLUMN headers SET STATISTICS 0,
    ALTER COLUMN attempts SET STATISTICS 0,
    ALTER COLUMN last_error SET STATISTICS 0;
ALTER TABLE inbox ALTER COLUMN subject SET STATISTICS 0;
