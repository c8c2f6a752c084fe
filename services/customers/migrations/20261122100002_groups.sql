-- CU7: customer groups. A group assigned to a partner makes its customers that partner's.
CREATE TABLE customer_groups (
    id          UUID PRIMARY KEY,
    tenant_id   UUID NOT NULL,
    name        TEXT NOT NULL,
    partner_id  UUID,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX customer_groups_name ON customer_groups (tenant_id, lower(name));

ALTER TABLE customers ADD CONSTRAINT customers_group_fk FOREIGN KEY (group_id) REFERENCES customer_groups (id);
CREATE INDEX customers_group ON customers (tenant_id, group_id) WHERE group_id IS NOT NULL;
-- The merchant's approval queue.
CREATE INDEX customers_pending ON customers (tenant_id, id DESC) WHERE approval = 'pending_approval' AND deleted_at IS NULL;
