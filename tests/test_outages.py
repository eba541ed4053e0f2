"""Equipment malfunction (clause 10.2): a partner's channel recorded down with the alternative form of
exchange (the agreement's channels or the telephone), used by Send for that partner until the repair
and said on every dispatch and register row sent that way; the signatories informed, one record per
partner with how; nothing half-written; hostile text kept exactly."""

from __future__ import annotations

import datetime as dt

import pytest

from app import disclosures, outages
from app.agreement import load_agreement
from app import requests as rq
from app.errors import AuthError, InvalidInput
from app.exchange import packages
from app.records import Invalid
from app.timeutil import parse_london
from app.vault.connection import IntegrityError
from desk_helpers import make_desk, reopen_as, request_data, trust_each_other

HOSTILE = "<b>bold</b> & <a href='x'>x</a> \u202eRTL\u200b \x00nul " + "z" * 300


@pytest.fixture
def desk(tmp_path):
    police = make_desk(tmp_path / "dcon.vault")
    yield police
    if police.is_open:
        police.close()


def down(vault, **overrides):
    data = {"partner": "DWP", "channel": "government-connect", "fallback": "cjsm",
            "what": "The Government Connect gateway rejects mail", "down_at": "01/12/2026 09:00"}
    data.update(overrides)
    return outages.record_outage(vault, data)


def test_every_missing_or_wrong_field_is_named_and_nothing_is_saved(desk):
    with pytest.raises(Invalid) as caught:
        outages.record_outage(desk, {})
    assert {p.field for p in caught.value.problems} == {"partner", "channel", "fallback", "what"}
    with pytest.raises(Invalid) as caught:
        outages.record_outage(desk, {"partner": "DWP", "channel": "cjsm", "fallback": "cjsm", "what": "x"})
    assert caught.value.problems[0].message.startswith("The alternative must be another channel")
    with pytest.raises(Invalid) as caught:
        down(desk, fallback="carrier-pigeon", breach_ref="BR-2026-0099")
    assert {p.field for p in caught.value.problems} == {"fallback", "breach_ref"}
    assert desk.db.scalar("SELECT count(*) FROM channel_outages") == 0
    auditor = reopen_as(desk, "ann", "auditor")
    with pytest.raises(AuthError):
        down(auditor)
    auditor.close()


def test_send_uses_the_alternative_until_the_repair_and_says_so(desk):
    outage = down(desk, what=HOSTILE, fallback_note=HOSTILE)
    assert outage.what == HOSTILE and outage.fallback_note == HOSTILE
    with pytest.raises(Invalid, match="already"):
        down(desk)  # one open malfunction per partner
    assert outages.channel_for(desk, "DWP") == ("cjsm", outage)
    assert outages.channel_for(desk, "HMRC")[1] is None
    request = rq.create_request(desk, request_data())
    rq.add_agencies(desk, request.id, ["DWP", "HMRC"])
    plans = {p.agency: p for p in rq.send_plan(desk, rq.get_request(desk, request.id))}
    assert plans["DWP"].channel == "cjsm"
    assert "the alternative while Government Connect" in plans["DWP"].channel_name and "(10.2)" in \
        plans["DWP"].channel_name
    sent = {d.agency: d for d in rq.send_to_agencies(desk, request.id)}
    assert sent["DWP"].outage_id == outage.id and sent["DWP"].channel == "cjsm"
    assert sent["HMRC"].outage_id is None
    assert "alternative exchange while Government Connect" in outages.dispatch_words(desk, sent["DWP"].id)
    rows = {d.to_agency: d for d in disclosures.list_disclosures(desk, request_id=request.id).items}
    assert rows["DWP"].channel == "cjsm" and "Alternative exchange while" in rows["DWP"].what
    assert "Alternative" not in rows["HMRC"].what
    with pytest.raises(Invalid) as caught:
        outages.record_repair(desk, outage.id, {"repaired_at": "30/11/2026 09:00"})
    assert {p.field for p in caught.value.problems} == {"repair_note", "repaired_at"}
    repaired = outages.record_repair(desk, outage.id, {"repair_note": HOSTILE})
    assert not repaired.open and repaired.repair_note == HOSTILE
    with pytest.raises(Invalid, match="already recorded"):
        outages.record_repair(desk, outage.id, {"repair_note": "again"})
    assert outages.channel_for(desk, "DWP") == (rq.default_channel("DWP"), None)
    later = rq.create_request(desk, request_data())
    rq.add_agencies(desk, later.id, ["DWP"])
    again = {d.agency: d for d in rq.send_to_agencies(desk, later.id)}
    assert again["DWP"].outage_id is None and again["DWP"].channel == "government-connect"


