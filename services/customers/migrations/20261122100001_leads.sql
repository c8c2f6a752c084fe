-- Leads and referrals (LE1-LE6).
CREATE TABLE leads (
    id                   UUID PRIMARY KEY,
    tenant_id            UUID NOT NULL,
    partner_id           UUID NOT NULL,
    product_line         TEXT NOT NULL,
    contact_name         TEXT NOT NULL,
    email                TEXT NOT NULL,
    company              TEXT NOT NULL DEFAULT '',
    website_url          TEXT NOT NULL DEFAULT '',
    notes                TEXT NOT NULL DEFAULT '',
    wants_sales_support  BOOLEAN NOT NULL DEFAULT false,
    status               TEXT NOT NULL CHECK (status IN ('submitted', 'in_progress', 'won', 'not_eligible')),
    sales_rep            JSONB,
    sales_rep_user_id    UUID,
    plan                 TEXT NOT NULL DEFAULT '',
    revenue              NUMERIC(14, 2) NOT NULL DEFAULT 0,
    currency             TEXT NOT NULL DEFAULT 'EUR',
    won_at               TIMESTAMPTZ,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL
);
CREATE INDEX leads_partner ON leads (tenant_id, partner_id, created_at DESC);
CREATE INDEX leads_rep ON leads (tenant_id, sales_rep_user_id);
CREATE INDEX leads_won ON leads (tenant_id, partner_id, won_at DESC) WHERE status = 'won';

-- LE2: every change, with time and actor.
CREATE TABLE lead_events (
    id             UUID PRIMARY KEY,
    tenant_id      UUID NOT NULL,
    lead_id        UUID NOT NULL REFERENCES leads (id),
    at             TIMESTAMPTZ NOT NULL,
    actor_user_id  UUID NOT NULL,
    change         TEXT NOT NULL,
    from_status    TEXT NOT NULL DEFAULT '',
    to_status      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX lead_events_lead ON lead_events (tenant_id, lead_id, at);
