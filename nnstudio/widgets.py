"""Small helpers shared by the panels."""

from __future__ import annotations

import atexit

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QLineEdit, QWidget

_clipboard_release_registered = False


def set_clipboard(mime: QMimeData) -> None:
    """Put ``mime`` on the clipboard.

    PySide6 crashes at interpreter exit (segmentation fault) when the application is torn
    down while the clipboard still holds mime data made in Python; clearing the clipboard
    in an ``atexit`` handler, which runs before that teardown, avoids it.
    """
    global _clipboard_release_registered
    if not _clipboard_release_registered:
        atexit.register(_clear_clipboard)
        _clipboard_release_registered = True
    QGuiApplication.clipboard().setMimeData(mime)


def _clear_clipboard() -> None:
    if QGuiApplication.instance() is not None:
        QGuiApplication.clipboard().clear()


def named(widget: QWidget, object_name: str, accessible_name: str,
          tooltip: str | None = None) -> QWidget:
    """Give ``widget`` the objectName and accessibleName that screen readers and test
    harnesses find it by (and a tooltip); returns it for chaining.

    Spin boxes and combo boxes are compound widgets: their text field and popup list are
    what a screen reader lands on, so they get the same name.
    """
    widget.setObjectName(object_name)
    widget.setAccessibleName(accessible_name)
    if tooltip:
        widget.setToolTip(tooltip)
    if isinstance(widget, QAbstractSpinBox):
        field = widget.findChild(QLineEdit)
        if field is not None:
            field.setAccessibleName(accessible_name)
    elif isinstance(widget, QComboBox):
        widget.view().setObjectName(f"{object_name}Popup")
        widget.view().setAccessibleName(accessible_name)
    return widget
