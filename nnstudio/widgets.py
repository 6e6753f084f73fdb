"""Small helpers shared by the panels."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def named(widget: QWidget, object_name: str, accessible_name: str,
          tooltip: str | None = None) -> QWidget:
    """Give ``widget`` the objectName and accessibleName that screen readers and test
    harnesses find it by (and a tooltip); returns it for chaining."""
    widget.setObjectName(object_name)
    widget.setAccessibleName(accessible_name)
    if tooltip:
        widget.setToolTip(tooltip)
    return widget