def test_packages_say_so_and_a_telephone_alternative_makes_no_package(desk, tmp_path):
    dwp = make_desk(tmp_path / "dwp.vault", agency="DWP")
    trust_each_other(desk, dwp)
    dwp.close()
    outage = down(desk)
    request = rq.create_request(desk, request_data())
    rq.add_agencies(desk, request.id, ["DWP"])
    out = tmp_path / "out"
    out.mkdir()
    packages.send(desk, request.reference, ["DWP"], out)
    dispatch = next(d for d in rq.get_request(desk, request.id).dispatches if d.agency == "DWP")
    assert dispatch.outage_id == outage.id and dispatch.channel == "cjsm"
    row = next(d for d in disclosures.list_disclosures(desk, request_id=request.id).items if d.to_agency == "DWP")
    assert "Sealed package" in row.what and "Alternative exchange while" in row.what
    outages.record_repair(desk, outage.id, {"repair_note": "Fixed"})
    phone = down(desk, fallback="telephone")
    other = rq.create_request(desk, request_data())
    rq.add_agencies(desk, other.id, ["DWP"])
    with pytest.raises(InvalidInput, match="alternative exchange is the telephone"):
        packages.send(desk, other.reference, ["DWP"], out)
    assert not any("MSR-2026-0002" in p.name for p in out.iterdir())
    assert packages.send_plan(desk, other.reference, ["DWP"])[0].problem.startswith("Until the repair")
    by_phone = {d.agency: d for d in rq.send_to_agencies(desk, other.id, ["DWP"])}
    assert by_phone["DWP"].channel == "telephone" and by_phone["DWP"].outage_id == phone.id


def test_signatories_are_informed_one_record_per_partner(desk):
    outage = down(desk)
    assert outages.missing_notices(outage) == [p.code for p in load_agreement().partners]
    before = len(outages.missing_notices(outage))
    with pytest.raises(Invalid) as caught:
        outages.record_notice(desk, outage.id, {"partner": "HMRC"})
    assert {p.field for p in caught.value.problems} == {"signatory", "how"}
    with pytest.raises(Invalid, match="after the malfunction"):
        outages.record_notice(desk, outage.id, {"partner": "HMRC", "signatory": "x", "how": "y",
                                                "at": "30/11/2026 08:00"})
    told = outages.record_notice(desk, outage.id, {"partner": "HMRC", "signatory": HOSTILE, "how": "Telephone"})
    assert told.notices[0].signatory == HOSTILE and "HMRC" not in outages.missing_notices(told)
    assert len(outages.missing_notices(told)) == before - 1
    with pytest.raises(Invalid, match="already recorded as informed"):
        outages.record_notice(desk, outage.id, {"partner": "HMRC", "signatory": "x", "how": "y"})
    actions = [r["action"] for r in desk.db.query("SELECT action FROM audit_events")]
    assert "outage.recorded" in actions and actions.count("outage.signatory_informed") == 1


def test_times_are_typed_in_uk_time_across_the_clock_change(desk):
    first = down(desk, down_at="25/10/2026 01:30")            # the first 01:30, BST
    assert first.down_at.startswith("2026-10-25T00:30")
    outages.record_repair(desk, first.id, {"repair_note": "ok", "repaired_at": "25/10/2026 01:30 GMT"})
    repaired = outages.get_outage(desk, first.id)
    assert parse_london("25/10/2026 01:30 GMT") - parse_london("25/10/2026 01:30") == dt.timedelta(hours=1)
    assert repaired.repaired_at.startswith("2026-10-25T01:30")
    with pytest.raises(Invalid, match="does not exist in UK time"):
        down(desk, down_at="29/03/2026 01:30")
    with pytest.raises(IntegrityError, match="equipment malfunctions are kept"):
        desk.db.execute("DELETE FROM channel_outages")
