-- Passline schema, version 3: an idempotency key belongs to its caller and its request.
--
-- Version 1 keyed a result by (operation, key) alone, so one caller's key returned
-- another caller's result. Now the key is scoped to the caller (idempotency.py:
-- 'staff', 'public', 'handler' or 'customer:<order id>') and the request's digest is
-- kept, so that the same key for another request is refused.
--
-- Keys from before cannot be given back to their callers with certainty:
-- - the pipeline's operations were only ever the handler role's, so their keys move to
--   the 'handler' scope, and a delivery retried across the upgrade still changes
--   nothing. Their request was not fingerprinted (request is NULL): the key, made per
--   delivery, names it. The request the result carried inline goes.
-- - placeOrder's keys may be anyone's: kept, they would keep handing an order to a
--   caller who did not place it, so they are dropped. A client retrying across the
--   upgrade places a new order.

CREATE TABLE idempotency_keys_scoped (
    scope      TEXT NOT NULL,
    operation  TEXT NOT NULL,
    key        TEXT NOT NULL,
    request    TEXT,  -- sha256 of the request; NULL only for the keys kept above
    result     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (scope, operation, key)
) STRICT, WITHOUT ROWID;

INSERT INTO idempotency_keys_scoped (scope, operation, key, request, result, created_at)
SELECT 'handler', operation, key, NULL, json_remove(result, '$.request'), created_at
FROM idempotency_keys
WHERE operation <> 'placeOrder';

DROP TABLE idempotency_keys;
ALTER TABLE idempotency_keys_scoped RENAME TO idempotency_keys;

PRAGMA user_version = 3;
