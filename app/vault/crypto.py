"""Key derivation and key wrapping for keyslots; the audit-chain key.

The data encryption key (DEK) is 32 random bytes. It is never stored in the clear. Each keyslot
(format 2) holds an X25519 key pair: its private half wrapped with AES-256-GCM under a key derived
from a passphrase (Argon2id; scrypt in older slots), a recovery key (HKDF: the recovery key already
has 160 random bits) or a key kept in the OS keyring; and the DEK sealed to its public half. So
the vault can be rekeyed (a new DEK sealed to every remaining slot's public key) without anyone's
passphrase, and a person who once knew the old DEK learns nothing about the new one. Slots of
format 1 hold the DEK wrapped directly under the derived key; they still open, and are upgraded
at their next unlock.
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

# Argon2id (RFC 9106) for new and changed passphrase slots: about 0.5 s and 256 MiB here.
ARGON2_ITERATIONS = 2
ARGON2_LANES = 4
ARGON2_MEMORY_KIB = 256 * 1024


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


@dataclass(frozen=True)
class Argon2Params:
    iterations: int = ARGON2_ITERATIONS
    lanes: int = ARGON2_LANES
    memory_kib: int = ARGON2_MEMORY_KIB

    def as_dict(self, salt: bytes) -> dict:
        return {"name": "argon2id", "t": self.iterations, "p": self.lanes, "m": self.memory_kib,
                "salt": b64(salt)}


def default_argon2() -> Argon2Params:
    """Read at call time, so a test (or the bench) can lower the cost for throwaway vaults."""
    return Argon2Params(iterations=ARGON2_ITERATIONS, lanes=ARGON2_LANES, memory_kib=ARGON2_MEMORY_KIB)


def params_from_kdf(kdf: dict) -> "ScryptParams | Argon2Params":
    """The parameters a slot names; ValueError for an unknown or out-of-range one."""
    name = kdf.get("name")
    if name == "scrypt":
        params = ScryptParams(n=int(kdf["n"]), r=int(kdf["r"]), p=int(kdf["p"]))
        if not (2 <= params.n <= 2**22 and 1 <= params.r <= 32 and 1 <= params.p <= 16):
            raise ValueError("scrypt parameters out of range")
        return params
    if name == "argon2id":
        params = Argon2Params(iterations=int(kdf["t"]), lanes=int(kdf["p"]), memory_kib=int(kdf["m"]))
        # A planted slot must not make an unlock allocate gigabytes or run for hours.
        if not (1 <= params.iterations <= 16 and 1 <= params.lanes <= 16
                and 8 * params.lanes <= params.memory_kib <= 2 * 1024 * 1024):
            raise ValueError("argon2id parameters out of range")
        return params
    raise ValueError(f"unknown key derivation {name!r}")


def derive_from_passphrase(passphrase: str, salt: bytes, params: "ScryptParams | Argon2Params") -> bytes:
    if isinstance(params, Argon2Params):
        from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

        return Argon2id(salt=salt, length=32, iterations=params.iterations, lanes=params.lanes,
                        memory_cost=params.memory_kib).derive(normalise_passphrase(passphrase))
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


# ---- format-2 slots: a key pair per slot, the DEK sealed to its public half -------------------


def new_slot_key_pair() -> tuple[bytes, bytes]:
    """(private, public) raw X25519 keys, 32 bytes each."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

    private = X25519PrivateKey.generate()
    return (private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()),
            private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def _seal_key(shared: bytes, ephemeral_public: bytes, public: bytes) -> bytes:
    return derive_from_secret(shared, salt=ephemeral_public + public, info=b"spocdesk slot seal v2")


def seal(public: bytes, dek: bytes | bytearray, aad: bytes) -> dict:
    """The DEK encrypted to a slot's public key (X25519, HKDF-SHA256, AES-256-GCM)."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(public))
    nonce, sealed = wrap(_seal_key(shared, ephemeral_public, public), dek, aad)
    return {"epk": b64(ephemeral_public), "nonce": b64(nonce), "ct": b64(sealed)}


def unseal(private: bytes | bytearray, public: bytes, sealed: dict, aad: bytes) -> bytearray:
    """The DEK from a sealed box; UnwrapError if it does not open (the slot was altered)."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

    try:
        ephemeral_public = unb64(sealed["epk"])
        nonce, box = unb64(sealed["nonce"]), unb64(sealed["ct"])
        shared = X25519PrivateKey.from_private_bytes(bytes(private)).exchange(
            X25519PublicKey.from_public_bytes(ephemeral_public))
    except (ValueError, KeyError, TypeError) as exc:
        raise MalformedSlot("sealed data key of the wrong shape") from exc
    return unwrap(_seal_key(shared, ephemeral_public, public), nonce, box, aad)


def audit_key(dek: bytes | bytearray) -> bytes:
    """A separate key for the audit HMAC chain, so the DEK itself is used for one job only."""
    return derive_from_secret(bytes(dek), salt=b"", info=b"spocdesk audit chain v1")


def keyslot_check_key(dek: bytes | bytearray) -> bytes:
    """The key of the keyslot file's check (its generation and the last audit head)."""
    return derive_from_secret(bytes(dek), salt=b"", info=b"spocdesk keyslot check v1")


def mac(key: bytes, message: bytes) -> bytes:
    import hmac

    return hmac.digest(key, message, "sha256")


def clear(buffer: bytearray | None) -> None:
    if buffer is not None:
        for i in range(len(buffer)):
            buffer[i] = 0


def lowered_cost() -> "LoweredCost":
    """Cheap key derivation for throwaway vaults (see LoweredCost)."""
    return LoweredCost()


class LoweredCost:
    """Cheap key derivation for throwaway vaults (tests, benchmarks, screenshots): a context
    manager, or call `.apply()` once for a whole process. Never used by the app itself."""

    def __init__(self) -> None:
        self._saved: tuple | None = None

    def apply(self) -> None:
        global SCRYPT_N, ARGON2_MEMORY_KIB, ARGON2_ITERATIONS
        self._saved = (SCRYPT_N, ARGON2_MEMORY_KIB, ARGON2_ITERATIONS)
        SCRYPT_N, ARGON2_MEMORY_KIB, ARGON2_ITERATIONS = 2**10, 64, 1

    def __enter__(self) -> "LoweredCost":
        self.apply()
        return self

    def __exit__(self, *exc) -> None:
        global SCRYPT_N, ARGON2_MEMORY_KIB, ARGON2_ITERATIONS
        if self._saved is not None:
            SCRYPT_N, ARGON2_MEMORY_KIB, ARGON2_ITERATIONS = self._saved
