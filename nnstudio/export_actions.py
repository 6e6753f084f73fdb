"""File > Export of the window: the current run as an ONNX model, a PyTorch script or a
CSV of predictions.

The current run is the project's last run with weights (``runs.last_trained_run``): the run
just trained, or the one the Runs panel restored (``RestoreRun`` moves it last).  The views'
images and data are exported by ``nnstudio.views.view_export``.

The work is the command line's (``nnstudio.training.runs``: ``export_onnx``,
``export_torch``, ``predictions_table``); this module only asks for a file through the
window's ``ask_save_path`` and reports problems through its ``show_error``, so that tests
answer both without a dialog.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from nnstudio.training import runs


def _tr(text: str) -> str:
    return QCoreApplication.translate("ExportActions", text)


def _trained_run(window, title: str):
    """The current run of the window's project (its last run with weights); None (after
    saying so) when there is none or training is in progress."""
    if window.controller.state != "idle":
        window.show_error(title, _tr("Wait until training has finished before exporting."))
        return None
    run = runs.last_trained_run(window.session.project)
    if run is None:
        window.show_error(title, _tr(
            "The project has no trained run yet. Train the network first (Train > Start "
            "Training), then export it."))
    return run


def _stem(window) -> str:
    name = window.session.display_name() if hasattr(window.session, "display_name") else ""
    name = name.rsplit(".", 1)[0] if name.endswith(".nnproj") else name
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name).strip("_") or "model"


def _export(window, title: str, file_filter: str, suffix: str, work) -> str | None:
    """Ask for a path and run ``work(run, path)``; returns the path written, or None."""
    run = _trained_run(window, title)
    if run is None:
        return None
    path = window.ask_save_path(title, file_filter, f"{_stem(window)}{suffix}")
    if not path:
        return None
    if not path.lower().endswith(suffix):
        path += suffix
    try:
        work(run, path)
    except ImportError as exc:
        window.show_error(title, _tr("This export needs a package that is not installed "
                                     "({0}).").format(exc.name or exc))
        return None
    except OSError as exc:
        window.show_error(title, _tr("Cannot write {0}: {1}").format(
            path, exc.strerror or exc))
        return None
    except Exception as exc:  # noqa: BLE001 - the engine's typed errors carry good messages
        window.show_error(title, str(exc) or type(exc).__name__)
        return None
    window.statusBar().showMessage(_tr("{0} ({1}) exported to {2}").format(
        run.name, run.id, path), 10000)
    return path


def export_onnx(window) -> str | None:
    """The current run's network as an ONNX model (opset 17)."""
    return _export(window, _tr("Export ONNX model"), _tr("ONNX models (*.onnx)"), ".onnx",
                   runs.export_onnx)


def export_torch(window) -> str | None:
    """The current run as a standalone PyTorch script (weights and data files beside
    it)."""
    project = window.session.project

    def work(run, path):
        runs.export_torch(run, path, project.embedded, window._project_dir())

    return _export(window, _tr("Export PyTorch script"), _tr("Python files (*.py)"), ".py",
                   work)


def export_predictions_csv(window) -> str | None:
    """The current run's predictions on every sample of the project's data: the feature
    columns, the true target, the predicted class and per-class probabilities (or the
    predicted values)."""
    project = window.session.project

    def work(run, path):
        header, rows = runs.predictions_table(run, project.embedded, window._project_dir())
        runs.write_csv(path, header, rows)

    return _export(window, _tr("Export predictions"), _tr("CSV files (*.csv)"), ".csv", work)
