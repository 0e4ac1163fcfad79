-- Notices (issue 15): whoever must act next, the requesting unit on observations, rejections and
-- deliveries, by e-mail and signed webhooks. Each user keeps an address and chooses the kinds
-- they receive. A notice is queued in the transaction of what caused it and delivered by a
-- background worker, retried with backoff until it goes: a failed delivery never blocks the
-- procedure, and the table is the delivery log.
ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE users ADD COLUMN notice_kinds TEXT NOT NULL DEFAULT 'turno,observacion,accesos';
CREATE TABLE notices (
    id              TEXT PRIMARY KEY,
    channel         TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    request_code    TEXT,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    sent_at         INTEGER,
    last_error      TEXT
);
CREATE INDEX notices_due ON notices(next_attempt_at) WHERE sent_at IS NULL;
-- The days whose scheduled notices (the digest of overdue requests, the warnings of grants about
-- to end) were queued: once a day, whichever node gets there first.
CREATE TABLE notice_days (
    day         TEXT PRIMARY KEY,
    queued_at   INTEGER NOT NULL
);
-- The grants whose coming end was warned of (once each).
CREATE TABLE grant_warnings (
    grant_id    TEXT PRIMARY KEY,
    warned_at   INTEGER NOT NULL
);
