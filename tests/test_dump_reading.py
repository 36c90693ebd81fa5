"""A dump file is readable only as its tools report it whole: a plain-SQL dump cut short (pg_dump's closing line
missing, a COPY block unterminated) and an encrypted dump whose integrity check fails (gpg writes the whole
message out, then says BADMDC) are unreadable, though every line of them reads. The stack's database is dumped."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from opsgate.core.verdict import CheckFailed
from opsgate.dr import backups
from opsgate.dr.backups import BackupFile
from opsgate.dr.pg_programs import PgPrograms
from stack.components.postgres.server import PG_BIN, PG_SOCKET_DIR
from stack.config import APP_DB, PORTS

pytestmark = pytest.mark.stack
PASSPHRASE = "nightly job's #secret"


@pytest.fixture(scope="module")
def plain_dump() -> bytes:
    return subprocess.run([str(PG_BIN / "pg_dump"), "-h", str(PG_SOCKET_DIR), "-p", str(PORTS["postgres"]), "-U",
                           "postgres", APP_DB], check=True, capture_output=True, timeout=120).stdout


def _entries(path: Path, passphrase: str | None = None) -> list[str]:
    return backups.archive_entries(PgPrograms.of_major(15, None, 60), backups.unsealed(BackupFile.at(path), passphrase),
                                   passphrase=passphrase)


def _unreadable(path: Path, passphrase: str | None = None) -> str:
    with pytest.raises(CheckFailed) as failed:
        _entries(path, passphrase)
    assert failed.value.runbook == "backup/archive-unreadable", failed.value
    return str(failed.value)


@pytest.mark.parametrize("cut_at", ["\nALTER TABLE", "\n\\.\n"], ids=["after-the-data", "inside-a-copy-block"])
def test_a_plain_dump_cut_short_is_unreadable(plain_dump: bytes, cut_at: str, tmp_path: Path) -> None:
    whole = tmp_path / "app.sql"
    whole.write_bytes(plain_dump)
    assert _entries(whole), "the whole dump lists nothing"
    cut = tmp_path / "cut.sql"
    cut.write_bytes(plain_dump[:plain_dump.rindex(cut_at.encode()) + 1])  # at a line's end: every line reads
    said = _unreadable(cut)
    assert "cut short" in said and ("is not terminated" in said) == (cut_at == "\n\\.\n"), said


def _encrypted(clear: Path) -> Path:
    """As a backup job does (`gpg --symmetric`), uncompressed: what it encrypts is readable byte by byte."""
    sealed = clear.with_name(clear.name + ".gpg")
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "GNUPGHOME": home}
        subprocess.run(["gpg", "--batch", "--quiet", "--pinentry-mode", "loopback", "--passphrase-fd", "0",
                        "--compress-algo", "none", "--symmetric", "-o", str(sealed), str(clear)],
                       input=PASSPHRASE.encode(), env=env, check=True, timeout=60)
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env, check=False, timeout=60)
    return sealed


def test_an_encrypted_dump_whose_integrity_check_fails_is_unreadable(plain_dump: bytes, tmp_path: Path) -> None:
    """The last byte is the integrity check's own (the MDC packet's hash): the dump decrypts in full, intact, and
    only gpg's status (BADMDC) says the file was changed."""
    (tmp_path / "app.sql").write_bytes(plain_dump)
    sealed = _encrypted(tmp_path / "app.sql")
    assert _entries(sealed, PASSPHRASE), "the intact encrypted dump lists nothing"
    changed = bytearray(sealed.read_bytes())
    changed[-1] ^= 0x01
    sealed.write_bytes(bytes(changed))
    said = _unreadable(sealed, PASSPHRASE)
    assert "BADMDC" in said, said
