"""`spocdesk retention VAULT review|dispose` and the report kinds of retention and subject access:
JSON of what is due, disposal only with --approve, the certificate, one line on stderr and the
exit codes of the contract."""

from __future__ import annotations

import datetime as dt
import json

import pypdf
import pytest

from conftest import OTHER_PASSPHRASE
from app import requests as rq
from app import subject_access as sa
from desk_helpers import make_desk, reopen_as, request_data


@pytest.fixture
def vault_file(tmp_path):
    vault = make_desk(tmp_path / "dcon.vault")
    for _ in range(2):
        request = rq.create_request(vault, request_data())
        rq.close_request(vault, request.id)
    # Closed long ago: move the closing back three years so the default 24 months have passed.
    with vault.db.transaction():
        vault.db.execute("UPDATE requests SET updated_at = '2023-06-01T10:00:00+00:00'")
    vault = reopen_as(vault, "dana", "dpm")
    ion = [r["id"] for r in vault.db.query("SELECT id FROM subjects WHERE name = 'Ion Popescu'")]  # one per request
    sar = sa.log_request(vault, {"kind": "sar-gdpr", "received_on": dt.date.today().isoformat(),
                                 "requester_name": "<b>Ion</b>", "subject_ids": ion})
    sa.gather_items(vault, sar.reference)
    path = vault.path
    vault.close()
    return path


def _pdf_text(path) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(str(path)).pages)


def test_review_dispose_and_certificate(spocdesk, vault_file, tmp_path):
    auth = ["--user", "dana", "--passphrase-stdin"]
    stdin = OTHER_PASSPHRASE + "\n"
    result = spocdesk("retention", vault_file, "review", *auth, stdin=stdin)
    assert result.code == 0, result.err
    assert json.loads(result.out) == []  # both are held: the open SAR names their subject
    result = spocdesk("retention", "review", vault_file, "--all", *auth, stdin=stdin)
    items = json.loads(result.out)
    assert {i["state"] for i in items} == {"held"} and items[0]["holds"] == ["open-sar"]
    result = spocdesk("retention", vault_file, "dispose", "MSR-2026-0001", "--approve", *auth, stdin=stdin)
    assert result.code == 4 and result.err.count("\n") == 1 and "subject access" in result.err


def test_dispose_needs_approve_and_writes_the_certificate(spocdesk, vault_file, tmp_path):
    from app.vault import Vault

    vault = Vault.open(vault_file, user="dana", passphrase=OTHER_PASSPHRASE)
    sa.add_event(vault, "SAR-" + str(dt.date.today().year) + "-0001", "closed")
    vault.close()
    auth = ["--user", "dana", "--passphrase-stdin"]
    stdin = OTHER_PASSPHRASE + "\n"
    review = json.loads(spocdesk("retention", vault_file, "review", *auth, stdin=stdin).out)
    assert [i["reference"] for i in review] == ["MSR-2026-0001", "MSR-2026-0002"]
    result = spocdesk("retention", vault_file, "dispose", "MSR-2026-0001", "MSR-2026-0002", *auth, stdin=stdin)
    assert result.code == 2 and "--approve" in result.err and "MSR-2026-0002" in result.out
    out = tmp_path / "certificate.pdf"
    result = spocdesk("retention", vault_file, "dispose", "MSR-2026-0001", "MSR-2026-0002", "--approve",
                      "--certificate-out", out, *auth, stdin=stdin)
    assert result.code == 0, result.err
    assert "DC-2026-0001" in result.out and (out.stat().st_mode & 0o777) == 0o600
    text = _pdf_text(out)
    assert "OFFICIAL-SENSITIVE" in text and "MSR-2026-0002" in text and "Popescu" not in text
    again = spocdesk("retention", vault_file, "dispose", "MSR-2026-0001", "--approve", *auth, stdin=stdin)
    assert again.code == 4 and "already been disposed" in again.err and "Traceback" not in again.err
    report = tmp_path / "again.pdf"
    result = spocdesk("report", vault_file, "disposal-certificate", "MSR-2026-0001", "--out", report, *auth, stdin=stdin)
    assert result.code == 0 and "DC-2026-0001" in _pdf_text(report)


def test_subject_access_reports(spocdesk, vault_file, tmp_path):
    auth = ["--user", "dana", "--passphrase-stdin"]
    stdin = OTHER_PASSPHRASE + "\n"
    ref = f"SAR-{dt.date.today().year}-0001"
    for kind in ("subject-file", "response-pack", "exemption-schedule"):
        out = tmp_path / f"{kind}.pdf"
        result = spocdesk("report", vault_file, kind, ref, "--out", out, *auth, stdin=stdin)
        assert result.code == 0, result.err
        text = _pdf_text(out)
        assert "OFFICIAL-SENSITIVE" in text and ref in text
    assert "Ion Popescu" in _pdf_text(tmp_path / "subject-file.pdf")
    assert "not decided" in _pdf_text(tmp_path / "response-pack.pdf")
    result = spocdesk("report", vault_file, "subject-file", "Popescu", "--out", tmp_path / "byname.pdf", *auth,
                      stdin=stdin)
    assert result.code == 4 and "2 subjects match" in result.err  # two subject records: name the SAR instead
    result = spocdesk("report", vault_file, "subject-file", "Nobody Here", "--out", tmp_path / "x.pdf", *auth,
                      stdin=stdin)
    assert result.code == 4 and "No subject" in result.err


def test_the_spoc_may_not(spocdesk, vault_file):
    from app.users import add_user  # noqa: F401 - bob (spoc) was made with the desk
    result = spocdesk("retention", vault_file, "review", "--user", "bob", "--passphrase-stdin",
                      stdin=OTHER_PASSPHRASE + "\n")
    assert result.code == 3 and "dpm" in result.err
