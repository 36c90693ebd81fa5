"""Certificate judgement on certificates made here: what the live stack cannot serve (OpenSSL's default
security level refuses a 1024-bit key), and the wildcard rules of hostname matching."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from opsgate.probes.tls import covers, days_left, key_strength


def certificate(names: list[str], bits: int = 2048) -> x509.Certificate:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=10))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .sign(key, hashes.SHA256())
    )


def test_weak_key_is_flagged() -> None:
    assert not key_strength(certificate(["a.test"])).weak
    assert key_strength(certificate(["a.test"], bits=1024)).weak


@pytest.mark.parametrize(
    ("name", "covered"),
    [
        ("shop.example.com", True),
        ("SHOP.example.com", True),
        ("a.shop.example.com", False),  # a wildcard covers exactly one label
        ("example.com", False),
        ("admin.example.com", True),
    ],
)
def test_wildcard_covers_exactly_one_label(name: str, covered: bool) -> None:
    assert covers(certificate(["shop.example.com", "*.example.com"]), name) is covered


def test_days_left() -> None:
    assert 9.9 < days_left(certificate(["a.test"])) <= 10
