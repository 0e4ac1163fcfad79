-- Call records (stream 'llamadas') leave audit_log for a compact table: each record's fields,
-- repeated texts as numbers into a dictionary, ids as bytes; the exact chained line is rebuilt
-- from them on read (see src/calls.rs) and kept verbatim only when it could not be. The rows
-- already in audit_log are moved by the store when it opens (same transaction per batch).

-- Every text a call record repeats (node, client address, system, service, grant, request
-- code, operation, method, refusal, …), once. Never changed, never removed.
CREATE TABLE call_terms (
    id   INTEGER PRIMARY KEY,
    term TEXT NOT NULL UNIQUE
);

CREATE TABLE call_log (
    id                INTEGER PRIMARY KEY,
    node              INTEGER NOT NULL REFERENCES call_terms(id),
    seq               INTEGER NOT NULL,
    ts_ms             INTEGER NOT NULL,
    -- The previous record's hash (32 bytes); NULL when `raw` holds the line.
    prev              BLOB,
    -- The gateway's request id as 16 bytes, or as text when it is not 32 lowercase hex digits.
    rid               BLOB,
    rid_text          TEXT,
    client_request_id TEXT,
    client_ip         INTEGER,
    system            INTEGER,
    system_code       INTEGER,
    credential        INTEGER,
    service           INTEGER,
    operation         INTEGER,
    grant_id          INTEGER,
    request_code      INTEGER,
    method            INTEGER,
    path              TEXT,
    status            INTEGER NOT NULL,
    latency_us        INTEGER,
    bytes_in          INTEGER,
    bytes_out         INTEGER,
    upstream_status   INTEGER,
    refusal           INTEGER,
    sandbox           INTEGER,
    aggregated        INTEGER,
    part              INTEGER,
    cut               INTEGER,
    -- The exact line, only when the fields above would not rebuild it byte for byte.
    raw               TEXT,
    UNIQUE (node, seq)
);
CREATE INDEX call_log_ts ON call_log(ts_ms);
CREATE INDEX call_log_system_ts ON call_log(system, ts_ms) WHERE system IS NOT NULL;
CREATE INDEX call_log_service_ts ON call_log(service, ts_ms) WHERE service IS NOT NULL;
CREATE INDEX call_log_rid ON call_log(rid) WHERE rid IS NOT NULL;
CREATE INDEX call_log_rid_text ON call_log(rid_text) WHERE rid_text IS NOT NULL;
CREATE INDEX call_log_request_code ON call_log(request_code, ts_ms) WHERE request_code IS NOT NULL;

CREATE TRIGGER call_log_no_update BEFORE UPDATE ON call_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER call_log_prune_only BEFORE DELETE ON call_log
WHEN OLD.seq > COALESCE((SELECT MAX(c.seq) FROM audit_checkpoints c
                         WHERE c.kind = 'poda' AND c.stream = 'llamadas'
                           AND c.node = (SELECT term FROM call_terms WHERE id = OLD.node)), 0)
BEGIN SELECT RAISE(ABORT, 'only a pruned prefix of an audit chain may be deleted'); END;
CREATE TRIGGER call_terms_no_update BEFORE UPDATE ON call_terms
BEGIN SELECT RAISE(ABORT, 'call terms are append-only'); END;
CREATE TRIGGER call_terms_no_delete BEFORE DELETE ON call_terms
BEGIN SELECT RAISE(ABORT, 'call terms are append-only'); END;

-- audit_log keeps the procedure and administration streams; call records may only leave it (the
-- move above), never enter it again.
DROP TRIGGER audit_log_prune_only;
CREATE TRIGGER audit_log_prune_only BEFORE DELETE ON audit_log
WHEN OLD.stream <> 'llamadas' AND OLD.seq > COALESCE((SELECT MAX(seq) FROM audit_checkpoints
                         WHERE kind = 'poda' AND stream = OLD.stream AND node = OLD.node), 0)
BEGIN SELECT RAISE(ABORT, 'only a pruned prefix of an audit chain may be deleted'); END;
CREATE TRIGGER audit_log_no_calls BEFORE INSERT ON audit_log WHEN NEW.stream = 'llamadas'
BEGIN SELECT RAISE(ABORT, 'call records are kept in call_log'); END;
