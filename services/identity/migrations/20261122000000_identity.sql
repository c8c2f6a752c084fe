-- Identity: tenants (merchant programs), users, partners, applications, invites, sessions, API keys.
-- Every tenant-owned row carries tenant_id and every query filters by it.

CREATE TABLE tenants (
    id                UUID PRIMARY KEY,
    slug              TEXT NOT NULL,
    name              TEXT NOT NULL,
    recruitment_plan  TEXT NOT NULL,
    settings          JSONB NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    CONSTRAINT tenants_slug_key UNIQUE (slug)
);

CREATE TABLE users (
    id             UUID PRIMARY KEY,
    tenant_id      UUID REFERENCES tenants (id),          -- NULL for platform admins
    email          TEXT NOT NULL,                          -- lower-cased
    name           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('platform_admin', 'merchant_admin', 'sales_rep', 'partner')),
    language       TEXT NOT NULL DEFAULT 'en',
    created_at     TIMESTAMPTZ NOT NULL,
    CONSTRAINT users_tenant_email_key UNIQUE NULLS NOT DISTINCT (tenant_id, email)
);
CREATE INDEX users_email ON users (email);

CREATE TABLE partners (
    id                 UUID PRIMARY KEY,
    tenant_id          UUID NOT NULL REFERENCES tenants (id),
    user_id            UUID NOT NULL REFERENCES users (id),
    name               TEXT NOT NULL,
    email              TEXT NOT NULL,
    phone              TEXT NOT NULL DEFAULT '',
    payout_method      JSONB NOT NULL DEFAULT '{}'::jsonb,
    commission_plan    TEXT NOT NULL DEFAULT 'default',
    trust_level        TEXT NOT NULL CHECK (trust_level IN ('new', 'standard', 'trusted')),
    status             TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
    parent_partner_id  UUID REFERENCES partners (id),
    language           TEXT NOT NULL DEFAULT 'en',
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    CONSTRAINT partners_user_key UNIQUE (user_id),
    CONSTRAINT partners_tenant_email_key UNIQUE (tenant_id, email)
);
CREATE INDEX partners_tenant_parent ON partners (tenant_id, parent_partner_id);

CREATE TABLE invites (
    id          UUID PRIMARY KEY,
    tenant_id   UUID NOT NULL REFERENCES tenants (id),
    partner_id  UUID NOT NULL REFERENCES partners (id),
    token_hash  BYTEA NOT NULL UNIQUE,
    expires_at  TIMESTAMPTZ NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE applications (
    id                 UUID PRIMARY KEY,
    tenant_id          UUID NOT NULL REFERENCES tenants (id),
    name               TEXT NOT NULL,
    email              TEXT NOT NULL,
    phone              TEXT NOT NULL DEFAULT '',
    message            TEXT NOT NULL DEFAULT '',
    language           TEXT NOT NULL DEFAULT 'en',
    password_hash      TEXT NOT NULL,
    invite_id          UUID REFERENCES invites (id),
    parent_partner_id  UUID REFERENCES partners (id),
    status             TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    reason             TEXT NOT NULL DEFAULT '',
    reviewed_by        UUID,
    reviewed_at        TIMESTAMPTZ,
    partner_id         UUID REFERENCES partners (id),
    created_at         TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX applications_one_pending_per_email ON applications (tenant_id, email) WHERE status = 'pending';
CREATE INDEX applications_tenant_status ON applications (tenant_id, status, id);

CREATE TABLE refresh_tokens (
    id           UUID PRIMARY KEY,
    user_id      UUID NOT NULL REFERENCES users (id),
    family       UUID NOT NULL,
    token_hash   BYTEA NOT NULL UNIQUE,
    expires_at   TIMESTAMPTZ NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    revoked_at   TIMESTAMPTZ,
    replaced_by  UUID
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);

CREATE TABLE api_keys (
    id            UUID PRIMARY KEY,
    tenant_id     UUID NOT NULL REFERENCES tenants (id),
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    secret_hash   BYTEA NOT NULL UNIQUE,
    scopes        TEXT[] NOT NULL,
    created_by    UUID NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    last_used_at  TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, id);

-- Failed sign-ins, counted per email and per client over a sliding window.
CREATE TABLE login_failures (
    key  TEXT NOT NULL,
    at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_failures_key_at ON login_failures (key, at);
