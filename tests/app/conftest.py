"""Fixtures for tests of the main window: isolated settings and app data, a person who
answers the window's questions, and windows that are always closed in teardown.

Nothing here touches the real user's settings or application data:

* every window gets a ``QSettings`` in IniFormat in the test's ``tmp_path``;
* ``QStandardPaths`` runs in test mode for the whole session (``~/.qttest/...``), and the
  autosave folder is moved into the test's ``tmp_path`` (so that two test runs at the same
  time cannot see each other's autosaved documents) and emptied before and after each test.
"""

from __future__ import annotations

import os
import shutil

import pytest
from PySide6.QtCore import QSettings, QStandardPaths

from nnstudio import autosave
from nnstudio.main_window import CANCEL, DISCARD



@pytest.fixture(scope="session", autouse=True)
def _standard_paths_test_mode(qapp):
    QStandardPaths.setTestModeEnabled(True)
    yield
    QStandardPaths.setTestModeEnabled(False)


@pytest.fixture
def autosave_dir(tmp_path, monkeypatch):
    """The autosave folder of this test (empty at the start, emptied at the end)."""
    folder = tmp_path / "appdata" / "autosave"

    def isolated_folder() -> str:
        folder.mkdir(parents=True, exist_ok=True)
        return str(folder)

    monkeypatch.setattr(autosave, "folder", isolated_folder)
    isolated_folder()
    for entry in os.listdir(folder):
        os.remove(folder / entry)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def settings_path(tmp_path):
    return tmp_path / "settings" / "nnstudio.ini"


def ini_settings(path) -> QSettings:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return QSettings(str(path), QSettings.Format.IniFormat)


@pytest.fixture
def settings(settings_path) -> QSettings:
    return ini_settings(settings_path)


class Person:
    """Answers the window's questions from queues filled by the test, and records them.

    ``person.will("save_changes", DISCARD)`` queues an answer; a question without a queued
    answer is recorded in ``unexpected`` and answered in the safest way (Cancel, no file,
    do not recover), so that a test never blocks on a modal dialog.  ``errors`` collects the
    messages the window shows.
    """

    def __init__(self):
        self.queued: dict[str, list] = {"save_changes": [], "open_path": [], "save_path": [],
                                        "recover": [], "reconnect": []}
        self.asked: list[tuple] = []
        self.unexpected: list[tuple] = []
        self.errors: list[tuple[str, str]] = []
        self.always: dict[str, object] = {"reconnect": False}

    def will(self, question: str, *answers) -> "Person":
        self.queued[question].extend(answers)
        return self

    def _answer(self, question: str, default, *details):
        self.asked.append((question, *details))
        if self.queued[question]:
            return self.queued[question].pop(0)
        if question in self.always:
            return self.always[question]
        self.unexpected.append((question, *details))
        return default

    # the window's ask_* / show_error, same signatures
    def ask_save_changes(self):
        return self._answer("save_changes", CANCEL)

    def ask_open_path(self):
        return self._answer("open_path", None)

    def ask_save_path(self, title=None, file_filter=None, suggested=""):
        return self._answer("save_path", None, suggested)

    def ask_recover(self, item):
        return self._answer("recover", False, item.original_path)

    def ask_reconnect(self, bridges):
        return self._answer("reconnect", True, tuple(bridges))

    def show_error(self, title, message):
        self.errors.append((title, message))


def attach_person(window) -> Person:
    person = Person()
    for name in ("ask_save_changes", "ask_open_path", "ask_save_path", "ask_recover",
                 "ask_reconnect", "show_error"):
        setattr(window, name, getattr(person, name))
    window.person = person
    return window.person


def shut(window) -> None:
    """Close ``window`` as a person would (discarding changes), then make sure its training
    thread has ended."""
    person = getattr(window, "person", None)
    if person is not None:
        person.always["save_changes"] = DISCARD
    if window.isVisible():
        assert window.close(), "the window refused to close after Discard"
    else:
        # a window that was hidden or already closed: still end its thread and timers
        window.controller.shutdown(10_000)
        window._autosave_timer.stop()
    assert window.controller.shutdown(10_000)
    thread = window.controller.worker_thread
    assert thread is None or not thread.isRunning()


@pytest.fixture
def make_window(qtbot, settings_path, autosave_dir):
    """``make_window(settings=None, show=True)``: a MainWindow with isolated settings and a
    :class:`Person` (``window.person``).  Every window is closed in teardown, its training
    thread joined, and the test fails if the window asked something nobody expected."""
    from nnstudio.main_window import MainWindow

    made = []

    def make(settings: QSettings | None = None, show: bool = True):
        window = MainWindow(settings=settings or ini_settings(settings_path))
        attach_person(window)
        made.append(window)
        if show:
            window.show()
            qtbot.waitExposed(window)
        return window

    yield make
    problems = []
    for window in made:
        unexpected = list(window.person.unexpected)
        shut(window)
        if unexpected:
            problems.append(unexpected)
    assert not problems, f"questions nobody expected: {problems}"


@pytest.fixture
def window(make_window):
    return make_window()


@pytest.fixture
def controller(qtbot):
    """A training controller whose worker thread is always joined at the end of the test
    (destroying a running QThread aborts the process)."""
    from nnstudio.training.controller import TrainingController

    c = TrainingController()
    yield c
    assert c.shutdown(10_000)
    thread = c.worker_thread
    assert thread is None or not thread.isRunning()
    assert c.state == "idle"


@pytest.fixture
def panel(qtbot):
    """The data panel on its own, showing the spirals example; no background load of it is
    left running afterwards."""
    from nnstudio.document import examples
    from nnstudio.panels import data_loader
    from nnstudio.panels.data_panel import DataPanel
    from nnstudio.session import Session

    session = Session()
    session.new(examples.spirals_classifier())
    widget = DataPanel(session)
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    assert data_loader.stop_all()
