"""Helpers for the request-area tests: desks with a SPOC signed in, and a valid request."""

from __future__ import annotations

from pathlib import Path

from conftest import OTHER_PASSPHRASE, PASSPHRASE
from app.users import add_user
from app.vault import Vault


def make_desk(path: Path, agency: str = "DCON", role: str = "spoc") -> Vault:
    """A new vault for `agency`; returns it opened as a user of `role` (admin `alice` made it)."""
    vault, _ = Vault.create(path, user="alice", passphrase=PASSPHRASE, agency=agency)
    if role == "admin":
        return vault
    try:
        add_user(vault, "bob", role, OTHER_PASSPHRASE)
    finally:
        vault.close()
    return Vault.open(path, user="bob", passphrase=OTHER_PASSPHRASE)


def reopen_as(vault: Vault, user: str, role: str | None = None) -> Vault:
    """Close `vault`, add `user` with `role` if given (as alice), and open as that user."""
    path = vault.path
    vault.close()
    if role is not None:
        admin = Vault.open(path, user="alice", passphrase=PASSPHRASE)
        try:
            add_user(admin, user, role, OTHER_PASSPHRASE)
        finally:
            admin.close()
    return Vault.open(path, user=user, passphrase=PASSPHRASE if user == "alice" else OTHER_PASSPHRASE)


def request_data(**overrides) -> dict:
    data = {
        "request_date": "2026-03-02",
        "requester_name": "DS Jane Smith",
        "requester_rank": "Detective Sergeant",
        "requester_number": "1234",
        "requester_team": "Op Wilberforce",
        "requester_contact": "operationwilberforce@derbyshire.pnn.police.uk, 101",
        "reasons": ["crime"],
        "information_date": "2026-03-01",
        "information": "Several workers seen being collected at 5am from a house.",
        "check_request": "Please check records for the people and address below.",
        "exploitation_types": ["forced-labour"],
        "purposes": ["identify-victims", "enforcement"],
        "info_types": ["identity-and-associates", "residence-or-business"],
        "declaration": ["use-limited", "prejudice", "legal-basis"],
        "subjects": [
            {"subject": {"kind": "person", "name": "Ion Popescu", "aliases": ["Johnny P"],
                         "date_of_birth": "1988-04-12", "addresses": ["12 Example Street, Derby"],
                         "identifiers": [{"type": "passport", "value": "RO123"}]},
             "role": "suspected-perpetrator"},
            {"subject": {"kind": "person", "name": "Nguyễn Văn An"}, "role": "potential-victim"},
            {"subject": {"kind": "location", "name": "12 Example Street, Derby"}, "role": "unknown"},
        ],
    }
    data.update(overrides)
    return data


def response_data(**overrides) -> dict:
    data = {
        "kind": "disclosure",
        "responder_name": "A. Officer",
        "responder_role": "HMRC SPOC",
        "response_date": "2026-03-05",
        "held_text": "Employment records for one subject.",
        "disclosed_text": "Employed by Example Ltd since 2024.",
        "info_types": ["residence-or-business"],
        "lawful_bases": ["dpa1998-s29-3"],
        "necessary": "Needed to identify the employer of a potential victim.",
        "proportionate": "Only the employer's name and start date are given.",
        "accurate": "From our records, checked today.",
        "partnership_answer": "We can join a visit.",
    }
    data.update(overrides)
    return data


def trust_each_other(*vaults: Vault) -> None:
    """Every desk trusts every other desk's card, as after the telephone checks (9.5)."""
    from app.exchange import desks

    cards = {v.path: desks.desk_card(v) for v in vaults}
    for vault in vaults:
        for other in vaults:
            if other is vault:
                continue
            card = cards[other.path]
            desks.trust_partner(vault, card, fingerprint=desks.fingerprint(card), checked_by="DS Jane Smith",
                                via="01773 420100 (switchboard)")
