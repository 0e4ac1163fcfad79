#!/usr/bin/env python3
"""Audit search at scale (not part of CI): generates N chained call records (default 10 million,
30 days, 1,000 consuming systems, 200 services) straight into a fresh store, then, through the
real API of `iop serve`, times the first page (50 records) of a search by consumer and day, next
to an authenticated trivial call (`GET /api/v1/auth/yo`) as the same run's baseline. Finally it
times `iop audit verify` over the whole chain.

usage: bench/audit_search.py [RECORDS]      (needs target/release/iop; see bench/audit_search.sh)
"""
import hashlib
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
IOP = os.path.join(os.path.dirname(__file__), "..", "target", "release", "iop")
DAYS, SYSTEMS, SERVICES = 30, 1000, 200
START_MS = 1_793_505_600_000  # 2026-11-01T00:00:00-04:00 (La Paz)
PASSWORD = "banco-de-pruebas-2026"

work = tempfile.mkdtemp(prefix="iop-audit-bench-")
data = os.path.join(work, "data")
env = dict(os.environ, IOP_LOG="warn")
subprocess.run([IOP, "migrate", "--data-dir", data], check=True, env=env, stdout=subprocess.DEVNULL)
subprocess.run([IOP, "user", "add", "--data-dir", data, "--usuario", "auditor", "--nombre", "Auditor de prueba",
                "--rol", "administrador", "--password-stdin"], input=PASSWORD.encode(), check=True, env=env,
               stdout=subprocess.DEVNULL)

rnd = random.Random(20261126)
systems = [str(uuid.UUID(int=rnd.getrandbits(128))) for _ in range(SYSTEMS)]
services = [str(uuid.UUID(int=rnd.getrandbits(128))) for _ in range(SERVICES)]
grants = [str(uuid.UUID(int=rnd.getrandbits(128))) for _ in range(SYSTEMS)]

db = sqlite3.connect(os.path.join(data, "iop.sqlite3"))
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=OFF")
indexes = [r[0] for r in db.execute(
    "SELECT sql FROM sqlite_master WHERE type='index' AND tbl_name='audit_log' AND sql IS NOT NULL")]
for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='audit_log' AND sql IS NOT NULL").fetchall():
    db.execute(f"DROP INDEX {name}")

t0 = time.time()
prev = "0" * 64
step = DAYS * 86_400_000 / N
batch = []
for i in range(N):
    seq = i + 1
    ts = START_MS + int(i * step)
    s = rnd.randrange(SYSTEMS)
    v = rnd.randrange(SERVICES)
    refused = rnd.random() < 0.03
    status = 403 if refused else 200
    rid = "%032x" % rnd.getrandbits(128)
    code = "IOP-2026-%06d" % (s + 1)
    body = ('{"seq":%d,"prev":"%s","ts_ms":%d,"request_id":"%s","node":"n1","client_ip":"10.0.%d.%d",'
            '"system_id":"%s","system_code":"sis-%06d","credential_id":"%s","service_id":"%s",'
            '"operation":"consultar-persona","grant_id":%s,"request_code":%s,"method":"GET",'
            '"path":"/segip/persona/v2/personas/hmac:%s","status":%d,"latency_us":%d,"bytes_in":0,"bytes_out":%d,'
            '"upstream_status":%s,"refusal":%s,"sandbox":false}') % (
        seq, prev, ts, rid, s // 256, s % 256, systems[s], s, grants[s], services[v],
        "null" if refused else '"%s"' % grants[s], "null" if refused else '"%s"' % code,
        rid[:16], status, rnd.randrange(300, 5000), 96 if refused else 152,
        "null" if refused else "200", '"operacion_no_habilitada"' if refused else "null")
    h = hashlib.sha256(body.encode()).digest()
    prev = h.hex()
    batch.append(("llamadas", "n1", seq, ts, body, h, systems[s], services[v], rid,
                  None if refused else code, status, "operacion_no_habilitada" if refused else None))
    if len(batch) == 200_000:
        db.executemany("INSERT INTO audit_log (stream, node, seq, ts_ms, body, hash, system_id, service_id, request_id, "
                       "request_code, status, refusal) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", batch)
        db.commit()
        batch.clear()
if batch:
    db.executemany("INSERT INTO audit_log (stream, node, seq, ts_ms, body, hash, system_id, service_id, request_id, "
                   "request_code, status, refusal) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", batch)
db.commit()
t1 = time.time()
for sql in indexes:
    db.execute(sql)
db.commit()
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
db.close()
t2 = time.time()
size = os.path.getsize(os.path.join(data, "iop.sqlite3"))
print(f"records: {N:,} generated and stored in {t1 - t0:.0f} s, indexes in {t2 - t1:.0f} s, store {size / 2**30:.1f} GiB")

proc = subprocess.Popen([IOP, "serve", "--data-dir", data, "--control-addr", "127.0.0.1:18931",
                         "--gateway-addr", "127.0.0.1:18932"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
BASE = "http://127.0.0.1:18931"
try:
    for _ in range(600):
        try:
            urllib.request.urlopen(BASE + "/readyz")
            break
        except Exception:
            time.sleep(0.1)
    req = urllib.request.Request(BASE + "/api/v1/auth/login", data=json.dumps({"usuario": "auditor", "contrasena": PASSWORD}).encode(),
                                 headers={"content-type": "application/json"}, method="POST")
    token = json.load(urllib.request.urlopen(req))["token"]

    def timed(path):
        r = urllib.request.Request(BASE + path, headers={"authorization": "Bearer " + token})
        t = time.perf_counter()
        with urllib.request.urlopen(r) as resp:
            body = json.load(resp)
        return (time.perf_counter() - t) * 1000, body

    base_ms, search_ms = [], []
    for k in range(40):
        s = systems[rnd.randrange(SYSTEMS)]
        day = 1 + rnd.randrange(DAYS)
        ms, _ = timed("/api/v1/auth/yo")
        base_ms.append(ms)
        ms, page = timed(f"/api/v1/auditoria?cadena=llamadas&sistema_id={s}&desde=2026-11-{day:02d}&hasta=2026-11-{day:02d}&limite=50")
        assert len(page["registros"]) == 50, page
        assert all(r["registro"]["system_id"] == s for r in page["registros"])
        search_ms.append(ms)
    # The next page by cursor, too.
    ms, page2 = timed(f"/api/v1/auditoria?cadena=llamadas&sistema_id={s}&desde=2026-11-{day:02d}&hasta=2026-11-{day:02d}&limite=50&cursor={page['siguiente']}")
    assert len(page2["registros"]) == 50
    q = statistics.quantiles(search_ms, n=20)
    print(f"first page by consumer and day: median {statistics.median(search_ms):.1f} ms, p95 {q[18]:.1f} ms, max {max(search_ms):.1f} ms "
          f"(first query, cold: {search_ms[0]:.1f} ms); next page {ms:.1f} ms")
    print(f"baseline GET /api/v1/auth/yo: median {statistics.median(base_ms):.1f} ms")
    print(f"search/baseline median ratio: {statistics.median(search_ms) / statistics.median(base_ms):.2f}")
finally:
    proc.terminate()
    proc.wait()

t = time.time()
out = subprocess.run([IOP, "audit", "verify", "--data-dir", data], env=env, capture_output=True, text=True)
dt = time.time() - t
print(f"iop audit verify over {N:,} records: {dt:.1f} s ({N / dt:,.0f} records/s): {out.stdout.splitlines()[0] if out.stdout else out.stderr}")
subprocess.run(["rm", "-rf", work])
