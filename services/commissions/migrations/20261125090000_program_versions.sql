-- LE6: every version of a program's settings, so an event is paid by the settings in force when
-- it happened (a lead won before a change of the reward earns the old reward), whenever it is
-- consumed.
CREATE TABLE program_versions (
    tenant_id   UUID NOT NULL,
    valid_from  TIMESTAMPTZ NOT NULL,
    settings    JSONB NOT NULL,
    PRIMARY KEY (tenant_id, valid_from)
);
INSERT INTO program_versions (tenant_id, valid_from, settings) SELECT tenant_id, updated_at, settings FROM programs;
