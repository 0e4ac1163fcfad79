#!/usr/bin/env python3
"""Web interface at scale (not part of CI): the bandeja and a filtered request list, rendered by
`iop serve` for the Jefe de UPAT, against a static page (the style sheet) served by the same
process in the same run, with REQUESTS requests (default 10,000) and 20 history entries each
(200,000) in the store. Also counts the store statements each page runs with 20 requests and with
all of them (sqlx's own log of every statement), which must not grow with the store.

usage: bench/web_pages.py [REQUESTS]        (needs target/release/iop)
       OPEN=2000 bench/web_pages.py          how many of them are open (default 5%)
       WORST=1 bench/web_pages.py            every request open and overdue
"""
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

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
HISTORY = 20
ROUNDS = int(os.environ.get("ROUNDS", "400"))
IOP = os.environ.get("SERVER_BIN") or os.path.join(os.path.dirname(__file__), "..", "target", "release", "iop")
PASSWORD = "banco-de-pruebas-2026"
START_MS = 1_793_505_600_000  # 2026-11-01T00:00:00-04:00 (La Paz): "now" for the store's shape
CONTROL, GATEWAY = "127.0.0.1:18941", "127.0.0.1:18942"
BASE = "http://" + CONTROL
PAGES_ = {
    "estático (estilo.css)": "/estatico/estilo.css",
    "página sin datos (/ingresar)": "/ingresar",
    "bandeja": "/bandeja",
    "lista filtrada": "/solicitudes?tipo=publicacion&unidad_id={unit}",
}
# (state, waiting role, waits for one user (the leader), waits for the unit)
STATES = [
    ("presentada", "jefe_upat", False, False),
    ("derivada_adas", "responsable_adas", False, False),
    ("asignada_lider", "lider_adas", True, False),
    ("habilitada", "lider_adas", True, False),
    ("nota_elaborada", "responsable_adas", False, False),
    ("nota_aprobada_adas", "jefe_upat", False, False),
    ("nota_aprobada_upat", "solicitante", False, True),
    ("observada", "solicitante", False, True),
    ("recibida", None, False, False),
    ("rechazada", None, False, False),
]

work = tempfile.mkdtemp(prefix="iop-web-bench-")
data = os.path.join(work, "data")
env = dict(os.environ, IOP_LOG="warn")
subprocess.run([IOP, "migrate", "--data-dir", data], check=True, env=env, stdout=subprocess.DEVNULL)
subprocess.run([IOP, "user", "add", "--data-dir", data, "--usuario", "admin", "--nombre", "Administración",
                "--rol", "administrador", "--password-stdin"], input=PASSWORD.encode(), check=True, env=env,
               stdout=subprocess.DEVNULL)


def serve(log_statements=False):
    e = dict(env, IOP_LOG="warn,sqlx::query=debug,iop_store::sql=debug" if log_statements else "warn")
    err = open(os.path.join(work, "stderr.log"), "w")
    p = subprocess.Popen([IOP, "serve", "--data-dir", data, "--control-addr", CONTROL, "--gateway-addr", GATEWAY],
                         env=e, stdout=subprocess.DEVNULL, stderr=err)
    for _ in range(600):
        try:
            urllib.request.urlopen(BASE + "/readyz")
            return p
        except Exception:
            time.sleep(0.1)
    raise SystemExit("iop did not start")


def stop(p):
    p.terminate()
    p.wait()


def api(method, path, token=None, body=None):
    h = {"content-type": "application/json"}
    if token:
        h["authorization"] = "Bearer " + token
    r = urllib.request.Request(BASE + path, data=json.dumps(body).encode() if body is not None else None,
                               headers=h, method=method)
    with urllib.request.urlopen(r) as resp:
        return json.load(resp)


def login(user):
    return api("POST", "/api/v1/auth/login", body={"usuario": user, "contrasena": PASSWORD})["token"]


# The people and the catalog, through the API.
p = serve()
admin = login("admin")
unit = api("POST", "/api/v1/unidades", admin, {"sigla": "UGE", "nombre": "Unidad de Gobierno Electrónico"})["id"]
agency = api("POST", "/api/v1/unidades", admin, {"sigla": "AJ", "nombre": "Asesoría Jurídica"})["id"]
ids = {}
for login_, role, u in [("jefe", "jefe_upat", agency), ("resp", "responsable_adas", agency),
                        ("lider", "lider_adas", agency), ("sol", "solicitante", unit)]:
    r = api("POST", "/api/v1/usuarios", admin, {"usuario": login_, "nombre": "Persona " + login_, "unidad_id": u,
                                                "roles": [role], "contrasena": PASSWORD})
    ids[login_] = r["usuario"]["id"]
publisher = api("POST", "/api/v1/entidades", admin, {"sigla": "SEGIP", "nombre": "Registro de identidad",
                                                     "tipo": "publicadora"})["id"]
stop(p)
PAGES = {name: path.format(unit=unit) for name, path in PAGES_.items()}

rnd = random.Random(20261129)


