-- Room on each page for a row's next version, so that updates which change no indexed column
-- (an order's facts on every event, a line's amounts, the running balances on every batch) stay
-- on the page (HOT) instead of adding index entries. New pages only; a table rewritten by
-- VACUUM FULL or CLUSTER gets it throughout.
ALTER TABLE order_facts SET (fillfactor = 70);
ALTER TABLE commission_lines SET (fillfactor = 80);
ALTER TABLE balances SET (fillfactor = 50);
