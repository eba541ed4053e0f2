"""Desk keys and cards, partners trusted by telephone (9.5), rotation, revocation and the
telephone log (issue 15; DESIGN.md "Desks and trust: sealed packages")."""

from __future__ import annotations

import json
import os
import re
import stat

import pytest

from app import disclosures
from app.errors import AuthError, InvalidInput
from app.exchange import desks
from app.vault import Vault
from app.vault.migrations import LATEST, MIGRATIONS, schema_version
from conftest import PASSPHRASE
from desk_helpers import make_desk, reopen_as, request_data
from test_migrations import ladder

FINGERPRINT = re.compile(r"^\d{5}( \d{5}){7}$")


@pytest.fixture
def two(tmp_path):
    police = make_desk(tmp_path / "dcon.vault", "DCON")
    dwp = make_desk(tmp_path / "dwp.vault", "DWP")
    yield police, dwp
    for vault in (police, dwp):
        if vault.is_open:
            vault.close()


def state(vault) -> tuple:
    """What a refusal must leave untouched: the audit head and every trust and call row."""
    return (vault.chain_head(), vault.db.scalar("SELECT count(*) FROM partner_desks"),
            vault.db.scalar("SELECT count(*) FROM telephone_calls"),
            vault.db.scalar("SELECT count(*) FROM disclosures"))


def test_a_new_vault_has_its_desk_keys_and_a_self_signed_card(two):
    police, _ = two
    card = desks.desk_card(police)
    assert card["agency"] == "DCON" and card["vault_id"] == police.vault_id and card["card_version"] == 1
    assert card["age_recipient"].startswith("age1") and card["previous"] is None
    assert desks.check_card(card) == card
    assert desks.desk_card(police) == card  # the same keys give the same card
    assert FINGERPRINT.match(desks.fingerprint(card))
    # The private halves live only inside the encrypted vault, never in the card.
    text = json.dumps(card)
    row = desks.current_keys(police)
    assert row["age_identity"].startswith("AGE-SECRET-KEY-1") and row["age_identity"] not in text


def test_each_desk_has_its_own_keys(two):
    police, dwp = two
    assert desks.fingerprint(desks.desk_card(police)) != desks.fingerprint(desks.desk_card(dwp))


def test_a_vault_from_before_desk_keys_gets_them_in_the_migration(monkeypatch, vault_path):
    with ladder(monkeypatch, MIGRATIONS[:7]):
        vault, _ = Vault.create(vault_path, user="alice", passphrase=PASSPHRASE, agency="HMRC")
        assert schema_version(vault.db) == 7
        vault.close()
    vault = Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)
    try:
        assert schema_version(vault.db) == LATEST >= 8
        card = desks.check_card(desks.desk_card(vault))
        assert card["agency"] == "HMRC" and card["vault_id"] == vault.vault_id
        assert vault.db.one("SELECT package_made_at, package_id, delivered_at FROM dispatches LIMIT 1") is None
        assert vault.verify().ok
    finally:
        vault.close()


