"""Actions a person takes in the main window, shared by the window's test files."""

from PySide6.QtCore import Qt


def set_epochs(window, qtbot, value: int) -> None:
    """Type a number of epochs into the Training panel's spin box."""
    box = window.training_panel.epochs
    box.setFocus()
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, str(value))
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert box.value() == value
