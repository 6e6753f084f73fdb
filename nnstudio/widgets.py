"""Small helpers shared by the panels."""

from __future__ import annotations

import atexit

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QAbstractButton, QAbstractSpinBox, QComboBox, QHeaderView,
                               QLineEdit, QTableView, QWidget)

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


def name_parts(root: QWidget) -> None:
    """Name the parts Qt builds inside the item views and combo boxes under ``root``
    (header views, a table's corner button, a combo box's popup list) after their owner,
    where they have no name yet: screen readers and test harnesses land on them too."""
    for table in root.findChildren(QTableView):
        owner, spoken = table.objectName(), table.accessibleName() or table.objectName()
        if not owner:
            continue
        parts = ((table.horizontalHeader(), "HorizontalHeader", "column headers"),
                 (table.verticalHeader(), "VerticalHeader", "row headers"))
        for header, suffix, what in parts:
            _name_once(header, f"{owner}{suffix}", f"{spoken}: {what}")
        for button in table.findChildren(QAbstractButton, "qt_tableview_cornerbutton"):
            if not button.accessibleName():
                button.setAccessibleName(f"{spoken}: select all")
    for header in root.findChildren(QHeaderView):  # headers of other item views
        owner = header.parent()
        if owner is not None and owner.objectName():
            _name_once(header, f"{owner.objectName()}Header",
                       f"{owner.accessibleName() or owner.objectName()}: headers")
    for combo in root.findChildren(QComboBox):
        if combo.objectName():
            _name_once(combo.view(), f"{combo.objectName()}Popup",
                       combo.accessibleName() or combo.objectName())


def _name_once(widget: QWidget, object_name: str, accessible_name: str) -> None:
    if not widget.objectName():
        widget.setObjectName(object_name)
    if not widget.accessibleName():
        widget.setAccessibleName(accessible_name)
