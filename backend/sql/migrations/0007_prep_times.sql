-- Passline schema, version 7: each menu item's prep time, and each order line's copy of
-- it taken when the order was placed (like its price), so that a ticket's target — its
-- longest line — does not move under the kitchen when the menu is edited mid-service.
-- Seconds, 1 s to 2 h (the API's bounds, backend/settings.py).

-- Items that exist already get their category's usual time; another category 10 min.
ALTER TABLE menu_items ADD COLUMN prep_seconds INTEGER NOT NULL DEFAULT 600
    CHECK (prep_seconds BETWEEN 1 AND 7200);
UPDATE menu_items SET prep_seconds = CASE category
    WHEN 'Starters' THEN 480
    WHEN 'Pizza' THEN 720
    WHEN 'Mains' THEN 900
    WHEN 'Sides' THEN 360
    WHEN 'Desserts' THEN 300
    WHEN 'Drinks' THEN 60
    ELSE 600
END;

-- The orders placed before: their items' times as they are now (the best there is).
ALTER TABLE order_items ADD COLUMN prep_seconds INTEGER NOT NULL DEFAULT 600
    CHECK (prep_seconds BETWEEN 1 AND 7200);
UPDATE order_items SET prep_seconds = coalesce(
    (SELECT prep_seconds FROM menu_items WHERE menu_items.id = order_items.menu_item_id), 600
);

PRAGMA user_version = 7;
