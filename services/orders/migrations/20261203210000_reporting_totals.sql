-- X6: the sales totals also add up in the program's reporting currency, each order through the
-- rate it kept from its placement (orders.exchange_rate); an order with no rate is counted as
-- unconverted instead. The functions of `sales_totals` and `report_zone_lock` are the same but
-- for the rate each share carries.
ALTER TYPE sales_delta ADD ATTRIBUTE rate NUMERIC;
ALTER TABLE sales_totals ADD COLUMN gross_reporting NUMERIC NOT NULL DEFAULT 0,
    ADD COLUMN net_reporting NUMERIC NOT NULL DEFAULT 0, ADD COLUMN unconverted BIGINT NOT NULL DEFAULT 0;
ALTER TABLE program_sales_totals ADD COLUMN gross_reporting NUMERIC NOT NULL DEFAULT 0,
    ADD COLUMN net_reporting NUMERIC NOT NULL DEFAULT 0, ADD COLUMN unconverted BIGINT NOT NULL DEFAULT 0;

CREATE OR REPLACE FUNCTION sales_totals_count(d sales_delta[]) RETURNS void LANGUAGE sql AS $$
    WITH k AS (
        SELECT x.*, (x.placed_at AT TIME ZONE coalesce(z.time_zone, 'UTC'))::date AS day
        FROM unnest(d) AS x LEFT JOIN report_zones z ON z.tenant_id = x.tenant_id
    ), g AS (
        SELECT k.tenant_id, gr.grain,
               CASE gr.grain WHEN 'd' THEN k.day ELSE date_trunc('month', k.day)::date END AS period,
               k.partner_id, k.channel, k.currency,
               sum(k.sign) AS orders, sum(k.sign * k.subtotal) AS gross, sum(k.sign * k.discount) AS discounts,
               sum(k.sign * k.shipping) AS shipping, sum(k.sign * k.tax) AS tax,
               sum(k.sign * k.refunded) AS refunds, sum(k.sign * (k.total - k.refunded)) AS net,
               coalesce(sum(k.sign * k.subtotal * k.rate), 0) AS gross_reporting,
               coalesce(sum(k.sign * (k.total - k.refunded) * k.rate), 0) AS net_reporting,
               coalesce(sum(k.sign) FILTER (WHERE k.rate IS NULL), 0) AS unconverted
        FROM k CROSS JOIN (VALUES ('d'), ('m')) AS gr(grain)
        GROUP BY 1, 2, 3, 4, 5, 6
    ), by_partner AS (
        INSERT INTO sales_totals AS t
            (tenant_id, grain, partner_id, period, channel, currency, orders, gross, discounts, shipping, tax, refunds, net,
             gross_reporting, net_reporting, unconverted)
        SELECT tenant_id, grain, partner_id, period, channel, currency, orders, gross, discounts, shipping, tax,
               refunds, net, gross_reporting, net_reporting, unconverted
        FROM g ORDER BY tenant_id, grain, partner_id, period, channel, currency
        ON CONFLICT (tenant_id, grain, partner_id, period, channel, currency) DO UPDATE SET
            orders = t.orders + EXCLUDED.orders, gross = t.gross + EXCLUDED.gross,
            discounts = t.discounts + EXCLUDED.discounts, shipping = t.shipping + EXCLUDED.shipping,
            tax = t.tax + EXCLUDED.tax, refunds = t.refunds + EXCLUDED.refunds, net = t.net + EXCLUDED.net,
            gross_reporting = t.gross_reporting + EXCLUDED.gross_reporting,
            net_reporting = t.net_reporting + EXCLUDED.net_reporting, unconverted = t.unconverted + EXCLUDED.unconverted
    )
    INSERT INTO program_sales_totals AS t
        (tenant_id, grain, period, channel, currency, orders, gross, discounts, shipping, tax, refunds, net,
         gross_reporting, net_reporting, unconverted)
    SELECT tenant_id, grain, period, channel, currency, sum(orders), sum(gross), sum(discounts), sum(shipping),
           sum(tax), sum(refunds), sum(net), sum(gross_reporting), sum(net_reporting), sum(unconverted)
    FROM g
    GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (tenant_id, grain, period, channel, currency) DO UPDATE SET
        orders = t.orders + EXCLUDED.orders, gross = t.gross + EXCLUDED.gross,
        discounts = t.discounts + EXCLUDED.discounts, shipping = t.shipping + EXCLUDED.shipping,
        tax = t.tax + EXCLUDED.tax, refunds = t.refunds + EXCLUDED.refunds, net = t.net + EXCLUDED.net,
        gross_reporting = t.gross_reporting + EXCLUDED.gross_reporting,
        net_reporting = t.net_reporting + EXCLUDED.net_reporting, unconverted = t.unconverted + EXCLUDED.unconverted;
