"""Keyboard habits every screen shares, installed once on the application:

- Enter activates a focused button or link, as Space does (Qt's own push buttons answer only
  Space outside a dialog);
- a newly focused field is scrolled into view in every scroll area around it, whether focus came
  by Tab, by an error-summary link or by a form opening a sub-form below the fold;
- scroll areas, stacks and plain containers never take focus themselves (Tab goes to the fields);
- Tab leaves a table or list (the arrow keys move within it): no keyboard trap;
- a dialog's title bar has no Maximise button, and a dialog fits the screen's available area.

`primary_button(button)` marks a form's main action: the stylesheet draws it as the clear primary
button and Ctrl+S (`click_primary`) presses the primary button nearest the focused field.
"""

from __future__ import annotations

from ui.qt import QtCore, QtGui, QtWidgets

_ENTER_KEYS = None


def primary_button(button: QtWidgets.QAbstractButton) -> QtWidgets.QAbstractButton:
    """Mark `button` as its form's main action (styled by resources/style.qss, pressed by Ctrl+S)."""
    button.setProperty("primary", True)
    if button.isVisible():   # already styled: style it again (a new button is styled when first shown)
        button.style().unpolish(button)
        button.style().polish(button)
    return button


def _visible_primaries(root: QtWidgets.QWidget) -> list[QtWidgets.QAbstractButton]:
    return [b for b in root.findChildren(QtWidgets.QAbstractButton)
            if b.property("primary") is True and b.isVisible() and b.isEnabled()]


def click_primary(window: QtWidgets.QWidget) -> QtWidgets.QAbstractButton | None:
    """Press the primary button of the form holding the focus in `window` (the nearest one going
    out from the focused field), or the window's only one; returns the button pressed."""
    focus = QtWidgets.QApplication.focusWidget()
    widget = focus if focus is not None and (focus is window or window.isAncestorOf(focus)) else None
    while widget is not None:
        found = _visible_primaries(widget)
        if found:
            found[0].click()
            return found[0]
        if widget is window:
            break
        widget = widget.parentWidget()
    found = _visible_primaries(window)
    if len(found) == 1:
        found[0].click()
        return found[0]
    return None


def dialog_title_bar(dialog: QtWidgets.QDialog) -> None:
    """A dialog's title bar has Close, never Maximise or Minimise (set before it first shows)."""
    window = QtCore.Qt.WindowType
    flags = dialog.windowFlags()
    wanted = (flags & ~(window.WindowMaximizeButtonHint | window.WindowMinimizeButtonHint)) \
        | window.CustomizeWindowHint | window.WindowTitleHint | window.WindowCloseButtonHint
    if wanted != flags:
        dialog.setWindowFlags(wanted)


def fit_on_screen(window: QtWidgets.QWidget) -> None:
    """Keep a window inside its screen's available area (a dialog sized for 100 % scaling must
    still fit at 150 %, its buttons on screen)."""
    screen = window.screen() or QtGui.QGuiApplication.primaryScreen()
    if screen is None:
        return
    area = screen.availableGeometry()
    frame = window.frameGeometry()
    extra_w, extra_h = frame.width() - window.width(), frame.height() - window.height()
    width = min(window.width(), area.width() - extra_w)
    height = min(window.height(), area.height() - extra_h)
    if window.minimumWidth() > width or window.minimumHeight() > height:
        window.setMinimumSize(min(window.minimumWidth(), width), min(window.minimumHeight(), height))
    if (width, height) != (window.width(), window.height()):
        window.resize(width, height)
    frame = window.frameGeometry()
    x = max(area.left(), min(frame.left(), area.right() + 1 - frame.width()))
    y = max(area.top(), min(frame.top(), area.bottom() + 1 - frame.height()))
    if (x, y) != (frame.left(), frame.top()):
        window.move(x, y)


