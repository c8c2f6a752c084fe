-- X1: a partner's claim that an order was its referral; the merchant accepts or rejects it.
CREATE TABLE attribution_claims (
    id               UUID PRIMARY KEY,
    tenant_id        UUID NOT NULL,
    order_id         UUID NOT NULL,
    partner_id       UUID NOT NULL,
    message          TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected')),
    decided_by       UUID,
    decision_reason  TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    decided_at       TIMESTAMPTZ
);
CREATE UNIQUE INDEX attribution_claims_open ON attribution_claims (tenant_id, order_id, partner_id) WHERE status = 'pending';
CREATE INDEX attribution_claims_list ON attribution_claims (tenant_id, created_at DESC);
