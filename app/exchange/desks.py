"""Desk cards, partner desks trusted by telephone (9.5), key rotation and revocation, and the
telephone log (DESIGN.md, "Desks and trust: sealed packages").

A desk card is the public half of a desk's keys: agency, vault id, the Ed25519 signing key, the
age X25519 recipient, when the keys were made and the card version. It is signed by its own
signing key; a rotated card also names the card before it and carries a second signature by
that card's key, so a partner that trusts the old card accepts the new one without a new call.

A partner's card is trusted only after its fingerprint was read back on a call placed through
the partner's switchboard or a number already known: who checked, the number used and when are
kept, and the call is the first entry of the telephone log. The telephone log also records any
information given or received by phone under a request; each such call is a disclosure in the
register (channel `telephone`).
"""

from __future__ import annotations

import json
import weakref
from pathlib import Path

from app.agreement import load_agreement
from app.errors import InvalidInput, VaultDamaged
from app.files import write_private
from app.exchange import keys as k
from app.records import new_id
from app.roles import require
from app.timeutil import utc_now_iso

MAX_CARD_BYTES = 64 * 1024
CARD_FIELDS = ("format", "card_version", "agency", "vault_id", "signing_key", "age_recipient", "created",
               "previous", "signature", "rotation_signature")
REVOKE_REASONS = {
    "compromised": "The partner's keys may be known to someone else",
    "left-partnership": "The partner has left the agreement",
    "replaced": "The partner's desk was replaced (a new card will be checked by telephone)",
    "error": "Trusted in error",
}
CALL_DIRECTIONS = ("given", "received", "check")


# ---- this desk --------------------------------------------------------------------------------


def _key_rows(vault) -> list:
    return vault.db.query("SELECT * FROM desk_keys ORDER BY version")


def current_keys(vault):
    row = vault.db.one("SELECT * FROM desk_keys WHERE retired_at IS NULL ORDER BY version DESC LIMIT 1")
    if row is None:
        raise VaultDamaged("This vault holds no desk keys; restore it from a backup.")
    return row


def identities(vault) -> list:
    """Every age identity this desk has had, newest first (a package sealed to a card just
    rotated away still opens)."""
    import pyrage

    return [pyrage.x25519.Identity.from_str(r["age_identity"]) for r in reversed(_key_rows(vault))]


def _signed_part(card: dict) -> bytes:
    return k.canonical({f: card[f] for f in CARD_FIELDS if f not in ("signature", "rotation_signature")})


def _card_from_row(vault, row, previous=None) -> dict:
    card = {"format": k.CARD_FORMAT, "card_version": row["version"], "agency": vault.agency,
            "vault_id": vault.vault_id, "signing_key": k.public_b64(row["signing_key"]),
            "age_recipient": k.age_recipient(row["age_identity"]), "created": row["created_at"], "previous": None}
    if previous is not None:
        old = _card_from_row(vault, previous)
        card["previous"] = {"fingerprint": fingerprint(old), "signing_key": old["signing_key"]}
    body = _signed_part(card)
    card["signature"] = k.b64(k.signing_key(row["signing_key"]).sign(body))
    card["rotation_signature"] = (k.b64(k.signing_key(previous["signing_key"]).sign(body))
                                  if previous is not None else None)
    return card


# This desk's card, fingerprint and signing key per open vault, made once: only this process
# can change a vault's keys while it is open (one instance per vault), and rotate_keys drops it.
_OWN: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def own(vault) -> tuple[dict, str, object]:
    """(card, fingerprint, Ed25519 private key object) of this desk's current keys."""
    found = _OWN.get(vault)
    if found is None:
        rows = _key_rows(vault)
        current = current_keys(vault)
        previous = next((r for r in reversed(rows) if r["version"] < current["version"]), None)
        card = _card_from_row(vault, current, previous)
        found = (card, fingerprint(card), k.signing_key(current["signing_key"]))
        _OWN[vault] = found
    return found


def desk_card(vault) -> dict:
    """This desk's public card, self-signed (Ed25519 signatures are deterministic, so the same
    keys always give the same card)."""
    return json.loads(json.dumps(own(vault)[0]))


def fingerprint(card: dict) -> str:
    """The fingerprint read aloud: eight groups of five digits."""
    return k.fingerprint_of(card["agency"], card["vault_id"], card["signing_key"], card["age_recipient"])


