"""Issue 15 "Done when", by the command line: two desks (police and DWP) on one machine exchange
cards, check fingerprints and run request -> package -> receive -> response -> package ->
receive -> receipts; the tampered, forged, misaddressed, replayed and oversized cases are refused
with their exit codes, one line, and nothing written.

The vaults are made in-process with the quick KDF of the tests (the CLI uses each keyslot's own
parameters), and the requests and responses are recorded in-process (the CLI has no command for
them); everything between the desks goes through `spocdesk` in a subprocess."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest

from app import requests as rq
from app import responses as rs
from app.exchange import desks
from app.vault import Vault
from conftest import OTHER_PASSPHRASE, PASSPHRASE
from desk_helpers import make_desk, request_data, response_data
from test_cli import assert_error, assert_ok

CANARY = "Ottoline Brackenridge-Vasquez"
FP = re.compile(r"\d{5}(?: \d{5}){7}")
WRITTEN = ("requests", "subjects", "dispatches", "responses", "disclosures", "packages", "partner_desks",
           "telephone_calls", "contacts", "partner_suspensions")


def as_spoc(*args) -> list[str]:
    return [*map(str, args), "--user", "bob", "--passphrase-stdin"]


def written(path: Path) -> tuple:
    """Every row a refusal must not add, and the audit events other than signing in and out."""
    vault = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    try:
        counts = tuple(vault.db.scalar(f"SELECT count(*) FROM {t}") for t in WRITTEN)  # our constant names
        events = vault.db.scalar("SELECT count(*) FROM audit_events WHERE action NOT IN ('login', 'logout')")
        delivered = vault.db.scalar("SELECT count(*) FROM dispatches WHERE delivered_at IS NOT NULL")
        return counts, events, delivered
    finally:
        vault.close()


@pytest.fixture
def two(tmp_path):
    police = make_desk(tmp_path / "dcon.vault", "DCON")
    data = request_data()
    data["subjects"][0]["subject"]["name"] = CANARY
    request = rq.create_request(police, data)
    police.close()
    dwp = make_desk(tmp_path / "dwp.vault", "DWP")
    dwp.close()
    out = tmp_path / "out"
    out.mkdir()
    return tmp_path / "dcon.vault", tmp_path / "dwp.vault", request.reference, out


def card_of(spocdesk, vault: Path, out: Path, *, action_first: bool = False) -> str:
    args = ("keys", "card", vault) if action_first else ("keys", vault, "card")
    result = assert_ok(spocdesk(*as_spoc(*args, "--out", out), stdin=OTHER_PASSPHRASE + "\n"))
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    return FP.search(result.out).group(0)


def trust(spocdesk, vault: Path, card: Path, fingerprint: str):
    return spocdesk(*as_spoc("keys", vault, "trust", card, "--fingerprint", fingerprint, "--checked-by",
                             "DS Jane Smith", "--via", "01773 420100 (switchboard)"), stdin=OTHER_PASSPHRASE + "\n")


def exchange_cards(spocdesk, police: Path, dwp: Path, folder: Path) -> None:
    police_fp = card_of(spocdesk, police, folder / "dcon.card")
    dwp_fp = card_of(spocdesk, dwp, folder / "dwp.card", action_first=True)
    assert_ok(trust(spocdesk, police, folder / "dwp.card", dwp_fp))
    assert_ok(trust(spocdesk, dwp, folder / "dcon.card", police_fp))


def test_two_desks_exchange_a_request_a_response_and_receipts(spocdesk, two, isolated_dirs):
    police, dwp, ref, out = two
    folder = out.parent
    dwp_fp = card_of(spocdesk, dwp, folder / "dwp.card")
    police_fp = card_of(spocdesk, police, folder / "dcon.card", action_first=True)
    assert police_fp != dwp_fp
    # A mismatching fingerprint is refused and nothing is trusted.
    wrong = ("9" if dwp_fp[0] != "9" else "8") + dwp_fp[1:]
    before = written(police)
    assert_error(trust(spocdesk, police, folder / "dwp.card", wrong), 4, "does not match")
    assert written(police) == before
    assert_ok(trust(spocdesk, police, folder / "dwp.card", dwp_fp))
    assert_ok(trust(spocdesk, dwp, folder / "dcon.card", police_fp))
    listed = json.loads(assert_ok(spocdesk(*as_spoc("keys", police, "list", "--json"),
                                           stdin=OTHER_PASSPHRASE + "\n")).out)
    assert [(p["agency"], p["fingerprint"], p["checked_by"], p["state"]) for p in listed] == [
        ("DWP", dwp_fp, "DS Jane Smith", "trusted")]
    table = assert_ok(spocdesk(*as_spoc("keys", "list", police), stdin=OTHER_PASSPHRASE + "\n")).out
    assert "DWP" in table and dwp_fp in table

    sent = assert_ok(spocdesk(*as_spoc("send", police, ref, "--to", "DWP", "--out", out),
                              stdin=OTHER_PASSPHRASE + "\n"))
    package = out / f"{ref}_to_DWP.spocpkg"
    assert str(package) in sent.out and "Nothing has been sent yet" in sent.out
    assert stat.S_IMODE(os.stat(package).st_mode) == 0o600

    got = assert_ok(spocdesk(*as_spoc("receive", dwp, package, "--receipt-out", out), stdin=OTHER_PASSPHRASE + "\n"))
    assert re.match(rf"Request {ref} from Derbyshire Constabulary, 3 subjects, due \d\d/\d\d/\d{{4}}\.", got.out)
    receipt = Path(re.search(r"Receipt written: (\S+)", got.out).group(1))
    assert receipt.exists() and stat.S_IMODE(os.stat(receipt).st_mode) == 0o600
    again = assert_ok(spocdesk(*as_spoc("receive", dwp, package, "--receipt-out", out), stdin=OTHER_PASSPHRASE + "\n"))
    assert again.out.startswith("Already received on ") and "nothing was changed" in again.out

    delivered = assert_ok(spocdesk(*as_spoc("receive", police, receipt), stdin=OTHER_PASSPHRASE + "\n"))
    assert "delivered" in delivered.out
    assert written(police)[2] == 1

    vault = Vault.open(dwp, user="bob", passphrase=OTHER_PASSPHRASE)
    try:
        dispatch = rq.get_request(vault, ref).dispatches[0]
        rs.record_response(vault, dispatch.id, response_data(responder_role="DWP SPOC"))
    finally:
        vault.close()
    back = assert_ok(spocdesk(*as_spoc("send", dwp, f"{ref}/DWP", "--out", out), stdin=OTHER_PASSPHRASE + "\n"))
    response = out / f"{ref}_DWP_response_to_DCON.spocpkg"
    assert str(response) in back.out
    answered = assert_ok(spocdesk(*as_spoc("receive", police, response, "--receipt-out", out),
                                  stdin=OTHER_PASSPHRASE + "\n"))
    assert answered.out.startswith(f"Response to {ref} from Department for Work and Pensions: disclosure")
    receipt_back = Path(re.search(r"Receipt written: (\S+)", answered.out).group(1))
    assert "delivered" in assert_ok(spocdesk(*as_spoc("receive", dwp, receipt_back),
                                             stdin=OTHER_PASSPHRASE + "\n")).out
    vault = Vault.open(police, user="bob", passphrase=OTHER_PASSPHRASE)
    try:
        [row] = rs.collation(vault, rq.get_request(vault, ref).id).rows
        assert row.dispatch.status == "responded" and row.response.status == "received"
    finally:
        vault.close()
    # No plaintext of what travelled in any file the app wrote (the vaults are encrypted).
    needle = CANARY.encode("utf-8")
    files = [p for root in (folder, Path(isolated_dirs)) for p in root.rglob("*") if p.is_file()]
    assert len(files) >= 10
    for path in files:
        assert needle not in path.read_bytes(), path


def test_refused_packages_exit_with_their_code_and_write_nothing(spocdesk, two, tmp_path):
    police, dwp, ref, out = two
    exchange_cards(spocdesk, police, dwp, tmp_path)
    assert_ok(spocdesk(*as_spoc("send", police, ref, "--to", "DWP", "--out", out), stdin=OTHER_PASSPHRASE + "\n"))
    package = out / f"{ref}_to_DWP.spocpkg"
    data = package.read_bytes()
    before = written(dwp)

    def refused(path: Path, code: int, *fragments: str) -> None:
        result = spocdesk(*as_spoc("receive", dwp, path, "--receipt-out", out), stdin=OTHER_PASSPHRASE + "\n")
        assert_error(result, code, *fragments)
        assert written(dwp) == before
        assert sorted(p.name for p in out.iterdir()) == [package.name]

    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x01
    (tmp_path / "flipped.spocpkg").write_bytes(bytes(flipped))
    refused(tmp_path / "flipped.spocpkg", 5, "damaged or has been altered")
    (tmp_path / "junk.spocpkg").write_bytes(b"\x00" * 2048)
    refused(tmp_path / "junk.spocpkg", 4, "not a SPOC Desk package")
    with open(tmp_path / "huge.spocpkg", "wb") as handle:
        handle.truncate(200 * 1024 * 1024 + 1)
    refused(tmp_path / "huge.spocpkg", 4, "the limit is 200 MB")
    # A package for another desk: HMRC's desk cannot open DWP's package.
    hmrc = make_desk(tmp_path / "hmrc.vault", "HMRC")
    hmrc.close()
    result = spocdesk(*as_spoc("receive", hmrc.path, package), stdin=OTHER_PASSPHRASE + "\n")
    assert_error(result, 4, "not sealed for this desk")
    # A package signed by a desk DWP does not trust (HMRC trusts DWP, not the other way).
    card_of(spocdesk, hmrc.path, tmp_path / "hmrc.card")
    dwp_fp = desks.fingerprint(desks.read_card(tmp_path / "dwp.card"))
    assert_ok(trust(spocdesk, hmrc.path, tmp_path / "dwp.card", dwp_fp))
    vault = Vault.open(hmrc.path, user="bob", passphrase=OTHER_PASSPHRASE)
    try:
        theirs = rq.create_request(vault, request_data()).reference
    finally:
        vault.close()
    hmrc_out = tmp_path / "hmrc-out"
    hmrc_out.mkdir()
    assert_ok(spocdesk(*as_spoc("send", hmrc.path, theirs, "--to", "DWP", "--out", hmrc_out),
                       stdin=OTHER_PASSPHRASE + "\n"))
    refused(hmrc_out / f"{theirs}_to_DWP.spocpkg", 4, "does not trust")
    # The police card revoked: the genuine package is refused from now on.
    assert_ok(spocdesk(*as_spoc("keys", dwp, "revoke", "DCON"), stdin=OTHER_PASSPHRASE + "\n"))
    before = written(dwp)
    refused(package, 4, "revoked")


def test_send_to_an_untrusted_desk_and_to_an_existing_file_is_refused(spocdesk, two):
    police, dwp, ref, out = two
    before = written(police)
    result = spocdesk(*as_spoc("send", police, ref, "--to", "DWP", "--out", out), stdin=OTHER_PASSPHRASE + "\n")
    assert_error(result, 4, "does not trust its desk card yet")
    assert written(police) == before and list(out.iterdir()) == []
    result = spocdesk(*as_spoc("send", police, ref, "--to", "DWP", "--out", out / "missing"),
                      stdin=OTHER_PASSPHRASE + "\n")
    assert_error(result, 4, "does not exist")
    existing = out / "dcon.card"
    existing.write_text("mine", encoding="utf-8")
    result = spocdesk(*as_spoc("keys", police, "card", "--out", existing), stdin=OTHER_PASSPHRASE + "\n")
    assert_error(result, 4, "already exists")
    assert existing.read_text(encoding="utf-8") == "mine"


def test_keys_rotate_and_the_partner_accepts_the_new_card_without_a_call(spocdesk, two, tmp_path):
    police, dwp, _, _ = two
    exchange_cards(spocdesk, police, dwp, tmp_path)
    rotated = assert_ok(spocdesk(*as_spoc("keys", dwp, "rotate"), stdin=OTHER_PASSPHRASE + "\n"))
    new_fp = FP.search(rotated.out).group(0)
    card_of(spocdesk, dwp, tmp_path / "dwp-v2.card")
    accepted = assert_ok(spocdesk(*as_spoc("keys", police, "trust", tmp_path / "dwp-v2.card"),
                                  stdin=OTHER_PASSPHRASE + "\n"))
    assert "rotated" in accepted.out and new_fp in accepted.out
    listed = json.loads(assert_ok(spocdesk(*as_spoc("keys", police, "list", "--json"),
                                           stdin=OTHER_PASSPHRASE + "\n")).out)
    assert sorted((p["state"], p["trusted_how"]) for p in listed) == [("superseded", "telephone"),
                                                                      ("trusted", "rotation")]
    # A card that is no rotation of a trusted one still needs the telephone check.
    hmrc = make_desk(tmp_path / "hmrc.vault", "HMRC")
    desks.write_card(hmrc, tmp_path / "hmrc.card")
    hmrc.close()
    result = spocdesk(*as_spoc("keys", police, "trust", tmp_path / "hmrc.card"), stdin=OTHER_PASSPHRASE + "\n")
    assert_error(result, 4, "not a rotation")
    result = spocdesk(*as_spoc("keys", police, "trust", tmp_path / "hmrc.card", "--fingerprint", "1"),
                      stdin=OTHER_PASSPHRASE + "\n")
    assert_error(result, 2, "--checked-by")


def test_a_whole_vault_moves_sealed_to_the_new_card_and_only_into_an_empty_vault(spocdesk, two, tmp_path):
    police, _, _, out = two
    new = make_desk(tmp_path / "new.vault", "DCON", role="admin")
    desks.write_card(new, tmp_path / "new.card")
    new.close()
    admin = ["--user", "alice", "--passphrase-stdin"]
    result = spocdesk("export", police, "--out", tmp_path / "move.spocpkg", *admin, stdin=PASSPHRASE + "\n")
    assert_error(result, 2, "--to-card")
    moved = assert_ok(spocdesk("export", police, "--out", tmp_path / "move.spocpkg", "--to-card", tmp_path / "new.card",
                               *admin, stdin=PASSPHRASE + "\n"))
    assert "sealed to the card" in moved.out
    assert CANARY.encode() not in (tmp_path / "move.spocpkg").read_bytes()
    imported = assert_ok(spocdesk("import", tmp_path / "new.vault", tmp_path / "move.spocpkg", *admin,
                                  stdin=PASSPHRASE + "\n"))
    assert "1 requests added" in imported.out
    result = spocdesk("import", police, tmp_path / "move.spocpkg", *admin, stdin=PASSPHRASE + "\n")
    assert_error(result, 4, "not sealed for this desk")
    plain = assert_ok(spocdesk("export", police, "--out", tmp_path / "plain.json", "--unencrypted", *admin,
                               stdin=PASSPHRASE + "\n"))
    assert "UNENCRYPTED" in plain.out
    result = spocdesk("import", tmp_path / "new.vault", tmp_path / "plain.json", *admin, stdin=PASSPHRASE + "\n")
    assert_error(result, 4, "never merged into a live desk")
    vault = Vault.open(police, user="alice", passphrase=PASSPHRASE)
    try:
        from app.exchange.packages import unencrypted_exports

        assert len(unencrypted_exports(vault)) == 1
    finally:
        vault.close()
