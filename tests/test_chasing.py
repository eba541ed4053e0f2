"""Chasing overdue answers (clause 2.6): when, how, to whom and the new date promised; a re-sent
package is really made again (trusted desks only) and a telephone chase is in the telephone log;
nothing is half-recorded; an answer overdue again after a chase is flagged for the lead officer;
chase_counts counts them for the compliance report; hostile text is kept exactly."""

from __future__ import annotations

import datetime as dt

import pytest

from app import chasing
from app import requests as rq
from app.errors import AuthError, InvalidInput
from app.exchange import packages
from app.records import Invalid, today_london
from desk_helpers import make_desk, reopen_as, request_data, trust_each_other

HOSTILE = "<b>bold</b> & <a href='x'>x</a> \u202eRTL\u200b " + "y" * 400


@pytest.fixture
def desk(tmp_path):
    police = make_desk(tmp_path / "dcon.vault")
    hmrc = make_desk(tmp_path / "hmrc.vault", agency="HMRC")
    request = rq.create_request(police, request_data())
    sent = {d.agency: d for d in rq.send_to_agencies(police, request.id, ["HMRC", "GLAA"])}
    past = (today_london() - dt.timedelta(days=3)).isoformat()
    for d in sent.values():
        rq.set_due_date(police, d.id, past)
    yield police, hmrc, request, sent
    for v in (police, hmrc):
        if v.is_open:
            v.close()


def test_an_e_mail_chase_moves_the_due_date_and_keeps_the_old_one(desk):
    police, _, request, sent = desk
    old_due = rq.get_dispatch(police, sent["GLAA"].id).due_date
    promised = (today_london() + dt.timedelta(days=5)).isoformat()
    made, packages_made = chasing.record_chase(police, sent["GLAA"].id, {
        "how": "email", "to_whom": HOSTILE, "promised_date": promised, "note": HOSTILE})
    assert packages_made == [] and made.to_whom == HOSTILE and made.note == HOSTILE
    assert made.previous_due == old_due and made.promised_date == promised
    assert rq.get_dispatch(police, sent["GLAA"].id).due_date == promised
    assert [o.dispatch.agency for o in rq.overdue_dispatches(police)] == ["HMRC"]
    assert [c.id for c in chasing.chases_by_dispatch(police, request.id)[sent["GLAA"].id]] == [made.id]
    actions = [r["action"] for r in police.db.query("SELECT action FROM audit_events")]
    assert actions.count("dispatch.chased") == 1


def test_every_missing_or_wrong_field_is_named_and_nothing_is_written(desk):
    police, _, _, sent = desk
    with pytest.raises(Invalid) as caught:
        chasing.record_chase(police, sent["GLAA"].id, {})
    assert {p.field for p in caught.value.problems} == {"how", "to_whom", "promised_date"}
    yesterday = (today_london() - dt.timedelta(days=1)).strftime("%d/%m/%Y")
    with pytest.raises(Invalid) as caught:
        chasing.record_chase(police, sent["GLAA"].id, {"how": "telephone", "to_whom": "Jo", "promised_date": yesterday})
    fields = {p.field for p in caught.value.problems}
    assert fields == {"promised_date", "via", "identity_check"}
    with pytest.raises(Invalid) as caught:
        chasing.record_chase(police, sent["GLAA"].id, {"how": "email", "to_whom": "Jo", "promised_date": "31/02/2027"})
    assert "must be a real date" in caught.value.problems[0].message
    assert police.db.scalar("SELECT count(*) FROM dispatch_chases") == 0
    analyst = reopen_as(police, "dora", "dpm")
    with pytest.raises(AuthError):
        chasing.record_chase(analyst, sent["GLAA"].id, {"how": "email", "to_whom": "x", "promised_date": "01/01/2099"})
    analyst.close()


def test_a_telephone_chase_is_an_entry_in_the_telephone_log(desk):
    police, _, request, sent = desk
    promised = (today_london() + dt.timedelta(days=2)).strftime("%d/%m/%Y")
    made, _ = chasing.record_chase(police, sent["HMRC"].id, {
        "how": "telephone", "to_whom": "Officer Jo Bloggs", "promised_date": promised,
        "via": "0300 200 3300 (HMRC switchboard)", "identity_check": "Called back via the switchboard"})
    call = police.db.one("SELECT * FROM telephone_calls WHERE id = ?", (made.call_id,))
    assert call["callee"] == "Officer Jo Bloggs" and call["request_id"] == request.id
    assert f"Chased the answer to {request.reference}; new date promised {promised}" == call["what"]


