-- Commissions (C1-C11, LE6, X2, X3, X5). Every row carries tenant_id and every query filters by it.

-- What commissions knows of identity, kept from its events.
CREATE TABLE programs (
    tenant_id   UUID PRIMARY KEY,
    settings    JSONB NOT NULL DEFAULT '{}'::jsonb,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE partners (
    id           UUID PRIMARY KEY,
    tenant_id    UUID NOT NULL,
    trust_level  TEXT NOT NULL DEFAULT 'new',
    updated_at   TIMESTAMPTZ NOT NULL
);

-- CU7: customers' groups, for conditional rules.
CREATE TABLE customer_groups (
    tenant_id    UUID NOT NULL,
    customer_id  UUID NOT NULL,
    group_id     UUID,
    PRIMARY KEY (tenant_id, customer_id)
);

-- C1: every version of every rule; the version in force when an order was placed applies to it.
CREATE TABLE rules (
    id           UUID NOT NULL,
    version      INT NOT NULL,
    tenant_id    UUID NOT NULL,
    name         TEXT NOT NULL,
    priority     INT NOT NULL,
    level        SMALLINT NOT NULL CHECK (level BETWEEN 0 AND 2),
    kind         TEXT NOT NULL CHECK (kind IN ('percent', 'fixed_per_order', 'fixed_per_item')),
    value        NUMERIC NOT NULL CHECK (value >= 0),
    of_what      TEXT NOT NULL CHECK (of_what IN ('base', 'child_commission')),
    product_ids  UUID[] NOT NULL DEFAULT '{}',
    categories   TEXT[] NOT NULL DEFAULT '{}',
    customer_group_id UUID,
    min_order_total   NUMERIC,
    partner_tier      TEXT,
    valid_from   TIMESTAMPTZ NOT NULL,
    valid_to     TIMESTAMPTZ,
    PRIMARY KEY (id, version),
    CHECK (kind <> 'percent' OR value <= 50)
);
CREATE INDEX rules_in_force ON rules (tenant_id, valid_from);
CREATE UNIQUE INDEX rules_current ON rules (id) WHERE valid_to IS NULL;

-- The projection: what is known of each order (folded facts, see domain::Facts).
CREATE TABLE order_facts (
    tenant_id   UUID NOT NULL,
    order_id    UUID NOT NULL,
    facts       JSONB NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, order_id)
);

-- One partner's commission on one order, with what the ledger holds for it (kept in the same
-- transaction as the entries; checkable against them).
CREATE TABLE commission_lines (
    tenant_id   UUID NOT NULL,
    order_id    UUID NOT NULL,
    partner_id  UUID NOT NULL,
    level       SMALLINT NOT NULL,
    currency    TEXT NOT NULL,
    amount      NUMERIC NOT NULL,
    base        NUMERIC NOT NULL,
    pending     NUMERIC NOT NULL DEFAULT 0,
    held        NUMERIC NOT NULL DEFAULT 0,
    matured     NUMERIC NOT NULL DEFAULT 0,
    state       TEXT NOT NULL CHECK (state IN ('pending', 'held', 'available', 'void')),
    hold_until  TIMESTAMPTZ,
    rule_id     UUID,
    source      TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    placed_at   TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, order_id, partner_id, level)
);
CREATE INDEX commission_lines_partner ON commission_lines (tenant_id, partner_id, placed_at DESC);
CREATE INDEX commission_lines_due ON commission_lines (hold_until) WHERE state = 'held';

-- C11: immutable double-entry entries. `amount` (> 0) debits one account and credits another.
CREATE TABLE ledger_entries (
    seq             BIGSERIAL PRIMARY KEY,
    id              UUID NOT NULL UNIQUE,
    tenant_id       UUID NOT NULL,
    currency        TEXT NOT NULL,
    debit_account   TEXT NOT NULL,
    credit_account  TEXT NOT NULL,
    amount          NUMERIC NOT NULL CHECK (amount > 0),
    partner_id      UUID,
    order_id        UUID,
    level           SMALLINT,
    rule_id         UUID,
    payout_id       UUID,
    lead_id         UUID,
    kind            TEXT NOT NULL,
    reason          TEXT NOT NULL DEFAULT '',
    at              TIMESTAMPTZ NOT NULL,
    CHECK (debit_account <> credit_account)
);
CREATE INDEX ledger_partner ON ledger_entries (tenant_id, partner_id, seq DESC);
CREATE INDEX ledger_order ON ledger_entries (tenant_id, order_id, seq);
CREATE UNIQUE INDEX ledger_lead ON ledger_entries (tenant_id, lead_id) WHERE kind = 'lead_reward';

CREATE RULE ledger_entries_no_update AS ON UPDATE TO ledger_entries DO INSTEAD NOTHING;
CREATE RULE ledger_entries_no_delete AS ON DELETE TO ledger_entries DO INSTEAD NOTHING;

-- Running totals of every account (credits − debits), updated with each entry.
CREATE TABLE balances (
    tenant_id  UUID NOT NULL,
    account    TEXT NOT NULL,
    currency   TEXT NOT NULL,
    balance    NUMERIC NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, account, currency)
);

-- C10
CREATE TABLE payouts (
    id            UUID PRIMARY KEY,
    tenant_id     UUID NOT NULL,
    partner_id    UUID NOT NULL,
    currency      TEXT NOT NULL,
    amount        NUMERIC NOT NULL CHECK (amount > 0),
    status        TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'rejected', 'paid')),
    method        TEXT,
    reference     TEXT,
    reason        TEXT,
    automatic     BOOLEAN NOT NULL DEFAULT false,
    requested_at  TIMESTAMPTZ NOT NULL,
    decided_at    TIMESTAMPTZ,
    paid_at       TIMESTAMPTZ
);
CREATE UNIQUE INDEX payouts_one_open ON payouts (tenant_id, partner_id) WHERE status IN ('requested', 'approved');
CREATE INDEX payouts_list ON payouts (tenant_id, requested_at DESC);

-- C9: automatic settlement attempts.
CREATE TABLE settlements (
    id          UUID PRIMARY KEY,
    tenant_id   UUID NOT NULL,
    partner_id  UUID NOT NULL,
    currency    TEXT NOT NULL,
    amount      NUMERIC NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('paid', 'failed')),
    reason      TEXT NOT NULL DEFAULT '',
    payout_id   UUID,
    at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX settlements_list ON settlements (tenant_id, at DESC);

-- C9: when each automatic program settles next (a top-up brings it forward).
CREATE TABLE settlement_schedule (
    tenant_id  UUID PRIMARY KEY,
    next_at    TIMESTAMPTZ NOT NULL
);
