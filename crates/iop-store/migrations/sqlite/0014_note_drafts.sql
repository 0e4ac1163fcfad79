-- The Nota Interna's draft while the Líder writes it (issue 13: drafts autosave): one per
-- request, overwritten by each save, removed when the note is submitted (step 5). A draft is
-- not a hand-over nor a version: it is not audited.
CREATE TABLE note_drafts (
    request_id      TEXT PRIMARY KEY REFERENCES requests(id),
    body            TEXT,
    recommendations TEXT,
    saved_by        TEXT NOT NULL REFERENCES users(id),
    saved_at        INTEGER NOT NULL
);