_fingerprint = fingerprint  # for functions whose keyword argument is called `fingerprint`


def write_card(vault, path) -> str:
    """Write this desk's card to a new file (for e-mailing to partners); returns its fingerprint."""
    card = desk_card(vault)
    data = json.dumps(card, indent=1, sort_keys=True).encode("ascii") + b"\n"
    write_private(Path(path), data)
    vault.audit("desk.card_saved", record_type="desk", record_id=vault.vault_id, reason=f"v{card['card_version']}")
    return fingerprint(card)


# ---- reading and checking a card ------------------------------------------------------------


def read_card(path) -> dict:
    """A partner's card from a file, checked (fields, agency, keys, its own signatures)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InvalidInput(f"There is no file {path}.") from None
    if path.is_dir():
        raise InvalidInput(f"{path} is a folder, not a desk card.")
    if size > MAX_CARD_BYTES:
        raise InvalidInput(f"{path.name} is {size // 1024} KiB; a desk card is at most {MAX_CARD_BYTES // 1024} KiB.")
    try:
        card = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise InvalidInput(f"{path.name} is not a SPOC Desk card (not JSON).") from None
    return check_card(card, path.name)


def check_card(card, name: str = "the card") -> dict:
    """Validate a card's shape and signatures; refuse in one line naming the first problem."""
    def bad(problem: str) -> InvalidInput:
        return InvalidInput(f"{name} is not a valid desk card: {problem}.")

    if not isinstance(card, dict) or card.get("format") != k.CARD_FORMAT:
        raise bad(f"its format is not {k.CARD_FORMAT!r}")
    extra = sorted(set(card) - set(CARD_FIELDS))
    missing = [f for f in CARD_FIELDS if f not in card]
    if extra:
        raise bad(f"unknown field {extra[0]!r}")
    if missing:
        raise bad(f"the field {missing[0]!r} is missing")
    for field in ("agency", "vault_id", "signing_key", "age_recipient", "created", "signature"):
        if not isinstance(card[field], str) or not card[field] or len(card[field]) > 200:
            raise bad(f"{field} must be a short text")
    if not isinstance(card["card_version"], int) or isinstance(card["card_version"], bool) \
            or not 1 <= card["card_version"] <= 1_000_000:
        raise bad("card_version must be a whole number from 1")
    if card["agency"] not in load_agreement().partner_codes():
        raise bad(f"agency {card['agency']!r} is not a partner of this agreement")
    try:
        if len(k.unb64(card["signing_key"])) != 32:
            raise ValueError
    except ValueError:
        raise bad("signing_key is not an Ed25519 public key") from None
    try:
        import pyrage

        pyrage.x25519.Recipient.from_str(card["age_recipient"])
    except Exception:  # noqa: BLE001 - pyrage raises its own error types for a bad recipient
        raise bad("age_recipient is not an age X25519 recipient (age1...)") from None
    if not card["age_recipient"].startswith("age1"):
        raise bad("age_recipient is not an age X25519 recipient (age1...)")
    try:
        signature = k.unb64(card["signature"])
    except ValueError:
        raise bad("its signature is not base64") from None
    body = _signed_part(card)
    if not k.verify(card["signing_key"], signature, body):
        raise bad("its signature does not match its signing key (damaged or altered)")
    previous = card["previous"]
    if previous is None:
        if card["rotation_signature"] is not None:
            raise bad("a rotation signature without a previous card")
    else:
        if not isinstance(previous, dict) or set(previous) != {"fingerprint", "signing_key"} \
                or not all(isinstance(v, str) for v in previous.values()):
            raise bad("previous must name the fingerprint and signing key of the card before")
        try:
            rotation = k.unb64(card["rotation_signature"] or "")
        except ValueError:
            raise bad("its rotation signature is not base64") from None
        if not k.verify(previous["signing_key"], rotation, body):
            raise bad("its rotation signature is not by the previous card's key")
    return card


# ---- partner desks ------------------------------------------------------------------------