def test_the_card_file_is_new_and_readable_by_its_owner_only(two, tmp_path):
    police, _ = two
    path = tmp_path / "dcon.card"
    fp = desks.write_card(police, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert desks.fingerprint(desks.read_card(path)) == fp
    before = path.read_bytes()
    with pytest.raises(InvalidInput, match="already exists"):
        desks.write_card(police, path)
    assert path.read_bytes() == before


@pytest.mark.parametrize("change, fragment", [
    (lambda c: c.update(agency="HMRC"), "signature does not match"),
    (lambda c: c.update(age_recipient=c["age_recipient"][:-1] + ("q" if c["age_recipient"][-1] != "q" else "p")),
     "age_recipient"),
    (lambda c: c.update(colour="blue"), "unknown field 'colour'"),
    (lambda c: c.pop("signature"), "'signature' is missing"),
    (lambda c: c.update(agency="MARS"), "not a partner"),
    (lambda c: c.update(format="other/1"), "format"),
])
def test_a_damaged_or_altered_card_is_refused_naming_the_problem(two, tmp_path, change, fragment):
    police, _ = two
    card = desks.desk_card(police)
    change(card)
    path = tmp_path / "bad.card"
    path.write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(InvalidInput, match="not a valid desk card") as refused:
        desks.read_card(path)
    assert fragment in str(refused.value)


def test_a_card_file_that_is_not_json_or_too_big_is_refused(tmp_path):
    (tmp_path / "junk.card").write_text("{not json", encoding="utf-8")
    with pytest.raises(InvalidInput, match="not a SPOC Desk card"):
        desks.read_card(tmp_path / "junk.card")
    (tmp_path / "deep.card").write_text("[" * 100_000, encoding="utf-8")
    with pytest.raises(InvalidInput, match="at most 64 KiB"):
        desks.read_card(tmp_path / "deep.card")
    (tmp_path / "nested.card").write_text("[" * 50_000 + "]" * 10_000, encoding="utf-8")
    with pytest.raises(InvalidInput, match="not a SPOC Desk card"):
        desks.read_card(tmp_path / "nested.card")


def test_trusting_a_partner_after_the_telephone_check(two):
    police, dwp = two
    card = desks.desk_card(dwp)
    partner = desks.trust_partner(police, card, fingerprint=desks.fingerprint(card).replace(" ", ""),
                                  checked_by="DS Jane Smith", via="0800 000 000 (DWP switchboard)")
    assert partner["agency"] == "DWP" and partner["state"] == "trusted" and partner["trusted_how"] == "telephone"
    assert partner["checked_by"] == "DS Jane Smith" and partner["via_number"].startswith("0800")
    assert partner["checked_by_user"] == "bob"
    [listed] = desks.partner_desks(police)
    assert listed["fingerprint"] == desks.fingerprint(card)
    [call] = desks.calls(police)
    assert call["direction"] == "check" and call["callee_agency"] == "DWP" and call["via_number"].startswith("0800")
    assert police.db.scalar("SELECT count(*) FROM audit_events WHERE action = 'partner.trusted'") == 1
    # Trusting the same card again changes nothing.
    head = police.chain_head()
    desks.trust_partner(police, card, fingerprint=desks.fingerprint(card), checked_by="x", via="y")
    assert police.chain_head() == head and len(desks.partner_desks(police)) == 1


def test_a_fingerprint_that_does_not_match_is_refused_and_nothing_is_trusted(two):
    police, dwp = two
    card = desks.desk_card(dwp)
    digits = desks.fingerprint(card)
    wrong = ("1" if digits[0] != "1" else "2") + digits[1:]
    before = state(police)
    for given in (wrong, "12345", ""):
        with pytest.raises(InvalidInput, match="fingerprint"):
            desks.trust_partner(police, card, fingerprint=given, checked_by="DS Jane Smith", via="0800 000 000")
    assert state(police) == before


def test_a_card_of_this_desks_own_agency_is_not_trusted(two, tmp_path):
    police, _ = two
    twin = make_desk(tmp_path / "dcon2.vault", "DCON")
    card = desks.desk_card(twin)
    twin.close()
    before = state(police)
    with pytest.raises(InvalidInput, match="this desk's own agency"):
        desks.trust_partner(police, card, fingerprint=desks.fingerprint(card), checked_by="a", via="b")
    assert state(police) == before


def test_who_checked_and_the_number_used_are_required(two):
    police, dwp = two
    card = desks.desk_card(dwp)
    before = state(police)
    with pytest.raises(InvalidInput, match="who checked"):
        desks.trust_partner(police, card, fingerprint=desks.fingerprint(card), checked_by=" ", via="0800")
    with pytest.raises(InvalidInput, match="number"):
        desks.trust_partner(police, card, fingerprint=desks.fingerprint(card), checked_by="DS Smith", via="")
    assert state(police) == before


def test_a_chair_may_not_trust_partner_desks(two):
    police, dwp = two
    chair = reopen_as(police, "carol", "chair")
    card = desks.desk_card(dwp)
    with pytest.raises(AuthError):
        desks.trust_partner(chair, card, fingerprint=desks.fingerprint(card), checked_by="a", via="b")
    chair.close()


def test_a_rotated_card_is_accepted_without_a_new_call(two):
    police, dwp = two
    old = desks.desk_card(dwp)
    desks.trust_partner(police, old, fingerprint=desks.fingerprint(old), checked_by="DS Smith", via="0800")
    new = desks.rotate_keys(dwp)
    assert new["card_version"] == 2 and new["previous"]["fingerprint"] == desks.fingerprint(old)
    assert desks.fingerprint(new) != desks.fingerprint(old)
    accepted = desks.accept_rotation(police, new)
    assert accepted["trusted_how"] == "rotation" and accepted["fingerprint"] == desks.fingerprint(new)
    states = {p["fingerprint"]: p["state"] for p in desks.partner_desks(police)}
    assert states == {desks.fingerprint(old): "superseded", desks.fingerprint(new): "trusted"}
    assert desks.trusted_partner(police, "DWP")["fingerprint"] == desks.fingerprint(new)


def test_a_rotation_not_signed_by_the_trusted_card_is_not_accepted(two, tmp_path):
    police, dwp = two
    trusted = desks.desk_card(dwp)
    desks.trust_partner(police, trusted, fingerprint=desks.fingerprint(trusted), checked_by="DS Smith", via="0800")
    # Another DWP vault rotates its own keys and claims the trusted card as its previous one.
    other = make_desk(tmp_path / "dwp2.vault", "DWP")
    forged = desks.rotate_keys(other)
    other.close()
    forged["previous"] = {"fingerprint": desks.fingerprint(trusted), "signing_key": trusted["signing_key"]}
    before = state(police)
    with pytest.raises(InvalidInput, match="not a valid desk card"):
        desks.accept_rotation(police, forged)
    assert state(police) == before
    # A correctly rotated card of a desk this desk never trusted is not a rotation it accepts.
    stranger = make_desk(tmp_path / "hmrc.vault", "HMRC")
    desks.rotate_keys(stranger)
    rotated = desks.desk_card(stranger)
    stranger.close()
    assert desks.accept_rotation(police, rotated) is None
    assert state(police) == before


def test_a_revoked_card_cannot_be_trusted_again(two):
    police, dwp = two
    card = desks.desk_card(dwp)
    desks.trust_partner(police, card, fingerprint=desks.fingerprint(card), checked_by="DS Smith", via="0800")
    with pytest.raises(InvalidInput, match="Choose why"):
        desks.revoke_partner(police, "DWP", "bored")
    [revoked] = desks.revoke_partner(police, "DWP", "compromised")
    assert revoked["state"] == "revoked" and desks.trusted_partner(police, "DWP") is None
    before = state(police)
    with pytest.raises(InvalidInput, match="revoked"):
        desks.trust_partner(police, card, fingerprint=desks.fingerprint(card), checked_by="DS Smith", via="0800")
    assert state(police) == before
    with pytest.raises(InvalidInput, match="trusts no card"):
        desks.revoke_partner(police, "HMRC", "compromised")


def test_a_telephone_call_is_logged_and_is_a_disclosure_in_the_register(two):
    from app import requests as rq

    police, _ = two
    request = rq.create_request(police, request_data())
    call = desks.log_call(police, direction="given", caller="DS Jane Smith", callee="DWP SPOC", other_agency="DWP",
                          via="0800 000 000 (DWP switchboard)", identity_check="called back via the switchboard",
                          what="Confirmed the address of one subject", request=request.reference)
    assert call["request_id"] == request.id and call["disclosure_id"]
    [row] = [d for d in disclosures.list_disclosures(police).items if d.channel == "telephone"]
    assert (row.direction, row.from_agency, row.to_agency, row.request_id) == ("sent", "DCON", "DWP", request.id)
    assert [c["id"] for c in desks.calls(police)] == [call["id"]]
    # The audit trail holds the call's id and a code, never what was said.
    events = police.db.query("SELECT * FROM audit_events WHERE action = 'telephone.logged'")
    assert [(e["record_id"], e["reason"]) for e in events] == [(call["id"], "given")]
    before = state(police)
    with pytest.raises(InvalidInput, match="how identity was checked"):
        desks.log_call(police, direction="received", caller="a", callee="b", other_agency="DWP", via="0800",
                       identity_check="", what="x")
    with pytest.raises(InvalidInput, match="other partner"):
        desks.log_call(police, direction="received", caller="a", callee="b", other_agency="DCON", via="0800",
                       identity_check="c", what="x")
    assert state(police) == before
