-- N1: what the platform tells the people of a program, made from the other services' events.
-- recipient: 'partner:<id>' (the partner's people), 'merchant' (the program's admins: one inbox
-- they share, so one admin's read is everyone's) or 'user:<id>' (one person, a sales rep).
CREATE TABLE notifications (
    id            UUID PRIMARY KEY,   -- UUIDv7: newest first is descending id
    tenant_id     UUID NOT NULL,
    recipient     TEXT NOT NULL,
    kind          TEXT NOT NULL,
    object_type   TEXT NOT NULL,
    object_id     TEXT NOT NULL,
    params        JSONB NOT NULL DEFAULT '{}'::jsonb,
    -- The event it was made from: a redelivered event makes no second notification.
    source_event  UUID NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    read_at       TIMESTAMPTZ,
    UNIQUE (tenant_id, source_event, recipient, kind)
);
CREATE INDEX notifications_inbox ON notifications (tenant_id, recipient, id DESC);
CREATE INDEX notifications_unread ON notifications (tenant_id, recipient, id DESC) WHERE read_at IS NULL;

-- The program's partners as identity last told: names for the merchant's notifications.
CREATE TABLE partners (
    tenant_id   UUID NOT NULL,
    partner_id  UUID NOT NULL,
    user_id     UUID NOT NULL,
    name        TEXT NOT NULL,
    email       TEXT NOT NULL,
    language    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, partner_id)
);
