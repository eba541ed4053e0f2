"""Small building blocks every screen uses: the protective-marking banner, plain-text labels,
form rows with hint text and their own error message, and the GOV.UK-style error summary."""

from __future__ import annotations

from typing import Iterable

from ui.qt import QtCore, QtGui, QtWidgets, Signal
from ui.kit import theme

MARKING = "OFFICIAL-SENSITIVE"
HINT_STYLE = "color: {muted};"        # GOV.UK secondary text: 7:1 on the window background
SUCCESS_STYLE = "color: {ok}; font-weight: bold;"

# The labels of the unlock screen (the first window shown) are set through their Qt properties by
# value: naming Qt.TextFormat.PlainText would make PySide build the Python enums of the whole Qt
# namespace (~30 ms) before the screen can show. Qt's own values; tests/ui/test_widgets.py checks
# them against the enums.
PLAIN_TEXT = 0               # Qt.TextFormat.PlainText
SELECTABLE_BY_MOUSE = 1      # Qt.TextInteractionFlag.TextSelectableByMouse
ALIGN_CENTER = 0x84          # Qt.AlignmentFlag.AlignCenter (AlignHCenter | AlignVCenter)


def _set_property(widget: QtWidgets.QWidget, name: str, value: int) -> None:
    if not widget.setProperty(name, value):  # a label must never fall back to rich text unnoticed
        raise RuntimeError(f"Qt did not take {name} = {value} for {type(widget).__name__}")


def plain_label(text: str = "", parent: QtWidgets.QWidget | None = None, *, wrap: bool = True,
                selectable: bool = False) -> QtWidgets.QLabel:
    """A label that never interprets its text as rich text (user text is data, not markup)."""
    label = QtWidgets.QLabel(parent)
    _set_property(label, "textFormat", PLAIN_TEXT)
    label.setWordWrap(wrap)
    label.setText(text)
    if selectable:
        make_selectable(label)
    return label


def make_selectable(label: QtWidgets.QLabel) -> QtWidgets.QLabel:
    """Let the mouse select (and copy) a label's text. Its first use in a process builds Qt's text
    document machinery (~5 ms), which the unlock screen leaves until after its first paint."""
    _set_property(label, "textInteractionFlags", SELECTABLE_BY_MOUSE)
    return label


def announce(label: QtWidgets.QLabel, text: str) -> None:
    """Show a confirmation ("Saved", "Sent") in `label` and move focus to it, so the keyboard and
    a screen reader land on what happened, not on the navigation list."""
    label.setText(text)
    label.setVisible(bool(text))
    if text:
        label.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)   # Tab can come back to it too
        if not label.accessibleName():
            label.setAccessibleName("Confirmation")
        label.setAccessibleDescription(text)
        label.setFocus(QtCore.Qt.FocusReason.OtherFocusReason)


def frameless_scroll() -> QtWidgets.QScrollArea:
    """A scroll area without a frame whose content follows its width: long pages scroll, never squeeze."""
    scroll = QtWidgets.QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
    return scroll


def hint_label(text: str = "") -> QtWidgets.QLabel:
    """Hint text under a label or heading: plain, wrapped, in the secondary colour."""
    label = plain_label(text)
    theme.style(label, HINT_STYLE)
    return label


def bold_label(text: str, parent: QtWidgets.QWidget | None = None) -> QtWidgets.QLabel:
    """A field or list label: bold, plain text (its '&' marks the mnemonic of its buddy)."""
    label = QtWidgets.QLabel(text, parent)
    label.setTextFormat(QtCore.Qt.TextFormat.PlainText)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


def no_mnemonic(text: str) -> str:
    """Data shown on a button or check box: '&' is a literal ampersand, not a shortcut marker
    ("HM Revenue & Customs" must not become "HM Revenue _Customs")."""
    return text.replace("&", "&&")


def heading(text: str, level: int = 1) -> QtWidgets.QLabel:
    label = plain_label(text)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * (1.5 if level == 1 else 1.2))
    font.setBold(True)
    label.setFont(font)
    label.setAccessibleName(text)
    return label


