-- Passline schema, version 1.
-- Times are ISO-8601 UTC text for people and the API; due times of deliveries are
-- unix seconds (REAL) because the runner compares them.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE menu_items (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    category    TEXT NOT NULL,
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    available   INTEGER NOT NULL DEFAULT 1 CHECK (available IN (0, 1)),
    stock       INTEGER CHECK (stock IS NULL OR stock >= 0),  -- NULL: not counted
    position    INTEGER NOT NULL
) STRICT;

CREATE TABLE orders (
    id           TEXT PRIMARY KEY,
    number       INTEGER NOT NULL UNIQUE,
    status       TEXT NOT NULL,
    channel      TEXT NOT NULL,
    fulfillment  TEXT NOT NULL,
    customer_name TEXT,
    phone        TEXT,
    address      TEXT,
    notes        TEXT,
    total_cents  INTEGER NOT NULL CHECK (total_cents >= 0),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;
CREATE INDEX orders_by_status ON orders (status, number);

CREATE TABLE order_items (
    order_id         TEXT NOT NULL REFERENCES orders (id),
    line             INTEGER NOT NULL,
    menu_item_id     TEXT NOT NULL REFERENCES menu_items (id),
    name             TEXT NOT NULL,
    quantity         INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    unit_price_cents INTEGER NOT NULL CHECK (unit_price_cents >= 0),
    notes            TEXT,
    PRIMARY KEY (order_id, line)
) STRICT, WITHOUT ROWID;

CREATE TABLE payments (
    id           TEXT PRIMARY KEY,
    order_id     TEXT NOT NULL UNIQUE REFERENCES orders (id),
    amount_cents INTEGER NOT NULL,
    method       TEXT NOT NULL,
    reference    TEXT,
    created_at   TEXT NOT NULL
) STRICT;

-- Append-only: rows are never updated or deleted.
CREATE TABLE events (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    type         TEXT NOT NULL,
    order_id     TEXT REFERENCES orders (id),
    payload      TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    causation_id TEXT
) STRICT;
CREATE INDEX events_by_order ON events (order_id, seq);
CREATE INDEX events_by_type ON events (type, seq);

-- One row per event x subscribed handler.
CREATE TABLE deliveries (
    event_seq       INTEGER NOT NULL REFERENCES events (seq),
    handler         TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'PENDING',
    attempts        INTEGER NOT NULL DEFAULT 0,  -- attempts ever made (numbers invocations)
    retry_base      INTEGER NOT NULL DEFAULT 0,  -- attempts before the last manual retry/replay
    next_attempt_at REAL NOT NULL,
    lease_until     REAL,
    last_error      TEXT,
    PRIMARY KEY (event_seq, handler)
) STRICT, WITHOUT ROWID;
CREATE INDEX deliveries_due ON deliveries (handler, status, next_attempt_at);

-- Deliveries per handler and status, kept by triggers so that the handler figures
-- never count the whole table.
CREATE TABLE delivery_counts (
    handler TEXT NOT NULL,
    status  TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (handler, status)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER delivery_counted AFTER INSERT ON deliveries BEGIN
    INSERT INTO delivery_counts (handler, status, n) VALUES (new.handler, new.status, 1)
    ON CONFLICT (handler, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER delivery_recounted AFTER UPDATE OF status ON deliveries
WHEN old.status != new.status BEGIN
    UPDATE delivery_counts SET n = n - 1 WHERE handler = old.handler AND status = old.status;
    INSERT INTO delivery_counts (handler, status, n) VALUES (new.handler, new.status, 1)
    ON CONFLICT (handler, status) DO UPDATE SET n = n + 1;
END;

-- One row per attempt; history is never rewritten.
CREATE TABLE invocations (
    id          INTEGER PRIMARY KEY,
    event_seq   INTEGER NOT NULL,
    handler     TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    started_at  TEXT NOT NULL,
    duration_ms REAL NOT NULL,
    outcome     TEXT NOT NULL,
    error       TEXT,
    traceback   TEXT,
    FOREIGN KEY (event_seq, handler) REFERENCES deliveries (event_seq, handler)
) STRICT;
CREATE INDEX invocations_by_delivery ON invocations (event_seq, handler, attempt);
CREATE INDEX invocations_by_handler ON invocations (handler, id);

CREATE TABLE idempotency_keys (
    operation  TEXT NOT NULL,
    key        TEXT NOT NULL,
    result     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (operation, key)
) STRICT, WITHOUT ROWID;

-- The event log's resumable cursor: a row when an event is appended or one of its
-- deliveries changes status.
CREATE TABLE event_log (
    cursor    INTEGER PRIMARY KEY,
    event_seq INTEGER NOT NULL REFERENCES events (seq)
) STRICT;

CREATE TABLE handler_state (
    name   TEXT PRIMARY KEY,
    paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1))
) STRICT;

PRAGMA application_id = 1346458451;  -- 0x50415353, "PASS"
PRAGMA user_version = 1;
