-- Customers and CRM (CU1-CU8). Every row carries tenant_id and every query filters by it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE customers (
    id                UUID PRIMARY KEY,
    tenant_id         UUID NOT NULL,
    name              TEXT NOT NULL,
    vat_number        TEXT NOT NULL DEFAULT '',
    contact_person    TEXT NOT NULL DEFAULT '',
    email             TEXT NOT NULL DEFAULT '',
    phone             TEXT NOT NULL DEFAULT '',
    address           JSONB NOT NULL DEFAULT '{}'::jsonb,
    status            TEXT NOT NULL CHECK (status IN ('current', 'potential')),
    temperature       TEXT NOT NULL CHECK (temperature IN ('hot', 'warm', 'cold', 'not_interested')),
    discount_percent  NUMERIC(5, 2) NOT NULL DEFAULT 0 CHECK (discount_percent BETWEEN 0 AND 100),
    currency          TEXT NOT NULL,
    language          TEXT NOT NULL,
    owner_partner_id  UUID,
    group_id          UUID,
    is_business       BOOLEAN NOT NULL DEFAULT false,
    approval          TEXT NOT NULL DEFAULT 'active' CHECK (approval IN ('active', 'pending_approval')),
    search            TEXT GENERATED ALWAYS AS (lower(name || ' ' || email || ' ' || phone)) STORED,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    deleted_at        TIMESTAMPTZ
);
-- A partner's list, newest first, and the same for the merchant's whole tenant.
CREATE INDEX customers_owner ON customers (tenant_id, owner_partner_id, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX customers_tenant ON customers (tenant_id, id DESC) WHERE deleted_at IS NULL;
-- Partial, case-insensitive search over name, email and phone (CU2).
CREATE INDEX customers_search ON customers USING gin (search gin_trgm_ops);

CREATE TABLE notes (
    id              UUID PRIMARY KEY,
    tenant_id       UUID NOT NULL,
    customer_id     UUID NOT NULL REFERENCES customers (id),
    priority        TEXT NOT NULL CHECK (priority IN ('high', 'medium', 'none')),
    priority_rank   SMALLINT GENERATED ALWAYS AS (CASE priority WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END) STORED,
    body            TEXT NOT NULL,
    author_user_id  UUID NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
-- CU3: by priority (high, medium, none), then newest first.
CREATE INDEX notes_order ON notes (tenant_id, customer_id, priority_rank, created_at DESC, id DESC);

CREATE TABLE communications (
    id              UUID PRIMARY KEY,
    tenant_id       UUID NOT NULL,
    customer_id     UUID NOT NULL REFERENCES customers (id),
    kind            TEXT NOT NULL CHECK (kind IN ('call', 'email', 'meeting', 'message')),
    occurred_at     TIMESTAMPTZ NOT NULL,
    author_user_id  UUID NOT NULL,
    summary         TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX communications_customer ON communications (tenant_id, customer_id, occurred_at DESC);

-- CU8: one live link per customer; only the token's hash is kept.
CREATE TABLE quick_order_links (
    customer_id  UUID PRIMARY KEY REFERENCES customers (id),
    tenant_id    UUID NOT NULL,
    token_hash   BYTEA NOT NULL UNIQUE,
    created_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE quick_order_lookups (
    client  TEXT NOT NULL,
    at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX quick_order_lookups_client ON quick_order_lookups (client, at);
