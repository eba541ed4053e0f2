"""The exchange format spocdesk/1: round trip, all-or-nothing import, desk-to-desk flow."""

from __future__ import annotations

import copy
import json

import pytest

from app import disclosures, exchange
from app import requests as rq
from app import responses as rs
from app import contacts, suspensions
from app.errors import AuthError, InvalidInput
from app.exchange import packages
from desk_helpers import make_desk, reopen_as, request_data, response_data, trust_each_other

HOSTILE = [
    "<b>bold</b><script>alert('x')</script>",
    "Robert'); DROP TABLE requests;--",
    'He said "hello" \\ and \'bye\'',
    "Ana\u202eMaria\u200b\u2066x\u2069",
    "😀👩🏽‍⚕️🇬🇧",
    "x" * 10_000,
    "line one\nline two\ttabbed\r\n",
    "Олександр Шевченко — Nguyễn Văn An — Ștefan Țurcanu — Arbën Krasniqi — Łukasz Wójcik",
]


def clean(doc: dict) -> dict:
    doc = copy.deepcopy(doc)
    for key in ("exported_at", "exported_by", "audit_chain_head", "desk"):
        doc.pop(key, None)
    return doc


@pytest.fixture
def police(tmp_path):
    vault = make_desk(tmp_path / "dcon.vault")
    yield vault
    if vault.is_open:
        vault.close()


def populate(vault):
    first = rq.create_request(vault, request_data(
        information=HOSTILE[0] + HOSTILE[5], check_request=HOSTILE[1], requester_team=HOSTILE[2],
        subjects=[{"subject": {"name": name, "aliases": [HOSTILE[4]], "addresses": [HOSTILE[6]],
                               "description": HOSTILE[2]}, "role": "associate"} for name in HOSTILE]))
    rq.send_to_agencies(vault, first.id, ["HMRC", "GLAA", "DCC/CSIS"])
    second = rq.create_request(vault, request_data(declaration=[]))
    rq.add_agencies(vault, second.id, ["DWP"])
    hmrc = next(d for d in rq.get_request(vault, first.id).dispatches if d.agency == "HMRC")
    rs.receive_response(vault, hmrc.id, response_data(disclosed_text=HOSTILE[3] + HOSTILE[5]))
    disclosures.record(vault, kind="onward", direction="sent", from_agency=vault.agency, to_agency="DCC",
                       what=HOSTILE[1], lawful_bases=["cda1998-s115"], channel="cjsm", originator="HMRC",
                       request_id=first.id)
    return first, second


def test_whole_vault_round_trip_gives_equal_data(police, tmp_path):
    populate(police)
    # Complaints (10.1) and malfunctions (10.2) travel too (tests/test_exchange_carry.py: the rest).
    from app import complaints, outages

    complaints.create_complaint(police, {"complainant_kind": "staff", "complainant": HOSTILE[1], "agency": "DCON",
                                        "about": HOSTILE[3], "received_at": "28/11/2026 09:15",
                                        "received_how": "email"})
    down = outages.record_outage(police, {"partner": "DWP", "channel": "government-connect", "fallback": "cjsm",
                                         "what": HOSTILE[4], "down_at": "01/12/2026 09:00"})
    outages.record_notice(police, down.id, {"partner": "DWP", "signatory": HOSTILE[7], "how": "Telephone"})
    admin = reopen_as(police, "alice")
    contacts.add_contact(admin, {"partner": "NCA", "name": HOSTILE[3], "email": "x@nca.gov.uk"})
    suspensions.suspend(admin, "GLAA", HOSTILE[0])
    original = exchange.export_vault(admin)
    assert len(original["complaints"]) == 1 and len(original["outage_notices"]) == 1
    path = tmp_path / "whole.json"
    exchange.write_file(original, path)
    assert original["audit_chain_head"]["seq"] == admin.chain_head().seq
    other = make_desk(tmp_path / "empty.vault", role="admin")
    summary = exchange.import_file(other, path)
    assert summary.requests_added == 2 and summary.responses_added == 1
    again = exchange.export_vault(other)
    assert clean(again) == clean(original)
    texts = json.dumps(again, ensure_ascii=False)
    for value in HOSTILE:
        assert json.dumps(value, ensure_ascii=False)[1:-1] in texts
    # A whole-vault file goes only into an empty vault: importing it again is refused, nothing changes.
    before = exchange.export_vault(other)
    head = other.chain_head()
    with pytest.raises(InvalidInput, match="never merged into a live desk"):
        exchange.import_file(other, path)
    assert other.chain_head() == head
    assert clean(exchange.export_vault(other)) == clean(before)
    other.close()
    admin.close()


