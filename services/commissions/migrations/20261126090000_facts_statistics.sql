-- An order's facts are read by order id only: the planner needs no statistics of the document,
-- and an ANALYZE need not read and sort every sampled one.
ALTER TABLE order_facts ALTER COLUMN facts SET STATISTICS 0;
ALTER TABLE ledger_entries ALTER COLUMN reason SET STATISTICS 0;
ALTER TABLE commission_lines ALTER COLUMN reason SET STATISTICS 0, ALTER COLUMN source SET STATISTICS 0;