$$;

CREATE OR REPLACE FUNCTION sales_totals_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM sales_totals_add(ARRAY(
        SELECT ROW(n.tenant_id, n.placed_at, coalesce(n.partner_id, '00000000-0000-0000-0000-000000000000'),
                   n.channel, n.currency, 1, n.subtotal, n.discount, n.shipping, n.tax, n.amount_refunded,
                   n.total, n.exchange_rate)::sales_delta
        FROM new_rows n WHERE sales_counts(n.status)));
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION sales_totals_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM sales_totals_add(ARRAY(
        WITH ch AS (
            SELECT n.tenant_id AS nt, n.placed_at AS np, n.partner_id AS npa, n.channel AS nc, n.currency AS ncu,
                   sales_counts(n.status) AS ncount, n.subtotal AS ns, n.discount AS nd, n.shipping AS nsh,
                   n.tax AS ntx, n.amount_refunded AS nr, n.total AS ntot, n.exchange_rate AS nrate,
                   o.tenant_id AS ot, o.placed_at AS op, o.partner_id AS opa, o.channel AS oc, o.currency AS ocu,
                   sales_counts(o.status) AS ocount, o.subtotal AS os, o.discount AS od, o.shipping AS osh,
                   o.tax AS otx, o.amount_refunded AS orf, o.total AS otot, o.exchange_rate AS orate
            FROM new_rows n JOIN old_rows o ON o.id = n.id
            WHERE (sales_counts(n.status), n.partner_id, n.amount_refunded, n.total, n.subtotal, n.discount,
                   n.shipping, n.tax, n.placed_at, n.channel, n.currency, n.exchange_rate)
                IS DISTINCT FROM (sales_counts(o.status), o.partner_id, o.amount_refunded, o.total, o.subtotal,
                   o.discount, o.shipping, o.tax, o.placed_at, o.channel, o.currency, o.exchange_rate)
        )
        SELECT ROW(nt, np, coalesce(npa, '00000000-0000-0000-0000-000000000000'), nc, ncu, 1, ns, nd, nsh, ntx,
                   nr, ntot, nrate)::sales_delta
        FROM ch WHERE ncount
        UNION ALL
        SELECT ROW(ot, op, coalesce(opa, '00000000-0000-0000-0000-000000000000'), oc, ocu, -1, os, od, osh, otx,
                   orf, otot, orate)::sales_delta
        FROM ch WHERE ocount));
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION sales_totals_rebuild(tenant UUID) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM sales_totals WHERE tenant_id = tenant;
    DELETE FROM program_sales_totals WHERE tenant_id = tenant;
    PERFORM sales_totals_add(ARRAY(
        SELECT ROW(o.tenant_id, o.placed_at, coalesce(o.partner_id, '00000000-0000-0000-0000-000000000000'),
                   o.channel, o.currency, 1, o.subtotal, o.discount, o.shipping, o.tax, o.amount_refunded,
                   o.total, o.exchange_rate)::sales_delta
        FROM orders o WHERE o.tenant_id = tenant AND sales_counts(o.status)));
END $$;

-- Orders placed before this migration have no rate: counted as unconverted from now on.
SELECT sales_totals_rebuild(tenant_id) FROM report_zones;