def test_whole_vault_export_is_admin_only(police):
    with pytest.raises(AuthError):
        exchange.export_vault(police)


def bad_variants():
    def set_path(doc, path, value):
        target = doc
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return [
        (["requests", 1, "colour"], "blue", "requests[1] MSR-2026-0002", "colour"),
        (["requests", 1, "dispatches", 0, "status"], "lost", "requests[1] MSR-2026-0002: dispatches[0].status", "lost"),
        (["requests", 1, "purposes"], ["world-domination"], "requests[1] MSR-2026-0002: purposes", "world-domination"),
        (["requests", 1, "information_date"], "2026-02-31", "requests[1] MSR-2026-0002: information_date", "real date"),
        (["requests", 0, "dispatches", 0, "agency"], "ZZZ", "requests[0] MSR-2026-0001: dispatches[0].agency", "ZZZ"),
        (["requests", 0, "dispatches", 1, "responses", 0, "necessary"], "",
         "responses[0].necessary", "necessary"),
        (["subjects", 2, "kind"], "ship", "subjects[2]: kind", "ship"),
        (["requests", 0, "subjects", 0, "subject_id"], "99999999-9999-9999-9999-999999999999",
         "requests[0] MSR-2026-0001: subjects[0].subject_id", "not in the file"),
    ], set_path


def test_one_bad_record_changes_nothing_and_is_named(police, tmp_path):
    populate(police)
    admin = reopen_as(police, "alice")
    good = exchange.export_vault(admin)
    admin.close()
    target = make_desk(tmp_path / "target.vault", role="admin")
    variants, set_path = bad_variants()
    # The variant that breaks a response is aimed at the HMRC dispatch, where the response lives.
    hmrc_index = [d["agency"] for d in good["requests"][0]["dispatches"]].index("HMRC")
    for path, value, where, fragment in variants:
        path = [hmrc_index if p == 1 and path[:3] == ["requests", 0, "dispatches"] and i == 3 else p
                for i, p in enumerate(path)]
        doc = copy.deepcopy(good)
        set_path(doc, path, value)
        before = target.db.scalar("SELECT count(*) FROM audit_events")
        with pytest.raises(InvalidInput) as caught:
            exchange.import_document(target, doc)
        message = str(caught.value)
        assert where in message and fragment in message and "nothing was changed" in message
        assert target.db.scalar("SELECT count(*) FROM requests") == 0
        assert target.db.scalar("SELECT count(*) FROM subjects") == 0
        assert target.db.scalar("SELECT count(*) FROM audit_events") == before
    target.close()


def test_unknown_top_level_field_and_wrong_format(police):
    police = reopen_as(police, "alice")
    doc = exchange.export_vault(police)
    with pytest.raises(InvalidInput, match="not a SPOC Desk exchange file"):
        exchange.import_document(police, dict(doc, format="other/9"))
    with pytest.raises(InvalidInput, match="extra"):
        exchange.import_document(police, dict(doc, extra=1))
    police.close()


