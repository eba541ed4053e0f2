"""Recovery keys a person can read aloud and type: Crockford base32 in groups of four.

160 random bits give 32 characters; a ninth group is a checksum, so a mistyped key is caught
before any unlock is tried. Crockford's alphabet has no I, L, O or U; when typed, O is read as
0 and I or L as 1, case and separators are ignored.
"""

from __future__ import annotations

import hashlib
import secrets

from app.errors import InvalidInput

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SECRET_BYTES = 20
_GROUP = 4
_CHARS = SECRET_BYTES * 8 // 5  # 32
_TYPING_FIXES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    length = len(data) * 8 // 5
    return "".join(ALPHABET[(number >> (5 * (length - 1 - i))) & 31] for i in range(length))


def _checksum(secret: bytes) -> str:
    return _encode(hashlib.sha256(b"spocdesk recovery" + secret).digest()[:5])[:_GROUP]


def new_recovery_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def format_recovery_key(secret: bytes) -> str:
    text = _encode(secret) + _checksum(secret)
    return "-".join(text[i : i + _GROUP] for i in range(0, len(text), _GROUP))


def parse_recovery_key(typed: str) -> bytes:
    """The secret behind a typed key; InvalidInput says what is wrong with it."""
    cleaned = "".join(ch for ch in typed.upper() if ch not in " -\t\r\n").translate(_TYPING_FIXES)
    expected = _CHARS + _GROUP
    if len(cleaned) != expected:
        raise InvalidInput(
            f"A recovery key has {expected} characters in 9 groups of 4; this one has {len(cleaned)}."
        )
    bad = sorted({ch for ch in cleaned if ch not in ALPHABET})
    if bad:
        raise InvalidInput(f"A recovery key never contains {', '.join(bad)}; check the key as printed.")
    number = 0
    for ch in cleaned[:_CHARS]:
        number = (number << 5) | ALPHABET.index(ch)
    secret = number.to_bytes(SECRET_BYTES, "big")
    if _checksum(secret) != cleaned[_CHARS:]:
        raise InvalidInput("That recovery key has a typing mistake (its last group does not match).")
    return secret
