#!/usr/bin/env python3
"""A local SMTP sink for the notices' tests: accepts every message on 127.0.0.1:PORT and appends
it to OUT as one JSON line (recipients, subject, the X-IOP-Aviso header, text body).

usage: buzon.py PORT OUT
"""
import json
import sys
import threading
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


class Buzon:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.content, policy=policy.default)
        body = msg.get_body(("plain",))
        rec = {
            "para": envelope.rcpt_tos,
            "de": envelope.mail_from,
            "asunto": str(msg["subject"]),
            "aviso": str(msg["X-IOP-Aviso"]),
            "cuerpo": body.get_content() if body is not None else "",
        }
        with self.lock, open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        return "250 OK"


def main(port, out):
    controller = Controller(Buzon(out), hostname="127.0.0.1", port=port)
    controller.start()
    print("listo", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(int(sys.argv[1]), sys.argv[2])