class MarkingBanner(QtWidgets.QLabel):
    """The marking shown at the top and bottom of every window that can show vault data."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(MARKING, parent)
        self.setObjectName("markingBanner")
        _set_property(self, "textFormat", PLAIN_TEXT)
        _set_property(self, "alignment", ALIGN_CENTER)
        self.setAccessibleName("Protective marking: OFFICIAL-SENSITIVE")
        font = self.font()
        font.setBold(True)
        font.setLetterSpacing(QtGui.QFont.SpacingType.AbsoluteSpacing, 2)
        self.setFont(font)
        # White on a dark red (7.9:1, above WCAG AA for any text size): resources/style.qss.


def marked(body: QtWidgets.QWidget) -> QtWidgets.QWidget:
    """Wrap a widget between two marking banners."""
    frame = QtWidgets.QWidget()
    layout = QtWidgets.QVBoxLayout(frame)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    layout.addWidget(MarkingBanner())
    layout.addWidget(body, 1)
    layout.addWidget(MarkingBanner())
    return frame


class FlowLayout(QtWidgets.QLayout):
    """A row of buttons that wraps onto more lines when the window is narrow or the text large
    (150 % scaling), instead of running off the right-hand edge. Items keep their order, so the
    Tab order and the reading order stay as they were."""

    def __init__(self, parent: QtWidgets.QWidget | None = None, spacing: int = 6):
        super().__init__(parent)
        self._items: list[QtWidgets.QLayoutItem] = []
        self._gap = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item) -> None:  # noqa: N802 - Qt's name
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int):  # noqa: N802 - Qt's name
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int):  # noqa: N802 - Qt's name
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self):  # noqa: N802 - Qt's name
        return QtCore.Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt's name
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt's name
        return self._arrange(QtCore.QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect) -> None:  # noqa: N802 - Qt's name
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self):  # noqa: N802 - Qt's name
        return self.minimumSize()

    def minimumSize(self):  # noqa: N802 - Qt's name
        size = QtCore.QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        margins = self.contentsMargins()
        return size + QtCore.QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    def _arrange(self, rect: QtCore.QRect, move: bool) -> int:
        margins = self.contentsMargins()
        area = rect.adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom())
        x, y, line = area.x(), area.y(), 0
        for item in self._items:
            if item.widget() is not None and item.widget().isHidden():
                continue
            hint = item.sizeHint()
            if x > area.x() and x + hint.width() > area.right() + 1:
                x, y, line = area.x(), y + line + self._gap, 0
            if move:
                item.setGeometry(QtCore.QRect(QtCore.QPoint(x, y), hint))
            x += hint.width() + self._gap
            line = max(line, hint.height())
        return y + line - rect.y() + margins.bottom()


class LabelValueGrid(QtWidgets.QWidget):
    """A record shown as a page section: bold labels down the left, each value (plain text,
    selectable, wrapped) beside it. `set_rows([(label, value)])` replaces what is shown; a row
    whose value is empty is left out."""

    def __init__(self, name: str = "", parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._grid = QtWidgets.QGridLayout(self)
        self._grid.setContentsMargins(0, 4, 0, 8)
        self._grid.setHorizontalSpacing(24)
        self._grid.setVerticalSpacing(6)
        self._grid.setColumnStretch(1, 1)
        self.values: dict[str, QtWidgets.QLabel] = {}
        if name:
            self.setAccessibleName(name)

    def set_rows(self, rows) -> None:
        while self._grid.count():
            widget = self._grid.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        self.values = {}
        row = 0
        for label, value in rows:
            if value is None or not str(value).strip():
                continue
            key = bold_label(label)
            key.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop | QtCore.Qt.AlignmentFlag.AlignLeft)
            shown = plain_label(str(value), selectable=True)
            shown.setAccessibleName(label)
            self._grid.addWidget(key, row, 0)
            self._grid.addWidget(shown, row, 1)
            self.values[label] = shown
            row += 1
        self.setVisible(row > 0)

    def text(self) -> str:
        """Every row as 'label: value' lines (for tests and the clipboard)."""
        return "\n".join(f"{label}: {value.text()}" for label, value in self.values.items())


class FieldRow(QtWidgets.QWidget):
    """Label, optional hint, the input, and the field's own error message, in one column."""

    def __init__(self, label: str, field: QtWidgets.QWidget, hint: str = "",
                 parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.field = field
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.setSpacing(2)
        self.label = bold_label(label)
        self.label.setBuddy(field)
        layout.addWidget(self.label)
        if hint:
            layout.addWidget(hint_label(hint))
        self.error = plain_label("")
        theme.style(self.error, "color: {danger}; font-weight: bold;")
        self.error.hide()
        layout.addWidget(self.error)
        layout.addWidget(field)
        field.setAccessibleName(label.replace("&", ""))
        if hint:
            field.setAccessibleDescription(hint)

    def set_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))
        self.field.setProperty("invalid", bool(message))


