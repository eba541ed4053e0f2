"""Passphrase strength: a meter with words, the three-random-words advice, and a reusable pair of
"new passphrase" and "confirm" fields that every screen choosing a passphrase uses.

The rules live in app.vault.passphrase (zxcvbn's estimate, with the user's name, the agency and
the app's own words as words an attacker tries first); this module only shows them. A passphrase
with any problem is not acceptable, so the weakest can never be chosen.
"""

from __future__ import annotations

from app.vault.passphrase import MIN_LENGTH, estimate_bits, problems
from ui.qt import QtWidgets, Qt, Signal
from ui.kit.widgets import FieldRow, HINT_STYLE, plain_label
from ui.kit import theme

ADVICE = (
    f"Use at least {MIN_LENGTH} characters. Three or four random words, such as "
    "'kettle orbit marble', are long, hard to guess and easy to remember. "
    "Do not reuse a passphrase from another system."
)

# (word, bar colour) — dark enough for WCAG AA against white text-free bars and white labels.
_LEVELS = {
    "": ("", "{border}"),
    "Too weak": ("Too weak", "{danger}"),
    "Weak": ("Weak", "{weak}"),
    "Good": ("Good", "{ok}"),
    "Strong": ("Strong", "{strong}"),
}
STRONG_BITS = 80.0
METER_MAX_BITS = 100


def strength_word(passphrase: str, user_inputs=()) -> str:
    """'' for nothing typed, else Too weak / Weak (refused) or Good / Strong (accepted)."""
    if not passphrase:
        return ""
    bits = estimate_bits(passphrase, user_inputs)
    if problems(passphrase, user_inputs):
        return "Too weak" if bits < 40 or len(passphrase) < MIN_LENGTH // 2 else "Weak"
    return "Strong" if bits >= STRONG_BITS else "Good"


def short_reason(reason: str) -> str:
    """The first clause of a refusal ('Use at least 12 characters'), for errors and the meter."""
    return reason.split(";")[0].rstrip(".") + "."


def harden(field: QtWidgets.QLineEdit) -> QtWidgets.QLineEdit:
    """A passphrase field: hidden, no prediction or auto-capitals, no drag or context copy."""
    field.setEchoMode(QtWidgets.QLineEdit.EchoMode.Password)
    field.setInputMethodHints(
        Qt.InputMethodHint.ImhHiddenText | Qt.InputMethodHint.ImhSensitiveData
        | Qt.InputMethodHint.ImhNoPredictiveText | Qt.InputMethodHint.ImhNoAutoUppercase
    )
    field.setDragEnabled(False)
    field.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
    field.setMaxLength(1024)
    return field


class PassphraseMeter(QtWidgets.QWidget):
    """A strength bar, its word, the first reason a passphrase is refused, and the advice."""

    strength_changed = Signal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None, *, show_advice: bool = True):
        super().__init__(parent)
        self._passphrase = ""
        self.user_inputs: tuple[str, ...] = ()  # the user's name and agency, tried first by an attacker
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        layout.setSpacing(2)
        row = QtWidgets.QHBoxLayout()
        row.setSpacing(8)
        self.bar = QtWidgets.QProgressBar()
        self.bar.setRange(0, METER_MAX_BITS)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(10)
        self.bar.setAccessibleName("Passphrase strength")
        row.addWidget(self.bar, 1)
        self.word = plain_label("", wrap=False)
        self.word.setMinimumWidth(self.word.fontMetrics().horizontalAdvance("Too weak") + 8)
        font = self.word.font()
        font.setBold(True)
        self.word.setFont(font)
        row.addWidget(self.word)
        layout.addLayout(row)
        self.reason = plain_label("")
        theme.style(self.reason, HINT_STYLE)
        self.reason.hide()
        layout.addWidget(self.reason)
        self.advice = plain_label(ADVICE)
        theme.style(self.advice, HINT_STYLE)
        self.advice.setVisible(show_advice)
        layout.addWidget(self.advice)
        self._reason_allowed = True
        self.set_passphrase("")

    def set_passphrase(self, passphrase: str) -> None:
        self._passphrase = passphrase
        word = strength_word(passphrase, self.user_inputs)
        text, colour = _LEVELS[word]
        bits = estimate_bits(passphrase, self.user_inputs)
        self.bar.setValue(int(min(bits, METER_MAX_BITS)))
        theme.style(
            self.bar,
            "QProgressBar { border: 1px solid {muted}; border-radius: 2px; background: {tint}; }"
            f"QProgressBar::chunk {{ background: {colour}; }}"
        )
        self.word.setText(text)
        theme.style(self.word, f"color: {colour};")
        found = problems(passphrase, self.user_inputs) if passphrase else []
        self.reason.setText(found[0] if found else "")
        self.reason.setVisible(bool(found) and self._reason_allowed)
        description = f"Passphrase strength: {text}" if text else "Passphrase strength: nothing entered"
        self.bar.setAccessibleDescription(description)
        self.word.setAccessibleName(description)
        self.strength_changed.emit(word)

    def allow_reason(self, allowed: bool) -> None:
        """Hide the live reason while the field shows the same message as its error."""
        self._reason_allowed = allowed
        self.reason.setVisible(allowed and bool(self.reason.text()))

    def set_user_inputs(self, values) -> None:
        self.user_inputs = tuple(v for v in values if v)
        self.set_passphrase(self._passphrase)

    def strength(self) -> str:
        return strength_word(self._passphrase, self.user_inputs)

    def acceptable(self) -> bool:
        return bool(self._passphrase) and not problems(self._passphrase, self.user_inputs)

    def clear(self) -> None:
        self.set_passphrase("")


