-- X6: the program's reporting currency (a copy of identity's setting) and the exchange rates the
-- merchant keeps; every order keeps the rate to the reporting currency in force when it was
-- placed (in the program's time zone), never recomputed.
CREATE TABLE program_currencies (
    tenant_id  UUID PRIMARY KEY,
    currency   TEXT NOT NULL
);

CREATE TABLE exchange_rates (
    tenant_id      UUID NOT NULL,
    from_currency  TEXT NOT NULL,
    to_currency    TEXT NOT NULL,
    -- units of to_currency for one unit of from_currency
    rate           NUMERIC(20, 10) NOT NULL CHECK (rate > 0),
    valid_from     DATE NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, from_currency, to_currency, valid_from),
    CHECK (from_currency <> to_currency)
);

ALTER TABLE orders ADD COLUMN reporting_currency TEXT;
ALTER TABLE orders ADD COLUMN exchange_rate NUMERIC(20, 10);

-- The rate from `cur` to the program's reporting currency in force at `at`: the latest given for
-- that day or before, or the inverse of the latest given the other way; 1 in the reporting
-- currency itself; NULL when none is known.
CREATE FUNCTION exchange_rate_at(tenant UUID, cur TEXT, at TIMESTAMPTZ) RETURNS NUMERIC
LANGUAGE sql STABLE AS $$
    WITH p AS (
        SELECT pc.currency, (at AT TIME ZONE coalesce(z.time_zone, 'UTC'))::date AS day
        FROM program_currencies pc LEFT JOIN report_zones z ON z.tenant_id = pc.tenant_id
        WHERE pc.tenant_id = tenant)
    SELECT CASE WHEN p.currency = cur THEN 1::numeric ELSE coalesce(
        (SELECT r.rate FROM exchange_rates r
         WHERE r.tenant_id = tenant AND r.from_currency = cur AND r.to_currency = p.currency AND r.valid_from <= p.day
         ORDER BY r.valid_from DESC LIMIT 1),
        (SELECT round(1 / r.rate, 10) FROM exchange_rates r
         WHERE r.tenant_id = tenant AND r.from_currency = p.currency AND r.to_currency = cur AND r.valid_from <= p.day
         ORDER BY r.valid_from DESC LIMIT 1)) END
    FROM p
$$;
