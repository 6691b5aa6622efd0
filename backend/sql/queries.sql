-- Named queries, loaded once by backend/sql_blocks.py. A block runs from its
-- "-- name:" line to the next one.

-- name: get_meta
SELECT value FROM meta WHERE key = :key;

-- name: put_meta
INSERT INTO meta (key, value) VALUES (:key, :value)
ON CONFLICT (key) DO UPDATE SET value = excluded.value;

-- name: count_menu_items
SELECT count(*) FROM menu_items;

-- name: insert_menu_item
INSERT INTO menu_items (id, name, category, price_cents, available, stock, prep_seconds,
                        position)
VALUES (:id, :name, :category, :price_cents, :available, :stock, :prep_seconds, :position);

-- name: list_menu
SELECT m.id, m.name, m.category, m.price_cents, m.available, m.stock, m.prep_seconds, cs.station
FROM menu_items AS m LEFT JOIN category_stations AS cs ON cs.category = m.category
ORDER BY m.position;

-- name: menu_items_by_ids
-- :ids is a JSON array of ids.
SELECT m.id, m.name, m.category, m.price_cents, m.available, m.stock, m.prep_seconds, cs.station
FROM menu_items AS m LEFT JOIN category_stations AS cs ON cs.category = m.category
WHERE m.id IN (SELECT value FROM json_each(:ids));

-- name: get_menu_item
SELECT m.id, m.name, m.category, m.price_cents, m.available, m.stock, m.prep_seconds, cs.station
FROM menu_items AS m LEFT JOIN category_stations AS cs ON cs.category = m.category
WHERE m.id = :id;

-- name: menu_items_of_category
SELECT m.id, m.name, m.category, m.price_cents, m.available, m.stock, m.prep_seconds, cs.station
FROM menu_items AS m LEFT JOIN category_stations AS cs ON cs.category = m.category
WHERE m.category = :category
ORDER BY m.position;

-- name: put_category_station
INSERT INTO category_stations (category, station) VALUES (:category, :station)
ON CONFLICT (category) DO UPDATE SET station = excluded.station;

-- name: delete_category_station
DELETE FROM category_stations WHERE category = :category;

-- name: set_menu_item_available
UPDATE menu_items SET available = :available WHERE id = :id;

-- name: set_menu_item_prep
UPDATE menu_items SET prep_seconds = :prep_seconds WHERE id = :id;
-- name: count_modifier_groups
SELECT count(*) FROM modifier_groups;

-- name: insert_modifier_group
INSERT INTO modifier_groups (id, menu_item_id, name, min_choices, max_choices, position)
VALUES (:id, :menu_item_id, :name, :min_choices, :max_choices, :position);

-- name: insert_modifier
INSERT INTO modifiers (id, group_id, name, price_cents, position)
VALUES (:id, :group_id, :name, :price_cents, :position);

-- name: modifiers_of_items
-- :ids is a JSON array of menu item ids, or NULL for every item. One row per modifier,
-- with its group's columns, in menu order; a group without modifiers is never seeded.
SELECT g.menu_item_id, g.id AS group_id, g.name AS group_name, g.min_choices,
       g.max_choices, m.id, m.name, m.price_cents
FROM modifier_groups g JOIN modifiers m ON m.group_id = g.id
WHERE :ids IS NULL OR g.menu_item_id IN (SELECT value FROM json_each(:ids))
ORDER BY g.menu_item_id, g.position, m.position;

-- name: next_order_number
SELECT coalesce(max(number), 0) + 1 FROM orders;

-- name: insert_order
INSERT INTO orders (id, number, status, channel, fulfillment, customer_name, phone,
                    address, notes, table_number, allergens, total_cents, created_at,
                    updated_at)
VALUES (:id, :number, :status, :channel, :fulfillment, :customer_name, :phone,
        :address, :notes, :table_number, :allergens, :total_cents, :created_at,
        :updated_at);

