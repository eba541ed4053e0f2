"""Desk key material and the standard primitives packages and cards are made of.

No home-made cryptography: signatures are Ed25519 (`cryptography`), encryption is age v1 with
X25519 recipients (`pyrage`). This module holds only the small pure helpers shared by the desk
cards (app.exchange.desks) and the packages (app.exchange.packages): new keys, the canonical JSON
that a card's signature covers, and the fingerprint read aloud on the telephone (9.5).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import uuid

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

CARD_FORMAT = "spocdesk-card/1"
FINGERPRINT_GROUPS = 8
FINGERPRINT_DIGITS = 5


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def canonical(obj) -> bytes:
    """The exact bytes a card signature covers: sorted keys, no spaces, ASCII only."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def new_key_row(*, version: int) -> dict:
    """A fresh Ed25519 signing key and age X25519 identity, as stored in `desk_keys`."""
    import pyrage
    from cryptography.hazmat.primitives import serialization

    from app.timeutil import utc_now_iso

    signing = Ed25519PrivateKey.generate()
    raw = signing.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
    identity = pyrage.x25519.Identity.generate()
    return {"id": str(uuid.uuid4()), "version": version, "signing_key": raw, "age_identity": str(identity),
            "created_at": utc_now_iso()}


def signing_key(raw: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes(raw))


def public_b64(raw_private: bytes) -> str:
    from cryptography.hazmat.primitives import serialization

    return b64(signing_key(raw_private).public_key().public_bytes(serialization.Encoding.Raw,
                                                                  serialization.PublicFormat.Raw))


def age_recipient(identity_text: str) -> str:
    import pyrage

    return str(pyrage.x25519.Identity.from_str(identity_text).to_public())


def verify(public_key_b64: str, signature: bytes, data: bytes) -> bool:
    """True when `signature` is a valid Ed25519 signature of `data` by that public key."""
    try:
        Ed25519PublicKey.from_public_bytes(unb64(public_key_b64)).verify(signature, data)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


@functools.lru_cache(maxsize=1024)
def fingerprint_of(agency: str, vault_id: str, signing_key_b64: str, recipient: str) -> str:
    """Eight groups of five digits, like Signal's safety numbers: SHA-512 of the canonical public
    parts of a card, each group the next 5 bytes of the digest as a number modulo 100000."""
    digest = hashlib.sha512(canonical({"agency": agency, "vault_id": vault_id, "signing_key": signing_key_b64,
                                       "age_recipient": recipient})).digest()
    groups = [int.from_bytes(digest[i * 5:(i + 1) * 5], "big") % 10 ** FINGERPRINT_DIGITS
              for i in range(FINGERPRINT_GROUPS)]
    return " ".join(f"{g:0{FINGERPRINT_DIGITS}d}" for g in groups)


def normalise_fingerprint(text: str) -> str:
    """What the SPOC typed ('12345 67890 ...', with or without spaces or dashes) in the shown form."""
    digits = "".join(ch for ch in str(text or "") if ch.isdigit())
    if len(digits) != FINGERPRINT_GROUPS * FINGERPRINT_DIGITS or len(digits) != len(
            "".join(ch for ch in str(text) if not ch.isspace() and ch != "-")):
        return ""
    return " ".join(digits[i:i + FINGERPRINT_DIGITS] for i in range(0, len(digits), FINGERPRINT_DIGITS))


__all__ = ["CARD_FORMAT", "b64", "unb64", "canonical", "new_key_row", "signing_key", "public_b64", "age_recipient",
           "verify", "fingerprint_of", "normalise_fingerprint"]
