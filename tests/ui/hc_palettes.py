"""Windows' High Contrast Black and White themes as Qt palettes (the system colours Qt's Windows
platform maps to each role), for the high-contrast tests and screenshots."""

from __future__ import annotations

from ui.qt import QtGui

# role: (High Contrast Black, High Contrast White)
_COLOURS = {
    "Window": ("#000000", "#ffffff"), "WindowText": ("#ffffff", "#000000"),
    "Base": ("#000000", "#ffffff"), "AlternateBase": ("#000000", "#ffffff"),
    "Text": ("#ffffff", "#000000"), "Button": ("#000000", "#ffffff"), "ButtonText": ("#ffffff", "#000000"),
    "Highlight": ("#1aebff", "#37006e"), "HighlightedText": ("#000000", "#ffffff"),
    "Link": ("#ffff00", "#00009f"), "LinkVisited": ("#ffff00", "#00009f"),
    "ToolTipBase": ("#000000", "#ffffff"), "ToolTipText": ("#ffffff", "#000000"),
    "PlaceholderText": ("#ffffff", "#000000"), "BrightText": ("#ffffff", "#000000"),
    "Light": ("#ffffff", "#000000"), "Midlight": ("#000000", "#ffffff"), "Mid": ("#ffffff", "#000000"),
    "Dark": ("#ffffff", "#000000"), "Shadow": ("#ffffff", "#000000"),
}
_DISABLED = ("#3ff23f", "#600000")   # Windows' GrayText


def palette(name: str) -> QtGui.QPalette:
    """"hcblack" or "hcwhite"."""
    column = {"hcblack": 0, "hcwhite": 1}[name]
    result = QtGui.QPalette()
    group = QtGui.QPalette.ColorGroup
    for role, colours in _COLOURS.items():
        result.setColor(getattr(QtGui.QPalette.ColorRole, role), QtGui.QColor(colours[column]))
    for role in ("WindowText", "Text", "ButtonText"):
        result.setColor(group.Disabled, getattr(QtGui.QPalette.ColorRole, role), QtGui.QColor(_DISABLED[column]))
    return result