-- name: insert_order_item
INSERT INTO order_items (order_id, line, menu_item_id, name, quantity, unit_price_cents, notes,
                         allergens, prep_seconds, station)
VALUES (:order_id, :line, :menu_item_id, :name, :quantity, :unit_price_cents, :notes,
        :allergens, :prep_seconds, :station);

-- name: insert_order_item_modifier
INSERT INTO order_item_modifiers (order_id, line, position, modifier_id, name, price_cents)
VALUES (:order_id, :line, :position, :modifier_id, :name, :price_cents);

-- name: modifiers_of_orders
-- :order_ids is a JSON array of ids.
SELECT order_id, line, modifier_id, name, price_cents
FROM order_item_modifiers WHERE order_id IN (SELECT value FROM json_each(:order_ids))
ORDER BY order_id, line, position;

-- name: get_order
SELECT id, number, status, channel, fulfillment, customer_name, phone, address, notes,
       table_number, allergens, total_cents, created_at, updated_at
FROM orders WHERE id = :id;

-- name: list_orders
-- :statuses is a JSON array, or NULL for all; :after_number pages forward.
SELECT id, number, status, channel, fulfillment, customer_name, phone, address, notes,
       table_number, allergens, total_cents, created_at, updated_at
FROM orders
WHERE (:statuses IS NULL OR status IN (SELECT value FROM json_each(:statuses)))
  AND number > :after_number
ORDER BY number
LIMIT :limit;

-- name: items_of_order
SELECT order_id, line, menu_item_id, name, quantity, unit_price_cents, notes, allergens, done,
       prep_seconds, station
FROM order_items WHERE order_id = :order_id ORDER BY line;

-- name: items_of_orders
-- :order_ids is a JSON array of ids.
SELECT order_id, line, menu_item_id, name, quantity, unit_price_cents, notes, allergens, done,
       prep_seconds, station
FROM order_items WHERE order_id IN (SELECT value FROM json_each(:order_ids))
ORDER BY order_id, line;

-- name: set_item_done
UPDATE order_items SET done = :done WHERE order_id = :order_id AND line = :line;

-- name: set_station_done
UPDATE order_items SET done = :done WHERE order_id = :order_id AND station = :station;

-- name: update_order_status
UPDATE orders SET status = :status, updated_at = :updated_at WHERE id = :id;

-- name: insert_event
INSERT INTO events (id, type, order_id, payload, created_at, causation_id)
VALUES (:id, :type, :order_id, :payload, :created_at, :causation_id)
RETURNING seq;

-- name: insert_delivery
-- none -> PENDING
INSERT INTO deliveries (event_seq, handler, status, attempts, next_attempt_at)
VALUES (:event_seq, :handler, 'PENDING', 0, :next_attempt_at);

-- name: append_event_log
INSERT INTO event_log (event_seq) VALUES (:event_seq) RETURNING cursor;

-- name: get_idempotent_result
SELECT request, result FROM idempotency_keys
WHERE scope = :scope AND operation = :operation AND key = :key;

-- name: put_idempotent_result
INSERT INTO idempotency_keys (scope, operation, key, request, result, created_at)
VALUES (:scope, :operation, :key, :request, :result, :created_at);

-- name: last_event_seq
SELECT coalesce(max(seq), 0) FROM events;

-- name: last_log_cursor
SELECT coalesce(max(cursor), 0) FROM event_log;

-- name: events_after
-- Every filter is optional (NULL matches all).
SELECT seq, id, type, order_id, payload, created_at, causation_id
FROM events e
WHERE seq > :after_seq
  AND (:type IS NULL OR type = :type)
  AND (:order_id IS NULL OR order_id = :order_id)
  AND (:handler IS NULL AND :delivery_status IS NULL
       OR EXISTS (SELECT 1 FROM deliveries d
                  WHERE d.event_seq = e.seq
                    AND (:handler IS NULL OR d.handler = :handler)
                    AND (:delivery_status IS NULL OR d.status = :delivery_status)))
ORDER BY seq
LIMIT :limit;

