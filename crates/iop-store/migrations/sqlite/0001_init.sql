-- Initial schema. Timestamps are Unix milliseconds (UTC); identifiers are UUID text.

CREATE TABLE units (
    id          TEXT PRIMARY KEY,
    sigla       TEXT NOT NULL UNIQUE,
    nombre      TEXT NOT NULL,
    agencia     INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE,
    nombre        TEXT NOT NULL,
    unit_id       TEXT REFERENCES units(id),
    roles         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE entities (
    id          TEXT PRIMARY KEY,
    sigla       TEXT NOT NULL UNIQUE,
    nombre      TEXT NOT NULL,
    tipo        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE systems (
    id          TEXT PRIMARY KEY,
    entity_id   TEXT NOT NULL REFERENCES entities(id),
    codigo      TEXT NOT NULL,
    nombre      TEXT NOT NULL,
    descripcion TEXT,
    created_at  INTEGER NOT NULL,
    UNIQUE (entity_id, codigo)
);

CREATE TABLE services (
    id          TEXT PRIMARY KEY,
    entity_id   TEXT NOT NULL REFERENCES entities(id),
    codigo      TEXT NOT NULL,
    version     INTEGER NOT NULL,
    nombre      TEXT NOT NULL,
    descripcion TEXT,
    estado      TEXT NOT NULL,
    request_id  TEXT,
    created_at  INTEGER NOT NULL,
    UNIQUE (entity_id, codigo, version)
);

CREATE TABLE documents (
    sha256      TEXT PRIMARY KEY,
    size        INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE counters (
    name   TEXT PRIMARY KEY,
    value  INTEGER NOT NULL
);

CREATE TABLE requests (
    id              TEXT PRIMARY KEY,
    tracking_code   TEXT NOT NULL UNIQUE,
    tipo            TEXT NOT NULL,
    unit_id         TEXT NOT NULL REFERENCES units(id),
    created_by      TEXT NOT NULL REFERENCES users(id),
    system_id       TEXT REFERENCES systems(id),
    publisher_id    TEXT REFERENCES entities(id),
    justificacion   TEXT NOT NULL,
    state           TEXT NOT NULL,
    assignee        TEXT REFERENCES users(id),
    return_state    TEXT,
    note_author     TEXT REFERENCES users(id),
    adas_approver   TEXT REFERENCES users(id),
    upat_approver   TEXT REFERENCES users(id),
    doc_kind        TEXT,
    doc_sha256      TEXT REFERENCES documents(sha256),
    doc_filename    TEXT,
    doc_size        INTEGER,
    note_number     TEXT UNIQUE,
    note_body       TEXT,
    note_recommendations TEXT,
    note_revision   INTEGER NOT NULL DEFAULT 0,
    state_since     INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX requests_state ON requests(state, state_since);
CREATE INDEX requests_unit ON requests(unit_id);

CREATE TABLE request_services (
    request_id  TEXT NOT NULL REFERENCES requests(id),
    service_id  TEXT NOT NULL REFERENCES services(id),
    PRIMARY KEY (request_id, service_id)
);

CREATE TABLE request_publications (
    request_id  TEXT NOT NULL REFERENCES requests(id),
    codigo      TEXT NOT NULL,
    version     INTEGER NOT NULL,
    nombre      TEXT NOT NULL,
    descripcion TEXT,
    PRIMARY KEY (request_id, codigo, version)
);

-- The document flow (Progreso del documento): append-only.
CREATE TABLE history (
    request_id  TEXT NOT NULL REFERENCES requests(id),
    seq         INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    actor_id    TEXT NOT NULL REFERENCES users(id),
    role        TEXT NOT NULL,
    action      TEXT NOT NULL,
    from_state  TEXT NOT NULL,
    to_state    TEXT NOT NULL,
    to_holder   TEXT NOT NULL,
    comment     TEXT,
    detail      TEXT,
    PRIMARY KEY (request_id, seq)
);
CREATE TRIGGER history_no_update BEFORE UPDATE ON history
BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TRIGGER history_no_delete BEFORE DELETE ON history
BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;

-- Step 4, consumption side: access grants (consuming system × service).
CREATE TABLE grants (
    id          TEXT PRIMARY KEY,
    request_id  TEXT NOT NULL REFERENCES requests(id),
    system_id   TEXT NOT NULL REFERENCES systems(id),
    service_id  TEXT NOT NULL REFERENCES services(id),
    valid_from  TEXT NOT NULL,
    valid_until TEXT,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX grants_request ON grants(request_id);
