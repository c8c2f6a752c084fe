-- X4: orders whose commission a fraud signal holds back until the merchant decides. The
-- projection reads the flag and the decision from the order's facts; this table is the queue
-- the merchant works through, and the record of who decided what.
CREATE TABLE fraud_flags (
    tenant_id   UUID NOT NULL,
    order_id    UUID NOT NULL,
    partner_id  UUID,
    status      TEXT NOT NULL CHECK (status IN ('open', 'released', 'rejected')),
    signals     JSONB NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    decided_by  UUID,
    decided_at  TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, order_id)
);
CREATE INDEX fraud_flags_queue ON fraud_flags (tenant_id, status, created_at DESC, order_id DESC);
CREATE INDEX fraud_flags_partner ON fraud_flags (tenant_id, partner_id, created_at DESC);
