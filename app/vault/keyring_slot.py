"""The optional "remember on this workstation" slot, whose key lives in the OS credential store.

Only real system backends are accepted. keyring's fail and null backends, and plaintext file
backends such as those of keyrings.alt, are refused with a reason a person can act on.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass

SERVICE = "SPOC Desk"

# Backends that keep secrets in the operating system's protected store.
ACCEPTED_BACKEND_MODULES: tuple[str, ...] = (
    "keyring.backends.Windows",
    "keyring.backends.macOS",
    "keyring.backends.SecretService",
    "keyring.backends.libsecret",
    "keyring.backends.kwallet",
)


@dataclass(frozen=True)
class KeyringStatus:
    usable: bool
    backend: str
    reason: str


def _describe(backend) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _accepted(backend) -> bool:
    module = type(backend).__module__
    return any(module == m or module.startswith(m + ".") for m in ACCEPTED_BACKEND_MODULES)


def _active_backend():
    import keyring
    from keyring.backends.chainer import ChainerBackend

    backend = keyring.get_keyring()
    if isinstance(backend, ChainerBackend):
        # The chainer tries each backend in turn; accept it only if every one is a real store.
        members = list(backend.backends)
        if members and all(_accepted(b) for b in members):
            return backend, True
        return backend, False
    return backend, _accepted(backend)


def status() -> KeyringStatus:
    try:
        backend, accepted = _active_backend()
    except Exception as exc:  # noqa: BLE001 - keyring can fail on import-time platform probing
        return KeyringStatus(False, "none", f"the credential store could not be reached ({type(exc).__name__})")
    name = _describe(backend)
    if accepted:
        return KeyringStatus(True, name, "the operating system's credential store is available")
    module = type(backend).__module__
    if module.startswith("keyrings.alt"):
        reason = "the only credential store found keeps secrets in a plain file, which is not allowed"
    elif module.endswith(".fail") or module.endswith(".null"):
        reason = "this workstation has no credential store that SPOC Desk can use"
    else:
        reason = f"the credential store {name} is not one SPOC Desk trusts"
    return KeyringStatus(False, name, reason)


def new_secret() -> bytes:
    return os.urandom(32)  # the CSPRNG behind `secrets`, without its imports


def _account(vault_id: str, slot_id: str) -> str:
    return f"{vault_id}/{slot_id}"


def store(vault_id: str, slot_id: str, secret: bytes) -> None:
    import keyring

    keyring.set_password(SERVICE, _account(vault_id, slot_id), base64.b64encode(secret).decode("ascii"))


def load(vault_id: str, slot_id: str) -> bytes | None:
    import keyring

    value = keyring.get_password(SERVICE, _account(vault_id, slot_id))
    return None if value is None else base64.b64decode(value)


def delete(vault_id: str, slot_id: str) -> None:
    import keyring
    from keyring.errors import PasswordDeleteError

    try:
        keyring.delete_password(SERVICE, _account(vault_id, slot_id))
    except PasswordDeleteError:
        pass