class NewPassphraseFields(QtWidgets.QWidget):
    """'New passphrase' with its meter and advice, then 'Confirm', each with its own error."""

    def __init__(self, parent: QtWidgets.QWidget | None = None, *, label: str = "&Passphrase",
                 confirm_label: str = "C&onfirm the passphrase", hint: str = ""):
        super().__init__(parent)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.passphrase = harden(QtWidgets.QLineEdit())
        self.passphrase_row = FieldRow(label, self.passphrase, f"{hint} {ADVICE}".strip())
        layout.addWidget(self.passphrase_row)
        self.meter = PassphraseMeter(show_advice=False)
        layout.addWidget(self.meter)
        self.show_box = QtWidgets.QCheckBox("S&how the passphrase as I type")
        self.show_box.setAccessibleName("Show the passphrase as I type")
        self.show_box.toggled.connect(self._show)
        layout.addWidget(self.show_box)
        self.confirm = harden(QtWidgets.QLineEdit())
        self.confirm_row = FieldRow(confirm_label, self.confirm, "Type it again to check it.")
        layout.addWidget(self.confirm_row)
        self.passphrase.textChanged.connect(self.meter.set_passphrase)
        self.passphrase.textChanged.connect(self._typed)
        self.confirm.textChanged.connect(lambda _t: self.confirm_row.set_error(None))

    def _typed(self, _text: str) -> None:
        self.passphrase_row.set_error(None)
        self.meter.allow_reason(True)

    def _show(self, on: bool) -> None:
        mode = QtWidgets.QLineEdit.EchoMode.Normal if on else QtWidgets.QLineEdit.EchoMode.Password
        self.passphrase.setEchoMode(mode)
        self.confirm.setEchoMode(mode)

    def value(self) -> str:
        return self.passphrase.text()

    def set_user_inputs(self, values) -> None:
        """The user's name and agency, so the meter judges as the core will."""
        self.meter.set_user_inputs(values)

    def acceptable(self) -> bool:
        return self.meter.acceptable() and self.passphrase.text() == self.confirm.text()

    def validate(self) -> list[tuple[QtWidgets.QWidget, str]]:
        """Every problem as (field, message); each field also shows its own message."""
        found: list[tuple[QtWidgets.QWidget, str]] = []
        text = self.passphrase.text()
        if not text:
            message = "Enter a passphrase"
        else:
            reasons = problems(text, self.meter.user_inputs)
            message = f"Choose a stronger passphrase. {short_reason(reasons[0])}" if reasons else None
        self.passphrase_row.set_error(message)
        self.meter.allow_reason(not message)
        if message:
            found.append((self.passphrase, message))
        confirm_message = None
        if text and not message:
            if not self.confirm.text():
                confirm_message = "Type the passphrase again to confirm it"
            elif self.confirm.text() != text:
                confirm_message = "The two passphrases do not match; type them again"
        self.confirm_row.set_error(confirm_message)
        if confirm_message:
            found.append((self.confirm, confirm_message))
        return found

    def clear(self) -> None:
        self.passphrase.clear()
        self.confirm.clear()
        self.show_box.setChecked(False)
        self.passphrase_row.set_error(None)
        self.confirm_row.set_error(None)
        self.meter.clear()
