-- The event runner's queries. Delivery states and their meaning: backend/states.py.
-- A statement that writes deliveries.status says which moves it makes (`-- FROM -> TO`);
-- each must be a row of DELIVERY_TRANSITIONS there (tests/backend/test_delivery_transitions.py).

-- name: due_deliveries
-- Up to :limit deliveries of :handler that may start now: waiting and due, or leased
-- by a runner whose lease ran out. With :ordered, a delivery waits while an earlier
-- event of the same order has not yet succeeded with this handler (or been resolved:
-- a person settled that it will not run, so it no longer holds the later ones).
SELECT d.event_seq, d.handler, d.attempts, d.retry_base,
       e.seq, e.id, e.type, e.order_id, e.payload, e.created_at, e.causation_id
FROM deliveries d JOIN events e ON e.seq = d.event_seq
WHERE d.handler = :handler
  AND ((d.status IN ('PENDING', 'RETRYING') AND d.next_attempt_at <= :now)
       OR (d.status = 'RUNNING' AND d.lease_until <= :now))
  AND (:ordered = 0 OR e.order_id IS NULL OR NOT EXISTS (
         SELECT 1 FROM events pe JOIN deliveries p ON p.event_seq = pe.seq
         WHERE pe.order_id = e.order_id AND pe.seq < e.seq
           AND p.handler = d.handler AND p.status NOT IN ('SUCCEEDED', 'RESOLVED')))
ORDER BY d.next_attempt_at, d.event_seq
LIMIT :limit;

-- name: lease_delivery
-- PENDING | RETRYING | RUNNING -> RUNNING
-- (RUNNING once its lease has run out), only if it is still as the claim saw it (no
-- other attempt began since): a claim read from a stale snapshot changes nothing.
UPDATE deliveries
SET status = 'RUNNING', attempts = attempts + 1, lease_until = :lease_until
WHERE event_seq = :event_seq AND handler = :handler AND attempts = :attempt - 1
  AND (status IN ('PENDING', 'RETRYING') OR (status = 'RUNNING' AND lease_until <= :now));

-- name: finish_delivery
-- RUNNING -> SUCCEEDED | RETRYING | DEAD
-- by the attempt that holds it.
UPDATE deliveries
SET status = :status, next_attempt_at = :next_attempt_at, lease_until = NULL,
    last_error = :last_error
WHERE event_seq = :event_seq AND handler = :handler
  AND status = 'RUNNING' AND attempts = :attempt;

-- name: insert_invocation
INSERT INTO invocations (event_seq, handler, attempt, started_at, duration_ms, outcome,
                         error, traceback)
VALUES (:event_seq, :handler, :attempt, :started_at, :duration_ms, :outcome, :error,
        :traceback);

-- name: running_deliveries
SELECT d.event_seq, d.handler, d.attempts, d.retry_base
FROM deliveries d WHERE d.status = 'RUNNING';

-- name: get_delivery
SELECT event_seq, handler, status, attempts, retry_base, next_attempt_at, lease_until,
       last_error
FROM deliveries WHERE event_seq = :event_seq AND handler = :handler;

-- name: make_due
-- PENDING | RETRYING | SUCCEEDED | DEAD | RESOLVED -> PENDING
-- due now, with a fresh attempt budget; only from :sources (a JSON array: the statuses
-- the staff command's row of DELIVERY_TRANSITIONS moves from).
UPDATE deliveries
SET status = 'PENDING', next_attempt_at = :now, retry_base = attempts, lease_until = NULL
WHERE event_seq = :event_seq AND handler = :handler
  AND status IN (SELECT value FROM json_each(:sources));

-- name: dead_of_handler
SELECT event_seq FROM deliveries WHERE handler = :handler AND status = 'DEAD' ORDER BY event_seq;

-- name: resolve_delivery
-- DEAD -> RESOLVED
-- a person settled it; the reason is in the delivery_resolved event written with it.
UPDATE deliveries SET status = 'RESOLVED', lease_until = NULL
WHERE event_seq = :event_seq AND handler = :handler AND status = 'DEAD';

-- name: dead_matching
-- The DEAD deliveries a bulk command acts on, up to :limit; each filter optional (NULL
-- matches all), as the event log filters: :search is an FTS5 query over event_search.
SELECT d.event_seq, d.handler
FROM deliveries d JOIN events e ON e.seq = d.event_seq
WHERE d.status = 'DEAD'
  AND (:handler IS NULL OR d.handler = :handler)
  AND (:type IS NULL OR e.type = :type)
  AND (:order_id IS NULL OR e.order_id = :order_id)
  AND (:search IS NULL
       OR e.seq IN (SELECT rowid FROM event_search WHERE event_search MATCH :search))
ORDER BY d.event_seq, d.handler
LIMIT :limit;

-- name: count_dead_matching
SELECT count(*)
FROM deliveries d JOIN events e ON e.seq = d.event_seq
WHERE d.status = 'DEAD'
  AND (:handler IS NULL OR d.handler = :handler)
  AND (:type IS NULL OR e.type = :type)
  AND (:order_id IS NULL OR e.order_id = :order_id)
  AND (:search IS NULL
       OR e.seq IN (SELECT rowid FROM event_search WHERE event_search MATCH :search));

-- name: resolutions_of
-- The delivery_resolved events of the deliveries of events :seqs (a JSON array), oldest
-- first: the last one of a delivery is its resolution. events_by_type keeps the scan to
-- the resolutions.
SELECT json_extract(payload, '$.eventSeq') AS event_seq,
       json_extract(payload, '$.handler') AS handler, payload, created_at
FROM events
WHERE type = 'delivery_resolved'
  AND json_extract(payload, '$.eventSeq') IN (SELECT value FROM json_each(:seqs))
ORDER BY seq;

-- name: set_paused
INSERT INTO handler_state (name, paused) VALUES (:name, :paused)
ON CONFLICT (name) DO UPDATE SET paused = excluded.paused;

-- name: holding_delivery
SELECT pe.seq FROM events e
JOIN events pe ON pe.order_id = e.order_id AND pe.seq < e.seq
JOIN deliveries p ON p.event_seq = pe.seq AND p.handler = :handler
WHERE e.seq = :event_seq AND p.status NOT IN ('SUCCEEDED', 'RESOLVED')
ORDER BY pe.seq LIMIT 1;
