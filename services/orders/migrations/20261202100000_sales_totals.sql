-- D1-D3: sales kept per day and month (in the program's time zone), per partner and for the
-- whole program, so that a report reads a few hundred rows, not every order. The totals move in
-- the statement that changes the orders (a statement trigger over its transition tables), so no
-- write path can forget them; docs/reports.md says what each figure means.

-- The program's time zone, copied from identity's program events (D2; UTC until one arrives).
CREATE TABLE report_zones (
    tenant_id  UUID PRIMARY KEY,
    time_zone  TEXT NOT NULL
);

-- grain 'd': period is the day; 'm': period is the first day of the month.
-- partner_id: the attributed partner; the nil uuid for orders without one.
CREATE TABLE sales_totals (
    tenant_id   UUID NOT NULL,
    grain       CHAR(1) NOT NULL CHECK (grain IN ('d', 'm')),
    partner_id  UUID NOT NULL,
    period      DATE NOT NULL,
    channel     TEXT NOT NULL,
    currency    TEXT NOT NULL,
    orders      BIGINT NOT NULL,
    gross       NUMERIC NOT NULL,
    discounts   NUMERIC NOT NULL,
    shipping    NUMERIC NOT NULL,
    tax         NUMERIC NOT NULL,
    refunds     NUMERIC NOT NULL,
    net         NUMERIC NOT NULL,
    PRIMARY KEY (tenant_id, grain, partner_id, period, channel, currency)
);
-- Results per partner (D3) read every partner's rows of a range: with what they sum in the index,
-- that read touches no table page (an index-only scan).
CREATE INDEX sales_totals_period ON sales_totals (tenant_id, grain, period)
    INCLUDE (partner_id, currency, orders, gross, refunds, net);

CREATE TABLE program_sales_totals (
    tenant_id   UUID NOT NULL,
    grain       CHAR(1) NOT NULL CHECK (grain IN ('d', 'm')),
    period      DATE NOT NULL,
    channel     TEXT NOT NULL,
    currency    TEXT NOT NULL,
    orders      BIGINT NOT NULL,
    gross       NUMERIC NOT NULL,
    discounts   NUMERIC NOT NULL,
    shipping    NUMERIC NOT NULL,
    tax         NUMERIC NOT NULL,
    refunds     NUMERIC NOT NULL,
    net         NUMERIC NOT NULL,
    PRIMARY KEY (tenant_id, grain, period, channel, currency)
);

-- One order's share of the totals, signed (+1 added, -1 taken back).
CREATE TYPE sales_delta AS (
    tenant_id  UUID,
    placed_at  TIMESTAMPTZ,
    partner_id UUID,
    channel    TEXT,
    currency   TEXT,
    sign       INT,
    subtotal   NUMERIC,
    discount   NUMERIC,
    shipping   NUMERIC,
    tax        NUMERIC,
    refunded   NUMERIC,
    total      NUMERIC
);

-- Adds signed shares to both tables, keys in a fixed order so concurrent writers never deadlock.
CREATE FUNCTION sales_totals_add(d sales_delta[]) RETURNS void LANGUAGE sql AS $$
    WITH k AS (
        SELECT x.*, (x.placed_at AT TIME ZONE coalesce(z.time_zone, 'UTC'))::date AS day
        FROM unnest(d) AS x LEFT JOIN report_zones z ON z.tenant_id = x.tenant_id
    ), g AS (
        SELECT k.tenant_id, gr.grain,
               CASE gr.grain WHEN 'd' THEN k.day ELSE date_trunc('month', k.day)::date END AS period,
               k.partner_id, k.channel, k.currency,
               sum(k.sign) AS orders, sum(k.sign * k.subtotal) AS gross, sum(k.sign * k.discount) AS discounts,
               sum(k.sign * k.shipping) AS shipping, sum(k.sign * k.tax) AS tax,
               sum(k.sign * k.refunded) AS refunds, sum(k.sign * (k.total - k.refunded)) AS net
        FROM k CROSS JOIN (VALUES ('d'), ('m')) AS gr(grain)
        GROUP BY 1, 2, 3, 4, 5, 6
    ), by_partner AS (
        INSERT INTO sales_totals AS t
            (tenant_id, grain, partner_id, period, channel, currency, orders, gross, discounts, shipping, tax, refunds, net)
        SELECT tenant_id, grain, partner_id, period, channel, currency, orders, gross, discounts, shipping, tax,
               refunds, net
        FROM g ORDER BY tenant_id, grain, partner_id, period, channel, currency
        ON CONFLICT (tenant_id, grain, partner_id, period, channel, currency) DO UPDATE SET
            orders = t.orders + EXCLUDED.orders, gross = t.gross + EXCLUDED.gross,
            discounts = t.discounts + EXCLUDED.discounts, shipping = t.shipping + EXCLUDED.shipping,
            tax = t.tax + EXCLUDED.tax, refunds = t.refunds + EXCLUDED.refunds, net = t.net + EXCLUDED.net
    )
    INSERT INTO program_sales_totals AS t
        (tenant_id, grain, period, channel, currency, orders, gross, discounts, shipping, tax, refunds, net)
    SELECT tenant_id, grain, period, channel, currency, sum(orders), sum(gross), sum(discounts), sum(shipping),
           sum(tax), sum(refunds), sum(net)
    FROM g
    GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (tenant_id, grain, period, channel, currency) DO UPDATE SET
        orders = t.orders + EXCLUDED.orders, gross = t.gross + EXCLUDED.gross,
        discounts = t.discounts + EXCLUDED.discounts, shipping = t.shipping + EXCLUDED.shipping,
        tax = t.tax + EXCLUDED.tax, refunds = t.refunds + EXCLUDED.refunds, net = t.net + EXCLUDED.net;
$$;

-- An order counts once it is paid for (not awaiting payment, not cancelled); its refunds count
-- against the day it was placed.
CREATE FUNCTION sales_counts(status TEXT) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT status NOT IN ('pending_payment', 'cancelled')
$$;

CREATE FUNCTION sales_totals_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM sales_totals_add(ARRAY(
        SELECT ROW(n.tenant_id, n.placed_at, coalesce(n.partner_id, '00000000-0000-0000-0000-000000000000'),
                   n.channel, n.currency, 1, n.subtotal, n.discount, n.shipping, n.tax, n.amount_refunded,
                   n.total)::sales_delta
        FROM new_rows n WHERE sales_counts(n.status)));
    RETURN NULL;
END $$;

-- Only rows whose share changed move the totals (a payment or a version bump does not).
CREATE FUNCTION sales_totals_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM sales_totals_add(ARRAY(
        WITH ch AS (
            SELECT n.tenant_id AS nt, n.placed_at AS np, n.partner_id AS npa, n.channel AS nc, n.currency AS ncu,
                   sales_counts(n.status) AS ncount, n.subtotal AS ns, n.discount AS nd, n.shipping AS nsh,
                   n.tax AS ntx, n.amount_refunded AS nr, n.total AS ntot,
                   o.tenant_id AS ot, o.placed_at AS op, o.partner_id AS opa, o.channel AS oc, o.currency AS ocu,
                   sales_counts(o.status) AS ocount, o.subtotal AS os, o.discount AS od, o.shipping AS osh,
                   o.tax AS otx, o.amount_refunded AS orf, o.total AS otot
            FROM new_rows n JOIN old_rows o ON o.id = n.id
            WHERE (sales_counts(n.status), n.partner_id, n.amount_refunded, n.total, n.subtotal, n.discount,
                   n.shipping, n.tax, n.placed_at, n.channel, n.currency)
                IS DISTINCT FROM (sales_counts(o.status), o.partner_id, o.amount_refunded, o.total, o.subtotal,
                   o.discount, o.shipping, o.tax, o.placed_at, o.channel, o.currency)
        )
        SELECT ROW(nt, np, coalesce(npa, '00000000-0000-0000-0000-000000000000'), nc, ncu, 1, ns, nd, nsh, ntx,
                   nr, ntot)::sales_delta
        FROM ch WHERE ncount
        UNION ALL
        SELECT ROW(ot, op, coalesce(opa, '00000000-0000-0000-0000-000000000000'), oc, ocu, -1, os, od, osh, otx,
                   orf, otot)::sales_delta
        FROM ch WHERE ocount));
    RETURN NULL;
END $$;

CREATE TRIGGER sales_totals_insert AFTER INSERT ON orders
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_totals_on_insert();
CREATE TRIGGER sales_totals_update AFTER UPDATE ON orders
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_totals_on_update();

-- Rebuilds a program's totals from its orders (its time zone changed).
CREATE FUNCTION sales_totals_rebuild(tenant UUID) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM sales_totals WHERE tenant_id = tenant;
    DELETE FROM program_sales_totals WHERE tenant_id = tenant;
    PERFORM sales_totals_add(ARRAY(
        SELECT ROW(o.tenant_id, o.placed_at, coalesce(o.partner_id, '00000000-0000-0000-0000-000000000000'),
                   o.channel, o.currency, 1, o.subtotal, o.discount, o.shipping, o.tax, o.amount_refunded,
                   o.total)::sales_delta
        FROM orders o WHERE o.tenant_id = tenant AND sales_counts(o.status)));
END $$;

-- Orders placed before this migration.
INSERT INTO report_zones (tenant_id, time_zone) SELECT DISTINCT tenant_id, 'UTC' FROM orders;
SELECT sales_totals_rebuild(tenant_id) FROM report_zones;
