-- Orders (O1-O9, L9). Every row carries tenant_id and every query filters by it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- O1
CREATE TABLE products (
    id               UUID PRIMARY KEY,
    tenant_id        UUID NOT NULL,
    sku              TEXT NOT NULL,
    name             TEXT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    base_price       NUMERIC(20, 4) NOT NULL CHECK (base_price >= 0),
    currency         TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('physical', 'digital')),
    commission_rate  NUMERIC(5, 2) CHECK (commission_rate BETWEEN 0 AND 50),
    wholesale_price  NUMERIC(20, 4) CHECK (wholesale_price >= 0),
    category         TEXT NOT NULL DEFAULT '',
    active           BOOLEAN NOT NULL DEFAULT true,
    search           TEXT GENERATED ALWAYS AS (lower(sku || ' ' || name || ' ' || category)) STORED,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX products_sku ON products (tenant_id, lower(sku));
CREATE INDEX products_list ON products (tenant_id, lower(name), id);
CREATE INDEX products_search ON products USING gin (search gin_trgm_ops);

-- Checkout: what an order adds to its lines.
CREATE TABLE checkout_settings (
    tenant_id          UUID PRIMARY KEY,
    shipping_flat      NUMERIC(20, 4) NOT NULL DEFAULT 0,
    tax_rate           NUMERIC(5, 2) NOT NULL DEFAULT 0,
    payment_link_days  INT NOT NULL DEFAULT 14 CHECK (payment_link_days BETWEEN 1 AND 90),
    updated_at         TIMESTAMPTZ NOT NULL
);

-- Per-program order numbers, without gaps on rollback.
CREATE TABLE order_numbers (
    tenant_id  UUID PRIMARY KEY,
    last       BIGINT NOT NULL
);

