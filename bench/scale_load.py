#!/usr/bin/env python3
"""Loads a stopped iop data directory with N published services (each with a connector) and M
consuming systems, each with an API key and a grant to the benchmark's service, writing the rows
straight into the SQLite store (going through PR05 100,000 times would measure the procedure, not
the gateway). API keys are derived as the platform does: HMAC-SHA-256 under the key derived from
the master key. Prints one of the loaded keys.

usage: scale_load.py DATA_DIR UPSTREAM_URL SERVICES CONSUMERS
"""
import hashlib
import hmac
import json
import os
import sqlite3
import sys
import time
import uuid

data_dir, upstream, n_services, n_consumers = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
master = bytes.fromhex(open(os.path.join(data_dir, "clave-maestra")).read().strip())
api_key_key = hmac.new(master, b"iop/v1/apikey", hashlib.sha256).digest()
db = sqlite3.connect(os.path.join(data_dir, "iop.sqlite3"))
db.execute("PRAGMA foreign_keys = ON")
now = int(time.time() * 1000)
cur = db.cursor()
user = cur.execute("SELECT id FROM users WHERE login = 'lider'").fetchone()[0]
bench_service, request = cur.execute(
    "SELECT s.id, g.request_id FROM services s JOIN grants g ON g.service_id = s.id WHERE s.codigo = 'persona' AND g.revoked_at IS NULL ORDER BY g.created_at DESC LIMIT 1"
).fetchone()

def uid():
    return str(uuid.uuid4())

entities, services, connectors = [], [], []
for i in range(n_services):
    e, s = uid(), uid()
    sigla = f"ENT{i:05d}"
    entities.append((e, sigla, f"Entidad de carga {i}", "publicadora", now))
    services.append((s, e, "svc", 1, f"Servicio de carga {i}", None, "publicado", None, now))
    connectors.append((s, 1, f"/ent{i:05d}/v1/", json.dumps([upstream]), 1000, 5000, "ninguna", None, None, 1 << 20, "[]", user, now))
cur.executemany("INSERT INTO entities (id, sigla, nombre, tipo, created_at) VALUES (?, ?, ?, ?, ?)", entities)
cur.executemany("INSERT INTO services (id, entity_id, codigo, version, nombre, descripcion, estado, request_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", services)
cur.executemany("INSERT INTO connectors (service_id, version, base_path, upstreams, connect_timeout_ms, timeout_ms, auth_kind, auth_name, auth_secret_enc, max_body_bytes, pii_query, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", connectors)

consumer_entity = uid()
cur.execute("INSERT INTO entities (id, sigla, nombre, tipo, created_at) VALUES (?, 'CARGA', 'Consumidores de carga', 'consumidora', ?)", (consumer_entity, now))
systems, creds, grants = [], [], []
sample = None
for i in range(n_consumers):
    sys_id, cred = uid(), uid()
    key = "iop_k_" + os.urandom(32).hex()
    if i == n_consumers // 2:
        sample = (key, cred)
    systems.append((sys_id, consumer_entity, f"sis-{i:06d}", f"Sistema {i}", None, now))
    creds.append((cred, sys_id, "apikey", hmac.new(api_key_key, key.encode(), hashlib.sha256).hexdigest(), key[:14] + "…", None, None, user, now, None, None, None))
    grants.append((uid(), request, sys_id, bench_service, "2020-01-01", None, now, None, None, 100000.0, 100000))
cur.executemany("INSERT INTO systems (id, entity_id, codigo, nombre, descripcion, created_at) VALUES (?, ?, ?, ?, ?, ?)", systems)
cur.executemany("INSERT INTO credentials (id, system_id, kind, key_id, hint, secret_enc, request_id, created_by, created_at, expires_at, revoked_at, replaced_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", creds)
cur.executemany("INSERT INTO grants (id, request_id, system_id, service_id, valid_from, valid_until, created_at, revoked_at, operations, rate_per_second, burst) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", grants)
# The first part's call records were imported into this store; the loaded measurement starts, like
# the first one, with no records in it, so that only the loaded configuration differs.
# (The audit log refuses deletions: the benchmark lifts that for its own scratch store only.)
trigger = cur.execute("SELECT sql FROM sqlite_master WHERE name = 'call_log_prune_only'").fetchone()[0]
cur.executescript(f"""
DROP TRIGGER call_log_prune_only;
DELETE FROM call_log;
{trigger};
""")
cur.execute("DELETE FROM call_segments")
db.commit()
db.execute("VACUUM")
print(sample[0], sample[1])
