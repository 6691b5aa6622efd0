-- Passline schema, version 10: a handler's last error is found at once.
--
-- handlerStats asks each handler for its latest failed attempt; by invocations_by_handler
-- that meant walking back through every attempt of a handler that never failed (24 ms at
-- 100,000 attempts, asked twice a second by every dashboard). The failed attempts have
-- an index of their own.

CREATE INDEX invocations_errors ON invocations (handler, id) WHERE error IS NOT NULL;

PRAGMA user_version = 10;