-- L9, X2
CREATE TABLE coupons (
    id                UUID PRIMARY KEY,
    tenant_id         UUID NOT NULL,
    partner_id        UUID NOT NULL,
    code              TEXT NOT NULL,
    discount_percent  NUMERIC(5, 2) NOT NULL CHECK (discount_percent BETWEEN 0 AND 100),
    commission_rate   NUMERIC(5, 2) CHECK (commission_rate BETWEEN 0 AND 50),
    product_ids       UUID[] NOT NULL DEFAULT '{}',
    expires_at        TIMESTAMPTZ NOT NULL,
    max_uses          INT NOT NULL DEFAULT 0 CHECK (max_uses >= 0),
    uses              INT NOT NULL DEFAULT 0,
    active            BOOLEAN NOT NULL DEFAULT true,
    created_at        TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX coupons_code ON coupons (tenant_id, code);
CREATE INDEX coupons_partner ON coupons (tenant_id, partner_id);

-- O2
CREATE TABLE orders (
    id                      UUID PRIMARY KEY,
    tenant_id               UUID NOT NULL,
    number                  TEXT NOT NULL,
    seq                     BIGINT NOT NULL,
    customer_id             UUID,
    customer_name           TEXT NOT NULL,
    customer_email          TEXT NOT NULL DEFAULT '',
    customer_language       TEXT NOT NULL DEFAULT 'en',
    customer_owner_id       UUID,
    kind                    TEXT NOT NULL CHECK (kind IN ('standard', 'wholesale')),
    channel                 TEXT NOT NULL CHECK (channel IN ('storefront', 'quick_order', 'partner_assisted', 'api')),
    payment_method          TEXT NOT NULL
        CHECK (payment_method IN ('card', 'bank_transfer', 'paypal', 'cash_on_delivery', 'pay_later_link')),
    promotion_type          TEXT,
    status                  TEXT NOT NULL CHECK (status IN
        ('pending_payment', 'paid', 'confirmed', 'in_production', 'shipped', 'completed', 'cancelled')),
    currency                TEXT NOT NULL,
    subtotal                NUMERIC(20, 4) NOT NULL,
    discount                NUMERIC(20, 4) NOT NULL,
    shipping                NUMERIC(20, 4) NOT NULL,
    tax_rate                NUMERIC(5, 2) NOT NULL,
    tax                     NUMERIC(20, 4) NOT NULL,
    total                   NUMERIC(20, 4) NOT NULL CHECK (total = subtotal - discount + shipping + tax),
    amount_paid             NUMERIC(20, 4) NOT NULL DEFAULT 0,
    amount_refunded         NUMERIC(20, 4) NOT NULL DEFAULT 0 CHECK (amount_refunded <= amount_paid),
    placed_by_partner_id    UUID,
    coupon_id               UUID REFERENCES coupons (id),
    coupon_code             TEXT,
    coupon_partner_id       UUID,
    coupon_commission_rate  NUMERIC(5, 2),
    partner_id              UUID,
    external_id             TEXT,
    version                 INT NOT NULL,
    search                  TEXT GENERATED ALWAYS AS (lower(number || ' ' || customer_name)) STORED,
    placed_at               TIMESTAMPTZ NOT NULL,
    updated_at              TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX orders_number ON orders (tenant_id, seq);
CREATE UNIQUE INDEX orders_external ON orders (tenant_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX orders_placed ON orders (tenant_id, placed_at DESC, id DESC);
CREATE INDEX orders_partner ON orders (tenant_id, partner_id, placed_at DESC);
CREATE INDEX orders_placed_by ON orders (tenant_id, placed_by_partner_id, placed_at DESC);
CREATE INDEX orders_customer ON orders (tenant_id, customer_id, placed_at DESC);
CREATE INDEX orders_search ON orders USING gin (search gin_trgm_ops);

CREATE TABLE order_items (
    order_id           UUID NOT NULL REFERENCES orders (id),
    line               INT NOT NULL,
    tenant_id          UUID NOT NULL,
    product_id         UUID NOT NULL,
    sku                TEXT NOT NULL,
    name               TEXT NOT NULL,
    category           TEXT NOT NULL DEFAULT '',
    kind               TEXT NOT NULL CHECK (kind IN ('physical', 'digital')),
    quantity           INT NOT NULL CHECK (quantity > 0),
    unit_price         NUMERIC(20, 4) NOT NULL,
    line_total         NUMERIC(20, 4) NOT NULL,
    discount           NUMERIC(20, 4) NOT NULL,
    net                NUMERIC(20, 4) NOT NULL CHECK (net = line_total - discount),
    commission_rate    NUMERIC(5, 2),
    coupon_applies     BOOLEAN NOT NULL DEFAULT false,
    returned_quantity  INT NOT NULL DEFAULT 0 CHECK (returned_quantity BETWEEN 0 AND quantity),
    PRIMARY KEY (order_id, line)
);

-- O4: every move, with time and actor.
CREATE TABLE order_status_changes (
    id             BIGSERIAL PRIMARY KEY,
    tenant_id      UUID NOT NULL,
    order_id       UUID NOT NULL REFERENCES orders (id),
    from_status    TEXT,
    to_status      TEXT NOT NULL,
    actor_user_id  UUID,
    actor_kind     TEXT NOT NULL,
    version        INT NOT NULL,
    at             TIMESTAMPTZ NOT NULL
);
CREATE INDEX order_status_changes_order ON order_status_changes (tenant_id, order_id, id);

-- O5
CREATE TABLE order_notes (
    id              UUID PRIMARY KEY,
    tenant_id       UUID NOT NULL,
    order_id        UUID NOT NULL REFERENCES orders (id),
    visibility      TEXT NOT NULL CHECK (visibility IN ('internal', 'customer')),
    body            TEXT NOT NULL,
    author_user_id  UUID,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX order_notes_order ON order_notes (tenant_id, order_id, created_at);

-- O6
CREATE TABLE refunds (
    id                 UUID PRIMARY KEY,
    tenant_id          UUID NOT NULL,
    order_id           UUID NOT NULL REFERENCES orders (id),
    amount             NUMERIC(20, 4) NOT NULL CHECK (amount > 0),
    reason             TEXT NOT NULL DEFAULT '',
    items              JSONB NOT NULL DEFAULT '[]'::jsonb,
    physical_returned  BOOLEAN NOT NULL,
    actor_user_id      UUID,
    created_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX refunds_order ON refunds (tenant_id, order_id, created_at);

-- O3: one live payment link per order; only the token's hash is kept.
CREATE TABLE payment_links (
    order_id    UUID PRIMARY KEY REFERENCES orders (id),
    tenant_id   UUID NOT NULL,
    token_hash  BYTEA NOT NULL UNIQUE,
    expires_at  TIMESTAMPTZ NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

-- What payment providers reported; a provider's reference is recorded once.
CREATE TABLE payments (
    id          UUID PRIMARY KEY,
    tenant_id   UUID NOT NULL,
    order_id    UUID NOT NULL REFERENCES orders (id),
    provider    TEXT NOT NULL,
    reference   TEXT NOT NULL,
    amount      NUMERIC(20, 4) NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (provider, reference)
);