def test_reference_clash_is_an_error(police, tmp_path):
    """A package from the requesting desk with a new record under a reference already held."""
    request = rq.create_request(police, request_data())
    partner = make_desk(tmp_path / "hmrc.vault", agency="HMRC")
    trust_each_other(police, partner)
    packages.send(police, request.reference, ["HMRC"], tmp_path)
    doc = json.loads(json.dumps(exchange.export_request(police, request.reference)))
    packages.receive(partner, tmp_path / f"{request.reference}_to_HMRC.spocpkg")
    doc["requests"][0]["id"] = "22222222-2222-4222-8222-222222222222"
    for d in doc["requests"][0]["dispatches"]:
        d["id"] = d["id"][:-4] + "ffff"
    head = partner.chain_head()
    with pytest.raises(InvalidInput, match=r"requests\[0\] MSR-2026-0001: reference: this vault already holds"):
        exchange.import_document(partner, doc, sender="DCON")
    assert partner.chain_head() == head
    partner.close()


def test_police_to_partner_and_back(tmp_path):
    """A police SPOC raises a request to three partners; HMRC receives its package and answers;
    police collates. Each package carries only its recipient's dispatch."""
    police = make_desk(tmp_path / "dcon.vault")
    partner = make_desk(tmp_path / "hmrc.vault", agency="HMRC")
    glaa = make_desk(tmp_path / "glaa.vault", agency="GLAA")
    dcc = make_desk(tmp_path / "dcc.vault", agency="DCC")
    trust_each_other(police, partner, glaa, dcc)
    glaa.close()
    dcc.close()
    request = rq.create_request(police, request_data(information=HOSTILE[3]))
    rq.add_agencies(police, request.id, ["HMRC", "GLAA", "DCC/CSIS"])
    out = tmp_path / "out"
    out.mkdir()
    made = packages.send(police, request.reference, ["HMRC", "GLAA", "DCC"], out)
    assert [(m.agency, m.sub_service) for m in made] == [("HMRC", ""), ("GLAA", ""), ("DCC", "CSIS")]
    sent = [d for d in disclosures.list_disclosures(police).items if d.kind == "request"]
    assert sorted(d.to_agency for d in sent) == ["DCC", "GLAA", "HMRC"]

    received = packages.receive(partner, made[0].path, receipt_out=out)
    assert received.summary.requests_added == 1 and received.receipt_path.exists()
    copy_ = rq.get_request(partner, request.reference)
    assert copy_.id == request.id and copy_.origin_agency == "DCON" and copy_.information == HOSTILE[3]
    assert [d.agency for d in copy_.dispatches] == ["HMRC"]  # only its own dispatch
    register = disclosures.list_disclosures(partner).items
    assert [(d.kind, d.direction, d.from_agency) for d in register] == [("request", "received", "DCON")]
    with pytest.raises(InvalidInput, match="only that desk"):
        rq.update_request(partner, request.id, {"information": "changed"})
    mine = copy_.dispatches[0]
    answer = rs.record_response(partner, mine.id, response_data())
    back = packages.send(partner, f"{request.reference}/HMRC", None, out)
    assert rs.get_response(partner, answer.id).status == "sent"
    # Receiving the police package again on the partner desk changes nothing.
    again = packages.receive(partner, made[0].path, receipt_out=out)
    assert again.already_received_at is not None
    partner.close()

    arrived = packages.receive(police, back[0].path, receipt_out=out)
    assert arrived.summary.responses_received == 1
    collated = rs.collation(police, request.id)
    rows = {r.dispatch.agency: r for r in collated.rows}
    assert rows["HMRC"].dispatch.status == "responded"
    assert rows["HMRC"].response.status == "received" and rows["HMRC"].response.lawful_bases == ("dpa1998-s29-3",)
    assert rows["GLAA"].response is None
    register = disclosures.list_disclosures(police).items
    assert any(d.kind == "response" and d.direction == "received" and d.from_agency == "HMRC" for d in register)
    # The same answer again changes nothing.
    assert packages.receive(police, back[0].path, receipt_out=out).already_received_at is not None
    # A package from the police carries no partner's answers (section 6).
    nca = make_desk(tmp_path / "nca.vault", agency="NCA")
    trust_each_other(police, nca)
    resend = packages.send(police, request.reference, ["NCA"], out)
    opened = packages.receive(nca, resend[0].path, receipt_out=out)
    assert opened.summary.responses_added == 0
    nca.close()
    police.close()


