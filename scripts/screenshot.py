"""Regenerate docs/screenshot.png: the spirals example trained in the window (offscreen).

    .venv/bin/python scripts/screenshot.py [--out docs/screenshot.png]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshot.png"))
    args = parser.parse_args()
    from PySide6.QtCore import QEventLoop, QSettings, QStandardPaths, QTimer

    from nnstudio.app import make_application

    app = make_application(sys.argv[:1])
    QStandardPaths.setTestModeEnabled(True)
    from nnstudio.main_window import MainWindow

    with tempfile.TemporaryDirectory() as tmp:
        settings = QSettings(os.path.join(tmp, "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings=settings)
        window.resize(1400, 860)
        window.session.open_example("spirals-classifier")
        window.show()
        window.view.fit()
        loop = QEventLoop()
        window.controller.finished.connect(lambda _r: QTimer.singleShot(400, loop.quit))
        QTimer.singleShot(120_000, loop.quit)
        window.start_training()
        loop.exec()
        node = window.scene.node_items.get("hidden1")
        if node is not None:
            node.setSelected(True)
        app.processEvents()
        window.grab().save(args.out)
        window.session.undo_stack.setClean()
        window.close()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
