-- Passline schema, version 2: what the order pipeline's handlers keep.

-- The restaurant's drivers; assign_driver picks the least busy active one.
CREATE TABLE drivers (
    id     TEXT PRIMARY KEY,
    name   TEXT NOT NULL,
    phone  TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
) STRICT;

-- One driver per delivery order, kept after delivery as the driver's history.
CREATE TABLE driver_assignments (
    order_id    TEXT PRIMARY KEY REFERENCES orders (id),
    driver_id   TEXT NOT NULL REFERENCES drivers (id),
    assigned_at TEXT NOT NULL
) STRICT;
CREATE INDEX driver_assignments_by_driver ON driver_assignments (driver_id);

-- Stock taken by a paid order: one row per order line, so at most once per line.
-- taken is what came off menu_items.stock (0 for an item whose stock is not counted).
CREATE TABLE stock_movements (
    order_id     TEXT NOT NULL REFERENCES orders (id),
    line         INTEGER NOT NULL,
    menu_item_id TEXT NOT NULL REFERENCES menu_items (id),
    taken        INTEGER NOT NULL CHECK (taken >= 0),
    created_at   TEXT NOT NULL,
    PRIMARY KEY (order_id, line)
) STRICT, WITHOUT ROWID;

-- Loyalty points per phone number (normalised: digits, with a leading + if given).
CREATE TABLE loyalty_accounts (
    phone      TEXT PRIMARY KEY,
    points     INTEGER NOT NULL CHECK (points >= 0),
    updated_at TEXT NOT NULL
) STRICT;

-- The points an order earned: at most one award per order.
CREATE TABLE loyalty_awards (
    order_id   TEXT PRIMARY KEY REFERENCES orders (id),
    phone      TEXT NOT NULL REFERENCES loyalty_accounts (phone),
    points     INTEGER NOT NULL CHECK (points >= 0),
    awarded_at TEXT NOT NULL
) STRICT;

INSERT INTO drivers (id, name, phone) VALUES
    ('driver-amara', 'Amara Okafor', '+44 7700 900101'),
    ('driver-bruno', 'Bruno Costa', '+44 7700 900102'),
    ('driver-chen', 'Chen Wei', '+44 7700 900103');

PRAGMA user_version = 2;
