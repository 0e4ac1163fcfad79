-- The Nota Interna's documents (issue 13): every submission of step 5 kept as a version, the
-- PDFs rendered of each version in each state (served from here, their SHA-256 kept), and the
-- note's verification code (random, at least 64 bits, never derived from its number) that its
-- PDFs carry for the public verification page.
ALTER TABLE requests ADD COLUMN verify_code TEXT;
CREATE UNIQUE INDEX requests_verify_code ON requests(verify_code) WHERE verify_code IS NOT NULL;

CREATE TABLE note_versions (
    request_id      TEXT NOT NULL REFERENCES requests(id),
    revision        INTEGER NOT NULL,
    number          TEXT NOT NULL,
    body            TEXT NOT NULL,
    recommendations TEXT,
    author_id       TEXT REFERENCES users(id),
    submitted_at    INTEGER NOT NULL,
    PRIMARY KEY (request_id, revision)
);
CREATE TRIGGER note_versions_no_update BEFORE UPDATE ON note_versions
BEGIN SELECT RAISE(ABORT, 'note versions are append-only'); END;
CREATE TRIGGER note_versions_no_delete BEFORE DELETE ON note_versions
BEGIN SELECT RAISE(ABORT, 'note versions are append-only'); END;

-- One PDF per state of the note: the history entry that brought it there (its submission or an
-- approval) names it, so the same state is rendered once. The bytes are in the content-addressed
-- document store.
CREATE TABLE note_pdfs (
    request_id  TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    revision    INTEGER NOT NULL,
    stage       TEXT NOT NULL,
    sha256      TEXT NOT NULL REFERENCES documents(sha256),
    size        INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (request_id, seq),
    FOREIGN KEY (request_id, seq) REFERENCES history(request_id, seq),
    FOREIGN KEY (request_id, revision) REFERENCES note_versions(request_id, revision)
);
CREATE INDEX note_pdfs_sha ON note_pdfs(sha256);

-- Notes written before this migration: their current text is their one known version, and they
-- get a code (SQLite's randomblob: 80 bits, once).
INSERT INTO note_versions (request_id, revision, number, body, recommendations, author_id, submitted_at)
SELECT r.id, r.note_revision, r.note_number, r.note_body, r.note_recommendations, r.note_author,
       COALESCE((SELECT MAX(h.at) FROM history h WHERE h.request_id = r.id AND h.action = 'elaborar_nota'), r.updated_at)
FROM requests r WHERE r.note_number IS NOT NULL AND r.note_body IS NOT NULL;
UPDATE requests SET verify_code = lower(hex(randomblob(10))) WHERE note_number IS NOT NULL;
