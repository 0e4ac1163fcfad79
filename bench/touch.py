#!/usr/bin/env python3
"""Makes a change through the API (a new description of the demo service, identical to the one in
force) so that the control plane rebuilds the gateway's snapshot from the store.

usage: touch.py CONTROL_URL"""
import json
import sys
import urllib.request

base = sys.argv[1].rstrip("/")
def call(method, path, token=None, body=None):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode() if body is not None else None, method=method,
                                 headers={"content-type": "application/json", **({"authorization": "Bearer " + token} if token else {})})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")
tok = call("POST", "/api/v1/auth/login", body={"usuario": "lider", "contrasena": "demo-iop-2026"})["token"]
svc = next(s for s in call("GET", "/api/v1/servicios?limite=200", tok)["resultados"] if s["codigo"] == "persona")
ops = call("GET", f"/api/v1/servicios/{svc['id']}/conector", tok)
call("PUT", f"/api/v1/servicios/{svc['id']}/conector", tok, {"ruta_base": ops["ruta_base"], "origenes": ops["origenes"], "tiempo_espera_ms": ops["tiempo_espera_ms"]})
