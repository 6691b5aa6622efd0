-- Passline schema, version 6: the kitchen strikes a ticket's line through as done
-- (markItemDone / markItemNotDone), kept per order line so every terminal and the
-- all-day counts agree. 0 = still to make, 1 = done.

ALTER TABLE order_items ADD COLUMN done INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1));

PRAGMA user_version = 6;
