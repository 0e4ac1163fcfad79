#!/usr/bin/env python3
"""Signs a PDF as an official would (PAdES, incremental update) with a throw-away self-signed
certificate; the documents' tests use it to file a signed Nota Interna.

usage: firmar.py IN.pdf OUT.pdf "Nombre Apellido"
"""
import datetime
import os
import sys
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers


def main(src, dst, name):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "BO"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "AGETIC"),
        x509.NameAttribute(NameOID.COMMON_NAME, name),
    ])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    with tempfile.TemporaryDirectory() as tmp:
        key_path = os.path.join(tmp, "clave.pem")
        cert_path = os.path.join(tmp, "cert.pem")
        with open(key_path, "wb") as f:
            f.write(key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ))
        with open(cert_path, "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        signer = signers.SimpleSigner.load(key_path, cert_path)
        with open(src, "rb") as inp, open(dst, "wb") as out:
            writer = IncrementalPdfFileWriter(inp, strict=False)
            meta = signers.PdfSignatureMetadata(field_name="Firma")
            signers.sign_pdf(writer, meta, signer=signer, output=out)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3])
