#!/usr/bin/env python3
"""Prepares a running `iop serve --demo` for the gateway benchmark, through its API only:
points the demo service's connector at the benchmark's upstream, then runs a consumption request
through PR05 (steps 1-4) whose grant has a rate limit that does not bind, and prints the API key
issued at step 4 (retrieved by the requesting unit's Solicitante) and the service's base path.

It also drives the builds before the list envelope, the `persona` demo service and the delivery
of step 4's secrets (main up to 70adcfe), so that the benchmark's A/B mode can measure them.

usage: iop_setup.py CONTROL_URL UPSTREAM_URL   ->   "KEY BASE_PATH"
"""
import urllib.error
import json
import sys
import urllib.request
import uuid

BASE, UPSTREAM = sys.argv[1].rstrip("/"), sys.argv[2]
PASSWORD = "demo-iop-2026"


def call(method, path, token=None, body=None, raw=None, content_type="application/json"):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        req.add_header("content-type", content_type)
    if token:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as r:
        text = r.read()
        return json.loads(text) if text else None


def login(user):
    return call("POST", "/api/v1/auth/login", body={"usuario": user, "contrasena": PASSWORD})["token"]


def pdf():
    return (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")


def upload(request_id, token):
    boundary = uuid.uuid4().hex
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"tipo\"\r\n\r\nNI\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"archivo\"; filename=\"ni.pdf\"\r\n"
        f"Content-Type: application/pdf\r\n\r\n"
    ).encode() + pdf() + f"\r\n--{boundary}--\r\n".encode()
    call("PUT", f"/api/v1/solicitudes/{request_id}/documento", token, raw=body, content_type=f"multipart/form-data; boundary={boundary}")


def listing(path, token):
    """A whole list: pages of {resultados, siguiente}, or (older builds) a plain array."""
    try:
        got = call("GET", path + "?limite=200", token)
    except urllib.error.HTTPError:
        got = call("GET", path, token)
    return got["resultados"] if isinstance(got, dict) else got


sol, jefe, resp, lider = (login(u) for u in ("solicitante", "jefe", "responsable", "lider"))
service = next(s for s in listing("/api/v1/servicios", lider) if s["codigo"] in ("persona", "persona-contrastacion"))
system = next(s for s in listing("/api/v1/sistemas", lider) if s["codigo"] == "tramites-en-linea")
try:
    # The service's default base path.
    call("PUT", f"/api/v1/servicios/{service['id']}/conector", lider, {"origenes": [UPSTREAM], "tiempo_espera_ms": 5000})
except urllib.error.HTTPError:
    # Older builds need the base path.
    call("PUT", f"/api/v1/servicios/{service['id']}/conector", lider,
         {"ruta_base": "/segip/v2/", "origenes": [UPSTREAM], "tiempo_espera_ms": 5000})
base_path = call("GET", f"/api/v1/servicios/{service['id']}/conector", lider)["ruta_base"]
r = call("POST", "/api/v1/solicitudes", sol,
         {"tipo": "consumo", "sistema_id": system["id"], "servicios": [service["id"]], "justificacion": "Benchmark"})
rid = r["id"]
upload(rid, sol)
call("POST", f"/api/v1/solicitudes/{rid}/transiciones", sol, {"accion": "presentar"})
call("POST", f"/api/v1/solicitudes/{rid}/transiciones", jefe, {"accion": "derivar"})
me = listing("/api/v1/usuarios", lider)
lider_id = next(u["id"] for u in me if u["usuario"] == "lider")
call("POST", f"/api/v1/solicitudes/{rid}/transiciones", resp, {"accion": "asignar", "lider_id": lider_id})
r = call("POST", f"/api/v1/solicitudes/{rid}/transiciones", lider, {
    "accion": "habilitar",
    "habilitacion": {
        "accesos": [{"sistema_id": system["id"], "servicio_id": service["id"], "limite_por_segundo": 100000, "rafaga": 100000}],
        "emitir_credenciales": ["apikey"],
    },
})
issued = [c["clave"] for c in (r or {}).get("credenciales_emitidas", []) if c.get("clave")]
if not issued:
    # Step 4's secrets reach the requesting unit: its Solicitante retrieves them (once).
    got = call("POST", f"/api/v1/solicitudes/{rid}/accesos/retirar", sol, {})
    issued = [c["clave"] for c in got["credenciales"] if c.get("clave")]
print(issued[0], base_path)
