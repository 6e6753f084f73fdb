"""``nnstudio --self-test``: check that this installation really works, end to end.

Starts the application offscreen (unless ``QT_QPA_PLATFORM`` is already set) with throwaway
settings and ``QStandardPaths`` test mode, opens the spirals example in the main window,
trains it for a few epochs through the window's own training controller, saves the project
to a temporary folder and opens it again, and checks that the run and its weights came back
equal.  One line per step goes to standard output; the exit code is 0 only if every step
worked, otherwise the number of the step that failed (and its error goes to standard error).

It is what the installers' tests run from the built bundle, and what a user can run to
check an installation (``nnstudio --self-test``).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback

EXAMPLE = "spirals-classifier"
EPOCHS = 3
TRAIN_TIMEOUT_MS = 120_000


class StepFailed(Exception):
    pass


#: Exceptions raised in Qt slots while the self-test runs (Qt would only print them).
_slot_errors: list[str] = []


def _excepthook(kind, value, tb) -> None:
    _slot_errors.append("".join(traceback.format_exception_only(kind, value)).strip())
    traceback.print_exception(kind, value, tb, file=sys.stderr)


def _check_slot_errors() -> None:
    if _slot_errors:
        raise StepFailed(f"error in the application: {_slot_errors[-1]}")


def _wait_for(signal, timeout_ms: int, start=None):
    """Run an event loop until ``signal`` fires (returns its arguments), an exception is
    raised in a slot, or the timeout."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    got: list = []

    def fired(*args):
        got.append(args)
        loop.quit()

    def poll():
        if _slot_errors:
            loop.quit()

    signal.connect(fired)
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(loop.quit)
    timer.start(timeout_ms)
    poller = QTimer()
    poller.timeout.connect(poll)
    poller.start(50)
    try:
        if start is not None:
            start()
        if not got and not _slot_errors:
            loop.exec()
    finally:
        timer.stop()
        poller.stop()
        signal.disconnect(fired)
    _check_slot_errors()
    if not got:
        raise StepFailed(f"no answer within {timeout_ms / 1000:.0f} s")
    return got[0]


