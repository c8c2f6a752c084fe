-- I2: the deliverer takes each endpoint's pending deliveries in order. The log's index covers
-- every delivery, so a claim stepped over all the delivered ones first; this one holds only the
-- pending, and replaces the index on due times that no query used.
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (endpoint_id, seq) WHERE status = 'pending';
DROP INDEX webhook_deliveries_due;
