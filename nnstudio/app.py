"""Starting the desktop application."""

from __future__ import annotations

import os
import pathlib
import sys

from PySide6.QtCore import QEvent, QLibraryInfo, QLocale, QObject, QTranslator
from PySide6.QtWidgets import QApplication

from nnstudio import __version__

TRANSLATIONS = pathlib.Path(__file__).resolve().parent.parent / "resources" / "translations"


def make_application(argv: list[str]) -> QApplication:
    app = QApplication.instance() or QApplication(argv)
    app.setApplicationName("NN Studio")
    app.setOrganizationName("NN Studio")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("nnstudio")
    locale = QLocale.system().name()
    for folder, prefix in ((QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath), "qtbase"),
                           (str(TRANSLATIONS), "nnstudio")):
        translator = QTranslator(app)
        if translator.load(f"{prefix}_{locale}", folder):
            app.installTranslator(translator)
    return app


FIRST_EXAMPLE = "spirals-classifier"


def show_first_document(window, paths: list[str]) -> str:
    """Decide what the first window shows, and show it; returns what it chose.

    * Autosaved work left by a crash is offered first; accepted, it is shown ("recovered").
    * A file given on the command line is opened ("file").  Next to recovered work of
      another file, opening it asks Save / Discard / Cancel first, so the recovered work is
      never dropped silently (Cancel keeps it).
    * Otherwise, or when the file cannot be opened (an error says why), a ready example
      that trains at once ("example").
    """
    recovered = window.offer_recovery()
    if paths:
        path = os.path.abspath(paths[0])
        if recovered and window.session.path == path:
            return "recovered"  # the recovered work is that file's unsaved state
        if window.open_path(path, ask=recovered):
            return "file"
    if recovered:
        return "recovered"
    window.session.open_example(FIRST_EXAMPLE)
    window.view.fit()
    return "example"


class FileOpenForwarder(QObject):
    """Opens the files the desktop hands over as events (macOS Finder sends a double-clicked
    .nnproj as a QFileOpenEvent, not on the command line)."""

    def __init__(self, window, parent=None):
        super().__init__(parent)
        self.window = window

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.FileOpen and event.file():
            self.window.open_path(event.file())
            return True
        return super().eventFilter(watched, event)


def run(paths: list[str]) -> int:
    """Open the window (with ``paths[0]`` or the ready example) and run the event loop."""
    app = make_application(sys.argv[:1])
    from nnstudio.main_window import MainWindow  # after QApplication: widgets need it

    window = MainWindow()
    opener = FileOpenForwarder(window, app)
    app.installEventFilter(opener)
    window.show()
    show_first_document(window, paths)
    return app.exec()
