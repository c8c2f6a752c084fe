-- X4: what a self-referral compares beyond the email (the partner's phone and payout details, the
-- customer's phone and name), and each customer's sign-up (its IP hash, L2, and the partner it
-- signed up for) that bursts of new customers from one IP hash are counted from.
ALTER TABLE partners ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE partners ADD COLUMN payout_email TEXT NOT NULL DEFAULT '';
ALTER TABLE partners ADD COLUMN payout_holder TEXT NOT NULL DEFAULT '';
ALTER TABLE customer_emails ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE customer_emails ADD COLUMN name TEXT NOT NULL DEFAULT '';

CREATE TABLE registrations (
    tenant_id    UUID NOT NULL,
    customer_id  UUID NOT NULL,
    partner_id   UUID,
    ip_hash      TEXT NOT NULL,
    at           TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, customer_id)
);
CREATE INDEX registrations_burst ON registrations (tenant_id, partner_id, ip_hash, at) WHERE ip_hash <> '';
