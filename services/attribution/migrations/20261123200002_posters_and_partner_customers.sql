-- L1: posters, each with a link of its own that expires 30 days after issue.
ALTER TABLE links DROP CONSTRAINT links_kind_check;
ALTER TABLE links ADD CONSTRAINT links_kind_check CHECK (kind IN ('referral', 'share', 'poster'));
ALTER TABLE links ADD COLUMN expires_at TIMESTAMPTZ;

-- The merchant's poster design; posters copy it when issued, so a printed poster never changes.
CREATE TABLE poster_designs (
    tenant_id   UUID PRIMARY KEY,
    background  TEXT NOT NULL,
    text_color  TEXT NOT NULL,
    headline    TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE posters (
    id            UUID PRIMARY KEY,
    tenant_id     UUID NOT NULL,
    partner_id    UUID NOT NULL,
    link_id       UUID NOT NULL REFERENCES links (id),
    partner_name  TEXT NOT NULL,
    background    TEXT NOT NULL,
    text_color    TEXT NOT NULL,
    headline      TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX posters_partner ON posters (tenant_id, partner_id, created_at DESC);

-- X8: partners' names and emails (from identity) and customers' emails (from customers) tell
-- which customer is a partner.
ALTER TABLE partners ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE partners ADD COLUMN email TEXT NOT NULL DEFAULT '';
CREATE INDEX partners_email ON partners (tenant_id, email) WHERE email <> '';

CREATE TABLE customer_emails (
    tenant_id    UUID NOT NULL,
    customer_id  UUID NOT NULL,
    email        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, customer_id)
);
CREATE INDEX customer_emails_email ON customer_emails (tenant_id, email);

-- A customer who is also a partner (X8, L6, L7): its clicks and orders are a partner's.
CREATE TABLE customer_partners (
    tenant_id    UUID NOT NULL,
    customer_id  UUID NOT NULL,
    partner_id   UUID NOT NULL,
    since        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, customer_id)
);

ALTER TABLE binding_history DROP CONSTRAINT binding_history_kind_check;
ALTER TABLE binding_history ADD CONSTRAINT binding_history_kind_check
    CHECK (kind IN ('bound', 'rebound', 'refreshed', 'released'));
