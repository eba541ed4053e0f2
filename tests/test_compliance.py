"""The joint compliance report (13.1) and the reconciliation of two desks' disclosure registers."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from app import compliance, governance, reconcile
from app import requests as rq
from app import responses as rs
from app.errors import AuthError, InvalidInput
from app.exchange import packages
from app.reports import build_report
from desk_helpers import make_desk, reopen_as, request_data, response_data, trust_each_other


@pytest.fixture
def two_desks(tmp_path):
    """DCON and DWP that trust each other, with one request answered through packages."""
    police = make_desk(tmp_path / "dcon.vault", "DCON")
    dwp = make_desk(tmp_path / "dwp.vault", "DWP")
    trust_each_other(police, dwp)
    out = tmp_path / "out"
    out.mkdir()
    request = rq.create_request(police, request_data())
    [made] = packages.send(police, request.reference, ["DWP"], out)
    got = packages.receive(dwp, made.path, receipt_out=out)
    held = rq.get_request(dwp, got.reference)
    rs.record_response(dwp, held.dispatches[0].id, response_data(lawful_bases=["msa2015-s54a"],
                                                                 response_date=dt.date.today().isoformat()))
    [back] = packages.send(dwp, f"{request.reference}/DWP", None, out)
    packages.receive(police, back.path, receipt_out=out)
    yield police, dwp, out, request
    for vault in (police, dwp):
        if vault.is_open:
            vault.close()


def section(report, key):
    return next(s for s in report.sections if s.key == key)


def test_the_report_counts_requests_response_times_bases_and_clocks(two_desks):
    police, dwp, out, request = two_desks
    today = dt.date.today()
    dpm = reopen_as(police, "dee", "dpm")
    try:
        governance.raise_dispute(dpm, {"partner": "DWP", "raised_by": "us", "about": "<b>late</b> & slow",
                                       "raised_on": (today - dt.timedelta(days=20)).isoformat()})
        report = compliance.compliance_report(dpm, compliance.scope_ref(today - dt.timedelta(days=30), today))
        requests = section(report, "requests")
        [row] = requests.rows
        assert row[0] == "Department for Work and Pensions" and row[1:3] == ("1", "1")
        assert requests.chart is not None and requests.chart.labels == ("DWP",)
        assert "1 agency requests sent" in requests.lines[0]
        bases = section(report, "lawful-bases")  # DWP's answer, as received and collated here
        assert bases.rows == (("Section 54A of the Modern Slavery Act 2015", "1"),)
        disputes = section(report, "disputes")
        assert disputes.rows[0][-1] == "OVERDUE"
        only_hmrc = compliance.compliance_report(dpm, compliance.scope_ref(today - dt.timedelta(days=30), today,
                                                                          "HMRC"))
        assert section(only_hmrc, "requests").rows == () and section(only_hmrc, "disputes").rows == ()
        pdf = build_report(dpm, "compliance", compliance.scope_ref(today - dt.timedelta(days=90), today))
        assert pdf.data.startswith(b"%PDF") and pdf.page_count >= 1
        register = build_report(dpm, "agreement-register")
        import io

        import pypdf

        text = "".join(p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(register.data)).pages)
        assert "<b>late</b> & slow" in text  # user text printed as typed, never as markup
        assert "indemnify" in text
        with pytest.raises(InvalidInput, match="before it starts"):
            compliance.compliance_report(dpm, "2026-03-31..2026-01-01")
        with pytest.raises(InvalidInput, match="not a partner"):
            compliance.compliance_report(dpm, "2026-01-01..2026-03-31/NOPE")
    finally:
        dpm.close()
    dwp_dpm = reopen_as(dwp, "dee", "dpm")
    try:
        report = compliance.compliance_report(dwp_dpm, compliance.scope_ref(today - dt.timedelta(days=30), today))
        assert [r[1] for r in section(report, "lawful-bases").rows] == ["1"]
    finally:
        dwp_dpm.close()


def test_a_spoc_may_not_see_the_report(two_desks):
    police, *_ = two_desks
    with pytest.raises(AuthError):
        compliance.compliance_report(police, "all")


def test_two_desks_reconcile_and_a_planted_mismatch_is_found(two_desks):
    police, dwp, out, request = two_desks
    # Planted: DCON's register says it sent DWP a second request DWP never received.
    police.db.execute("INSERT INTO disclosures (id, kind, direction, from_agency, to_agency, at, request_id,"
                      " originator, recorded_by, recorded_at) VALUES ('planted-1', 'request', 'sent', 'DCON', 'DWP',"
                      " '2026-11-01T10:00:00+00:00', 'no-such-request', 'DCON', 'x', '2026-11-01T10:00:00+00:00')")
    police_dpm = reopen_as(police, "dee", "dpm")
    dwp_dpm = reopen_as(dwp, "dee", "dpm")
    try:
        path = reconcile.make_return(police_dpm, "DWP", out)
        doc_text = path.read_bytes()
        assert b"Ion Popescu" not in doc_text  # sealed, and no personal data inside either
        inside = reconcile.return_document(police_dpm, "DWP")
        assert all(set(r) == set(reconcile.ROW_KEYS) for r in inside["rows"])
        assert "Ion" not in json.dumps(inside)
        result = reconcile.import_return(dwp_dpm, path)
        kinds = sorted(m["kind"] for m in result.mismatches)
        assert kinds == ["sent-there-not-received"], result.mismatches
        assert result.mismatches[0]["id"] == "planted-1"
        assert reconcile.import_return(dwp_dpm, path).already
        # DWP's return carries DCON's audit heads it holds: they match DCON's chain.
        back = reconcile.make_return(dwp_dpm, "DCON", out)
        found = reconcile.import_return(police_dpm, back)
        assert [m["kind"] for m in found.mismatches] == ["sent-not-received"] and found.heads >= 1
        report = compliance.compliance_report(police_dpm, "all")
        reconciled = section(report, "reconciliation")
        assert [r[2] for r in reconciled.rows] == ["planted-1"]
        assert reconciled.lines[1].startswith("Department for Work and Pensions: return made ")
    finally:
        police_dpm.close()
        dwp_dpm.close()
    # A return is not taken by the SPOC's `receive`: it names where it is imported.
    spoc = reopen_as(police_dpm, "bob")
    try:
        with pytest.raises(InvalidInput, match="compliance return"):
            packages.receive(spoc, back)
    finally:
        spoc.close()


def test_a_forged_head_in_a_return_is_reported(two_desks, tmp_path):
    police, dwp, out, request = two_desks
    police_dpm = reopen_as(police, "dee", "dpm")
    dwp_dpm = reopen_as(dwp, "dee", "dpm")
    try:
        document = reconcile.return_document(dwp_dpm, "DCON")
        document["heads"].append({"seq": 3, "mac": "ab" * 32})
        from app.exchange import desks

        data = packages.seal(dwp_dpm, kind="compliance-return", document=json.dumps(document).encode(),
                             recipient_card=desks.partner_card(police_dpm) if hasattr(desks, "partner_card")
                             else desks.desk_card(police_dpm), reference="CR-20261201",
                             package_id="0b0e3d5c-8f7e-4c1d-9a2b-3c4d5e6f7a8b", head=dwp_dpm.chain_head())
        path = tmp_path / "forged.spocpkg"
        path.write_bytes(data)
        result = reconcile.import_return(police_dpm, path)
        [forged] = [m for m in result.mismatches if m["kind"] == "head-mismatch"]
        assert forged["id"] == "3:" + "ab" * 8 and "rewritten" in forged["detail"]
    finally:
        police_dpm.close()
        dwp_dpm.close()