def scroll_into_view(widget: QtWidgets.QWidget) -> None:
    """Scroll every scroll area around `widget` so that it shows (its top first, if it is taller
    than the view)."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QtWidgets.QScrollArea) and parent.widget() is not None \
                and parent.widget().isAncestorOf(widget):
            viewport = parent.viewport().height()
            margin = max(0, min(48, (viewport - widget.height()) // 2))
            parent.ensureWidgetVisible(widget, 24, margin)
        parent = parent.parentWidget()


_CONTAINERS = (QtWidgets.QScrollArea, QtWidgets.QStackedWidget, QtWidgets.QSplitter, QtWidgets.QGroupBox)


class _KeyHabits(QtCore.QObject):
    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind == QtCore.QEvent.Type.KeyPress and isinstance(obj, (QtWidgets.QPushButton, QtWidgets.QToolButton)):
            if event.key() in _enter_keys() and not event.modifiers() & ~_keypad() \
                    and obj.hasFocus() and obj.isEnabled():
                obj.click()
                return True
        elif kind == QtCore.QEvent.Type.KeyPress and isinstance(obj, QtWidgets.QWidget) \
                and event.matches(QtGui.QKeySequence.StandardKey.Save):
            # Ctrl+S in a modal dialog, which blocks the main window's Save: its primary button.
            window = obj.window()
            if isinstance(window, QtWidgets.QDialog) and obj is QtWidgets.QApplication.focusWidget():
                return click_primary(window) is not None
        elif kind == QtCore.QEvent.Type.Show and isinstance(obj, QtWidgets.QDialog) and obj.isWindow():
            fit_on_screen(obj)
        elif kind == QtCore.QEvent.Type.Polish:
            if _is_container(obj):
                obj.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
            elif isinstance(obj, QtWidgets.QAbstractItemView):
                obj.setTabKeyNavigation(False)   # Tab leaves a table; the arrow keys move within it
            elif isinstance(obj, QtWidgets.QDialog) and obj.isWindow() and not obj.isVisible():
                dialog_title_bar(obj)
        return False


def _enter_keys():
    global _ENTER_KEYS
    if _ENTER_KEYS is None:
        _ENTER_KEYS = (QtCore.Qt.Key.Key_Return, QtCore.Qt.Key.Key_Enter)
    return _ENTER_KEYS


def _keypad():
    return QtCore.Qt.KeyboardModifier.KeypadModifier


def _first_control(container: QtWidgets.QWidget) -> QtWidgets.QWidget | None:
    """The first widget inside `container`, in Tab order, that Tab would stop on."""
    widget = container.nextInFocusChain()
    while widget is not None and widget is not container:
        if container.isAncestorOf(widget) and widget.isVisible() and widget.isEnabled() \
                and widget.focusPolicy() & QtCore.Qt.FocusPolicy.TabFocus and widget.focusProxy() is None:
            return widget
        widget = widget.nextInFocusChain()
    return None


def _is_container(widget: QtWidgets.QWidget) -> bool:
    return isinstance(widget, QtWidgets.QScrollArea) or type(widget) in _CONTAINERS


def _pass_focus_on(container: QtWidgets.QWidget) -> bool:
    """A container holding the focus hands it to its first control; True if it did."""
    try:
        if not container.hasFocus():
            return False
        control = _first_control(container)
    except RuntimeError:   # gone
        return False
    if control is None:
        return False
    control.setFocus(QtCore.Qt.FocusReason.OtherFocusReason)
    return True


def _focus_changed(_old, new) -> None:
    if new is None:
        return
    try:
        if _is_container(new):
            # A scroll area or stack given the focus anyway (QStackedWidget's last resort when the
            # focused page goes, often before the new page is first shown and polished): hand it
            # to the first control inside, which shows the focus ring; once shown, if not yet.
            if not _pass_focus_on(new):
                QtCore.QTimer.singleShot(0, new, lambda: _pass_focus_on(new))
            return
        scroll_into_view(new)
        # A sub-form shown and focused in one go ("Add a person") is laid out only afterwards:
        # scroll again once the page has its new geometry, if the field still has the focus.
        QtCore.QTimer.singleShot(0, new, lambda: _scroll_again(new))
    except RuntimeError:   # a widget going away as focus moves
        pass


def _scroll_again(widget: QtWidgets.QWidget) -> None:
    try:
        if widget.hasFocus():
            scroll_into_view(widget)
    except RuntimeError:
        pass


def install(app: QtWidgets.QApplication | None = None) -> None:
    """Install the habits on the application (once; later calls do nothing)."""
    app = app or QtWidgets.QApplication.instance()
    if app is None or getattr(app, "_spocdesk_key_habits", None) is not None:
        return
    habits = _KeyHabits(app)
    app.installEventFilter(habits)
    app.focusChanged.connect(_focus_changed)
    app._spocdesk_key_habits = habits
    # Widgets polished before now (the main window's areas are built first) get the habits too.
    for widget in QtWidgets.QApplication.allWidgets():
        if _is_container(widget):
            widget.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        elif isinstance(widget, QtWidgets.QAbstractItemView):
            widget.setTabKeyNavigation(False)
