"""SPOC Desk core: every rule of the agreement, with no knowledge of Qt."""

__version__ = "0.1.0"