def _partner_dict(row) -> dict:
    return {"id": row["id"], "agency": row["agency"], "agency_name": load_agreement().partner(row["agency"]).name,
            "vault_id": row["vault_id"], "fingerprint": row["fingerprint"], "card_version": row["card_version"],
            "signing_key": row["signing_key"], "age_recipient": row["age_recipient"],
            "checked_by": row["checked_by"], "via_number": row["via_number"], "checked_at": row["checked_at"],
            "checked_by_user": row["checked_by_user"], "trusted_how": row["trusted_how"],
            "revoked_at": row["revoked_at"], "revoke_reason": row["revoke_reason"],
            "superseded_at": row["superseded_at"], "superseded_by": row["superseded_by"],
            "state": "revoked" if row["revoked_at"] else ("superseded" if row["superseded_at"] else "trusted")}


def partner_desks(vault, *, include_old: bool = True) -> list[dict]:
    """Every partner card this desk has trusted, newest first per agency: state is trusted,
    superseded (by a rotation or a newer check) or revoked."""
    require(vault.role, "partners.read", "see partner desks")
    rows = vault.db.query("SELECT * FROM partner_desks ORDER BY agency, seq DESC")
    out = [_partner_dict(r) for r in rows]
    return out if include_old else [p for p in out if p["state"] == "trusted"]


def trusted_partner(vault, agency: str):
    """The one trusted (not superseded, not revoked) card row of `agency`, or None."""
    return vault.db.one("SELECT * FROM partner_desks WHERE agency = ? AND revoked_at IS NULL"
                        " AND superseded_at IS NULL ORDER BY seq DESC LIMIT 1", (agency,))


def partner_by_fingerprint(vault, fp: str):
    return vault.db.one("SELECT * FROM partner_desks WHERE fingerprint = ?", (fp,))


def trust_partner(vault, card: dict, *, fingerprint: str, checked_by: str, via: str) -> dict:
    """Trust a partner's card after the telephone check (9.5): the fingerprint read back on a
    call through the partner's switchboard or a known number must match the card's."""
    require(vault.role, "partners.trust", "trust partner desks")
    card = check_card(card)
    names = load_agreement()
    if card["agency"] == vault.agency:
        raise InvalidInput(f"That card is for {names.partner(card['agency']).name}, this desk's own agency; "
                           "trust the cards of other partners' desks.")
    checked_by = (checked_by or "").strip()
    via = (via or "").strip()
    if not checked_by or len(checked_by) > 200:
        raise InvalidInput("Enter who checked the fingerprint on the telephone (--checked-by).")
    if not via or len(via) > 100:
        raise InvalidInput("Enter the number the call was made through: the switchboard or a known number (--via).")
    expected = _fingerprint(card)
    given = k.normalise_fingerprint(fingerprint)
    if not given:
        raise InvalidInput("The fingerprint read on the telephone must be 8 groups of 5 digits; nothing was trusted.")
    if given != expected:
        who = names.partner(card["agency"]).name
        raise InvalidInput(f"The fingerprint read on the telephone does not match {who}'s "
                           "card; it is not trusted. Do not use this card: call again through the switchboard.")
    held = partner_by_fingerprint(vault, expected)
    if held is not None and held["revoked_at"]:
        raise InvalidInput(f"That card of {card['agency']} was revoked on {held['revoked_at'][:10]}; "
                           "it cannot be trusted again.")
    if held is not None and not held["superseded_at"]:
        return _partner_dict(held)  # already trusted: nothing changes
    if held is not None:
        raise InvalidInput(f"That card of {card['agency']} was replaced by a newer one; trust the newer card.")
    now = utc_now_iso()
    pid = new_id()
    with vault.db.transaction():
        old = trusted_partner(vault, card["agency"])
        _insert_partner(vault, pid, card, expected, checked_by=checked_by, via=via, checked_at=now, how="telephone")
        if old is not None:
            vault.db.execute("UPDATE partner_desks SET superseded_at = ?, superseded_by = ? WHERE id = ?",
                             (now, pid, old["id"]))
        vault.db.execute(
            "INSERT INTO telephone_calls (id, at, direction, caller, caller_agency, callee, callee_agency, via_number,"
            " identity_check, what, partner_desk_id, recorded_by, recorded_at)"
            " VALUES (?, ?, 'check', ?, ?, '', ?, ?, ?, ?, ?, ?, ?)",
            (new_id(), now, checked_by, vault.agency, card["agency"], via, "fingerprint read back and matched",
             "desk card fingerprint check", pid, vault.actor, now))
        vault.audit("partner.trusted", record_type="partner_desk", record_id=pid, reason=card["agency"])
    return _partner_dict(vault.db.one("SELECT * FROM partner_desks WHERE id = ?", (pid,)))


