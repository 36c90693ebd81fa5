"""What the DR job's tools report, judged from their real outputs (recorded here from pgBackRest 2.45, gpg 2.2.40,
pg_amcheck 15 and promtool 2.42; tests/tool_outputs): a tool that exits 0 while reporting trouble is not believed."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsgate.dr import tool_reports

OUTPUTS = Path(__file__).parent / "tool_outputs"


def _read(name: str) -> str:
    return (OUTPUTS / name).read_text()


def test_pgbackrest_verify_that_exits_0_with_an_invalid_backup_is_a_problem() -> None:
    assert tool_reports.pgbackrest_verify(_read("pgbackrest-verify-ok.txt")) == []
    for name in ("pgbackrest-verify-checksum-invalid.txt", "pgbackrest-verify-checksum-invalid-terse.txt"):
        assert tool_reports.pgbackrest_verify(_read(name)) == [
            "backup 20261207-200322F_20261207-200325I invalid (checksum invalid: 1)"], name
    assert tool_reports.pgbackrest_verify("") == ["it printed no status (expected `status: ok`)"]
    assert tool_reports.pgbackrest_verify("stanza: x\nstatus: error\n") == ["status: error"]


def test_pgbackrest_info_names_a_stanza_in_trouble_and_a_backup_taken_with_errors() -> None:
    assert tool_reports.pgbackrest_info({"status": {"code": 0, "message": "ok"}, "backup": [{"error": False}]}) == []
    assert tool_reports.pgbackrest_info({"status": {"code": 2, "message": "no valid backups"}, "backup": []}) == []
    assert tool_reports.pgbackrest_info({"status": {"code": 1, "message": "missing stanza path"}}) == [
        "stanza status 1: missing stanza path"]
    found = tool_reports.pgbackrest_info({"status": {"code": 0}, "backup": [{"label": "F1", "error": True}]})
    assert len(found) == 1 and "backup F1 was taken with errors" in found[0], found


def _plain(text: str) -> tool_reports.PlainDump:
    dump = tool_reports.PlainDump()
    for line in text.splitlines(keepends=True):
        dump.read(line)
    return dump


WHOLE = ("--\n-- PostgreSQL database dump\n--\nCREATE TABLE public.t (id integer);\n"
         "COPY public.t (id) FROM stdin;\n1\n2\n\\.\n\nALTER TABLE ONLY public.t ADD PRIMARY KEY (id);\n"
         "--\n-- PostgreSQL database dump complete\n--\n\n")


def test_a_plain_dump_is_whole_only_with_pg_dumps_closing_line_and_every_copy_block_ended() -> None:
    dump = _plain(WHOLE)
    assert dump.problem() is None and len(dump.statements) == 3, dump
    assert _plain(WHOLE.replace("-- PostgreSQL database dump complete", "-- PostgreSQL database cluster dump "
                                "complete")).problem() is None
    cut_in_data = _plain(WHOLE[:WHOLE.index("2\n")])
    assert cut_in_data.problem() and "public.t" in cut_in_data.problem(), cut_in_data  # type: ignore[operator]
    cut_after = _plain(WHOLE[:WHOLE.index("ALTER")])
    assert cut_after.problem() and "cut short" in cut_after.problem(), cut_after  # type: ignore[operator]
    # A COPY row that reads like the closing line is data, not the end.
    assert _plain(WHOLE.replace("1\n2\n", "-- PostgreSQL database dump complete\n")[:WHOLE.index("\\.")]).problem()


def test_pg_amcheck_corruption_is_named_relation_by_relation() -> None:
    found = tool_reports.pg_amcheck(_read("pg_amcheck-corrupt.txt"))
    assert found[0] == 'btree index "postgres.public.t_pkey": ERROR:  line pointer points past end of tuple space ' \
        'in index "t_pkey"', found
    assert found[1].startswith('heap table "postgres.public.t", block 1, offset 45: line pointer redirection'), found
    assert tool_reports.pg_amcheck("") == []


def test_a_postgresql_client_error_counts_whatever_the_exit_code() -> None:
    assert tool_reports.pg_client("pg_restore: warning: errors ignored on restore: 2\n") == [
        "errors ignored on restore: 2"]
    assert tool_reports.pg_client("pg_restore: error: could not read input file: end of file\n") == [
        "pg_restore: error: could not read input file: end of file"]
    assert tool_reports.pg_client("") == []


@pytest.mark.parametrize(("case", "expected"), [
    ("good", None),
    ("pipe", None),  # the reader stopped early (a head read): no verdict on the whole file, nothing bad found
    ("tampered", "BADMDC"),
    ("wrong", "the passphrase does not decrypt it"),
    ("nomdc", "not integrity protected"),
    ("cut", "gpg could not decrypt it: problem reading source"),
])
def test_gpg_is_judged_by_its_status_lines(case: str, expected: str | None) -> None:
    stderr = OUTPUTS / f"gpg-{case}.stderr"
    found = tool_reports.gpg(_read(f"gpg-{case}.status"), stderr.read_text() if stderr.exists() else "")
    if expected is None:
        assert found == [], found
    else:
        assert len(found) == 1 and expected in found[0], found


def test_gpg_without_a_status_did_not_decrypt() -> None:
    assert tool_reports.gpg("", "") == ["gpg could not decrypt it: it did not say DECRYPTION_OKAY"]


def test_promtool_trouble_counts_even_on_exit_0() -> None:
    said = _read("promtool-wal-corrupt.stderr")
    assert tool_reports.promtool(1, said) == [said.strip()]
    assert tool_reports.promtool(0, said) == [said.strip()]
    assert tool_reports.promtool(0, "") == []


def test_a_long_list_is_shown_in_part() -> None:
    assert tool_reports.shown(["a", "b", "c", "d", "e"]) == "a; b; c; and 2 more"
