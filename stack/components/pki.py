"""A local certificate authority for the stack's nginx, the server certificates it issues, and the TLS faults.

The CA is created once under `.stack/pki/`; clients trust `ca.pem`. TLS faults issue deliberately bad
certificates (expired, wrong name, from a second untrusted CA) through the same function and reload nginx.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from stack.config import HOST, SERVER_NAMES, STATE
from stack.files import give_to_service_user
from stack.model import Component, Controller, Fault

PKI = STATE / "pki"
SERVED_NAMES = (*SERVER_NAMES, HOST)


@dataclass(frozen=True)
class Authority:
    cert: x509.Certificate
    key: rsa.RSAPrivateKey


def _new_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _write_pair(cert: x509.Certificate, key: rsa.RSAPrivateKey, cert_path: Path, key_path: Path) -> None:
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.touch(mode=0o600)
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


def _load_authority(cert_path: Path, key_path: Path) -> Authority:
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return Authority(cert, key)


def ensure_authority(directory: Path, name: str = "opsgate local CA", stem: str = "ca") -> Authority:
    """Load the CA stored as `<stem>.pem`/`<stem>.key` in `directory`, creating it on first use."""
    cert_path, key_path = directory / f"{stem}.pem", directory / f"{stem}.key"
    if cert_path.exists() and key_path.exists():
        return _load_authority(cert_path, key_path)
    key = _new_key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    _write_pair(cert, key, cert_path, key_path)
    return Authority(cert, key)


def issue_server_cert(
    ca: Authority,
    names: tuple[str, ...],
    cert_path: Path,
    key_path: Path,
    *,
    valid_from: dt.datetime | None = None,
    valid_days: float = 90,
) -> None:
    """Issue a leaf certificate for DNS names and IP addresses in `names`, valid from `valid_from`."""
    key = _new_key()
    start = valid_from or dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    alt_names: list[x509.GeneralName] = []
    for name in names:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alt_names.append(x509.DNSName(name))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=valid_days))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    _write_pair(cert, key, cert_path, key_path)


def issue_healthy_server_cert(ca: Authority | None = None) -> None:
    issue_server_cert(ca or ensure_authority(PKI), SERVED_NAMES, PKI / "server.pem", PKI / "server.key")


def _swap_certificate(
    names: tuple[str, ...] = SERVED_NAMES, *, days_ago: float = 0, valid_days: float = 90, rogue: bool = False
) -> Callable[[Controller], None]:
    """Serve a certificate issued `days_ago` for `valid_days`, by our CA or by a rogue one clients do not trust."""

    def inject(stack: Controller) -> None:
        ca = ensure_authority(PKI, "opsgate rogue CA", stem="rogue-ca") if rogue else ensure_authority(PKI)
        start = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)
        issue_server_cert(ca, names, PKI / "server.pem", PKI / "server.key", valid_from=start, valid_days=valid_days)
        give_to_service_user(PKI)
        stack.reload("nginx")

    return inject


def _restore_certificate(stack: Controller) -> None:
    issue_healthy_server_cert()
    give_to_service_user(PKI)
    stack.reload("nginx")


def component() -> Component:
    faults = (
        Fault(
            "tls-expired",
            "nginx serves a certificate that expired 10 days ago",
            _swap_certificate(days_ago=100),
            undo=_restore_certificate,
        ),
        Fault(
            "tls-expiring-soon",
            "nginx serves a certificate with 3 days left",
            _swap_certificate(days_ago=87),
            undo=_restore_certificate,
        ),
        Fault(
            "tls-hostname-mismatch",
            "nginx serves a certificate for another name",
            _swap_certificate(("wrong-name.opsgate.test",)),
            undo=_restore_certificate,
        ),
        Fault(
            "tls-untrusted-ca",
            "nginx serves a certificate from a CA clients do not trust",
            _swap_certificate(rogue=True),
            undo=_restore_certificate,
        ),
    )
    return Component("pki", faults=faults)