def _insert_partner(vault, pid: str, card: dict, fp: str, *, checked_by: str, via: str, checked_at: str,
                    how: str) -> None:
    vault.db.execute(
        "INSERT INTO partner_desks (id, agency, vault_id, signing_key, age_recipient, fingerprint, card, card_version,"
        " checked_by, via_number, checked_at, checked_by_user, trusted_how)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (pid, card["agency"], card["vault_id"], card["signing_key"], card["age_recipient"], fp,
         json.dumps(card, sort_keys=True), card["card_version"], checked_by, via, checked_at, vault.actor, how))


def rotated_card_from(vault, card: dict):
    """The trusted partner row a rotated `card` follows on from (its previous card, trusted and
    not revoked, same agency and vault), or None."""
    previous = card.get("previous")
    if not previous:
        return None
    row = partner_by_fingerprint(vault, previous["fingerprint"])
    if row is None or row["revoked_at"] or row["superseded_at"]:
        return None
    if row["agency"] != card["agency"] or row["vault_id"] != card["vault_id"] \
            or row["signing_key"] != previous["signing_key"]:
        return None
    return row


def accept_rotation(vault, card: dict) -> dict | None:
    """Accept a partner's rotated card without a new call, when its previous card is trusted and
    signed the new one; returns the new partner record, or None when `card` is no such rotation.
    Call inside the transaction of what carried it (a package) or on its own (a card file)."""
    card = check_card(card)
    fp = fingerprint(card)
    held = partner_by_fingerprint(vault, fp)
    if held is not None:
        return _partner_dict(held) if not (held["revoked_at"] or held["superseded_at"]) else None
    old = rotated_card_from(vault, card)
    if old is None:
        return None
    now = utc_now_iso()
    pid = new_id()
    with vault.db.transaction():
        _insert_partner(vault, pid, card, fp, checked_by=old["checked_by"], via=old["via_number"],
                        checked_at=old["checked_at"], how="rotation")
        vault.db.execute("UPDATE partner_desks SET superseded_at = ?, superseded_by = ? WHERE id = ?",
                         (now, pid, old["id"]))
        vault.audit("partner.card_rotated", record_type="partner_desk", record_id=pid, reason=card["agency"])
    return _partner_dict(vault.db.one("SELECT * FROM partner_desks WHERE id = ?", (pid,)))


def rotate_keys(vault) -> dict:
    """New desk keys; the new card is signed by the old key too. Returns the new card."""
    require(vault.role, "desk.keys", "rotate this desk's keys")
    from app.exchange.keys import new_key_row

    current = current_keys(vault)
    row = new_key_row(version=current["version"] + 1)
    _OWN.pop(vault, None)
    with vault.db.transaction():
        vault.db.execute("UPDATE desk_keys SET retired_at = ? WHERE id = ?", (row["created_at"], current["id"]))
        vault.db.execute("INSERT INTO desk_keys (id, version, signing_key, age_identity, created_at)"
                         " VALUES (?, ?, ?, ?, ?)",
                         (row["id"], row["version"], row["signing_key"], row["age_identity"], row["created_at"]))
        vault.audit("desk.keys_rotated", record_type="desk", record_id=vault.vault_id, reason=f"v{row['version']}")
    _OWN.pop(vault, None)
    return desk_card(vault)


def revoke_partner(vault, agency: str, reason_code: str) -> list[dict]:
    """Revoke every card of `agency` this desk trusts: its packages are refused from now on."""
    require(vault.role, "partners.trust", "revoke partner desks")
    if reason_code not in REVOKE_REASONS:
        raise InvalidInput(f"Choose why the card is revoked: {', '.join(REVOKE_REASONS)}.")
    rows = vault.db.query("SELECT id FROM partner_desks WHERE agency = ? AND revoked_at IS NULL", (agency,))
    if not rows:
        raise InvalidInput(f"This desk trusts no card of {agency!r}; nothing was revoked.")
    now = utc_now_iso()
    with vault.db.transaction():
        for r in rows:
            vault.db.execute("UPDATE partner_desks SET revoked_at = ?, revoked_by = ?, revoke_reason = ? WHERE id = ?",
                             (now, vault.actor, reason_code, r["id"]))
            vault.audit("partner.revoked", record_type="partner_desk", record_id=r["id"], reason=reason_code)
    return [_partner_dict(vault.db.one("SELECT * FROM partner_desks WHERE id = ?", (r["id"],))) for r in rows]


