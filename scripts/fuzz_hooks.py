"""Schemathesis hooks for scripts/fuzz-api.sh (loaded through SCHEMATHESIS_HOOKS).

A body documented as application/pdf (the signed Nota Interna) is generated and sent as raw
bytes, as schemathesis does for application/octet-stream: the API must answer whatever arrives
with a documented 4xx, never a 5xx.
"""
import schemathesis

schemathesis.serializer.alias("application/pdf", "application/octet-stream")
