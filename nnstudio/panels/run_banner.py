"""A banner across the top of the canvas that explains how the last run ended badly.

A run that diverges (a NaN or infinite loss, gradient or weight: an exploding gradient) is a
lesson, not an error of the program: the banner says what happened in the glossary's words,
keeps the window usable (no dialog to dismiss first), and offers the usual first remedy, a
ten times lower learning rate, as one click -- an undoable edit like any other.  It goes when
the person dismisses it (the button or Escape) or trains again.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from nnstudio.widgets import named

# dark text on a light red: readable in a light and a dark palette alike
BACKGROUND, TEXT, BORDER = QColor("#fde7e7"), QColor("#3c0a0a"), QColor("#d9534f")


class RunBanner(QFrame):
    """Hidden until :meth:`show_diverged`.  ``lowerRate`` is emitted when the person asks
    for the lower learning rate (the window applies it to the document)."""

    lowerRate = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        named(self, "runBanner", self.tr("Training diverged"))
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        palette = self.palette()
        for role, color in ((QPalette.ColorRole.Window, BACKGROUND),
                            (QPalette.ColorRole.WindowText, TEXT)):
            palette.setColor(role, color)
        self.setPalette(palette)
        self.setStyleSheet(f"#runBanner {{ border: 1px solid {BORDER.name()}; }}")
        self.title = named(QLabel(), "runBannerTitle", self.tr("What happened"))
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.message = named(QLabel(), "runBannerMessage", self.tr("Why, and what to try"))
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.lower = named(QPushButton(self.tr("Lower the learning rate")), "runBannerLower",
                           self.tr("Lower the learning rate ten times"),
                           self.tr("Divide the learning rate by 10 (Edit > Undo takes it "
                                   "back)"))
        self.dismiss = named(QPushButton(self.tr("Dismiss")), "runBannerDismiss",
                             self.tr("Dismiss the banner"), self.tr("Hide this message (Esc)"))
        self.lower.clicked.connect(self.lowerRate)
        self.dismiss.clicked.connect(self.hide)
        escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        escape.activated.connect(self.hide)
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(self.title)
        text.addWidget(self.message)
        buttons = QVBoxLayout()
        buttons.addWidget(self.lower)
        buttons.addWidget(self.dismiss)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addLayout(text, 1)
        layout.addLayout(buttons)
        self.setVisible(False)

    def show_diverged(self, message: str, lr: float | None) -> None:
        """Explain a diverged run (``message``: the engine's, in glossary terms) and offer a
        learning rate of ``lr / 10`` when the run had one."""
        self.title.setText(self.tr("Training diverged: an exploding gradient"))
        self.message.setText(message)
        self.lower.setVisible(bool(lr))
        if lr:
            self.lower.setText(self.tr("Lower the learning rate to {0:g}").format(lr / 10))
        self.setVisible(True)
