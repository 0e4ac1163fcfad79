-- PR05 step 4 "sends the accesses": the secrets of the credentials issued for a request, sealed
-- for the requesting unit, retrieved once by one of its Solicitantes. The sealed secrets are
-- erased (NULL) when retrieved or when the delivery expires; the row stays as the record.
CREATE TABLE deliveries (
    id            TEXT PRIMARY KEY,
    request_id    TEXT NOT NULL REFERENCES requests(id),
    system_id     TEXT NOT NULL REFERENCES systems(id),
    unit_id       TEXT NOT NULL REFERENCES units(id),
    credentials   TEXT NOT NULL,            -- JSON: [{"id","tipo","prefijo"}], never a secret
    sealed        BLOB,                     -- the secrets, sealed for the unit; NULL once erased
    issued_by     TEXT NOT NULL REFERENCES users(id),
    issued_at     INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    retrieved_by  TEXT REFERENCES users(id),
    retrieved_at  INTEGER,
    expired_at    INTEGER
);
CREATE INDEX deliveries_request ON deliveries(request_id);
CREATE INDEX deliveries_pending ON deliveries(expires_at) WHERE sealed IS NOT NULL;
