-- The Nota Interna signed outside the platform (issue 13): once step 7 approved a version, an
-- official may file its copy signed with the national digital-signature client as the definitive
-- version. Each filing is kept (append-only; the newest is the definitive one), with what its
-- signature says of the signer (not validated against any authority), its SHA-256 and the bytes in
-- the content-addressed document store.
CREATE TABLE signed_notes (
    request_id          TEXT NOT NULL,
    n                   INTEGER NOT NULL,
    revision            INTEGER NOT NULL,
    sha256              TEXT NOT NULL REFERENCES documents(sha256),
    size                INTEGER NOT NULL,
    subject             TEXT NOT NULL,
    issuer              TEXT NOT NULL,
    serial              TEXT NOT NULL,
    not_before          INTEGER NOT NULL,
    not_after           INTEGER NOT NULL,
    digest_matches      INTEGER NOT NULL,
    covers_whole_file   INTEGER NOT NULL,
    filed_by            TEXT NOT NULL REFERENCES users(id),
    filed_at            INTEGER NOT NULL,
    PRIMARY KEY (request_id, n),
    FOREIGN KEY (request_id, revision) REFERENCES note_versions(request_id, revision)
);
CREATE INDEX signed_notes_sha ON signed_notes(sha256);
CREATE TRIGGER signed_notes_no_update BEFORE UPDATE ON signed_notes
BEGIN SELECT RAISE(ABORT, 'signed notes are append-only'); END;
CREATE TRIGGER signed_notes_no_delete BEFORE DELETE ON signed_notes
BEGIN SELECT RAISE(ABORT, 'signed notes are append-only'); END;
