-- Responses to creating POSTs, replayed when a client retries with the same Idempotency-Key.
-- `status` is NULL while the first request is still in progress.
CREATE TABLE idempotency (
    scope        TEXT        NOT NULL,
    key          TEXT        NOT NULL,
    request_hash TEXT        NOT NULL,
    status       INT,
    body         BYTEA,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE INDEX idempotency_created_at ON idempotency (created_at);
