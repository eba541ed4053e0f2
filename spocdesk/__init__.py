"""The `spocdesk` launcher: the one entry point above both layers (DESIGN.md, Layers)."""
