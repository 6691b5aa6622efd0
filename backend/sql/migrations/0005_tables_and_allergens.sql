-- Passline schema, version 5: a DINE_IN order's table, and the allergens the guest
-- named for the whole order or for one line (JSON arrays of the API's Allergen names).
ALTER TABLE orders ADD COLUMN table_number INTEGER CHECK (table_number BETWEEN 1 AND 999);
ALTER TABLE orders ADD COLUMN allergens TEXT NOT NULL DEFAULT '[]';
ALTER TABLE order_items ADD COLUMN allergens TEXT NOT NULL DEFAULT '[]';
PRAGMA user_version = 5;
