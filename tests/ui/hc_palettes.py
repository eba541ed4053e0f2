"""Windows' High Contrast Black and White themes as Qt palettes, for the tests and screenshots."""

from __future__ import annotations

from ui.kit import theme


def palette(name: str):
    """"hcblack" or "hcwhite"."""
    return theme.high_contrast_palette({"hcblack": "black", "hcwhite": "white"}[name])
