"""The vault: SQLCipher storage, keyslots, migrations, backups. The one storage gateway.

`Vault` and `User` load on first use (PEP 562), so a screen that only reads the keyslot file
(the unlock screen's user list) does not pay for the database code before it shows.
"""

__all__ = ["User", "Vault"]


def __getattr__(name: str):
    if name in __all__:
        from app.vault import vault

        return getattr(vault, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
