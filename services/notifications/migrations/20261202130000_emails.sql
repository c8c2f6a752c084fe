-- N4: emails, written in the transaction that makes them (with the notification, if any) and
-- sent by the mailer, which retries with backoff: a crash or an SMTP server that is down loses
-- none. Content is rendered when the email is made, so every attempt sends the same message,
-- under the same Message-ID.
CREATE TABLE emails (
    id               UUID PRIMARY KEY,
    tenant_id        UUID NOT NULL,
    kind             TEXT NOT NULL,
    -- The event it was made from: a redelivered event makes no second email.
    source_event     UUID NOT NULL,
    to_address       TEXT NOT NULL,
    to_name          TEXT NOT NULL,
    from_name        TEXT NOT NULL,
    language         TEXT NOT NULL,
    subject          TEXT NOT NULL,
    text_body        TEXT NOT NULL,
    html_body        TEXT NOT NULL,
    message_id       TEXT NOT NULL UNIQUE,
    status           TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts         INT NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL,
    last_error       TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ NOT NULL,
    sent_at          TIMESTAMPTZ,
    UNIQUE (tenant_id, source_event, kind)
);
CREATE INDEX emails_due ON emails (next_attempt_at) WHERE status = 'queued';

-- The programs' names, from identity's tenant.created: the sender name of their emails.
CREATE TABLE programs (
    tenant_id  UUID PRIMARY KEY,
    name       TEXT NOT NULL
);