def test_package_re_sent_remakes_the_sealed_package_only_for_a_trusted_desk(desk, tmp_path):
    police, hmrc, request, sent = desk
    out = tmp_path / "out"
    out.mkdir()
    promised = (today_london() + dt.timedelta(days=4)).isoformat()
    data = {"how": "package", "to_whom": "HMRC SPOC inbox", "promised_date": promised}
    with pytest.raises(Invalid) as caught:
        chasing.record_chase(police, sent["HMRC"].id, data, out_dir=out)
    assert "does not trust its desk card yet" in caught.value.problems[0].message
    assert chasing.package_possible(police, "HMRC") is not None and list(out.iterdir()) == []
    trust_each_other(police, hmrc)
    assert chasing.package_possible(police, "HMRC") is None
    made, files = chasing.record_chase(police, sent["HMRC"].id, data, out_dir=out)
    assert len(files) == 1 and files[0].path.exists() and made.package_id == files[0].package_id
    received = packages.receive(hmrc, files[0].path, receipt_out=tmp_path)
    assert received is not None
    assert hmrc.db.scalar("SELECT count(*) FROM requests WHERE reference = ?", (request.reference,)) == 1
    # A second package into the same folder is refused with nothing recorded.
    before = police.db.scalar("SELECT count(*) FROM dispatch_chases")
    with pytest.raises(InvalidInput, match="already exists"):
        chasing.record_chase(police, sent["HMRC"].id, data, out_dir=out)
    assert police.db.scalar("SELECT count(*) FROM dispatch_chases") == before


def test_a_failure_after_the_package_is_made_leaves_no_file_and_no_chase(desk, tmp_path, monkeypatch):
    police, hmrc, _, sent = desk
    trust_each_other(police, hmrc)
    out = tmp_path / "out"
    out.mkdir()

    def broken(*_a, **_k):
        raise RuntimeError("disk gone")

    real_audit = police.audit

    def audit(action, **kw):
        if action == "dispatch.chased":
            broken()
        return real_audit(action, **kw)

    monkeypatch.setattr(police, "audit", audit)
    with pytest.raises(RuntimeError):
        chasing.record_chase(police, sent["HMRC"].id, {"how": "package", "to_whom": "x",
                                                       "promised_date": "01/01/2099"}, out_dir=out)
    monkeypatch.undo()
    assert list(out.iterdir()) == [] and police.db.scalar("SELECT count(*) FROM dispatch_chases") == 0
    assert rq.get_dispatch(police, sent["HMRC"].id).due_date < today_london().isoformat()


def test_overdue_again_after_a_chase_is_flagged_for_the_lead_officer(desk):
    police, _, request, sent = desk
    assert chasing.flagged(police) == []  # overdue, but never chased
    promised = today_london() + dt.timedelta(days=2)
    chasing.record_chase(police, sent["GLAA"].id, {"how": "email", "to_whom": "GLAA", "promised_date":
                                                   promised.isoformat()})
    assert chasing.flagged(police) == []
    later = promised + dt.timedelta(days=3)
    flags = chasing.flagged(police, today=later)
    assert [(f.agency, f.chases, f.days_overdue) for f in flags] == [("GLAA", 1, 3)]
    assert flags[0].text().startswith(f"{request.reference}: ")
    assert flags[0].text().endswith("is overdue again after 1 chase (3 days past the promised date)")
    chair = reopen_as(police, "carl", "chair")
    assert len(chasing.flagged(chair, today=later, request_id=request.id)) == 1
    chair.close()


def test_chase_counts_by_period_for_the_compliance_report(desk):
    police, _, _, sent = desk
    promised = (today_london() + dt.timedelta(days=1)).isoformat()
    for how in ("email", "email"):
        chasing.record_chase(police, sent["GLAA"].id, {"how": how, "to_whom": "x", "promised_date": promised})
    chasing.record_chase(police, sent["HMRC"].id, {"how": "telephone", "to_whom": "y", "promised_date": promised,
                                                   "via": "switchboard", "identity_check": "call back"})
    today = today_london()
    counts = chasing.chase_counts(police, today, today + dt.timedelta(days=1))
    assert counts == {"total": 3, "by_how": {"package": 0, "telephone": 1, "email": 2},
                      "by_agency": {"GLAA": 2, "HMRC": 1}, "dispatches_chased": 2, "overdue_again": 0}
    assert chasing.chase_counts(police, today - dt.timedelta(days=9), today)["total"] == 0
    with pytest.raises(InvalidInput):
        chasing.chase_counts(police, today, today - dt.timedelta(days=1))


def test_a_period_boundary_is_midnight_uk_time_across_the_clock_change(desk):
    police, _, _, sent = desk
    # Chased at 00:30 BST on 25/10/2026 (23:30 UTC on the 24th): it falls on the 25th, UK time.
    at = dt.datetime(2026, 10, 24, 23, 30, tzinfo=dt.timezone.utc)
    police.db.execute("UPDATE dispatches SET sent_at = ? WHERE id = ?", ("2026-10-01T00:00:00.000000+00:00",
                                                                         sent["GLAA"].id))
    chasing.record_chase(police, sent["GLAA"].id, {"how": "email", "to_whom": "x", "at": at.isoformat(),
                                                   "promised_date": "2026-10-30"}, now=at)
    assert chasing.chase_counts(police, dt.date(2026, 10, 25), dt.date(2026, 10, 26))["total"] == 1
    assert chasing.chase_counts(police, dt.date(2026, 10, 24), dt.date(2026, 10, 25))["total"] == 0
