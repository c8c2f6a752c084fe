-- O8: refunds pushed by integrators carry their own id, so re-sending one changes nothing.
ALTER TABLE refunds ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX refunds_external ON refunds (tenant_id, order_id, external_id) WHERE external_id IS NOT NULL;
