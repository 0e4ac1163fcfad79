-- PR05 step 4 of a publication: what the Líder de equipo de ADAS prepares for each service to
-- publish (its connector, its description, a connection probe) while the request is assigned.
-- `habilitar` commits it together with the state change.
CREATE TABLE publication_stage (
    request_id      TEXT NOT NULL REFERENCES requests(id),
    codigo          TEXT NOT NULL,
    version         INTEGER NOT NULL,
    service_id      TEXT NOT NULL,          -- the catalog id the service has, or will get
    -- the connector, as in `connectors` (NULL until staged)
    base_path       TEXT,
    upstreams       TEXT,
    connect_timeout_ms INTEGER,
    timeout_ms      INTEGER,
    auth_kind       TEXT,
    auth_name       TEXT,
    auth_secret_enc BLOB,
    ca_pem          TEXT,
    max_body_bytes  INTEGER,
    pii_query       TEXT,
    connector_at    INTEGER,
    -- the description (NULL until staged)
    document        TEXT,
    document_sha256 TEXT,
    operations      TEXT,                   -- JSON array of the operations read from it
    -- the last connection probe of the staged connector
    probe_ok        INTEGER,
    probe_at        INTEGER,
    probe_detail    TEXT,
    staged_by       TEXT NOT NULL REFERENCES users(id),
    applied_at      INTEGER,                -- when `habilitar` committed it (NULL: not yet)
    PRIMARY KEY (request_id, codigo, version)
);

-- The last connection probe of each connector version: step 5 needs a successful one for the
-- version in force of every service the request publishes.
ALTER TABLE connectors ADD COLUMN probe_ok INTEGER;
ALTER TABLE connectors ADD COLUMN probe_at INTEGER;
