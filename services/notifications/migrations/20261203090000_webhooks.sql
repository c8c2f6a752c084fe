-- I2: the merchant's webhook endpoints, the messages made for them from the events of every
-- context, one delivery per message and endpoint, and every attempt of it (the delivery log).
CREATE TABLE webhook_endpoints (
    id                     UUID PRIMARY KEY,
    tenant_id              UUID NOT NULL,
    url                    TEXT NOT NULL,
    -- Types or patterns (`orders.*`); empty: every type.
    event_types            TEXT[] NOT NULL DEFAULT '{}',
    description            TEXT NOT NULL DEFAULT '',
    -- The HMAC key is needed to sign, so it is kept as given (whsec_...), never answered again.
    secret                 TEXT NOT NULL,
    previous_secret        TEXT,
    previous_secret_until  TIMESTAMPTZ,
    enabled                BOOLEAN NOT NULL DEFAULT true,
    disabled_reason        TEXT NOT NULL DEFAULT '',
    -- The first failure since the last success; five days of it disable the endpoint.
    failing_since          TIMESTAMPTZ,
    created_at             TIMESTAMPTZ NOT NULL,
    updated_at             TIMESTAMPTZ NOT NULL,
    deleted_at             TIMESTAMPTZ
);
CREATE INDEX webhook_endpoints_of_tenant ON webhook_endpoints (tenant_id, id) WHERE deleted_at IS NULL;

CREATE TABLE webhook_messages (
    -- webhook-id: msg_ and the event's id, so a redelivered event makes no second message.
    id            TEXT PRIMARY KEY,
    tenant_id     UUID NOT NULL,
    event_type    TEXT NOT NULL,
    -- The aggregate's id: one endpoint gets one aggregate's messages in order.
    aggregate_id  TEXT NOT NULL,
    payload       TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE webhook_deliveries (
    -- The order messages were made in, for the order of one aggregate.
    seq              BIGSERIAL UNIQUE,
    message_id       TEXT NOT NULL REFERENCES webhook_messages (id),
    endpoint_id      UUID NOT NULL REFERENCES webhook_endpoints (id),
    tenant_id        UUID NOT NULL,
    aggregate_id     TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
    -- Failed attempts since the message was last (re)sent: the place in the schedule.
    failures         INT NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL,
    -- What makes the next attempt: scheduled, resend, recover or test.
    next_trigger     TEXT NOT NULL DEFAULT 'scheduled',
    -- Taken by a deliverer until then (database time): replicas take other ones.
    leased_until     TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL,
    delivered_at     TIMESTAMPTZ,
    PRIMARY KEY (message_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, aggregate_id, seq) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint_id, seq DESC);

CREATE TABLE webhook_attempts (
    id            UUID PRIMARY KEY,
    tenant_id     UUID NOT NULL,
    message_id    TEXT NOT NULL,
    endpoint_id   UUID NOT NULL,
    attempted_at  TIMESTAMPTZ NOT NULL,
    status_code   INT NOT NULL DEFAULT 0,
    duration_ms   INT NOT NULL,
    response      TEXT NOT NULL DEFAULT '',
    error         TEXT NOT NULL DEFAULT '',
    succeeded     BOOLEAN NOT NULL,
    trigger       TEXT NOT NULL,
    FOREIGN KEY (message_id, endpoint_id) REFERENCES webhook_deliveries (message_id, endpoint_id)
);
CREATE INDEX webhook_attempts_log ON webhook_attempts (endpoint_id, id DESC);
CREATE INDEX webhook_attempts_of_message ON webhook_attempts (message_id, endpoint_id, id DESC);
