-- D1-D3: the ledger's movements kept per day and month (in the program's time zone), per
-- partner and for the whole program, so that earnings, balances at a date and payouts by period
-- read a few hundred rows, not every entry. They move in the statement that writes the entries
-- (a statement trigger over its transition table): the ledger is append-only, so an entry is
-- counted once and never changes.

-- The program's time zone, copied from identity's program events (D2; UTC until one arrives).
CREATE TABLE report_zones (
    tenant_id  UUID PRIMARY KEY,
    time_zone  TEXT NOT NULL
);

-- grain 'd': period is the day; 'm': the first day of the month. level -1: the entry has none
-- (payouts). debit/credit: the bucket ('pending', 'held', 'available', 'requested', 'paid') of a
-- partner's account, or the merchant account ('merchant:expense', ...). partner_id: the nil uuid
-- for entries about no partner (top-ups, settlement disbursements).
CREATE TABLE ledger_totals (
    tenant_id   UUID NOT NULL,
    grain       CHAR(1) NOT NULL CHECK (grain IN ('d', 'm')),
    partner_id  UUID NOT NULL,
    period      DATE NOT NULL,
    level       SMALLINT NOT NULL,
    kind        TEXT NOT NULL,
    debit       TEXT NOT NULL,
    credit      TEXT NOT NULL,
    currency    TEXT NOT NULL,
    amount      NUMERIC NOT NULL,
    entries     BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, grain, partner_id, period, level, kind, debit, credit, currency)
);
-- Results per partner (D3) read every partner's rows of a range: with what they sum in the index,
-- that read touches no table page (an index-only scan).
CREATE INDEX ledger_totals_period ON ledger_totals (tenant_id, grain, period)
    INCLUDE (partner_id, level, kind, debit, credit, currency, amount);

CREATE TABLE program_ledger_totals (
    tenant_id   UUID NOT NULL,
    grain       CHAR(1) NOT NULL CHECK (grain IN ('d', 'm')),
    period      DATE NOT NULL,
    level       SMALLINT NOT NULL,
    kind        TEXT NOT NULL,
    debit       TEXT NOT NULL,
    credit      TEXT NOT NULL,
    currency    TEXT NOT NULL,
    amount      NUMERIC NOT NULL,
    entries     BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, grain, period, level, kind, debit, credit, currency)
);

CREATE FUNCTION ledger_bucket(account TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN account LIKE 'partner:%' THEN split_part(account, ':', 3) ELSE account END
$$;

CREATE TYPE ledger_delta AS (
    tenant_id   UUID,
    at          TIMESTAMPTZ,
    partner_id  UUID,
    level       SMALLINT,
    kind        TEXT,
    debit       TEXT,
    credit      TEXT,
    currency    TEXT,
    amount      NUMERIC
);

-- Adds entries to both tables, keys in a fixed order so concurrent writers never deadlock.
CREATE FUNCTION ledger_totals_add(d ledger_delta[]) RETURNS void LANGUAGE sql AS $$
    WITH k AS (
        SELECT x.*, (x.at AT TIME ZONE coalesce(z.time_zone, 'UTC'))::date AS day
        FROM unnest(d) AS x LEFT JOIN report_zones z ON z.tenant_id = x.tenant_id
    ), g AS (
        SELECT k.tenant_id, gr.grain,
               CASE gr.grain WHEN 'd' THEN k.day ELSE date_trunc('month', k.day)::date END AS period,
               coalesce(k.partner_id, '00000000-0000-0000-0000-000000000000') AS partner_id,
               coalesce(k.level, -1)::smallint AS level, k.kind, ledger_bucket(k.debit) AS debit,
               ledger_bucket(k.credit) AS credit, k.currency, sum(k.amount) AS amount, count(*) AS entries
        FROM k CROSS JOIN (VALUES ('d'), ('m')) AS gr(grain)
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
    ), by_partner AS (
        INSERT INTO ledger_totals AS t
            (tenant_id, grain, partner_id, period, level, kind, debit, credit, currency, amount, entries)
        SELECT tenant_id, grain, partner_id, period, level, kind, debit, credit, currency, amount, entries
        FROM g ORDER BY tenant_id, grain, partner_id, period, level, kind, debit, credit, currency
        ON CONFLICT (tenant_id, grain, partner_id, period, level, kind, debit, credit, currency) DO UPDATE SET
            amount = t.amount + EXCLUDED.amount, entries = t.entries + EXCLUDED.entries
    )
    INSERT INTO program_ledger_totals AS t
        (tenant_id, grain, period, level, kind, debit, credit, currency, amount, entries)
    SELECT tenant_id, grain, period, level, kind, debit, credit, currency, sum(amount), sum(entries)
    FROM g GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8
    ON CONFLICT (tenant_id, grain, period, level, kind, debit, credit, currency) DO UPDATE SET
        amount = t.amount + EXCLUDED.amount, entries = t.entries + EXCLUDED.entries;
$$;

CREATE FUNCTION ledger_totals_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ledger_totals_add(ARRAY(
        SELECT ROW(n.tenant_id, n.at, n.partner_id, n.level, n.kind, n.debit_account, n.credit_account, n.currency,
                   n.amount)::ledger_delta
        FROM new_rows n));
    RETURN NULL;
END $$;

CREATE TRIGGER ledger_totals_insert AFTER INSERT ON ledger_entries
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_totals_on_insert();

-- Rebuilds a program's totals from its entries (its time zone changed).
CREATE FUNCTION ledger_totals_rebuild(tenant UUID) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM ledger_totals WHERE tenant_id = tenant;
    DELETE FROM program_ledger_totals WHERE tenant_id = tenant;
    PERFORM ledger_totals_add(ARRAY(
        SELECT ROW(e.tenant_id, e.at, e.partner_id, e.level, e.kind, e.debit_account, e.credit_account, e.currency,
                   e.amount)::ledger_delta
        FROM ledger_entries e WHERE e.tenant_id = tenant));
END $$;

-- Entries written before this migration.
INSERT INTO report_zones (tenant_id, time_zone) SELECT DISTINCT tenant_id, 'UTC' FROM ledger_entries;
SELECT ledger_totals_rebuild(tenant_id) FROM report_zones;
