-- X7: the customer an email went to, so that its erasure finds the email (and a data export
-- lists it). Emails to partners and applicants name none.
ALTER TABLE emails ADD COLUMN customer_id UUID;
CREATE INDEX emails_customer ON emails (tenant_id, customer_id) WHERE customer_id IS NOT NULL;

-- Issue 17: at most one "someone applied with your email" a day per address.
CREATE INDEX emails_repeated ON emails (tenant_id, to_address, created_at) WHERE kind = 'application_repeated';
