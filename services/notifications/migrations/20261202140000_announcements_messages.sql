-- N2: who an announcement reaches is decided by the partners' trust level and status, as
-- identity last told.
ALTER TABLE partners ADD COLUMN trust_level TEXT NOT NULL DEFAULT '';
ALTER TABLE partners ADD COLUMN status TEXT NOT NULL DEFAULT 'active';

-- N2: the merchant's announcements; audience 'all' or a trust level.
CREATE TABLE announcements (
    id              UUID PRIMARY KEY,
    tenant_id       UUID NOT NULL,
    title           TEXT NOT NULL,
    body            TEXT NOT NULL,
    audience        TEXT NOT NULL,
    recipients      INT NOT NULL,
    author_user_id  UUID NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX announcements_recent ON announcements (tenant_id, id DESC);
-- Whom each reached, as it was sent: a partner who joins later does not get old ones.
CREATE TABLE announcement_recipients (
    tenant_id        UUID NOT NULL,
    partner_id       UUID NOT NULL,
    announcement_id  UUID NOT NULL REFERENCES announcements (id),
    PRIMARY KEY (tenant_id, partner_id, announcement_id)
);

-- N3: one thread per partner, between it and the merchant.
CREATE TABLE messages (
    id              UUID PRIMARY KEY,   -- UUIDv7: a thread reads in id order
    tenant_id       UUID NOT NULL,
    partner_id      UUID NOT NULL,
    from_partner    BOOLEAN NOT NULL,
    author_user_id  UUID NOT NULL,
    body            TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX messages_thread ON messages (tenant_id, partner_id, id DESC);
-- How far each side has read each thread.
CREATE TABLE thread_reads (
    tenant_id   UUID NOT NULL,
    partner_id  UUID NOT NULL,
    side        TEXT NOT NULL CHECK (side IN ('merchant', 'partner')),
    read_up_to  UUID NOT NULL,
    PRIMARY KEY (tenant_id, partner_id, side)
);
