-- The audit log: one append-only table for three streams (llamadas, procedimiento,
-- administracion), each a hash chain per writing node. `body` holds the exact bytes that were
-- chained (a JSON object starting with "seq" and "prev"); `hash` is their SHA-256. The other
-- columns are copies of body fields for search; the body is the truth.
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    stream       TEXT NOT NULL,
    node         TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    ts_ms        INTEGER NOT NULL,
    body         TEXT NOT NULL,
    hash         BLOB NOT NULL,
    actor        TEXT,
    system_id    TEXT,
    service_id   TEXT,
    request_id   TEXT,
    request_code TEXT,
    status       INTEGER,
    refusal      TEXT,
    UNIQUE (stream, node, seq)
);
CREATE INDEX audit_log_ts ON audit_log(ts_ms);
CREATE INDEX audit_log_system_ts ON audit_log(system_id, ts_ms) WHERE system_id IS NOT NULL;
CREATE INDEX audit_log_service_ts ON audit_log(service_id, ts_ms) WHERE service_id IS NOT NULL;
CREATE INDEX audit_log_request_id ON audit_log(request_id) WHERE request_id IS NOT NULL;
CREATE INDEX audit_log_request_code ON audit_log(request_code, ts_ms) WHERE request_code IS NOT NULL;

-- Signed checkpoints (periodico, poda). Never changed, never removed.
CREATE TABLE audit_checkpoints (
    id        INTEGER PRIMARY KEY,
    stream    TEXT NOT NULL,
    node      TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('periodico', 'poda')),
    ts_ms     INTEGER NOT NULL,
    body      TEXT NOT NULL,
    signature TEXT NOT NULL
);
CREATE INDEX audit_checkpoints_chain ON audit_checkpoints(stream, node, seq);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
-- The one sanctioned deletion: a prefix of a chain already covered by a signed poda checkpoint.
CREATE TRIGGER audit_log_prune_only BEFORE DELETE ON audit_log
WHEN OLD.seq > COALESCE((SELECT MAX(seq) FROM audit_checkpoints
                         WHERE kind = 'poda' AND stream = OLD.stream AND node = OLD.node), 0)
BEGIN SELECT RAISE(ABORT, 'only a pruned prefix of an audit chain may be deleted'); END;
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;

-- Call records now live in the audit log (stream 'llamadas'); the segments' import offsets stay.
DROP TABLE call_records;
