-- I2: the deliverer takes each endpoint's pending deliveries in order. The log's index covers
-- every delivery, so a claim stepped over all the delivered ones first; this one holds only the
-- pending, and replaces the index on due times that no query used.
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (endpoint_id, seq) WHERE status = 'pending';
DROP INDEX webhook_deliveries_due;
-- Nothing looks a delivery up by its seq alone; each index is written once per row version.
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_seq_key;
-- Room in each page, so taking a delivery (its lease) rewrites no index.
ALTER TABLE webhook_deliveries SET (fillfactor = 70);
