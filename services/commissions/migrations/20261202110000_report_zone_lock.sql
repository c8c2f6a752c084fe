-- D2: a change of the program's zone and a write's totals take turns per program. Without
-- this, a write whose transaction was still open while the zone changed kept its totals in the
-- old zone (its rows were not yet visible to the rebuild), and the rebuild could count it again.
-- Writers share the lock (they never wait for one another); `platform::reports::set_zone` takes
-- it alone, before it reads the zone, so it waits for open writers and they wait for it.
CREATE FUNCTION report_zone_lock(tenant UUID, exclusive BOOLEAN) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- 0x7a6f6e65 ("zone"): the class of this lock, apart from the service's other advisory locks.
    IF exclusive THEN
        PERFORM pg_advisory_xact_lock(2053926501, hashtext(tenant::text));
    ELSE
        PERFORM pg_advisory_xact_lock_shared(2053926501, hashtext(tenant::text));
    END IF;
END $$;

-- The counting stays as it was; what the triggers and the rebuild call now takes the lock first,
-- in a statement of its own, so that the counting reads the zone after the lock is granted.
ALTER FUNCTION ledger_totals_add(ledger_delta[]) RENAME TO ledger_totals_count;
CREATE FUNCTION ledger_totals_add(d ledger_delta[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM report_zone_lock(x.tenant_id, false) FROM (SELECT DISTINCT tenant_id FROM unnest(d) ORDER BY 1) x;
    PERFORM ledger_totals_count(d);
END $$;
