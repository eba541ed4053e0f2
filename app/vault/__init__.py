"""The vault: SQLCipher storage, keyslots, migrations, backups. The one storage gateway.

`Vault` and `User` load on first use (PEP 562), so a screen that only reads the keyslot file
(the unlock screen's user list) does not pay for the database code before it shows.
"""

__all__ = ["User", "Vault", "busy_message"]
_HOME = {"User": "vault", "Vault": "vault", "busy_message": "lockfile"}  # what screens may use, and where it lives


def __getattr__(name: str):
    if name in _HOME:
        import importlib

        return getattr(importlib.import_module(f"app.vault.{_HOME[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