-- name: events_before
-- Like events_after, newest first, below :before_seq (a page further back in time).
SELECT seq, id, type, order_id, payload, created_at, causation_id
FROM events e
WHERE seq < :before_seq AND seq > :after_seq
  AND (:type IS NULL OR type = :type)
  AND (:order_id IS NULL OR order_id = :order_id)
  AND (:handler IS NULL AND :delivery_status IS NULL
       OR EXISTS (SELECT 1 FROM deliveries d
                  WHERE d.event_seq = e.seq
                    AND (:handler IS NULL OR d.handler = :handler)
                    AND (:delivery_status IS NULL OR d.status = :delivery_status)))
ORDER BY seq DESC
LIMIT :limit;

-- name: search_events_after
-- events_after among the events whose search row matches :search (an FTS5 query).
-- The index walks its rowids (= seqs) in order, so the LIMIT stops it early.
SELECT e.seq, e.id, e.type, e.order_id, e.payload, e.created_at, e.causation_id
FROM event_search s JOIN events e ON e.seq = s.rowid
WHERE event_search MATCH :search AND s.rowid > :after_seq
  AND (:type IS NULL OR e.type = :type)
  AND (:order_id IS NULL OR e.order_id = :order_id)
  AND (:handler IS NULL AND :delivery_status IS NULL
       OR EXISTS (SELECT 1 FROM deliveries d
                  WHERE d.event_seq = e.seq
                    AND (:handler IS NULL OR d.handler = :handler)
                    AND (:delivery_status IS NULL OR d.status = :delivery_status)))
ORDER BY s.rowid
LIMIT :limit;

-- name: search_events_before
-- Like search_events_after, newest first, below :before_seq.
SELECT e.seq, e.id, e.type, e.order_id, e.payload, e.created_at, e.causation_id
FROM event_search s JOIN events e ON e.seq = s.rowid
WHERE event_search MATCH :search AND s.rowid < :before_seq AND s.rowid > :after_seq
  AND (:type IS NULL OR e.type = :type)
  AND (:order_id IS NULL OR e.order_id = :order_id)
  AND (:handler IS NULL AND :delivery_status IS NULL
       OR EXISTS (SELECT 1 FROM deliveries d
                  WHERE d.event_seq = e.seq
                    AND (:handler IS NULL OR d.handler = :handler)
                    AND (:delivery_status IS NULL OR d.status = :delivery_status)))
ORDER BY s.rowid DESC
LIMIT :limit;

-- name: index_event
-- A new event's search row (migration 0004 says what goes in it; its backfill builds
-- the same text): :handlers are the names of the handlers it was fanned out to.
INSERT INTO event_search (rowid, body, number, deliveries)
VALUES (:seq,
        :type || ' ' || coalesce((SELECT group_concat(atom, ' ') FROM json_tree(:payload)
                                  WHERE atom IS NOT NULL), ''),
        coalesce((SELECT number FROM orders WHERE id = :order_id), ''),
        :handlers);

-- name: index_delivery
-- A delivery added after its event was written (a replay to a newer handler).
UPDATE event_search SET deliveries = deliveries || ' ' || :handler WHERE rowid = :event_seq;

-- name: events_per_minute
-- :since is an ISO minute ('2026-12-06T03:36'): times are ISO text, so a prefix of
-- 16 characters is their minute and compares in time order.
SELECT substr(created_at, 1, 16) AS minute, count(*) AS n FROM events
WHERE created_at >= :since GROUP BY minute;

-- name: failures_per_minute
SELECT substr(started_at, 1, 16) AS minute, count(*) AS n FROM invocations
WHERE started_at >= :since AND outcome IN ('FAILED', 'TIMED_OUT', 'LOST')
GROUP BY minute;

-- name: invocation_counts
SELECT handler, outcome, n FROM invocation_counts;

-- name: events_page_after
SELECT seq, id, type, order_id, payload, created_at, causation_id
FROM events WHERE seq > :after_seq
ORDER BY seq LIMIT :limit;

