-- X6: the ledger's totals also in the program's reporting currency. An order's entries carry the
-- reporting currency and the amount at the rate the order kept from its placement (orders'
-- snapshot, from `order.placed`); an entry already in the program's currency counts as itself;
-- any other (no rate known, a payout leg in a partner's own currency) is counted apart as
-- unconverted (`reporting_currency` '').
ALTER TABLE ledger_entries ADD COLUMN reporting_currency TEXT;
ALTER TABLE ledger_entries ADD COLUMN reporting_amount NUMERIC;

ALTER TABLE ledger_totals ADD COLUMN reporting_currency TEXT NOT NULL DEFAULT '';
ALTER TABLE ledger_totals ADD COLUMN amount_reporting NUMERIC NOT NULL DEFAULT 0;
ALTER TABLE ledger_totals DROP CONSTRAINT ledger_totals_pkey;
ALTER TABLE ledger_totals ADD PRIMARY KEY
    (tenant_id, grain, partner_id, period, level, kind, debit, credit, currency, reporting_currency);
DROP INDEX ledger_totals_period;
CREATE INDEX ledger_totals_period ON ledger_totals (tenant_id, grain, period)
    INCLUDE (partner_id, level, kind, debit, credit, currency, amount, reporting_currency, amount_reporting);

ALTER TABLE program_ledger_totals ADD COLUMN reporting_currency TEXT NOT NULL DEFAULT '';
ALTER TABLE program_ledger_totals ADD COLUMN amount_reporting NUMERIC NOT NULL DEFAULT 0;
ALTER TABLE program_ledger_totals DROP CONSTRAINT program_ledger_totals_pkey;
ALTER TABLE program_ledger_totals ADD PRIMARY KEY
    (tenant_id, grain, period, level, kind, debit, credit, currency, reporting_currency);

ALTER TYPE ledger_delta ADD ATTRIBUTE reporting_currency TEXT;
ALTER TYPE ledger_delta ADD ATTRIBUTE reporting_amount NUMERIC;

CREATE OR REPLACE FUNCTION ledger_totals_count(d ledger_delta[]) RETURNS void LANGUAGE sql AS $$
    -- The program's currency read once per program, not once per entry (settings is a document).
    WITH pc AS (
        SELECT p.tenant_id, p.settings->>'currency' AS program FROM programs p
        WHERE p.tenant_id IN (SELECT DISTINCT x.tenant_id FROM unnest(d) AS x)
    ), k AS (
        SELECT x.*, (x.at AT TIME ZONE coalesce(z.time_zone, 'UTC'))::date AS day, pc.program
        FROM unnest(d) AS x LEFT JOIN report_zones z ON z.tenant_id = x.tenant_id
            LEFT JOIN pc ON pc.tenant_id = x.tenant_id
    ), r AS (
        SELECT k.*,
               coalesce(k.reporting_currency, CASE WHEN k.currency = k.program THEN k.program END, '') AS rc,
               coalesce(k.reporting_amount, CASE WHEN k.currency = k.program THEN k.amount END, 0) AS ra
        FROM k
    ), g AS (
        SELECT r.tenant_id, gr.grain,
               CASE gr.grain WHEN 'd' THEN r.day ELSE date_trunc('month', r.day)::date END AS period,
               coalesce(r.partner_id, '00000000-0000-0000-0000-000000000000') AS partner_id,
               coalesce(r.level, -1)::smallint AS level, r.kind, ledger_bucket(r.debit) AS debit,
               ledger_bucket(r.credit) AS credit, r.currency, r.rc AS reporting_currency, sum(r.amount) AS amount,
               sum(r.ra) AS amount_reporting, count(*) AS entries
        FROM r CROSS JOIN (VALUES ('d'), ('m')) AS gr(grain)
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
    ), by_partner AS (
        INSERT INTO ledger_totals AS t (tenant_id, grain, partner_id, period, level, kind, debit, credit, currency,
            reporting_currency, amount, amount_reporting, entries)
        SELECT tenant_id, grain, partner_id, period, level, kind, debit, credit, currency, reporting_currency, amount,
            amount_reporting, entries
        FROM g ORDER BY tenant_id, grain, partner_id, period, level, kind, debit, credit, currency, reporting_currency
        ON CONFLICT (tenant_id, grain, partner_id, period, level, kind, debit, credit, currency, reporting_currency)
        DO UPDATE SET amount = t.amount + EXCLUDED.amount, amount_reporting = t.amount_reporting + EXCLUDED.amount_reporting,
            entries = t.entries + EXCLUDED.entries
    )
    INSERT INTO program_ledger_totals AS t (tenant_id, grain, period, level, kind, debit, credit, currency,
        reporting_currency, amount, amount_reporting, entries)
    SELECT tenant_id, grain, period, level, kind, debit, credit, currency, reporting_currency, sum(amount),
        sum(amount_reporting), sum(entries)
    FROM g GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9
    ON CONFLICT (tenant_id, grain, period, level, kind, debit, credit, currency, reporting_currency) DO UPDATE SET
        amount = t.amount + EXCLUDED.amount, amount_reporting = t.amount_reporting + EXCLUDED.amount_reporting,
        entries = t.entries + EXCLUDED.entries;
$$;

CREATE OR REPLACE FUNCTION ledger_totals_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ledger_totals_add(ARRAY(
        SELECT ROW(n.tenant_id, n.at, n.partner_id, n.level, n.kind, n.debit_account, n.credit_account, n.currency,
                   n.amount, n.reporting_currency, n.reporting_amount)::ledger_delta
        FROM new_rows n));
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION ledger_totals_rebuild(tenant UUID) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM ledger_totals WHERE tenant_id = tenant;
    DELETE FROM program_ledger_totals WHERE tenant_id = tenant;
    PERFORM ledger_totals_add(ARRAY(
        SELECT ROW(e.tenant_id, e.at, e.partner_id, e.level, e.kind, e.debit_account, e.credit_account, e.currency,
                   e.amount, e.reporting_currency, e.reporting_amount)::ledger_delta
        FROM ledger_entries e WHERE e.tenant_id = tenant));
END $$;

-- Entries written before this migration: those in the program's currency count as converted.
SELECT ledger_totals_rebuild(tenant_id) FROM (SELECT DISTINCT tenant_id FROM ledger_entries) t;