def test_export_request_needs_it_sent_and_spoc(police):
    request = rq.create_request(police, request_data())
    with pytest.raises(InvalidInput, match="not been sent"):
        exchange.export_request(police, request.reference)
    chair = reopen_as(police, "carol", "chair")
    with pytest.raises(AuthError):
        exchange.export_request(chair, request.reference)
    chair.close()


def test_schema_rejects_unknown_fields_everywhere():
    schema = exchange.schema()
    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "object":
                assert node.get("additionalProperties") is False, node.get("title")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(schema)


def test_a_clash_with_a_vault_constraint_is_refused_cleanly(police, tmp_path):
    request = rq.create_request(police, request_data())
    rq.send_to_agencies(police, request.id, ["HMRC"])
    doc = json.loads(json.dumps(exchange.export_request(police, request.reference)))
    partner = make_desk(tmp_path / "hmrc.vault", agency="HMRC")
    exchange.import_document(partner, copy.deepcopy(doc), sender="DCON")
    # The same request again, but its dispatch under a new id: the vault's own constraint refuses it.
    doc["requests"][0]["dispatches"][0]["id"] = "33333333-3333-4333-8333-333333333333"
    before = partner.db.scalar("SELECT count(*) FROM audit_events")
    with pytest.raises(InvalidInput, match="clashes"):
        exchange.import_document(partner, doc, sender="DCON")
    assert partner.db.scalar("SELECT count(*) FROM dispatches") == 1
    assert partner.db.scalar("SELECT count(*) FROM audit_events") == before
    partner.close()


def test_quick_check_and_jsonschema_agree_on_every_kind_of_record(tmp_path):
    """Imports pass fastjsonschema first and fall back to jsonschema for the message: the two must
    accept and refuse the same files, or a bad record could slip through the quick check."""
    import jsonschema
    from app import demo

    vault = make_desk(tmp_path / "demo.vault", role="admin")
    demo.populate(vault, 12, seed=5)
    doc = json.loads(json.dumps(exchange.export_vault(vault)))
    vault.close()
    assert {"requests", "subjects", "disclosures", "breaches", "meetings"} <= set(doc)
    quick, failure = exchange._fast_check()
    full = exchange._validator()

    def verdicts(candidate) -> tuple[bool, bool]:
        try:
            quick(candidate)
            quick_ok = True
        except failure:
            quick_ok = False
        return quick_ok, full.is_valid(candidate)

    assert verdicts(doc) == (True, True)
    # One object of each shape (first seen at each path pattern), given an unknown field or a
    # wrongly typed value in place of each of its fields.
    seen, objects = set(), []

    def walk(node, pattern):
        if isinstance(node, dict):
            if pattern not in seen:
                seen.add(pattern)
                objects.append(node)
            for key, value in node.items():
                walk(value, pattern + (key,))
        elif isinstance(node, list):
            for item in node:
                walk(item, pattern + ("[]",))

    walk(doc, ())
    assert len(objects) > 20
    checked = 0
    for target in objects:
        target["unexpected_field"] = "x"
        assert verdicts(doc) == (False, False)
        del target["unexpected_field"]
        for key in list(target):
            original = target[key]
            target[key] = {"not": "the right type"} if not isinstance(original, dict) else 7
            quick_ok, full_ok = verdicts(doc)
            assert quick_ok == full_ok, (key, original)
            target[key] = original
            checked += 1
    assert checked > 100 and verdicts(doc) == (True, True)
    assert isinstance(full, jsonschema.Draft202012Validator)