# ---- the telephone log (9.5) --------------------------------------------------------------


def log_call(vault, *, direction: str, caller: str, callee: str, other_agency: str, via: str, identity_check: str,
             what: str, request: str | None = None, lawful_bases=(), at: str | None = None) -> dict:
    """One call in the telephone log: information `given` to or `received` from `other_agency`
    under a request, the number the call was placed through and how identity was checked (9.5).
    Each call is also a disclosure in the register (channel `telephone`)."""
    from app import disclosures
    from app.requests import _resolve

    require(vault.role, "disclosures.write", "log telephone calls")
    if direction not in ("given", "received"):
        raise InvalidInput("Say whether information was given or received on the call.")
    codes = load_agreement().partner_codes()
    if other_agency not in codes or other_agency == vault.agency:
        raise InvalidInput(f"Choose the other partner on the call, not {other_agency!r}.")
    values = {"caller": caller, "callee": callee, "via": via, "identity_check": identity_check, "what": what}
    labels = {"caller": "who called", "callee": "who was called", "via": "the number the call went through",
              "identity_check": "how identity was checked", "what": "what was given or received"}
    for key, value in values.items():
        if not (value or "").strip():
            raise InvalidInput(f"Enter {labels[key]}.")
        if len(value) > 10_000:
            raise InvalidInput(f"{labels[key].capitalize()} is longer than 10,000 characters.")
    request_id = _resolve(vault, request) if request else None
    if direction == "given":
        disclosures.refuse_if_suspended(vault, other_agency)
    now = at or utc_now_iso()
    cid = new_id()
    here = vault.agency
    origin = None
    if request_id:
        origin = vault.db.scalar("SELECT origin_agency FROM requests WHERE id = ?", (request_id,))
    kind = "response" if (direction == "received" or origin not in (None, here)) else "onward"
    with vault.db.transaction():
        did = disclosures.record(
            vault, kind=kind, direction="sent" if direction == "given" else "received",
            from_agency=here if direction == "given" else other_agency,
            to_agency=other_agency if direction == "given" else here, what="Telephone: " + what.strip(),
            originator=here if direction == "given" else other_agency, request_id=request_id,
            lawful_bases=lawful_bases, channel="telephone", at=now)
        vault.db.execute(
            "INSERT INTO telephone_calls (id, at, direction, caller, caller_agency, callee, callee_agency, via_number,"
            " identity_check, what, request_id, disclosure_id, recorded_by, recorded_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (cid, now, direction, caller.strip(), here if direction == "given" else other_agency, callee.strip(),
             other_agency if direction == "given" else here, via.strip(), identity_check.strip(), what.strip(),
             request_id, did, vault.actor, utc_now_iso()))
        vault.audit("telephone.logged", record_type="telephone_call", record_id=cid, reason=direction)
    return _call_dict(vault.db.one("SELECT * FROM telephone_calls WHERE id = ?", (cid,)))


def _call_dict(row) -> dict:
    return {key: row[key] for key in row.keys() if key != "seq"}


def calls(vault, agency: str | None = None) -> list[dict]:
    """The telephone log, newest first: fingerprint checks and information given or received;
    with `agency`, only the calls with that partner. Each call carries its request's reference."""
    require(vault.role, "disclosures.read", "see the telephone log")
    sql = ("SELECT c.*, q.reference AS request_reference FROM telephone_calls c"
           " LEFT JOIN requests q ON q.id = c.request_id")
    params: tuple = ()
    if agency is not None:
        sql += " WHERE c.caller_agency = ? OR c.callee_agency = ?"
        params = (agency, agency)
    rows = vault.db.query(sql + " ORDER BY c.seq DESC", params)
    vault.audit("telephone.listed", record_type="telephone_call",
                reason=f"{len(rows)} shown" + (f" with {agency}" if agency else ""))
    return [_call_dict(r) for r in rows]
