-- X6: a partner paid in its own currency. Identity's payout method names the currency; orders'
-- exchange rates are copied from its `exchange_rates.updated` events; a payout keeps the rate of
-- its request's day and both amounts, and the ledger moves each currency through an FX account
-- per pair (`merchant:fx:EUR:PLN`), each entry within one currency.
ALTER TABLE partners ADD COLUMN payout_currency TEXT NOT NULL DEFAULT '';

CREATE TABLE exchange_rates (
    tenant_id      UUID NOT NULL,
    from_currency  TEXT NOT NULL,
    to_currency    TEXT NOT NULL,
    -- units of to_currency for one unit of from_currency
    rate           NUMERIC(20, 10) NOT NULL CHECK (rate > 0),
    valid_from     DATE NOT NULL,
    PRIMARY KEY (tenant_id, from_currency, to_currency, valid_from)
);

ALTER TABLE payouts ADD COLUMN payout_currency TEXT;
ALTER TABLE payouts ADD COLUMN payout_amount NUMERIC CHECK (payout_amount > 0);
ALTER TABLE payouts ADD COLUMN exchange_rate NUMERIC(20, 10);
ALTER TABLE payouts ADD CONSTRAINT payouts_converted_whole
    CHECK ((payout_currency IS NULL) = (payout_amount IS NULL) AND (payout_currency IS NULL) = (exchange_rate IS NULL));
