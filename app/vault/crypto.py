"""Key derivation and key wrapping for keyslots; the audit-chain key.

The data encryption key (DEK) is 32 random bytes. It is never stored in the clear: each keyslot
holds it wrapped with AES-256-GCM under a key derived from a passphrase (scrypt), a recovery
key (HKDF: the recovery key already has 160 random bits) or a key kept in the OS keyring.
"""

from __future__ import annotations

import base64
import os
import unicodedata
from dataclasses import dataclass

# `cryptography`, hashlib and hmac are imported where they are used: the unlock screen reads the
# keyslot file (to list the users) before anyone unlocks, and should not wait for them to load.
# Random bytes come from os.urandom, the CSPRNG that `secrets` wraps.

DEK_BYTES = 32
NONCE_BYTES = 12
SALT_BYTES = 16

# About 0.5 s and 128 MiB on the reference machine (2 cores): slow enough to make guessing
# expensive, quick enough for an unlock a person will not notice.
SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
_SCRYPT_MAXMEM = 2**28


class UnwrapError(Exception):
    """The wrapping key is wrong (or the slot was altered): the AEAD tag did not verify."""


class MalformedSlot(ValueError):
    """The slot's nonce or ciphertext has the wrong shape."""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def new_data_key() -> bytearray:
    # bytearray so that close() can overwrite it; bytes cannot be cleared.
    return bytearray(os.urandom(DEK_BYTES))


def normalise_passphrase(passphrase: str) -> bytes:
    # The same passphrase typed on another keyboard or OS may arrive in another Unicode form.
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


@dataclass(frozen=True)
class ScryptParams:
    n: int = SCRYPT_N
    r: int = SCRYPT_R
    p: int = SCRYPT_P

    def as_dict(self, salt: bytes) -> dict:
        return {"name": "scrypt", "n": self.n, "r": self.r, "p": self.p, "salt": b64(salt)}


def derive_from_passphrase(passphrase: str, salt: bytes, params: ScryptParams) -> bytes:
    import hashlib

    return hashlib.scrypt(
        normalise_passphrase(passphrase),
        salt=salt,
        n=params.n,
        r=params.r,
        p=params.p,
        maxmem=_SCRYPT_MAXMEM,
        dklen=32,
    )


def derive_from_secret(secret: bytes, salt: bytes, info: bytes) -> bytes:
    """For high-entropy secrets (recovery key, keyring key) a slow KDF adds nothing."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(secret)


def wrap(wrapping_key: bytes, dek: bytes | bytearray, aad: bytes) -> tuple[bytes, bytes]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(NONCE_BYTES)
    return nonce, AESGCM(wrapping_key).encrypt(nonce, bytes(dek), aad)


def unwrap(wrapping_key: bytes, nonce: bytes, wrapped: bytes, aad: bytes) -> bytearray:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        return bytearray(AESGCM(wrapping_key).decrypt(nonce, wrapped, aad))
    except InvalidTag as exc:
        raise UnwrapError("wrong key for this keyslot") from exc
    except ValueError as exc:  # malformed nonce or key: the slot itself is damaged
        raise MalformedSlot("keyslot of the wrong shape") from exc


def audit_key(dek: bytes | bytearray) -> bytes:
    """A separate key for the audit HMAC chain, so the DEK itself is used for one job only."""
    return derive_from_secret(bytes(dek), salt=b"", info=b"spocdesk audit chain v1")


def mac(key: bytes, message: bytes) -> bytes:
    import hmac

    return hmac.digest(key, message, "sha256")


def clear(buffer: bytearray | None) -> None:
    if buffer is not None:
        for i in range(len(buffer)):
            buffer[i] = 0
