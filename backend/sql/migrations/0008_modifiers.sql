-- Passline schema, version 8: a menu item's modifier groups ("Cook": well done / medium,
-- "Extras": extra cheese +1.50, …) and the modifiers chosen for each order line.
--
-- A group asks for min_choices to max_choices of its modifiers: min 0 is optional,
-- min 1 max 1 is a required single choice. The chosen modifiers of a line are copied
-- (name and price) when the order is placed, so a later change to the menu does not
-- rewrite an order already taken; modifier_id keeps the link for validation.
-- Existing orders have no modifiers; backend/menu.py seeds the groups of the seed menu
-- into a database that has none yet (new or upgraded).

CREATE TABLE modifier_groups (
    id           TEXT PRIMARY KEY,
    menu_item_id TEXT NOT NULL REFERENCES menu_items (id),
    name         TEXT NOT NULL,
    min_choices  INTEGER NOT NULL CHECK (min_choices >= 0),
    max_choices  INTEGER NOT NULL CHECK (max_choices >= 1 AND max_choices >= min_choices),
    position     INTEGER NOT NULL
) STRICT;
CREATE INDEX modifier_groups_by_item ON modifier_groups (menu_item_id, position);

CREATE TABLE modifiers (
    id          TEXT PRIMARY KEY,
    group_id    TEXT NOT NULL REFERENCES modifier_groups (id),
    name        TEXT NOT NULL,
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    position    INTEGER NOT NULL
) STRICT;
CREATE INDEX modifiers_by_group ON modifiers (group_id, position);

-- One row per modifier chosen for an order line, in the menu's order.
CREATE TABLE order_item_modifiers (
    order_id    TEXT NOT NULL,
    line        INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    modifier_id TEXT NOT NULL,
    name        TEXT NOT NULL,
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    PRIMARY KEY (order_id, line, position),
    FOREIGN KEY (order_id, line) REFERENCES order_items (order_id, line)
) STRICT, WITHOUT ROWID;

PRAGMA user_version = 8;
