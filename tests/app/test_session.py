"""The session (document + undo stack + file) and the autosave files, without a window.

Real project files in ``tmp_path``; the autosave folder is the test's own (conftest).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from PySide6.QtCore import QStandardPaths

from nnstudio import autosave
from nnstudio.document import examples, project_file
from nnstudio.document.errors import ProjectFileError
from nnstudio.document.model import Project
from nnstudio.editor.commands import SetTraining
from nnstudio.session import Session


@pytest.fixture
def session(qapp):
    return Session()


@pytest.fixture
def spirals_file(tmp_path):
    path = tmp_path / "spirals.nnproj"
    project_file.save(examples.spirals_classifier(), path)
    return str(path)


def dead_pid() -> int:
    """The id of a process that has ended."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


class StateSpy:
    def __init__(self, session):
        self.states, self.replaced = 0, 0
        session.stateChanged.connect(self._state)
        session.documentReplaced.connect(self._replaced)

    def _state(self):
        self.states += 1

    def _replaced(self):
        self.replaced += 1


def test_a_new_session_is_untitled_and_clean(session):
    assert session.path is None
    assert not session.modified
    assert session.display_name() == "Untitled"
    assert session.project == Project()


def test_an_edit_marks_modified_and_undo_makes_it_clean_again(session):
    spy = StateSpy(session)
    session.push(SetTraining(session.project, epochs=7))
    assert session.modified and session.project.training.epochs == 7
    session.undo_stack.undo()
    assert not session.modified and session.project.training.epochs == 50
    assert spy.states == 2  # clean -> dirty -> clean


def test_open_save_and_reopen(session, spirals_file, tmp_path):
    spy = StateSpy(session)
    session.open(spirals_file)
    assert session.path == os.path.abspath(spirals_file)
    assert session.display_name() == "spirals.nnproj"
    assert session.project == examples.spirals_classifier()
    assert not session.modified and spy.replaced == 1

    session.push(SetTraining(session.project, epochs=3, batch_size=8))
    target = str(tmp_path / "copy.nnproj")
    session.save(target)
    assert session.path == target and not session.modified
    assert project_file.load(target) == session.project
    # the original file is untouched by Save As
    assert project_file.load(spirals_file) == examples.spirals_classifier()


def test_open_a_relative_path_remembers_it_absolute(session, spirals_file, monkeypatch):
    monkeypatch.chdir(os.path.dirname(spirals_file))
    session.open("spirals.nnproj")
    assert session.path == spirals_file


def test_revert_drops_unsaved_changes(session, spirals_file):
    session.open(spirals_file)
    session.push(SetTraining(session.project, epochs=5))
    session.save()
    session.push(SetTraining(session.project, epochs=99))
    session.revert()
    assert session.project.training.epochs == 5
    assert not session.modified and session.undo_stack.count() == 0


def test_revert_and_save_of_an_untitled_document_are_refused(session):
    with pytest.raises(ValueError):
        session.revert()
    with pytest.raises(ValueError):
        session.save()


def test_a_failed_open_leaves_everything_as_it_was(session, spirals_file, tmp_path):
    session.open(spirals_file)
    session.push(SetTraining(session.project, epochs=5))
    before = session.project.to_dict()
    bad = tmp_path / "bad.nnproj"
    bad.write_bytes(b"\x00garbage\xff" * 10)
    spy = StateSpy(session)
    with pytest.raises(ProjectFileError) as info:
        session.open(str(bad))
    assert "bad.nnproj" in str(info.value)
    assert session.project.to_dict() == before
    assert session.path == spirals_file and session.modified
    assert session.undo_stack.count() == 1
    assert spy.replaced == 0 and spy.states == 0


def test_a_failed_save_keeps_the_document_modified(session, tmp_path):
    session.open_example("xor-playground")
    session.push(SetTraining(session.project, epochs=5))
    with pytest.raises(ProjectFileError):
        session.save(str(tmp_path / "no such folder" / "x.nnproj"))
    assert session.modified and session.path is None
    assert session.display_name() == "xor-playground.nnproj"


@pytest.mark.parametrize("name", list(examples.EXAMPLES))
def test_open_example_is_an_untitled_copy(session, name):
    session.open_example(name)
    assert session.project == examples.EXAMPLES[name]()
    assert session.path is None and not session.modified
    assert session.display_name() == f"{name}.nnproj"
    session.push(SetTraining(session.project, epochs=1))
    assert examples.EXAMPLES[name]().training.epochs != 1  # the factory is not shared


def test_recover_shows_a_modified_document_of_its_file(session, spirals_file):
    project = examples.xor_playground()
    session.recover(project, spirals_file)
    assert session.project == examples.xor_playground()
    assert session.path == spirals_file and session.modified
    # an edit and its undo do not make the recovered document look saved
    session.push(SetTraining(session.project, epochs=2))
    session.undo_stack.undo()
    assert session.modified


# -- autosave files ---------------------------------------------------------------------------
def test_test_mode_keeps_app_data_away_from_the_user(qapp):
    assert QStandardPaths.isTestModeEnabled()
    location = QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.AppDataLocation)
    assert ".qttest" in location


def test_autosave_folder_is_the_tests_own(autosave_dir):
    assert autosave.folder() == str(autosave_dir)
    assert os.listdir(autosave_dir) == []


def test_autosave_writes_a_copy_and_a_note_and_clear_removes_them(autosave_dir, spirals_file):
    saver = autosave.Autosaver()
    project = examples.spirals_classifier()
    saver.save(project, spirals_file)
    assert sorted(os.listdir(autosave_dir)) == sorted(
        [os.path.basename(saver.data_path), os.path.basename(saver.note_path)])
    with open(saver.note_path, encoding="utf-8") as f:
        note = json.load(f)
    assert note["pid"] == os.getpid() and note["original_path"] == spirals_file
    assert project_file.load(saver.data_path) == project
    # this process is alive: its own copy is not a leftover
    assert autosave.leftovers() == []
    saver.clear()
    assert os.listdir(autosave_dir) == []


def test_leftovers_are_copies_of_dead_processes_newest_first(autosave_dir, spirals_file):
    older, newer = autosave.Autosaver(), autosave.Autosaver()
    older.save(examples.xor_playground(), None)
    newer.save(examples.spirals_classifier(), spirals_file)
    pid = dead_pid()
    for saver, when in ((older, 100.0), (newer, 200.0)):
        with open(saver.note_path, encoding="utf-8") as f:
            note = json.load(f)
        note.update(pid=pid, saved_at=when)
        with open(saver.note_path, "w", encoding="utf-8") as f:
            json.dump(note, f)
    found = autosave.leftovers()
    assert [item.original_path for item in found] == [spirals_file, None]
    assert found[0].load() == examples.spirals_classifier()
    assert found[1].load() == examples.xor_playground()
    for item in found:
        item.discard()
    assert os.listdir(autosave_dir) == []


def test_broken_notes_are_not_offered(autosave_dir):
    (autosave_dir / "a.json").write_text("{not json", encoding="utf-8")
    (autosave_dir / "b.json").write_text(json.dumps({"pid": "x"}), encoding="utf-8")
    (autosave_dir / "c.json").write_text(json.dumps({"pid": dead_pid()}), encoding="utf-8")
    assert autosave.leftovers() == []  # c has no data file ...
    assert sorted(os.listdir(autosave_dir)) == ["a.json", "b.json"]  # ... and is cleaned up
