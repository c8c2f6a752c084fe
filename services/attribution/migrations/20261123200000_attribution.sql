-- Attribution (L1-L11). Every row carries tenant_id and every query filters by it.

-- What attribution knows of identity, kept from its events.
CREATE TABLE programs (
    tenant_id   UUID PRIMARY KEY,
    settings    JSONB NOT NULL DEFAULT '{}'::jsonb,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE partners (
    id          UUID PRIMARY KEY,
    tenant_id   UUID NOT NULL,
    user_id     UUID,
    parent_id   UUID,
    active      BOOLEAN NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

-- L1
CREATE TABLE links (
    id          UUID PRIMARY KEY,
    tenant_id   UUID NOT NULL,
    partner_id  UUID NOT NULL,
    code        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL CHECK (kind IN ('referral', 'share')),
    target_url  TEXT NOT NULL,
    label       TEXT NOT NULL DEFAULT '',
    active      BOOLEAN NOT NULL DEFAULT true,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX links_referral ON links (tenant_id, partner_id) WHERE kind = 'referral';
CREATE INDEX links_partner ON links (tenant_id, partner_id, created_at DESC);

-- L2: the raw IP is never stored, only a salted hash.
CREATE TABLE clicks (
    id          UUID PRIMARY KEY,
    tenant_id   UUID NOT NULL,
    link_id     UUID NOT NULL REFERENCES links (id),
    partner_id  UUID NOT NULL,
    visitor_id  TEXT NOT NULL,
    subject     TEXT NOT NULL,
    user_agent  TEXT NOT NULL DEFAULT '',
    referrer    TEXT NOT NULL DEFAULT '',
    ip_hash     TEXT NOT NULL DEFAULT '',
    decision    TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX clicks_partner ON clicks (tenant_id, partner_id, at);

-- A visitor who became a customer: its clicks bind the customer from then on.
CREATE TABLE visitor_customers (
    tenant_id    UUID NOT NULL,
    visitor_id   TEXT NOT NULL,
    customer_id  UUID NOT NULL,
    PRIMARY KEY (tenant_id, visitor_id)
);

-- L3-L8: one binding per subject ("visitor:<id>" or "customer:<uuid>").
CREATE TABLE bindings (
    tenant_id   UUID NOT NULL,
    subject     TEXT NOT NULL,
    partner_id  UUID NOT NULL,
    since       TIMESTAMPTZ NOT NULL,
    last_click  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, subject)
);

CREATE TABLE binding_history (
    id            BIGSERIAL PRIMARY KEY,
    tenant_id     UUID NOT NULL,
    subject       TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('bound', 'rebound', 'refreshed')),
    partner_id    UUID NOT NULL,
    from_partner  UUID,
    click_id      UUID,
    reason        TEXT NOT NULL,
    at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX binding_history_subject ON binding_history (tenant_id, subject, id);

-- L9-L11, X1: every decision on an order, newest version last.
CREATE TABLE order_attributions (
    tenant_id      UUID NOT NULL,
    order_id       UUID NOT NULL,
    version        INT NOT NULL,
    partner_id     UUID,
    parent_chain   UUID[] NOT NULL DEFAULT '{}',
    reason         TEXT NOT NULL,
    detail         TEXT NOT NULL DEFAULT '',
    order_version  INT NOT NULL,
    actor_user_id  UUID,
    at             TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, order_id, version)
);
