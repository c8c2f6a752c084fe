-- An order's facts are read and written whole, by order id, and only by this service: they are
-- kept as the JSON bytes the service writes (PostgreSQL neither parses nor re-encodes them on
-- every fact), and the planner keeps no statistics of them or of other columns no query filters
-- on, so an ANALYZE need not read and sort them.
ALTER TABLE order_facts ALTER COLUMN facts TYPE BYTEA USING convert_to(facts::text, 'UTF8');
ALTER TABLE order_facts ALTER COLUMN facts SET STATISTICS 0;
ALTER TABLE ledger_entries ALTER COLUMN reason SET STATISTICS 0;
ALTER TABLE commission_lines ALTER COLUMN reason SET STATISTICS 0, ALTER COLUMN source SET STATISTICS 0;
