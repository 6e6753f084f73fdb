"""Small helpers shared by the panels."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QLineEdit, QWidget


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