def show_field_problems(rows: dict, summary: "ErrorSummary", problems, labels: dict) -> list:
    """Each (field key, text) problem on its FieldRow (the first for each field) and in the
    summary; a text in the core's lower-case style ("is required") gets the field's label in
    front. Returns the summary's entries, (field widget or None, message)."""
    for row in rows.values():
        row.set_error(None)
    entries, seen = [], set()
    for key, text in problems:
        row = rows.get(key)
        message = text if text[:1].isupper() else f"{labels.get(key, key)} {text}"
        if row is not None and key not in seen:
            row.set_error(message)
            seen.add(key)
        entries.append((row.field if row is not None else None, message))
    summary.show_problems(entries)
    return entries


class ErrorSummary(QtWidgets.QFrame):
    """'There is a problem': every error as a link that moves focus to its field."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("errorSummary")
        theme.style(self, "QFrame#errorSummary { border: 3px solid {danger}; padding: 6px; }")
        self._layout = QtWidgets.QVBoxLayout(self)
        self._title = heading("There is a problem", 2)
        self._layout.addWidget(self._title)
        self._links: list[QtWidgets.QCommandLinkButton] = []
        self.setAccessibleName("There is a problem")
        self.hide()

    def show_problems(self, problems: Iterable[tuple[QtWidgets.QWidget | None, str]]) -> None:
        for link in self._links:
            link.hide()          # out of the Tab order now, not only once deleted
            link.deleteLater()
        self._links = []
        problems = list(problems)
        self._messages = []
        for field, message in problems:
            self._messages.append(message)
            link = QtWidgets.QPushButton(no_mnemonic(message))   # "HM Revenue & Customs" stays whole
            link.setAccessibleName(message)
            link.setFlat(True)
            link.setCursor(QtCore.Qt.CursorShape.PointingHandCursor)
            theme.style(link, "text-align: left; color: {danger}; text-decoration: underline;")
            if field is not None:
                link.clicked.connect(lambda _=False, f=field: f.setFocus(QtCore.Qt.FocusReason.OtherFocusReason))
            self._layout.addWidget(link)
            self._links.append(link)
        # The links come straight after the summary in the tab order (made later than the
        # fields, they would otherwise come last). Qt ignores setTabOrder from a widget that takes
        # no focus (the summary and its title), so the title takes Tab focus while they are placed.
        previous = self._title
        self._title.setFocusPolicy(QtCore.Qt.FocusPolicy.TabFocus)
        try:
            for link in self._links:
                QtWidgets.QWidget.setTabOrder(previous, link)
                previous = link
        finally:
            self._title.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.setVisible(bool(problems))

    def messages(self) -> list[str]:
        return list(getattr(self, "_messages", []))


class Area(QtWidgets.QWidget):
    """One navigable part of the main window (Home, Users, Requests, ...).

    An area is built after unlock and destroyed at lock, so it never outlives the key. An area
    with a form returns its unsaved input from `draft_state()` (None when there is nothing worth
    keeping); the shell keeps it in the vault as an encrypted draft and hands it back to
    `restore_draft_state()` after the next unlock. Never put passphrases in a draft.
    """

    key = "area"
    title = "Area"
    permission: str | None = None  # the app.roles permission needed to see the area
    changed = Signal()

    def __init__(self, session, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.session = session

    def draft_state(self) -> dict | None:
        return None

    def restore_draft_state(self, payload: dict) -> None:
        pass

    def has_unsaved_changes(self) -> bool:
        """Input that leaving the area now would lose (ui/kit/guard.py): what a lock would keep."""
        return self.draft_state() is not None

    def discard_changes(self) -> None:
        """Throw the unsaved input away (the user chose "Discard changes"). An area with a form
        puts the form back as it was; the default has nothing to throw away."""

    def go_back(self) -> bool:
        """Back (Alt+Left, and Escape on the area's pages) within the area, e.g. from a record to
        its list; False if there is no page to go back from. A form asks "Discard changes?" first."""
        return False

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Escape that no field used (a line box, a table, a list) goes back, as Alt+Left does;
        the request and response forms catch their own Escape first."""
        if event.key() == QtCore.Qt.Key.Key_Escape and event.modifiers() == QtCore.Qt.KeyboardModifier.NoModifier \
                and self.go_back():
            event.accept()
            return
        super().keyPressEvent(event)

    def refresh(self) -> None:
        """Reload from the vault (called when the area is shown)."""

    def breach_context(self) -> dict | None:
        """The records on screen now ({"request_ids": [...], "subject_ids": [...], "disclosure_ids":
        [...]}), which a breach reported from here is linked to; None when nothing is shown."""
        return None

    def data_changed(self) -> None:
        """Records arrived from elsewhere (an import): show them without losing the user's input.
        A hidden area refreshes when it is next shown anyway."""
        if self.isVisible():
            self.refresh()
