-- The web's pages read the same few things on every visit, whatever the size of the store:
-- * the request list, newest first, a page at a time, optionally by state;
CREATE INDEX requests_created ON requests(created_at, tracking_code);
CREATE INDEX requests_state_created ON requests(state, created_at, tracking_code);
-- * the inbox, oldest wait first, per waiting role;
DROP INDEX requests_wait_role;
CREATE INDEX requests_wait ON requests(wait_role, state_since, tracking_code);
-- * the overview: how many requests per state (kept by triggers in the transaction that changes
--   them), each leader's open load, and the overdue ones (ranges of (state, state_since) read
--   from the index alone).
CREATE INDEX requests_open_assignee ON requests(assignee)
    WHERE assignee IS NOT NULL AND state NOT IN ('recibida', 'rechazada', 'desistida');
CREATE INDEX requests_state_wait ON requests(state, state_since, wait_role, wait_user);
CREATE TABLE request_state_counts (
    state TEXT PRIMARY KEY,
    n     INTEGER NOT NULL
);
INSERT INTO request_state_counts (state, n) SELECT state, COUNT(*) FROM requests GROUP BY state;
CREATE TRIGGER requests_count_insert AFTER INSERT ON requests BEGIN
    INSERT INTO request_state_counts (state, n) VALUES (NEW.state, 1)
        ON CONFLICT(state) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER requests_count_state AFTER UPDATE OF state ON requests WHEN OLD.state <> NEW.state BEGIN
    UPDATE request_state_counts SET n = n - 1 WHERE state = OLD.state;
    INSERT INTO request_state_counts (state, n) VALUES (NEW.state, 1)
        ON CONFLICT(state) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER requests_count_delete AFTER DELETE ON requests BEGIN
    UPDATE request_state_counts SET n = n - 1 WHERE state = OLD.state;
END;
