#!/usr/bin/env python3
"""Time from asking the API to revoke a credential to the gateway's first refusal of it.

usage: revoke_latency.py CONTROL_URL GATEWAY_URL PATH KEY CREDENTIAL_ID
Prints milliseconds."""
import json
import sys
import time
import urllib.error
import urllib.request

control, gateway, path, key, cred = sys.argv[1:6]
tok = json.loads(urllib.request.urlopen(urllib.request.Request(
    control + "/api/v1/auth/login", data=json.dumps({"usuario": "lider", "contrasena": "demo-iop-2026"}).encode(),
    headers={"content-type": "application/json"})).read())["token"]

def status():
    try:
        return urllib.request.urlopen(urllib.request.Request(gateway + path, headers={"apikey": key})).status
    except urllib.error.HTTPError as e:
        return e.code

assert status() == 200, "the key must work before it is revoked"
t0 = time.monotonic()
urllib.request.urlopen(urllib.request.Request(control + f"/api/v1/credenciales/{cred}/revocar", data=b"", method="POST",
                                              headers={"authorization": "Bearer " + tok}))
while status() != 401:
    if time.monotonic() - t0 > 10:
        print("timeout")
        sys.exit(1)
print(f"{(time.monotonic() - t0) * 1000:.1f}")
