-- C11: the ledger is append-only. The rules this replaces turned an UPDATE or DELETE into a
-- silent no-op that reported success; a trigger that raises turns such a bug into an error.
DROP RULE ledger_entries_no_update ON ledger_entries;
DROP RULE ledger_entries_no_delete ON ledger_entries;

CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_entries is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation',
              HINT = 'correct an entry with a new entry that reverses it';
END
$$;

CREATE TRIGGER ledger_entries_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_append_only();
