-- The platform's tables, present in every service's database. Version numbers below
-- 1000 belong to the platform; services number theirs by date (20261122000000_...).

-- Events written in the same transaction as the state change they describe, published to
-- JetStream by the relay in `seq` order, then marked sent.
CREATE TABLE outbox (
    seq         BIGSERIAL PRIMARY KEY,
    id          UUID NOT NULL UNIQUE,           -- ce-id and Nats-Msg-Id
    tenant_id   UUID,
    subject     TEXT NOT NULL,
    ce_type     TEXT NOT NULL,
    payload     BYTEA NOT NULL,
    headers     JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_at  TIMESTAMPTZ NOT NULL,
    sent_at     TIMESTAMPTZ,
    attempts    INT NOT NULL DEFAULT 0,
    last_error  TEXT
);
CREATE INDEX outbox_unsent ON outbox (seq) WHERE sent_at IS NULL;

-- Events a consumer has applied, recorded in the same transaction as the effect, so a
-- redelivery is a no-op.
CREATE TABLE inbox (
    consumer     TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    subject      TEXT NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
