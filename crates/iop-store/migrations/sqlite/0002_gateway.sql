-- The data plane's configuration and records.

-- How the gateway reaches a service ("the client ADAS develops", kept declarative). One row per
-- version; the highest version is in force.
CREATE TABLE connectors (
    service_id      TEXT NOT NULL REFERENCES services(id),
    version         INTEGER NOT NULL,
    base_path       TEXT NOT NULL,
    upstreams       TEXT NOT NULL,          -- JSON array of base URLs
    connect_timeout_ms INTEGER NOT NULL,
    timeout_ms      INTEGER NOT NULL,
    auth_kind       TEXT NOT NULL,          -- ninguna | cabecera | basica | bearer | certificado_cliente
    auth_name       TEXT,                   -- header name (cabecera), user (basica) or client certificate chain PEM
    auth_secret_enc BLOB,                   -- header value, password, token or client key PEM, encrypted
    ca_pem          TEXT,                   -- https upstreams: CAs to trust (PEM); NULL = the system's
    max_body_bytes  INTEGER NOT NULL,
    pii_query       TEXT NOT NULL DEFAULT '[]',
    created_by      TEXT NOT NULL REFERENCES users(id),
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (service_id, version)
);

-- The service's OpenAPI description and the operations read from it.
CREATE TABLE service_descriptions (
    service_id  TEXT PRIMARY KEY REFERENCES services(id),
    document    TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE TABLE service_operations (
    service_id  TEXT NOT NULL REFERENCES services(id),
    op_id       TEXT NOT NULL,
    method      TEXT NOT NULL,
    path        TEXT NOT NULL,
    summary     TEXT,
    pii_params  TEXT NOT NULL DEFAULT '[]', -- JSON array of parameter names (path or query)
    example_status INTEGER,
    example     TEXT,
    PRIMARY KEY (service_id, op_id)
);

-- Credentials of consuming systems. Secrets are never stored in clear: API keys as HMAC-SHA-256
-- under a key derived from the master key; JWT secrets encrypted under another.
CREATE TABLE credentials (
    id          TEXT PRIMARY KEY,
    system_id   TEXT NOT NULL REFERENCES systems(id),
    kind        TEXT NOT NULL,              -- apikey | jwt_hs256 | jwt_rs256 | jwt_es256
    key_id      TEXT NOT NULL UNIQUE,       -- apikey: hex HMAC; jwt: the iss value
    hint        TEXT NOT NULL,              -- a recognisable prefix, safe to show
    secret_enc  BLOB,                       -- jwt: encrypted secret
    public_key  BLOB,                       -- jwt_rs256 / jwt_es256: the consumer's public key (SPKI DER)
    request_id  TEXT REFERENCES requests(id),
    created_by  TEXT NOT NULL REFERENCES users(id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER,                    -- set by a rotation's overlap
    revoked_at  INTEGER,
    replaced_by TEXT
);
CREATE INDEX credentials_system ON credentials(system_id);

ALTER TABLE grants ADD COLUMN operations TEXT;          -- JSON array of operation ids, NULL = all
ALTER TABLE grants ADD COLUMN rate_per_second REAL;
ALTER TABLE grants ADD COLUMN burst INTEGER;

-- Gateway call records, imported from the writer's segment files. A record is identified by where
-- it stands (segment, byte offset): request ids can come from clients and need not be unique.
CREATE TABLE call_segments (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    offset      INTEGER NOT NULL DEFAULT 0      -- bytes imported so far
);
CREATE TABLE call_records (
    segment_id  INTEGER NOT NULL REFERENCES call_segments(id),
    line_offset INTEGER NOT NULL,
    node        TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    ts_ms       INTEGER NOT NULL,
    client_ip   TEXT NOT NULL,
    system_id   TEXT,
    credential_id TEXT,
    service_id  TEXT,
    operation   TEXT,
    grant_id    TEXT,
    request_code TEXT,
    method      TEXT NOT NULL,
    path        TEXT NOT NULL,
    status      INTEGER NOT NULL,
    latency_us  INTEGER NOT NULL,
    bytes_in    INTEGER NOT NULL,
    bytes_out   INTEGER NOT NULL,
    upstream_status INTEGER,
    refusal     TEXT,
    sandbox     INTEGER NOT NULL,
    aggregated  INTEGER,
    PRIMARY KEY (segment_id, line_offset)
) WITHOUT ROWID;
CREATE INDEX call_records_request_id ON call_records(request_id);
CREATE INDEX call_records_system_ts ON call_records(system_id, ts_ms);
