"""The vault: SQLCipher storage, keyslots, migrations, backups. The one storage gateway."""

from app.vault.vault import User, Vault

__all__ = ["User", "Vault"]