-- name: events_of_order
SELECT seq, id, type, order_id, payload, created_at, causation_id
FROM events WHERE order_id = :order_id ORDER BY seq;

-- name: order_events_after
-- One order's next page after a seq (events_by_order), for a reader of that order.
SELECT seq, id, type, order_id, payload, created_at, causation_id
FROM events WHERE order_id = :order_id AND seq > :after_seq
ORDER BY seq LIMIT :limit;

-- name: last_seq_of_order
SELECT coalesce(max(seq), 0) FROM events WHERE order_id = :order_id;

-- name: reason_of_order
-- The reason its latest event of this type gave (events_by_order finds it).
SELECT json_extract(payload, '$.reason') FROM events
WHERE order_id = :order_id AND type = :event_type
ORDER BY seq DESC LIMIT 1;

-- name: order_had_event
-- Whether the order ever had an event of this type (events_by_order finds it).
SELECT EXISTS (SELECT 1 FROM events WHERE order_id = :order_id AND type = :event_type);

-- name: get_event
SELECT seq, id, type, order_id, payload, created_at, causation_id
FROM events WHERE seq = :seq;

-- name: event_log_after
SELECT l.cursor, e.seq, e.id, e.type, e.order_id, e.payload, e.created_at, e.causation_id
FROM event_log l JOIN events e ON e.seq = l.event_seq
WHERE l.cursor > :after_cursor
ORDER BY l.cursor
LIMIT :limit;

-- name: deliveries_of_events
-- :seqs is a JSON array of event seqs.
SELECT event_seq, handler, status, attempts, next_attempt_at, lease_until, last_error
FROM deliveries WHERE event_seq IN (SELECT value FROM json_each(:seqs))
ORDER BY event_seq, handler;

-- name: invocations_of_deliveries
-- :seqs is a JSON array of event seqs.
SELECT event_seq, handler, attempt, started_at, duration_ms, outcome, error, traceback
FROM invocations WHERE event_seq IN (SELECT value FROM json_each(:seqs))
ORDER BY event_seq, handler, attempt, id;

-- name: delivery_counts
SELECT handler, status, n FROM delivery_counts;

-- name: oldest_due
-- The earliest due time of a delivery of :handler still waiting to run.
SELECT min(next_attempt_at) FROM deliveries
WHERE handler = :handler AND status IN ('PENDING', 'RETRYING');

-- name: recent_durations
-- Attempt durations of :handler among its latest :limit attempts.
SELECT duration_ms FROM invocations WHERE handler = :handler ORDER BY id DESC LIMIT :limit;

-- name: last_error
SELECT error FROM invocations
WHERE handler = :handler AND error IS NOT NULL ORDER BY id DESC LIMIT 1;

-- name: paused_handlers
SELECT name FROM handler_state WHERE paused = 1;

-- name: pickup_board
-- The orders a pickup screen shows: paid and not yet collected, collected at the counter
-- (takeaway: not delivery, not dine-in), as pickup.state_of says.
SELECT number, status FROM orders
WHERE status IN ('PAID', 'IN_KITCHEN', 'READY') AND fulfillment = 'TAKEAWAY'
ORDER BY number;

-- name: ticket_times
-- The orders made ready since :since (ISO UTC, as events.created_at is written): each
-- one's time from its first payment to its last ready (a recalled order counts once,
-- to when it was last bumped). Seconds, from SQLite's julian days.
WITH ready AS (
    SELECT order_id, max(created_at) AS at FROM events
    WHERE type = 'order_ready' AND created_at >= :since
    GROUP BY order_id
), paid AS (
    SELECT events.order_id, min(events.created_at) AS at
    FROM events JOIN ready ON ready.order_id = events.order_id
    WHERE events.type = 'order_paid'
    GROUP BY events.order_id
)
SELECT count(*) AS count,
       avg((julianday(ready.at) - julianday(paid.at)) * 86400.0) AS average_seconds
FROM ready JOIN paid ON paid.order_id = ready.order_id;
