"""What the shell hands an area, for testing one area without the shell: the open vault, the
role's permissions, the clipboard (recorded, not touched) and the vault's path."""

from __future__ import annotations

from app.roles import can


class FakeSession:
    def __init__(self, vault):
        self.vault = vault
        self.path = vault.path
        self.copied: list[str] = []

    def can(self, permission: str) -> bool:
        return can(self.vault.role, permission)

    def copy_text(self, text: str) -> None:
        self.copied.append(text)
