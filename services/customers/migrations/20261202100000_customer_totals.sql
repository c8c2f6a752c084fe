-- D1, D2: customers counted per day and month of their creation (in the program's time zone),
-- owner and status, per partner and for the whole program, so that "customers managed" and "new
-- customers per period" read a few rows, not every customer. They move in the statement that
-- changes the customers (a statement trigger over its transition tables); a deleted customer
-- leaves the counts.

-- The program's time zone, copied from identity's program events (D2; UTC until one arrives).
CREATE TABLE report_zones (
    tenant_id  UUID PRIMARY KEY,
    time_zone  TEXT NOT NULL
);

-- grain 'd': period is the day; 'm': the first day of the month. partner_id: the owner; the nil
-- uuid for customers of no partner.
CREATE TABLE customer_totals (
    tenant_id   UUID NOT NULL,
    grain       CHAR(1) NOT NULL CHECK (grain IN ('d', 'm')),
    partner_id  UUID NOT NULL,
    period      DATE NOT NULL,
    status      TEXT NOT NULL,
    customers   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, grain, partner_id, period, status)
);

-- Every partner's customers now (D3), from the index alone.
CREATE INDEX customer_totals_partner ON customer_totals (tenant_id, grain, partner_id, status) INCLUDE (customers);

CREATE TABLE program_customer_totals (
    tenant_id   UUID NOT NULL,
    grain       CHAR(1) NOT NULL CHECK (grain IN ('d', 'm')),
    period      DATE NOT NULL,
    status      TEXT NOT NULL,
    customers   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, grain, period, status)
);

CREATE TYPE customer_delta AS (
    tenant_id   UUID,
    created_at  TIMESTAMPTZ,
    partner_id  UUID,
    status      TEXT,
    sign        INT
);

-- Adds signed counts to both tables, keys in a fixed order so concurrent writers never deadlock.
CREATE FUNCTION customer_totals_add(d customer_delta[]) RETURNS void LANGUAGE sql AS $$
    WITH k AS (
        SELECT x.*, (x.created_at AT TIME ZONE coalesce(z.time_zone, 'UTC'))::date AS day
        FROM unnest(d) AS x LEFT JOIN report_zones z ON z.tenant_id = x.tenant_id
    ), g AS (
        SELECT k.tenant_id, gr.grain,
               CASE gr.grain WHEN 'd' THEN k.day ELSE date_trunc('month', k.day)::date END AS period,
               coalesce(k.partner_id, '00000000-0000-0000-0000-000000000000') AS partner_id, k.status,
               sum(k.sign) AS customers
        FROM k CROSS JOIN (VALUES ('d'), ('m')) AS gr(grain)
        GROUP BY 1, 2, 3, 4, 5
    ), by_partner AS (
        INSERT INTO customer_totals AS t (tenant_id, grain, partner_id, period, status, customers)
        SELECT tenant_id, grain, partner_id, period, status, customers
        FROM g ORDER BY tenant_id, grain, partner_id, period, status
        ON CONFLICT (tenant_id, grain, partner_id, period, status) DO UPDATE SET customers = t.customers + EXCLUDED.customers
    )
    INSERT INTO program_customer_totals AS t (tenant_id, grain, period, status, customers)
    SELECT tenant_id, grain, period, status, sum(customers) FROM g GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (tenant_id, grain, period, status) DO UPDATE SET customers = t.customers + EXCLUDED.customers;
$$;

CREATE FUNCTION customer_totals_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM customer_totals_add(ARRAY(
        SELECT ROW(n.tenant_id, n.created_at, n.owner_partner_id, n.status, 1)::customer_delta
        FROM new_rows n WHERE n.deleted_at IS NULL));
    RETURN NULL;
END $$;

-- Only rows whose count changed move the totals (a note's or a temperature's edit does not).
CREATE FUNCTION customer_totals_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM customer_totals_add(ARRAY(
        WITH ch AS (
            SELECT n.tenant_id, n.created_at AS nc, n.owner_partner_id AS np, n.status AS ns, n.deleted_at IS NULL AS nl,
                   o.created_at AS oc, o.owner_partner_id AS op, o.status AS os, o.deleted_at IS NULL AS ol
            FROM new_rows n JOIN old_rows o ON o.id = n.id
            WHERE (n.created_at, n.owner_partner_id, n.status, n.deleted_at IS NULL)
                IS DISTINCT FROM (o.created_at, o.owner_partner_id, o.status, o.deleted_at IS NULL)
        )
        SELECT ROW(tenant_id, nc, np, ns, 1)::customer_delta FROM ch WHERE nl
        UNION ALL
        SELECT ROW(tenant_id, oc, op, os, -1)::customer_delta FROM ch WHERE ol));
    RETURN NULL;
END $$;

CREATE TRIGGER customer_totals_insert AFTER INSERT ON customers
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_totals_on_insert();
CREATE TRIGGER customer_totals_update AFTER UPDATE ON customers
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_totals_on_update();

-- Rebuilds a program's counts from its customers (its time zone changed).
CREATE FUNCTION customer_totals_rebuild(tenant UUID) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM customer_totals WHERE tenant_id = tenant;
    DELETE FROM program_customer_totals WHERE tenant_id = tenant;
    PERFORM customer_totals_add(ARRAY(
        SELECT ROW(c.tenant_id, c.created_at, c.owner_partner_id, c.status, 1)::customer_delta
        FROM customers c WHERE c.tenant_id = tenant AND c.deleted_at IS NULL));
END $$;

-- Customers created before this migration.
INSERT INTO report_zones (tenant_id, time_zone) SELECT DISTINCT tenant_id, 'UTC' FROM customers;
SELECT customer_totals_rebuild(tenant_id) FROM report_zones;