# The store as an agency has it after some years: most requests closed, OPEN of them (default 5%)
# moving, created in the last two months. WORST=1: every request open and overdue.
WORST = os.environ.get("WORST") == "1"
OPEN = N if WORST else int(os.environ.get("OPEN", str(N // 20)))
CLOSED = [("recibida", None, False, False)] * 18 + [("rechazada", None, False, False), ("desistida", None, False, False)]
OPEN_STATES = [s for s in STATES if s[1] is not None]
YEARS_MS = 3 * 365 * 86_400_000


def shape(i):
    """Request i's state and creation time (ms)."""
    if i < N - OPEN:
        return CLOSED[i % len(CLOSED)], START_MS - YEARS_MS + i * (YEARS_MS // max(N - OPEN, 1))
    k = i - (N - OPEN)
    if WORST:
        return OPEN_STATES[k % len(OPEN_STATES)], START_MS - YEARS_MS // 3 + k * 60_000
    return OPEN_STATES[k % len(OPEN_STATES)], START_MS - 60 * 86_400_000 + k * (60 * 86_400_000 // max(OPEN, 1))


def insert(db, indexes):
    """Requests at these indexes (see `shape`), each with its service to publish and HISTORY
    entries."""
    reqs, pubs, hist = [], [], []
    for i in indexes:
        rid = str(uuid.UUID(int=rnd.getrandbits(128)))
        (state, role, user, in_unit), created = shape(i)
        since = created + HISTORY * 1_000
        reqs.append((rid, "IOP-2026-%06d" % (i + 1), "publicacion", unit, ids["sol"], publisher,
                     "Publicar el servicio %d" % i, state,
                     ids["lider"] if state in ("asignada_lider", "habilitada", "nota_elaborada") else None,
                     since, created, since, role, ids["lider"] if user else None, unit if in_unit else None))
        pubs.append((rid, "servicio-%d" % i, 1, "Servicio %d" % i))
        for s in range(HISTORY):
            hist.append((rid, s + 1, created + s * 1_000, ids["jefe"], "jefe_upat", "derivar", "presentada",
                         "derivada_adas", "responsable_adas", "Movimiento %d" % s))
    db.executemany("INSERT INTO requests (id, tracking_code, tipo, unit_id, created_by, publisher_id, justificacion, "
                   "state, assignee, state_since, created_at, updated_at, wait_role, wait_user, wait_unit) "
                   "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", reqs)
    db.executemany("INSERT INTO request_publications (request_id, codigo, version, nombre) VALUES (?,?,?,?)", pubs)
    db.executemany("INSERT INTO history (request_id, seq, at, actor_id, role, action, from_state, to_state, "
                   "to_holder, comment) VALUES (?,?,?,?,?,?,?,?,?,?)", hist)
    db.commit()


def store(indexes):
    db = sqlite3.connect(os.path.join(data, "iop.sqlite3"))
    db.execute("PRAGMA journal_mode=WAL")
    insert(db, indexes)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.commit()
    db.close()


def get(path, cookie):
    r = urllib.request.Request(BASE + path, headers={"cookie": "iop_sesion=" + cookie})
    t = time.perf_counter()
    with urllib.request.urlopen(r) as resp:
        body = resp.read()
        assert resp.status == 200, (path, resp.status)
    return (time.perf_counter() - t) * 1000, body


def statements(label):
    """Store statements each page runs, from sqlx's log of every statement."""
    p = serve(log_statements=True)
    token = login("jefe")
    log = os.path.join(work, "stderr.log")
    out = {}
    for name, path in PAGES.items():
        get(path, token)  # warm
        time.sleep(0.2)
        before = open(log).read().count("rows_returned")
        get(path, token)
        time.sleep(0.2)
        out[name] = open(log).read().count("rows_returned") - before
    stop(p)
    print(f"store statements per page with {label}: " + ", ".join(f"{k} {v}" for k, v in out.items()))
    return out


print(f"store shape: {N:,} requests, {OPEN:,} open" + (" (all open, all overdue)" if WORST else ""))
# First the 20 newest (open ones, so every page has rows to show), then the rest.
store(range(N - 20, N))
small = statements("20 requests")
t0 = time.time()
store(range(0, N - 20))
print(f"store: {N:,} requests and {N * HISTORY:,} history entries written in {time.time() - t0:.0f} s")
large = statements(f"{N:,} requests")
for name in PAGES:
    assert small[name] == large[name], f"{name}: {small[name]} statements with 20 requests, {large[name]} with {N}"

p = serve()
try:
    token = login("jefe")
    _, inbox = get("/bandeja", token)
    assert b"data-solicitud" in inbox and b"Resumen del procedimiento" in inbox
    _, listed = get(PAGES["lista filtrada"], token)
    assert listed.count(b"data-solicitud=") == 50, listed.count(b"data-solicitud=")
    times = {name: [] for name in PAGES}
    for _ in range(20):  # warm up
        for path in PAGES.values():
            get(path, token)
    for _ in range(ROUNDS):
        for name, path in PAGES.items():  # alternate: drift hits every page alike
            times[name].append(get(path, token)[0])
    stats = {}
    for name, ts in times.items():
        q = statistics.quantiles(ts, n=100)
        stats[name] = (statistics.median(ts), q[98])
        print(f"{name}: median {stats[name][0]:.2f} ms, p99 {stats[name][1]:.2f} ms ({len(ts)} requests)")
    for base in ("estático (estilo.css)", "página sin datos (/ingresar)"):
        b = stats[base]
        for name in ("bandeja", "lista filtrada"):
            print(f"{name} / {base}: median {stats[name][0] / b[0]:.2f}, p99 {stats[name][1] / b[1]:.2f}")
finally:
    stop(p)
    if os.environ.get("KEEP"):
        print("data kept in", data)
    else:
        subprocess.run(["rm", "-rf", work])
