-- A1: what each inbox wants to be told, topic by topic (a notification kind, or an email's).
-- No row: everything on. recipient as in notifications ('partner:<id>', 'merchant', 'user:<id>').
CREATE TABLE preferences (
    tenant_id  UUID NOT NULL,
    recipient  TEXT NOT NULL,
    topic      TEXT NOT NULL,
    in_app     BOOLEAN NOT NULL,
    email      BOOLEAN NOT NULL,
    PRIMARY KEY (tenant_id, recipient, topic)
);
