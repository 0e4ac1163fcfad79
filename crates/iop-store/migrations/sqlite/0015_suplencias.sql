-- Acting officials (issue 15, "suplencias"): the Administrador gives a user one of the agency's
-- roles for a period, in place of someone, under a designating memorandum. While it lasts the
-- user acts with that role; each hand-over they make in it names whom they replaced
-- (history.acting_for). Append-only, like the history it explains.
CREATE TABLE suplencias (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id),
    role        TEXT NOT NULL,
    replaces_id TEXT NOT NULL REFERENCES users(id),
    desde       INTEGER NOT NULL,
    hasta       INTEGER NOT NULL,
    memorandum  TEXT NOT NULL,
    created_by  TEXT NOT NULL REFERENCES users(id),
    created_at  INTEGER NOT NULL,
    CHECK (desde < hasta)
);
CREATE INDEX suplencias_user ON suplencias(user_id, hasta);
CREATE TRIGGER suplencias_no_update BEFORE UPDATE ON suplencias
BEGIN SELECT RAISE(ABORT, 'suplencias are append-only'); END;
CREATE TRIGGER suplencias_no_delete BEFORE DELETE ON suplencias
BEGIN SELECT RAISE(ABORT, 'suplencias are append-only'); END;
ALTER TABLE history ADD COLUMN acting_for TEXT REFERENCES users(id);
