"""The certificate users actually see, for every server name: trusted, for that name, valid, not expiring,
strong; and only modern TLS versions accepted."""

import datetime as dt
import warnings

import pytest

from opsgate.core.verdict import fail
from opsgate.probes.tls import (
    accepts_protocol,
    covers,
    days_left,
    expect_trusted_chain,
    fetch_certificate,
    key_strength,
    names_of,
)
from opsgate.target import Nginx, Target

pytestmark = pytest.mark.nginx
HANDSHAKE = ("tls/handshake-failed", "nginx/down")


@pytest.mark.runbook("tls/untrusted-chain", "tls/expired", *HANDSHAKE)
def test_chain_is_trusted(server_name: str, tls_endpoint: tuple[str, int], nginx: Nginx, target: Target) -> None:
    expect_trusted_chain(*tls_endpoint, server_name, target.ca_bundle, nginx.timeout_s)


@pytest.mark.runbook("tls/hostname-mismatch", *HANDSHAKE)
def test_certificate_covers_server_name(server_name: str, tls_endpoint: tuple[str, int], nginx: Nginx) -> None:
    cert = fetch_certificate(*tls_endpoint, server_name, nginx.timeout_s)
    assert covers(cert, server_name), f"the certificate served for {server_name} covers only {names_of(cert)}"


@pytest.mark.runbook("tls/expired", "tls/expiring-soon", *HANDSHAKE)
def test_certificate_is_valid_and_not_expiring(server_name: str, tls_endpoint: tuple[str, int], nginx: Nginx) -> None:
    cert = fetch_certificate(*tls_endpoint, server_name, nginx.timeout_s)
    valid = f"valid {cert.not_valid_before_utc:%Y-%m-%d} to {cert.not_valid_after_utc:%Y-%m-%d}"
    if cert.not_valid_before_utc > dt.datetime.now(dt.UTC):
        fail("tls/expired", f"the certificate for {server_name} is not valid yet ({valid}): check the clocks")
    left = days_left(cert)
    if left <= 0:
        fail("tls/expired", f"the certificate for {server_name} expired {-left:.0f} days ago ({valid})")
    if left < nginx.fail_days:
        fail(
            "tls/expiring-soon",
            f"the certificate for {server_name} expires in {left:.1f} days ({valid}); "
            f"the gate fails under {nginx.fail_days} days",
        )
    if left < nginx.warn_days:
        warnings.warn(f"the certificate for {server_name} expires in {left:.0f} days ({valid})", stacklevel=1)


@pytest.mark.runbook("tls/weak-key", *HANDSHAKE)
def test_certificate_key_is_strong(server_name: str, tls_endpoint: tuple[str, int], nginx: Nginx) -> None:
    strength = key_strength(fetch_certificate(*tls_endpoint, server_name, nginx.timeout_s))
    assert not strength.weak, (
        f"the certificate for {server_name} has a weak key or signature: {strength.algorithm} {strength.bits} bits, "
        f"signed with {strength.signature_hash}"
    )


@pytest.mark.runbook("tls/old-protocol", *HANDSHAKE)
def test_only_modern_tls_versions_are_accepted(tls_endpoint: tuple[str, int], nginx: Nginx) -> None:
    name = tls_endpoint[0]
    accepted = {
        version: accepts_protocol(*tls_endpoint, name, version, nginx.timeout_s)
        for version in ("TLSv1", "TLSv1.1", "TLSv1.2")
    }
    old = [version for version in ("TLSv1", "TLSv1.1") if accepted[version]]
    assert not old, f"{name} accepts {' and '.join(old)}: deprecated protocols (RFC 8996)"
    assert accepted["TLSv1.2"], f"{name} refuses TLS 1.2: clients without TLS 1.3 cannot connect"
