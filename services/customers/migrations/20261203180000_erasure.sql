-- X7: a customer's personal data erased on request. The row stays (orders and the ledger name
-- it), anonymised; `erasures` says who asked and when, and outlives the data.
ALTER TABLE customers ADD COLUMN erased_at TIMESTAMPTZ;

CREATE TABLE erasures (
    tenant_id      UUID NOT NULL,
    customer_id    UUID NOT NULL REFERENCES customers (id),
    actor_user_id  UUID NOT NULL,
    erased_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, customer_id)
);
