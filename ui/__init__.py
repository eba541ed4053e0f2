"""SPOC Desk desktop interface (PySide6). Only this package may import Qt."""
