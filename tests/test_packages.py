"""Sealed, signed packages between desks and their receipts (issue 15; DESIGN.md "Desks and
trust: sealed packages"): the format an independent tool opens, send and receive, and every
refusal leaving the vault exactly as it was."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import tracemalloc
import uuid
import zipfile
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature

from app import contacts, disclosures, suspensions
from app import requests as rq
from app import responses as rs
from app.errors import InvalidInput, PackageDamaged
from app.exchange import desks, packages
from app.exchange import export_request, import_document, import_file
from app.exchange.validate import MAX_DEPTH
from desk_helpers import make_desk, reopen_as, request_data, response_data, trust_each_other

CANARY = "Zebulon Quillfeather-Marchbanks"
TABLES = ("requests", "subjects", "request_subjects", "dispatches", "responses", "disclosures", "packages",
          "partner_desks", "telephone_calls", "contacts", "partner_suspensions", "breaches", "meetings")


def state(vault) -> tuple:
    """What a refusal must leave untouched: the audit head and the rows of every table a package
    could reach, with the request and dispatch rows themselves."""
    counts = tuple(vault.db.scalar(f"SELECT count(*) FROM {t}") for t in TABLES)  # our constant names
    rows = tuple(tuple(r) for r in vault.db.query("SELECT * FROM requests ORDER BY seq"))
    dispatches = tuple(tuple(r) for r in vault.db.query("SELECT * FROM dispatches ORDER BY seq"))
    return vault.chain_head(), counts, rows, dispatches


@pytest.fixture
def desks3(tmp_path):
    """DCON (police), DWP and HMRC; DCON trusts both partners and both trust DCON."""
    police = make_desk(tmp_path / "dcon.vault", "DCON")
    dwp = make_desk(tmp_path / "dwp.vault", "DWP")
    hmrc = make_desk(tmp_path / "hmrc.vault", "HMRC")
    trust_each_other(police, dwp)
    trust_each_other(police, hmrc)
    out = tmp_path / "out"
    out.mkdir()
    yield police, dwp, hmrc, out
    for vault in (police, dwp, hmrc):
        if vault.is_open:
            vault.close()


def a_request(police, **overrides):
    data = request_data(**overrides)
    data["subjects"][1] = {"subject": {"kind": "person", "name": CANARY}, "role": "potential-victim"}
    return rq.create_request(police, data)


def sent_to_dwp(police, out):
    request = a_request(police)
    [made] = packages.send(police, request.reference, ["DWP"], out)
    return request, made


def forge(sender, recipient, doc: dict, path: Path, *, kind: str = "response", reference: str | None = None) -> Path:
    """A package validly sealed and signed by `sender`'s own desk, around any document."""
    document = json.dumps(doc, ensure_ascii=False).encode("utf-8")
    data = packages.seal(sender, kind=kind, document=document, recipient_card=desks.desk_card(recipient),
                         reference=reference or doc["requests"][0]["reference"], package_id=str(uuid.uuid4()),
                         head=sender.chain_head())
    path.write_bytes(data)
    return path