def seconds_since_process_start() -> float | None:
    """Wall time since this process started (Linux ``/proc``; None elsewhere)."""
    try:
        with open("/proc/self/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime") as uptime:
            now = float(uptime.read().split()[0])
        return now - int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def run(out=None) -> int:
    """Run every step; 0 if all worked, else the (1-based) number of the failing step."""
    out = out or sys.stdout
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    state: dict = {}
    workdir = tempfile.TemporaryDirectory(prefix="nnstudio-selftest-")

    def say(text: str) -> None:
        print(text, file=out, flush=True)

    def start_app():
        from PySide6.QtCore import QSettings, QStandardPaths

        QStandardPaths.setTestModeEnabled(True)
        from nnstudio import __version__, app

        qapp = app.make_application(sys.argv[:1])
        from nnstudio.main_window import MainWindow

        settings = QSettings(os.path.join(workdir.name, "settings.ini"),
                             QSettings.Format.IniFormat)
        window = MainWindow(settings)
        # the self-test must never block on a dialog nor leave autosaved files behind
        window.show_error = lambda title, message: state.setdefault("errors", []).append(
            f"{title}: {message}")
        window.maybe_save = lambda: True
        window._autosave_timer.stop()
        window.show()
        qapp.processEvents()
        state.update(app=qapp, window=window)
        up = seconds_since_process_start()
        shown = "" if up is None else f", window shown {up:.2f} s after process start"
        return f"NN Studio {__version__}, Qt platform {qapp.platformName()}{shown}"

    def open_example():
        from engine import spec as spec_check

        window = state["window"]
        window.open_example(EXAMPLE)
        if window.session.project is None or not window.session.project.nodes:
            raise StepFailed("the example has no layers")
        errors = spec_check.errors(window.validate())
        if errors:
            raise StepFailed(f"the example does not validate: {errors}")
        return f"{EXAMPLE}: {len(window.session.project.nodes)} layers"

    def train():
        from nnstudio.editor.commands import SetTraining

        window = state["window"]
        window.session.push(SetTraining(window.session.project, epochs=EPOCHS))
        if not window.actions_by_name["train"].isEnabled():
            raise StepFailed("the Train action is disabled")
        t0 = time.perf_counter()
        (result,) = _wait_for(window.controller.finished, TRAIN_TIMEOUT_MS,
                              start=window.actions_by_name["train"].trigger)
        seconds = time.perf_counter() - t0
        if result.get("status") != "completed":
            raise StepFailed(f"training ended {result.get('status')!r}: {result.get('message')}")
        runs = window.session.project.runs
        if len(runs) != 1 or len(runs[0].history.get("lr", [])) != EPOCHS:
            raise StepFailed(f"expected one run of {EPOCHS} epochs, got {len(runs)} runs")
        if not runs[0].weights:
            raise StepFailed("the run has no weights")
        if state.get("errors"):
            raise StepFailed("; ".join(state["errors"]))
        figures = ", ".join(f"{k} {v:.3g}" for k, v in runs[0].final_metrics.items()
                            if isinstance(v, (int, float)))
        return f"{EPOCHS} epochs in {seconds:.1f} s ({figures})"

    def save():
        window = state["window"]
        path = os.path.join(workdir.name, "selftest.nnproj")
        if not window._save_to(path) or window.session.modified:
            raise StepFailed("; ".join(state.get("errors", [])) or "save failed")
        state["path"] = path
        return f"{path} ({os.path.getsize(path)} bytes)"

    def reopen():
        import copy

        import numpy as np

        window = state["window"]
        # the project is replaced in place (views subscribe to it): keep copies of its parts
        before = copy.deepcopy(window.session.project.runs)
        before_dict = window.session.project.to_dict()
        window.new_document()
        if window.session.project.runs:
            raise StepFailed("a new document still has runs")
        if not window.open_path(state["path"], ask=False):
            raise StepFailed("; ".join(state.get("errors", [])) or "open failed")
        after = window.session.project
        if len(after.runs) != len(before):
            raise StepFailed(f"{len(before)} runs saved, {len(after.runs)} reopened")
        for a, b in zip(before, after.runs):
            if set(a.weights or {}) != set(b.weights or {}):
                raise StepFailed(f"run {a.id}: weight names differ")
            for name in a.weights:
                if not np.array_equal(a.weights[name], b.weights[name]):
                    raise StepFailed(f"run {a.id}: weights {name!r} differ")
            if a != b:
                raise StepFailed(f"run {a.id} differs after reopening")
        if after.to_dict() != before_dict:
            raise StepFailed("the reopened project differs from the saved one")
        n = sum(int(np.size(w)) for w in after.runs[0].weights.values())
        return f"{len(after.runs)} run, {n} weights equal"

    def close():
        window = state["window"]
        window.close()
        state["app"].processEvents()
        return "closed"

    steps = [("start the application", start_app), ("open the example", open_example),
             ("train", train), ("save", save), ("reopen and compare", reopen),
             ("close the window", close)]
    code = 0
    previous_hook, sys.excepthook = sys.excepthook, _excepthook
    _slot_errors.clear()
    try:
        for number, (name, step) in enumerate(steps, 1):
            try:
                detail = step()
                _check_slot_errors()
            except Exception as exc:  # noqa: BLE001 - any failure fails the self-test
                say(f"[{number}/{len(steps)}] {name}: FAILED: {exc}")
                if not isinstance(exc, StepFailed):
                    traceback.print_exc(file=sys.stderr)
                code = number
                break
            say(f"[{number}/{len(steps)}] {name}: ok ({detail})")
    finally:
        window = state.get("window")
        if code and window is not None:
            try:
                window.controller.shutdown(5000)
            except Exception:  # noqa: BLE001
                pass
        sys.excepthook = previous_hook
        workdir.cleanup()
    say("self-test passed" if code == 0 else f"self-test FAILED at step {code}")
    return code
