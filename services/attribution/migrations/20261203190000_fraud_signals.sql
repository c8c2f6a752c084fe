-- X4: which partner made a click itself (L6, L7: signed in, or a customer who is a partner), so
-- that a customer clicking from the same IP hash is seen; and up to when a partner's click
-- bursts have flagged a commission, so one burst flags one (the next) commission.
ALTER TABLE clicks ADD COLUMN clicker_partner_id UUID;
CREATE INDEX clicks_clicker ON clicks (tenant_id, clicker_partner_id, ip_hash) WHERE clicker_partner_id IS NOT NULL;
ALTER TABLE partners ADD COLUMN spam_flagged_through TIMESTAMPTZ;
