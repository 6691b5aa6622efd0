-- Passline schema, version 4: the event log's search over the whole history, and the
-- handlers' figures for the day and for their lifetime.

-- One row per event (rowid = events.seq), so that a search pages by seq inside the
-- index (FTS5 walks its rowids in order and stops at the page's LIMIT) instead of
-- sorting every match. body: the type and the payload's values (not its keys, which
-- every event shares); number: its order's number, so that a search for 42 is not
-- every quantity of 42; deliveries: its handlers' names and their attempts' errors. outbox.emit writes a new event's row in the event's own unit
-- (events.index_event); the trigger below appends an attempt's error.
CREATE VIRTUAL TABLE event_search USING fts5 (
    body,
    number,
    deliveries,
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO event_search (rowid, body, number, deliveries)
SELECT e.seq,
       e.type || ' ' || coalesce((SELECT group_concat(atom, ' ') FROM json_tree(e.payload)
                                  WHERE atom IS NOT NULL), ''),
       coalesce(o.number, ''),
       coalesce((SELECT group_concat(d.handler, ' ') FROM deliveries d
                 WHERE d.event_seq = e.seq), '')
           || coalesce((SELECT ' ' || group_concat(i.handler || ': ' || i.error, ' ')
                        FROM invocations i
                        WHERE i.event_seq = e.seq AND i.error IS NOT NULL), '')
FROM events e LEFT JOIN orders o ON o.id = e.order_id;

CREATE TRIGGER invocation_error_searchable AFTER INSERT ON invocations
WHEN new.error IS NOT NULL BEGIN
    UPDATE event_search SET deliveries = deliveries || ' ' || new.handler || ': ' || new.error
    WHERE rowid = new.event_seq;
END;

-- Attempts per handler and outcome since the first, kept by a trigger so that the
-- lifetime totals never count a year of invocations.
CREATE TABLE invocation_counts (
    handler TEXT NOT NULL,
    outcome TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (handler, outcome)
) STRICT, WITHOUT ROWID;

INSERT INTO invocation_counts (handler, outcome, n)
SELECT handler, outcome, count(*) FROM invocations GROUP BY handler, outcome;

CREATE TRIGGER invocation_counted AFTER INSERT ON invocations BEGIN
    INSERT INTO invocation_counts (handler, outcome, n) VALUES (new.handler, new.outcome, 1)
    ON CONFLICT (handler, outcome) DO UPDATE SET n = n + 1;
END;

-- The per-minute figures read a day of events and attempts by time.
CREATE INDEX events_by_time ON events (created_at);
CREATE INDEX invocations_by_time ON invocations (started_at);

PRAGMA user_version = 4;
