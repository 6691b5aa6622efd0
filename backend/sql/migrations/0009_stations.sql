-- Passline schema, version 9: kitchen stations. Each menu category is made at one
-- station (setCategoryStation); a category with no row has none, and its lines show on
-- the expo screen only. An order's line keeps the station it was sent to when the order
-- was placed, so a station's screen does not lose tickets it is cooking when staff move
-- a category to another station.

CREATE TABLE category_stations (
    category TEXT PRIMARY KEY,
    station TEXT NOT NULL CHECK (station IN ('GRILL', 'FRYER', 'PIZZA', 'COLD', 'BAR'))
) WITHOUT ROWID;

-- An existing restaurant's categories of the seed menu get the seed's stations; any other
-- category waits for staff to choose (Menu tab).
INSERT INTO category_stations (category, station)
SELECT DISTINCT category,
       CASE category
           WHEN 'Starters' THEN 'COLD'
           WHEN 'Pizza' THEN 'PIZZA'
           WHEN 'Mains' THEN 'GRILL'
           WHEN 'Sides' THEN 'FRYER'
           WHEN 'Desserts' THEN 'COLD'
           WHEN 'Drinks' THEN 'BAR'
       END
FROM menu_items
WHERE category IN ('Starters', 'Pizza', 'Mains', 'Sides', 'Desserts', 'Drinks');

ALTER TABLE order_items ADD COLUMN station TEXT
    CHECK (station IN ('GRILL', 'FRYER', 'PIZZA', 'COLD', 'BAR'));

-- The lines of orders placed before stations existed go where their item is made now.
UPDATE order_items
SET station = (
    SELECT cs.station
    FROM menu_items AS m JOIN category_stations AS cs ON cs.category = m.category
    WHERE m.id = order_items.menu_item_id
);

PRAGMA user_version = 9;
