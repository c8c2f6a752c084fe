-- Requests counted per minute against their client and their program or token (issue 17, item 8):
-- what anyone can do without signing in is limited the same on every gateway replica.
CREATE TABLE rate_limits (
    key          TEXT        NOT NULL,
    window_start TIMESTAMPTZ NOT NULL,
    hits         INT         NOT NULL,
    PRIMARY KEY (key, window_start)
);

CREATE INDEX rate_limits_window_start ON rate_limits (window_start);
