#!/usr/bin/env python3
"""Audit search at scale (not part of CI): generates N chained call records (default 10 million,
30 days, 1,000 consuming systems, 200 services) as the gateway's segment files, lets `iop serve`
import them (timed, with its CPU per record), then, through the
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

# The records are written as the gateway writes them (chained JSON lines in segment files) and
# imported by `iop serve` itself, so that the import's speed and the store's bytes per record are
# the real ones.
segdir = os.path.join(data, "llamadas")
os.makedirs(segdir, exist_ok=True)
t0 = time.time()
prev = "0" * 64
step = DAYS * 86_400_000 / N
seg_bytes = 0
out = None
for i in range(N):
    seq = i + 1
    if out is None or seg_bytes > (256 << 20):
        if out:
            out.close()
        out = open(os.path.join(segdir, "llamadas-n1-%020d.jsonl" % seq), "wb", buffering=1 << 20)
        seg_bytes = 0
    ts = START_MS + int(i * step)
    s = rnd.randrange(SYSTEMS)
    v = rnd.randrange(SERVICES)
    refused = rnd.random() < 0.03
    status = 403 if refused else 200
    rid = "%016x%016x" % (0x5eed5eed5eed5eed, seq)  # the gateway's ids: a per-process prefix and a counter
    code = "IOP-2026-%06d" % (s + 1)
    body = ('{"seq":%d,"prev":"%s","ts_ms":%d,"request_id":"%s","node":"n1","client_ip":"10.0.%d.%d",'
            '"system_id":"%s","system_code":"sis-%06d","credential_id":"%s","service_id":"%s",'
            '"operation":"consultar-persona","grant_id":%s,"request_code":%s,"method":"GET",'
            '"path":"/segip/persona/v2/personas/hmac:%s","status":%d,"latency_us":%d,"bytes_in":0,"bytes_out":%d,'
            '"upstream_status":%s,"refusal":%s,"sandbox":false}') % (
        seq, prev, ts, rid, s // 256, s % 256, systems[s], s, grants[s], services[v],
        "null" if refused else '"%s"' % grants[s], "null" if refused else '"%s"' % code,
        "%016x" % rnd.getrandbits(64), status, rnd.randrange(300, 5000), 96 if refused else 152,
        "null" if refused else "200", '"operacion_no_habilitada"' if refused else "null")
    line = body.encode()
    prev = hashlib.sha256(line).hexdigest()
    out.write(line + b"\n")
    seg_bytes += len(line) + 1
out.close()
seg_total = sum(os.path.getsize(os.path.join(segdir, f)) for f in os.listdir(segdir))
t1 = time.time()
print(f"records: {N:,} generated in {t1 - t0:.0f} s, segment files {seg_total / 2**30:.2f} GiB ({seg_total / N:.0f} B per line)")


def imported():
    db = sqlite3.connect(f"file:{os.path.join(data, 'iop.sqlite3')}?mode=ro", uri=True)
    try:
        return db.execute("SELECT COALESCE(SUM(offset), 0) FROM call_segments").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        db.close()


def cpu_s(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


proc = subprocess.Popen([IOP, "serve", "--data-dir", data, "--control-addr", "127.0.0.1:18931",
                         "--gateway-addr", "127.0.0.1:18932"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
BASE = "http://127.0.0.1:18931"
try:
    t = time.time()
    while imported() < seg_total:
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.5)
    dt, cpu = time.time() - t, cpu_s(proc.pid)
    print(f"import by iop serve: {dt:.0f} s ({N / dt:,.0f} records/s), process CPU {cpu:.0f} s = {cpu * 1e6 / N:.1f} µs per record")
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
        # 50 per consumer and day at 10 M records; a smaller run has fewer.
        assert len(page["registros"]) == 50 or (N < 10_000_000 and page["registros"]), page
        assert all(r["registro"]["system_id"] == s for r in page["registros"])
        search_ms.append(ms)
    # The next page by cursor, too (a small run's last page may have none).
    ms = float("nan")
    if page["siguiente"]:
        ms, page2 = timed(f"/api/v1/auditoria?cadena=llamadas&sistema_id={s}&desde=2026-11-{day:02d}&hasta=2026-11-{day:02d}&limite=50&cursor={page['siguiente']}")
        assert len(page2["registros"]) == 50 or N < 10_000_000
    q = statistics.quantiles(search_ms, n=20)
    print(f"first page by consumer and day: median {statistics.median(search_ms):.1f} ms, p95 {q[18]:.1f} ms, max {max(search_ms):.1f} ms "
          f"(first query, cold: {search_ms[0]:.1f} ms); next page {ms:.1f} ms")
    print(f"baseline GET /api/v1/auth/yo: median {statistics.median(base_ms):.1f} ms")
    print(f"search/baseline median ratio: {statistics.median(search_ms) / statistics.median(base_ms):.2f}")
finally:
    proc.terminate()
    proc.wait()

db = sqlite3.connect(os.path.join(data, "iop.sqlite3"))
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
calls = db.execute("SELECT COUNT(*) FROM call_log").fetchone()[0]
verbatim = db.execute("SELECT COUNT(*) FROM call_log WHERE raw IS NOT NULL").fetchone()[0]
db.close()
size = sum(os.path.getsize(os.path.join(data, f)) for f in os.listdir(data) if f.startswith("iop.sqlite3"))
print(f"store after a WAL checkpoint: {size / 2**30:.2f} GiB for {calls:,} call records = {size / calls:.0f} B per record "
      f"(indexes included; {verbatim} kept verbatim)")

t = time.time()
out = subprocess.run([IOP, "audit", "verify", "--data-dir", data], env=env, capture_output=True, text=True)
dt = time.time() - t
print(f"iop audit verify over {N:,} records: {dt:.1f} s ({N / dt:,.0f} records/s): {out.stdout.splitlines()[0] if out.stdout else out.stderr}")
subprocess.run(["rm", "-rf", work])
