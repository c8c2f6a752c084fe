-- The partner attribution decided (order.attributed); until then, the provisional one.
ALTER TABLE orders ADD COLUMN attribution_version INT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN attribution_reason TEXT;