def inner(recipient, path: Path) -> dict[str, bytes]:
    """The members of a package, opened with the recipient's identity (as an attacker holding a
    leaked package and that key could)."""
    import pyrage

    plain = pyrage.decrypt(path.read_bytes(), desks.identities(recipient))
    with zipfile.ZipFile(io.BytesIO(plain)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def reseal(members: dict[str, bytes], card: dict, path: Path) -> Path:
    import pyrage

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    path.write_bytes(pyrage.encrypt(buffer.getvalue(), [pyrage.x25519.Recipient.from_str(card["age_recipient"])]))
    return path


# ---- the format an independent tool opens ---------------------------------------------------


@pytest.mark.skipif(shutil.which("age") is None, reason="Debian's `age` is not installed "
                    "(scripts/install-system-packages.sh installs it)")
def test_an_independent_tool_opens_the_package_and_the_sender_key_alone_checks_it(desks3, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    police, dwp, _, out = desks3
    request, made = sent_to_dwp(police, out)
    work = tmp_path / "tool"
    work.mkdir()
    identity = work / "identity.txt"
    identity.write_text(desks.current_keys(dwp)["age_identity"] + "\n", encoding="ascii")
    os.chmod(identity, 0o600)
    with open(work / "inner.zip", "wb") as handle:
        subprocess.run(["age", "-d", "-i", str(identity), str(made.path)], stdout=handle, check=True)
    subprocess.run(["unzip", "-q", str(work / "inner.zip"), "-d", str(work / "x")], check=True)
    names = sorted(p.name for p in (work / "x").iterdir())
    assert names == ["document.json", "manifest.json", "manifest.sig"]
    manifest_bytes = (work / "x" / "manifest.json").read_bytes()
    manifest = json.loads(manifest_bytes)
    card = desks.desk_card(police)
    public = Ed25519PublicKey.from_public_bytes(__import__("base64").b64decode(card["signing_key"]))
    public.verify((work / "x" / "manifest.sig").read_bytes(), manifest_bytes)  # raises if it does not check out
    pem = work / "sender.pem"
    pem.write_bytes(public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    if shutil.which("openssl"):
        subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(pem), "-rawin",
                        "-in", str(work / "x" / "manifest.json"), "-sigfile", str(work / "x" / "manifest.sig")],
                       check=True, capture_output=True)
    document = (work / "x" / "document.json").read_bytes()
    assert manifest["document"]["sha256"] == hashlib.sha256(document).hexdigest()
    assert manifest["kind"] == "request" and manifest["package_id"] == made.package_id
    assert manifest["sender"]["agency"] == "DCON" and manifest["sender"]["fingerprint"] == desks.fingerprint(card)
    assert manifest["recipients"] == [{"agency": "DWP", "vault_id": dwp.vault_id,
                                       "fingerprint": desks.fingerprint(desks.desk_card(dwp))}]
    # The head is the sender's chain after the send's own audit events.
    event = police.db.one("SELECT seq, mac FROM audit_events WHERE action = 'package.made' AND record_id = ?",
                          (made.package_id,))
    assert manifest["sender_audit_head"] == {"seq": event["seq"], "mac": event["mac"]}
    doc = json.loads(document)
    assert doc["format"] == "spocdesk/1" and [r["reference"] for r in doc["requests"]] == [request.reference]
    # A flipped bit in the manifest no longer verifies with the sender's key.
    altered = bytearray(manifest_bytes)
    altered[10] ^= 1
    with pytest.raises(InvalidSignature):
        public.verify((work / "x" / "manifest.sig").read_bytes(), bytes(altered))


# ---- the whole exchange ---------------------------------------------------------------------


def test_request_package_response_package_and_receipts(desks3):
    police, dwp, hmrc, out = desks3
    request = a_request(police)
    rq.add_agencies(police, request.id, ["DWP", "HMRC"])
    plan = packages.send_plan(police, request.reference, ["DWP", "HMRC"])
    assert [(p.agency, p.problem) for p in plan] == [("DWP", None), ("HMRC", None)]
    made = packages.send(police, request.reference, "DWP,HMRC", out)
    assert [m.file_name for m in made] == [f"{request.reference}_to_DWP.spocpkg",
                                           f"{request.reference}_to_HMRC.spocpkg"]
    for m in made:
        assert stat.S_IMODE(os.stat(m.path).st_mode) == 0o600
        assert CANARY.encode() not in m.path.read_bytes()
    states = {d.agency: packages.dispatch_state(d) for d in rq.get_request(police, request.id).dispatches}
    assert {a: s.code for a, s in states.items()} == {"DWP": "package-made", "HMRC": "package-made"}
    assert states["DWP"].words.startswith("Package made ") and "Sent" not in states["DWP"].words
    register = [d for d in disclosures.list_disclosures(police).items if d.kind == "request"]
    assert sorted(d.to_agency for d in register) == ["DWP", "HMRC"]

    got = packages.receive(dwp, made[0].path, receipt_out=out)
    assert got.kind == "request" and got.sender_agency == "DCON" and got.reference == request.reference
    assert got.line.startswith(f"Request {request.reference} from Derbyshire Constabulary, 3 subjects, due ")
    assert got.request_id == request.id and got.receipt_path.exists()
    held = rq.get_request(dwp, request.reference)
    assert [d.agency for d in held.dispatches] == ["DWP"]  # only its own dispatch travelled
    assert [s.name for s in held.subjects].count(CANARY) == 1
    assert packages.held_heads(dwp)[0]["agency"] == "DCON"
    # The receipt marks DCON's dispatch to DWP delivered; HMRC's is still only made.
    receipt = packages.receive(police, got.receipt_path)
    assert receipt.kind == "receipt" and "delivered" in receipt.line
    states = {d.agency: packages.dispatch_state(d).code for d in rq.get_request(police, request.id).dispatches}
    assert states == {"DWP": "delivered", "HMRC": "package-made"}

    answer = rs.record_response(dwp, held.dispatches[0].id, response_data(responder_role="DWP SPOC"))
    [back] = packages.send(dwp, f"{request.reference}/DWP", None, out)
    assert back.agency == "DCON" and back.kind == "response" and rs.get_response(dwp, answer.id).status == "sent"
    arrived = packages.receive(police, back.path, receipt_out=out)
    assert arrived.kind == "response" and arrived.line == (
        f"Response to {request.reference} from Department for Work and Pensions: disclosure")
    collated = {r.dispatch.agency: r for r in rs.collation(police, request.id).rows}
    assert collated["DWP"].dispatch.status == "responded" and collated["DWP"].response.status == "received"
    assert packages.dispatch_state(collated["DWP"].dispatch).code == "answered"
    done = packages.receive(dwp, arrived.receipt_path)
    assert done.kind == "receipt"
    made_row = dwp.db.one("SELECT receipt_state FROM packages WHERE package_id = ?", (back.package_id,))
    assert made_row["receipt_state"] == "received"


def test_a_package_already_received_changes_nothing_and_says_when(desks3):
    police, dwp, _, out = desks3
    _, made = sent_to_dwp(police, out)
    first = packages.receive(dwp, made.path, receipt_out=out)
    before = state(dwp)
    again = packages.receive(dwp, made.path, receipt_out=out)
    assert again.already_received_at is not None and again.receipt_path is None
    assert again.line.startswith("Already received on ") and "nothing was changed" in again.line
    assert state(dwp) == before
    assert first.receipt_path.exists()


# ---- refusals: nothing written ------------------------------------------------------------


def _refuses(vault, path, error, fragment, out=None):
    before = state(vault)
    listing = sorted(p.name for p in path.parent.iterdir())
    with pytest.raises(error) as refused:
        packages.receive(vault, path, receipt_out=out)
    message = str(refused.value)
    assert "\n" not in message and fragment.lower() in message.lower(), message
    assert state(vault) == before
    assert sorted(p.name for p in path.parent.iterdir()) == listing  # no receipt, nothing left
    return message


def test_a_byte_changed_anywhere_is_refused_and_nothing_is_written(desks3, tmp_path):
    police, dwp, _, out = desks3
    _, made = sent_to_dwp(police, out)
    data = made.path.read_bytes()
    header_end = data.index(b"\n---") + 1
    stanza = range(data.index(b"-> X25519"), header_end)
    positions = sorted({0, 5, 21, header_end + 2, header_end + 20, header_end + 60, len(data) // 2, len(data) - 40,
                        len(data) - 1, *range(header_end + 80, len(data), max(1, len(data) // 25))})
    damaged = 0
    folder = tmp_path / "flips"
    folder.mkdir()
    for pos in positions:
        flipped = bytearray(data)
        flipped[pos] ^= 0x01
        path = folder / f"flip-{pos}.spocpkg"
        path.write_bytes(bytes(flipped))
        if pos in stanza:  # age cannot tell a damaged recipient stanza from one for another key
            _refuses(dwp, path, (PackageDamaged, InvalidInput), "nothing was changed")
        elif pos < 22:  # the age version line: not an age file any more
            _refuses(dwp, path, (PackageDamaged, InvalidInput), "nothing was changed")
        else:
            _refuses(dwp, path, PackageDamaged, "nothing was changed")
            damaged += 1
        path.unlink()
    assert damaged >= 20
    truncated = folder / "cut.spocpkg"
    truncated.write_bytes(data[:-100])
    _refuses(dwp, truncated, PackageDamaged, "damaged")


def test_an_altered_document_or_manifest_inside_is_refused(desks3, tmp_path):
    police, dwp, _, out = desks3
    _, made = sent_to_dwp(police, out)
    members = inner(dwp, made.path)
    card = desks.desk_card(dwp)
    doc = json.loads(members["document.json"])
    doc["requests"][0]["information"] = "rewritten on the way"
    changed = dict(members, **{"document.json": json.dumps(doc).encode()})
    _refuses(dwp, reseal(changed, card, tmp_path / "doc.spocpkg"), PackageDamaged, "does not match the signed hash")
    manifest = json.loads(members["manifest.json"])
    manifest["document"]["sha256"] = hashlib.sha256(changed["document.json"]).hexdigest()
    changed["manifest.json"] = json.dumps(manifest).encode()
    _refuses(dwp, reseal(changed, card, tmp_path / "man.spocpkg"), PackageDamaged, "signature does not match")
    extra = dict(members, **{"../evil.txt": b"x"})
    _refuses(dwp, reseal(extra, card, tmp_path / "extra.spocpkg"), PackageDamaged, "exactly")


def test_a_package_for_another_desk_is_refused(desks3):
    police, dwp, hmrc, out = desks3
    _, made = sent_to_dwp(police, out)
    _refuses(hmrc, made.path, InvalidInput, "not sealed for this desk")


def test_a_re_addressed_package_is_refused(desks3, tmp_path):
    """The signed inner archive of a package for DWP, re-encrypted to HMRC's card."""
    police, dwp, hmrc, out = desks3
    _, made = sent_to_dwp(police, out)
    members = inner(dwp, made.path)
    path = reseal(members, desks.desk_card(hmrc), tmp_path / "readdressed.spocpkg")
    _refuses(hmrc, path, InvalidInput, "addressed to DWP's desk, not to this one")


def test_a_package_signed_by_an_untrusted_unknown_or_revoked_key_is_refused(desks3, tmp_path):
    police, dwp, hmrc, out = desks3
    request, made = sent_to_dwp(police, out)
    # HMRC trusts DWP, but DWP has never checked HMRC's card.
    trust = desks.desk_card(dwp)
    desks.trust_partner(hmrc, trust, fingerprint=desks.fingerprint(trust), checked_by="a", via="0800")
    hmrc_request = a_request(hmrc)
    [from_hmrc] = packages.send(hmrc, hmrc_request.reference, ["DWP"], tmp_path)
    _refuses(dwp, from_hmrc.path, InvalidInput, "does not trust")
    # A second "DCON" vault (unknown keys) signs a package claiming to be the police desk.
    twin = make_desk(tmp_path / "twin.vault", "DCON")
    try:
        desks.trust_partner(twin, trust, fingerprint=desks.fingerprint(trust), checked_by="a", via="b")
        doc = json.loads(inner(dwp, made.path)["document.json"])
        forged = forge(twin, dwp, doc, tmp_path / "twin.spocpkg", kind="request")
    finally:
        twin.close()
    _refuses(dwp, forged, InvalidInput, "does not trust")
    # The real police card, revoked: its packages are refused from now on.
    desks.revoke_partner(dwp, "DCON", "compromised")
    _refuses(dwp, made.path, InvalidInput, "revoked")


def test_malformed_and_oversized_packages_are_refused_in_words(desks3, tmp_path):
    police, dwp, _, out = desks3
    junk = tmp_path / "junk.spocpkg"
    junk.write_bytes(os.urandom(5000))
    _refuses(dwp, junk, InvalidInput, "not a SPOC Desk package")
    bare = tmp_path / "bare.json"
    request = a_request(police)
    rq.send_to_agencies(police, request.id, ["DWP"])
    bare.write_text(json.dumps(export_request(police, request.reference)), encoding="utf-8")
    _refuses(dwp, bare, InvalidInput, "bare exchange file")
    huge = tmp_path / "huge.spocpkg"
    with open(huge, "wb") as handle:
        handle.truncate(packages.MAX_PACKAGE_BYTES + 1)  # sparse: refused by its size, never read
    message = _refuses(dwp, huge, InvalidInput, "the limit is 200 MB")
    assert "201 MB" in message or "200 MB" in message
    folder = tmp_path / "afolder"
    folder.mkdir()
    with pytest.raises(InvalidInput, match="folder"):
        packages.receive(dwp, folder)
    with pytest.raises(InvalidInput, match="There is no file"):
        packages.receive(dwp, tmp_path / "missing.spocpkg")


def test_a_deeply_nested_document_gets_a_clear_refusal(desks3, tmp_path):
    police, dwp, _, out = desks3
    request, made = sent_to_dwp(police, out)
    doc = json.loads(inner(dwp, made.path)["document.json"])
    deep = json.dumps(doc)[:-1] + ', "x": ' + "[" * 50_000 + "]" * 50_000 + "}"
    document = deep.encode()
    data = packages.seal(police, kind="request", document=document, recipient_card=desks.desk_card(dwp),
                         reference=request.reference, package_id=str(uuid.uuid4()), head=police.chain_head())
    path = tmp_path / "deep.spocpkg"
    path.write_bytes(data)
    _refuses(dwp, path, InvalidInput, f"more than {MAX_DEPTH} levels deep")
    # The same for a bare whole-vault file given to import.
    bare = tmp_path / "deep.json"
    bare.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    admin = make_desk(tmp_path / "empty.vault", role="admin")
    try:
        with pytest.raises(InvalidInput, match="levels deep"):
            import_file(admin, bare)
        # Brackets inside text values are not nesting.
        text = tmp_path / "text.json"
        text.write_text(json.dumps({"format": "other", "note": "[" * 10_000}), encoding="utf-8")
        with pytest.raises(InvalidInput, match="not a SPOC Desk exchange file"):
            import_file(admin, text)
    finally:
        admin.close()


MANY_ERRORS = json.dumps({
    "format": "spocdesk/1", "scope": "vault", "exported_at": "2026-01-01T00:00:00+00:00", "exported_by": "a",
    "desk": {"agency": "DCON", "vault_id": "x"}, "audit_chain_head": {"seq": 1, "mac": "0" * 64},
    "requests": [{"id": 1, "colour": "x" * 50} for _ in range(3000)], "subjects": []})


@pytest.mark.parametrize("body", ["[" + "[]," * 3_000_000 + "[]]", MANY_ERRORS], ids=["values", "errors"])
def test_refusing_a_hostile_file_costs_at_most_twice_its_size_plus_100_mb(tmp_path, body):
    admin = make_desk(tmp_path / "empty.vault", role="admin")
    path = tmp_path / "hostile.json"
    path.write_text(body, encoding="utf-8")
    size = path.stat().st_size
    tracemalloc.start()
    try:
        with pytest.raises(InvalidInput):
            import_file(admin, path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        admin.close()
    assert peak <= 2 * size + 100 * 1024 * 1024, (peak, size)


# ---- origin and scope -----------------------------------------------------------------------


def test_a_package_from_hmrc_cannot_rewrite_dcons_request_or_take_its_origin(desks3, tmp_path):
    police, dwp, hmrc, out = desks3
    request = a_request(police)
    [made] = packages.send(police, request.reference, ["HMRC"], out)
    packages.receive(hmrc, made.path, receipt_out=out)
    original = json.loads(inner(hmrc, made.path)["document.json"])
    held = rq.get_request(police, request.id)

    # HMRC's own desk signs a package carrying DCON's request, changed and claimed as newer.
    doc = copy.deepcopy(original)
    doc["desk"]["agency"] = "HMRC"
    doc["requests"][0]["information"] = "Rewritten by HMRC"
    doc["requests"][0]["updated_at"] = "2099-01-01T00:00:00+00:00"
    for subject in doc["subjects"]:
        subject["name"] = "Rewritten"
        subject["updated_at"] = "2099-01-01T00:00:00+00:00"
    quiet = forge(hmrc, police, doc, tmp_path / "rewrite.spocpkg")
    packages.receive(police, quiet, receipt_out=out)  # nothing in it may change what DCON holds
    after = rq.get_request(police, request.id)
    assert after.information == held.information and [s.name for s in after.subjects] == [s.name for s in held.subjects]

    # Claiming the request (or a subject) as HMRC's: the origin of a held record never changes.
    for where in ("request", "subject"):
        doc = copy.deepcopy(original)
        doc["desk"]["agency"] = "HMRC"
        target = doc["requests"][0] if where == "request" else doc["subjects"][0]
        target["origin_agency"] = "HMRC"
        for d in doc["requests"][0]["dispatches"]:
            d["responses"] = []
        _refuses(police, forge(hmrc, police, doc, tmp_path / f"take-{where}.spocpkg",
                               kind="request" if where == "request" else "response"), InvalidInput,
                 "origin of a record never changes")
    assert rq.get_request(police, request.id).origin_agency == "DCON"

    # The document naming DCON as its desk, inside HMRC's signed package.
    doc = copy.deepcopy(original)
    _refuses(police, forge(hmrc, police, doc, tmp_path / "claim.spocpkg", kind="response"), InvalidInput,
             "signed by HMRC's desk")

    # A response in DWP's name inside HMRC's package.
    doc = copy.deepcopy(original)
    doc["desk"]["agency"] = "HMRC"
    dwp_dispatch = next(d for d in held.dispatches if d.agency == "HMRC")
    response = dict(id=str(uuid.uuid4()), origin_agency="DWP", status="sent", sent_at="2026-03-05T10:00:00+00:00",
                    received_at=None, conditions_of_use=rs.conditions_of_use(), created_at="2026-03-05T10:00:00+00:00",
                    created_by="x", updated_at="2026-03-05T10:00:00+00:00", updated_by="x",
                    **{k: v for k, v in response_data().items()})
    response.setdefault("decline_reason", "")
    response.setdefault("responder_contact", "")
    doc["requests"][0]["dispatches"][0]["agency"] = "DWP"
    doc["requests"][0]["dispatches"][0]["responses"] = [response]
    message = _refuses(police, forge(hmrc, police, doc, tmp_path / "dwp-answer.spocpkg"), InvalidInput,
                       "nothing was changed")
    assert "DWP" in message
    assert dwp_dispatch.status != "responded"

    # A brand-new request in DCON's name, from HMRC's desk.
    doc = copy.deepcopy(original)
    doc["desk"]["agency"] = "HMRC"
    doc["requests"][0]["id"] = str(uuid.uuid4())
    doc["requests"][0]["reference"] = "MSR-2026-0999"
    for d in doc["requests"][0]["dispatches"]:
        d["id"] = str(uuid.uuid4())
    _refuses(police, forge(hmrc, police, doc, tmp_path / "new.spocpkg", reference="MSR-2026-0999"), InvalidInput,
             "only by DCON's own desk")


def test_an_older_version_never_overwrites_a_newer_one(desks3, tmp_path):
    police, dwp, _, out = desks3
    request = a_request(police)
    first_dir, second_dir = tmp_path / "v1", tmp_path / "v2"
    first_dir.mkdir()
    second_dir.mkdir()
    [old] = packages.send(police, request.reference, ["DWP"], first_dir)
    rq.update_request(police, request.id, {"information": "Newer information"})
    [new] = packages.send(police, request.reference, ["DWP"], second_dir)
    got = packages.receive(dwp, new.path, receipt_out=out)
    assert rq.get_request(dwp, request.id).information == "Newer information"
    late = packages.receive(dwp, old.path, receipt_out=out)
    assert late.summary.requests_updated == 0
    assert rq.get_request(dwp, request.id).information == "Newer information"
    assert got.summary.requests_added == 1
    # A still newer version, arriving after, does replace it.
    rq.update_request(police, request.id, {"information": "Newest information"})
    third = tmp_path / "v3"
    third.mkdir()
    [newest] = packages.send(police, request.reference, ["DWP"], third)
    assert packages.receive(dwp, newest.path, receipt_out=out).summary.requests_updated == 1
    assert rq.get_request(dwp, request.id).information == "Newest information"


def test_a_request_package_cannot_write_the_directory_suspensions_register_breaches_or_meetings(desks3, tmp_path):
    police, dwp, _, out = desks3
    _, made = sent_to_dwp(police, out)
    original = json.loads(inner(dwp, made.path)["document.json"])
    admin = reopen_as(police, "alice")
    contact = contacts.add_contact(admin, {"partner": "NCA", "name": "Fake Contact", "email": "evil@example.com"})
    suspensions.suspend(admin, "GLAA", "a reason")
    whole = json.loads(json.dumps(__import__("app.exchange", fromlist=["export_vault"]).export_vault(admin)))
    police = reopen_as(admin, "bob")
    assert contact.email
    extras = {"contacts": whole["contacts"], "partner_suspensions": whole["partner_suspensions"],
              "disclosures": whole["disclosures"]}
    for key, rows in extras.items():
        assert rows, key
        doc = dict(copy.deepcopy(original), **{key: rows})
        _refuses(dwp, forge(police, dwp, doc, tmp_path / f"{key}.spocpkg", kind="request"), InvalidInput,
                 "travel only in a whole-vault file")
    assert dwp.db.scalar("SELECT count(*) FROM contacts") == 0
    assert dwp.db.scalar("SELECT count(*) FROM partner_suspensions") == 0
    police.close()


# ---- sending: refusals and the files it writes ------------------------------------------------


def test_send_refuses_an_untrusted_revoked_or_suspended_desk_and_writes_nothing(desks3, tmp_path):
    police, dwp, hmrc, out = desks3
    request = a_request(police)
    before = state(police)
    with pytest.raises(InvalidInput, match="does not trust its desk card yet"):
        packages.send(police, request.reference, ["NCA"], out)
    desks.revoke_partner(police, "HMRC", "compromised")
    before = state(police)
    with pytest.raises(InvalidInput, match="revoked"):
        packages.send(police, request.reference, ["DWP", "HMRC"], out)
    admin = reopen_as(police, "alice")
    suspensions.suspend(admin, "DWP", "a breach")
    police = reopen_as(admin, "bob")
    before = state(police)
    with pytest.raises(InvalidInput, match="suspended under clause 13.2"):
        packages.send(police, request.reference, ["DWP"], out)
    assert state(police) == before
    assert list(out.iterdir()) == []
    plan = packages.send_plan(police, request.reference, ["DWP", "HMRC", "NCA"])
    assert [p.problem is not None for p in plan] == [True, True, True]
    police.close()


def test_an_existing_package_file_is_never_overwritten(desks3):
    police, dwp, _, out = desks3
    request = a_request(police)
    existing = out / f"{request.reference}_to_DWP.spocpkg"
    existing.write_bytes(b"someone else's file")
    before = state(police)
    with pytest.raises(InvalidInput, match="already exists"):
        packages.send(police, request.reference, ["DWP"], out)
    assert existing.read_bytes() == b"someone else's file" and state(police) == before
    with pytest.raises(InvalidInput, match="does not exist"):
        packages.send(police, request.reference, ["DWP"], out / "missing")
    assert state(police) == before


def test_send_plan_names_the_secure_email_of_the_partner(desks3):
    police, dwp, _, out = desks3
    admin = reopen_as(police, "alice")
    contacts.add_contact(admin, {"partner": "DWP", "name": "DWP SPOC", "email": "spoc@dwp.gsi.gov.uk",
                                 "channel": "government-connect"})
    police = reopen_as(admin, "bob")
    request = a_request(police)
    [plan] = packages.send_plan(police, request.reference, ["DWP"])
    assert plan.email == "spoc@dwp.gsi.gov.uk" and plan.problem is None
    assert plan.fingerprint == desks.fingerprint(desks.desk_card(dwp))
    assert plan.file_name == f"{request.reference}_to_DWP.spocpkg" and CANARY not in plan.file_name
    assert "3 subjects" in plan.what
    [made] = packages.send(police, request.reference, ["DWP"], out)
    assert made.email == "spoc@dwp.gsi.gov.uk"
    police.close()


def test_a_response_goes_only_back_to_the_requesting_desk(desks3):
    police, dwp, _, out = desks3
    request, made = sent_to_dwp(police, out)
    packages.receive(dwp, made.path, receipt_out=out)
    with pytest.raises(InvalidInput, match="no response"):
        packages.send(dwp, f"{request.reference}/DWP", None, out)
    dispatch = rq.get_request(dwp, request.reference).dispatches[0]
    rs.record_response(dwp, dispatch.id, response_data())
    with pytest.raises(InvalidInput, match="goes back to the requesting desk"):
        packages.send(dwp, f"{request.reference}/DWP", ["HMRC"], out)
    with pytest.raises(InvalidInput, match="only its own response"):
        packages.send(dwp, f"{request.reference}/HMRC", None, out)
    with pytest.raises(InvalidInput, match="came from DCON"):
        packages.send(dwp, request.reference, ["DCON"], out)


def test_no_plaintext_of_a_package_is_written_anywhere(desks3, tmp_path, isolated_dirs):
    police, dwp, _, out = desks3
    request, made = sent_to_dwp(police, out)
    got = packages.receive(dwp, made.path, receipt_out=out)
    dispatch = rq.get_request(dwp, request.reference).dispatches[0]
    rs.record_response(dwp, dispatch.id, response_data(disclosed_text=f"{CANARY} works at Example Ltd"))
    [back] = packages.send(dwp, f"{request.reference}/DWP", None, out)
    packages.receive(police, back.path, receipt_out=out)
    packages.receive(police, got.receipt_path)
    police.close()
    dwp.close()
    needle = CANARY.encode("utf-8")
    scanned = 0
    for root in (tmp_path, Path(isolated_dirs)):
        for path in root.rglob("*"):
            if path.is_file():
                scanned += 1
                assert needle not in path.read_bytes(), path
    assert scanned >= 8


# ---- rotation and whole-vault moves --------------------------------------------------------


def test_a_rotated_key_inside_a_package_is_accepted_without_a_new_call(desks3):
    police, dwp, _, out = desks3
    request, made = sent_to_dwp(police, out)
    packages.receive(dwp, made.path, receipt_out=out)  # sealed to DWP's first card
    desks.rotate_keys(dwp)
    dispatch = rq.get_request(dwp, request.reference).dispatches[0]
    rs.record_response(dwp, dispatch.id, response_data())
    [back] = packages.send(dwp, f"{request.reference}/DWP", None, out)
    arrived = packages.receive(police, back.path, receipt_out=out)
    assert arrived.rotated and arrived.summary.responses_received == 1
    assert desks.trusted_partner(police, "DWP")["fingerprint"] == desks.fingerprint(desks.desk_card(dwp))
    # A package still sealed to DWP's old card opens (its old keys are kept for that).
    packages.receive(dwp, arrived.receipt_path)


def test_a_whole_vault_moves_sealed_to_the_new_vaults_card(desks3, tmp_path):
    police, dwp, _, out = desks3
    a_request(police)
    admin = reopen_as(police, "alice")
    new = make_desk(tmp_path / "new.vault", "DCON", role="admin")
    target = tmp_path / "move.spocpkg"
    made = packages.export_sealed(admin, desks.desk_card(new), target)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600 and CANARY.encode() not in target.read_bytes()
    with pytest.raises(InvalidInput, match="already exists"):
        packages.export_sealed(admin, desks.desk_card(new), target)
    with pytest.raises(InvalidInput, match="same agency"):
        packages.export_sealed(admin, desks.desk_card(dwp), tmp_path / "other.spocpkg")
    summary = packages.import_whole_vault(new, target)
    assert summary.requests_added == 1 and made.kind == "vault"
    # Never into a live desk.
    again = make_desk(tmp_path / "again.vault", "DCON", role="admin")
    a_second = packages.export_sealed(admin, desks.desk_card(again), tmp_path / "again.spocpkg")
    from app.exchange.importer import holds_records

    assert not holds_records(again)
    new.close()
    busy = reopen_as(again, "bob", "spoc")
    a_request(busy)
    admin_again = reopen_as(busy, "alice")
    before = state(admin_again)
    with pytest.raises(InvalidInput, match="never merged into a live desk"):
        packages.import_whole_vault(admin_again, a_second.path)
    assert state(admin_again) == before
    admin_again.close()
    # The unencrypted file is an explicit, audited choice the DPM can list.
    assert packages.unencrypted_exports(admin) == []
    packages.export_unencrypted(admin, tmp_path / "plain.json")
    [listed] = packages.unencrypted_exports(admin)
    assert listed["by"] == "alice" and listed["vault_id"] == admin.vault_id
    admin.close()


def test_a_bare_request_file_is_refused_by_import(desks3, tmp_path):
    police, dwp, _, out = desks3
    request = a_request(police)
    rq.send_to_agencies(police, request.id, ["DWP"])
    doc = json.loads(json.dumps(export_request(police, request.reference)))
    before = state(dwp)
    with pytest.raises(InvalidInput, match="only inside a sealed package"):
        import_document(dwp, doc)
    assert state(dwp) == before


def test_import_takes_only_a_whole_vault_package_and_only_a_spoc_receives_requests(desks3):
    from app.errors import AuthError

    police, dwp, _, out = desks3
    _, made = sent_to_dwp(police, out)
    admin = reopen_as(dwp, "alice")
    before = state(admin)
    with pytest.raises(InvalidInput, match="is a request package; this takes vault packages only"):
        packages.import_whole_vault(admin, made.path)
    with pytest.raises(AuthError):
        packages.receive(admin, made.path, receipt_out=out)  # need to know: requests are SPOC work
    assert state(admin) == before
    chair = reopen_as(admin, "carol", "chair")
    with pytest.raises(AuthError):
        packages.receive(chair, made.path, receipt_out=out)
    chair.close()


@pytest.mark.parametrize("sizes", [(1200, 64, 8492), (0, 64, 0), (300, 64, 250_000)])
def test_the_stored_zip_is_byte_for_byte_what_zipfile_writes(sizes):
    """packages.stored_zip writes small packages' archives itself (zipfile's bookkeeping was a
    fifth of a seal); it must be the very archive zipfile makes, which any unzip opens."""
    import io
    import os
    import zipfile

    members = [(name, os.urandom(size)) for name, size in zip(packages.MEMBERS, sizes)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=packages.ZIP_DATE)
            info.external_attr = 0o600 << 16
            archive.writestr(info, data)
    ours = packages.stored_zip(members)
    assert ours == buffer.getvalue()
    with zipfile.ZipFile(io.BytesIO(ours)) as archive:
        assert archive.testzip() is None
        assert [(i.filename, archive.read(i)) for i in archive.infolist()] == members
