"""Starting the desktop application."""

from __future__ import annotations

import os
import pathlib
import sys

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
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


def run(paths: list[str]) -> int:
    """Open the window (with ``paths[0]`` or the ready example) and run the event loop."""
    app = make_application(sys.argv[:1])
    from nnstudio.main_window import MainWindow  # after QApplication: widgets need it

    window = MainWindow()
    window.show()
    recovered = window.offer_recovery()
    if paths:
        if not window.open_path(os.path.abspath(paths[0]), ask=not recovered):
            if not recovered:
                window.session.open_example("spirals-classifier")
    elif not recovered:
        window.session.open_example("spirals-classifier")
    window.view.fit()
    return app.exec()
