"""The main window, used as a person uses it: menus and toolbar actions, panel widgets, mouse
drags on the canvas, real project files in ``tmp_path`` and real training.

The window's questions (file names, save / discard / cancel, recovery) and its error boxes go
to a :class:`~tests.app.conftest.Person` (``window.person``) with queued answers; every window
is closed and its training thread joined in teardown (conftest).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from window_helpers import set_epochs
from PySide6.QtCore import QPoint, QPointF, QSettings, QSize, Qt
from PySide6.QtGui import QAction, QColor, QPalette
from PySide6.QtWidgets import (QAbstractButton, QAbstractItemView, QAbstractSpinBox,
                               QComboBox, QDockWidget, QGraphicsView, QLineEdit,
                               QListWidget, QToolBar, QWidget)

from engine import spec as spec_check
from nnstudio import __version__, autosave
from nnstudio.canvas import edit_ops
from nnstudio.document import examples, project_file
from nnstudio.document.model import Project

from nnstudio.main_window import CANCEL, DISCARD, SAVE

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRAIN_TIMEOUT = 60_000  # ms


# -- helpers ------------------------------------------------------------------------------------
def ini_settings(path) -> QSettings:
    """The settings file ``path`` (the same file the window fixture uses)."""
    return QSettings(str(path), QSettings.Format.IniFormat)


def trigger(window, name: str) -> None:
    """Click a menu entry / toolbar button: only an enabled one does anything."""
    action = window.actions_by_name[name]
    assert action.isEnabled(), f"{name} is disabled"
    action.trigger()


def menu_entry(window, object_name: str) -> QAction:
    action = window.findChild(QAction, object_name)
    assert action is not None, object_name
    return action


def save_file(project: Project, path) -> str:
    project_file.save(project, path)
    return str(path)


def open_recent_menu(window) -> list[QAction]:
    """Show File > Open Recent as a person would (its entries are filled when it opens)."""
    menu = window.recent_menu
    menu.popup(window.mapToGlobal(QPoint(10, 10)))
    entries = [a for a in menu.actions() if not a.isSeparator()]
    menu.hide()
    return entries


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def assert_title(window, name: str, modified: bool) -> None:
    assert window.windowTitle() == f"{name}[*] — NN Studio"
    assert window.isWindowModified() is modified
    assert window.session.modified is modified
    assert window.isWindowModified() is (not window.session.undo_stack.isClean())


@pytest.fixture
def spirals_file(tmp_path):
    return save_file(examples.spirals_classifier(), tmp_path / "spirals.nnproj")


@pytest.fixture
def xor_file(tmp_path):
    return save_file(examples.xor_playground(), tmp_path / "xor.nnproj")


def open_file(window, path) -> None:
    window.person.will("open_path", str(path))
    trigger(window, "open")
    assert window.session.path == str(path)


def modified_file(window, qtbot, path, epochs=7):
    """Open ``path`` and change its epochs: a saved document with unsaved changes."""
    open_file(window, path)
    set_epochs(window, qtbot, epochs)
    assert window.session.modified


# -- new, open, save, save as, revert --------------------------------------------------------
def test_a_new_window_is_untitled_clean_and_has_no_problems(window):
    assert_title(window, "Untitled", False)
    assert window.windowTitle().endswith("NN Studio")
    assert not window.actions_by_name["revert"].isEnabled()
    assert not window.undo_action.isEnabled() and not window.redo_action.isEnabled()
    assert window.controller.state == "idle"


def test_new_gives_an_empty_untitled_document(window, qtbot, spirals_file):
    open_file(window, spirals_file)
    trigger(window, "new")
    assert window.session.project == Project()
    assert window.session.path is None
    assert_title(window, "Untitled", False)
    assert window.scene.node_items == {}


def test_open_shows_the_file(window, spirals_file):
    open_file(window, spirals_file)
    assert window.session.project == examples.spirals_classifier()
    assert_title(window, "spirals.nnproj", False)
    assert set(window.scene.node_items) == set(examples.spirals_classifier().nodes)
    assert len(window.scene.edge_items) == 3
    assert window.person.asked == [("open_path",)]


def test_open_cancelled_in_the_file_dialog_changes_nothing(window, spirals_file):
    open_file(window, spirals_file)
    window.person.will("open_path", None)
    trigger(window, "open")
    assert window.session.path == spirals_file
    assert window.session.project == examples.spirals_classifier()


def test_save_writes_the_file_and_marks_it_clean(window, qtbot, spirals_file):
    modified_file(window, qtbot, spirals_file, epochs=12)
    assert_title(window, "spirals.nnproj", True)
    trigger(window, "save")
    assert_title(window, "spirals.nnproj", False)
    assert project_file.load(spirals_file).training.epochs == 12
    assert project_file.load(spirals_file) == window.session.project
    assert window.person.errors == []


def test_save_of_an_untitled_document_asks_for_a_name(window, qtbot, tmp_path):
    menu_entry(window, "action_example_xor-playground").trigger()
    target = str(tmp_path / "mine.nnproj")
    window.person.will("save_path", target)
    trigger(window, "save")
    assert window.person.asked[-1] == ("save_path", "xor-playground.nnproj")
    assert window.session.path == target
    assert_title(window, "mine.nnproj", False)
    assert project_file.load(target) == examples.xor_playground()


def test_save_as_moves_the_document_to_the_new_file(window, qtbot, spirals_file, tmp_path):
    modified_file(window, qtbot, spirals_file, epochs=9)
    target = str(tmp_path / "other.nnproj")
    window.person.will("save_path", target)
    trigger(window, "save_as")
    assert window.session.path == target
    assert_title(window, "other.nnproj", False)
    assert project_file.load(target).training.epochs == 9
    assert project_file.load(spirals_file) == examples.spirals_classifier()
    # Save now goes to the new file without asking
    set_epochs(window, qtbot, 10)
    trigger(window, "save")
    assert project_file.load(target).training.epochs == 10
    assert [q for q, *_ in window.person.asked].count("save_path") == 1


def test_save_as_cancelled_changes_nothing(window, qtbot, spirals_file):
    modified_file(window, qtbot, spirals_file)
    window.person.will("save_path", None)
    trigger(window, "save_as")
    assert window.session.path == spirals_file and window.session.modified


def test_revert_goes_back_to_the_saved_file(window, qtbot, spirals_file):
    open_file(window, spirals_file)
    assert not window.actions_by_name["revert"].isEnabled()  # nothing to revert
    set_epochs(window, qtbot, 21)
    trigger(window, "save")
    saved = project_file.load(spirals_file)
    assert not window.actions_by_name["revert"].isEnabled()
    set_epochs(window, qtbot, 33)
    window.scene.node_items["hidden1"].setSelected(True)
    trigger(window, "delete")
    assert window.actions_by_name["revert"].isEnabled()
    trigger(window, "revert")
    assert window.session.project == saved
    assert window.training_panel.epochs.value() == 21
    assert "hidden1" in window.scene.node_items
    assert_title(window, "spirals.nnproj", False)
    assert not window.actions_by_name["revert"].isEnabled()
    assert not window.undo_action.isEnabled()


def test_revert_is_disabled_for_an_untitled_document(window, qtbot):
    menu_entry(window, "action_example_spirals-classifier").trigger()
    set_epochs(window, qtbot, 3)
    assert window.session.modified
    assert not window.actions_by_name["revert"].isEnabled()


def test_revert_of_a_deleted_file_shows_an_error_and_keeps_the_document(
        window, qtbot, spirals_file):
    modified_file(window, qtbot, spirals_file, epochs=4)
    os.remove(spirals_file)
    trigger(window, "revert")
    assert len(window.person.errors) == 1 and "spirals.nnproj" in window.person.errors[0][1]
    assert window.session.project.training.epochs == 4 and window.session.modified


# -- examples ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(examples.EXAMPLES))
def test_open_example_loads_validates_and_trains(window, qtbot, name):
    entry = menu_entry(window, f"action_example_{name}")
    assert entry in window.example_menu.actions()
    entry.trigger()
    assert window.session.project == examples.EXAMPLES[name]()
    assert_title(window, f"{name}.nnproj", False)
    assert spec_check.errors(window.validate()) == []
    assert window.problem_label.text() == ""
    assert window.actions_by_name["train"].isEnabled()
    set_epochs(window, qtbot, 3)
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT) as blocker:
        trigger(window, "train")
    result = blocker.args[0]
    assert result["status"] == "completed" and result["n_epochs"] == 3
    assert [len(r.history["lr"]) for r in window.session.project.runs] == [3]
    assert window.person.errors == []


def test_every_shipped_example_file_opens(window, qtbot):
    from nnstudio.document.example_files import example_paths

    paths = example_paths()
    assert {os.path.basename(p)[:-len(".nnproj")] for p in paths} == set(examples.EXAMPLES)
    for path in paths:
        open_file(window, path)
        assert spec_check.errors(window.validate()) == []


# -- undo / redo of edits made with the widgets --------------------------------------------------
def test_undo_redo_of_a_training_setting_typed_into_the_panel(window, qtbot):
    menu_entry(window, "action_example_spirals-classifier").trigger()
    set_epochs(window, qtbot, 75)  # typed "7", "75": one undo step
    assert window.session.project.training.epochs == 75
    assert window.session.undo_stack.count() == 1
    assert_title(window, "spirals-classifier.nnproj", True)
    trigger(window, "undo")
    assert window.session.project.training.epochs == 60
    assert window.training_panel.epochs.value() == 60
    assert_title(window, "spirals-classifier.nnproj", False)
    trigger(window, "redo")
    assert window.session.project.training.epochs == 75
    assert window.training_panel.epochs.value() == 75
    assert window.session.undo_stack.count() == 1  # the panel's refresh pushed nothing


def test_undo_redo_of_a_data_change_in_the_data_panel(window, qtbot):
    menu_entry(window, "action_example_spirals-classifier").trigger()
    combo = window.data_panel.dataset
    combo.setFocus()
    index = combo.findText("circle")
    assert index >= 0
    # a person picks "circle" with the arrow keys (each step is a change of its own)
    while combo.currentIndex() != index:
        qtbot.keyClick(combo, Qt.Key.Key_Down if combo.currentIndex() < index
                       else Qt.Key.Key_Up)
    assert window.session.project.data.config["name"] == "circle"
    pushed = window.session.undo_stack.count()
    assert pushed >= 1
    while window.session.undo_stack.canUndo():
        trigger(window, "undo")
    assert window.session.project.data.config["name"] == "spirals"
    assert combo.currentText() == "spirals"
    assert_title(window, "spirals-classifier.nnproj", False)
    while window.session.undo_stack.canRedo():
        trigger(window, "redo")
    assert window.session.project.data.config["name"] == "circle"
    assert combo.currentText() == "circle"
    assert window.session.undo_stack.count() == pushed


def test_data_samples_typed_into_the_panel_is_one_undo_step(window, qtbot):
    menu_entry(window, "action_example_spirals-classifier").trigger()
    box = window.data_panel.samples
    box.setFocus()
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, "300")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert window.session.project.data.config["n_samples"] == 300
    assert window.session.undo_stack.count() == 1
    trigger(window, "undo")
    assert window.session.project.data.config["n_samples"] == 600
    assert box.value() == 600


def node_center(window, node_id: str) -> QPoint:
    item = window.scene.node_items[node_id]
    return window.view.mapFromScene(item.sceneBoundingRect().center())


def test_dragging_two_selected_nodes_is_one_undo_step(window, qtbot):
    menu_entry(window, "action_example_spirals-classifier").trigger()
    view, viewport = window.view, window.view.viewport()
    before = {nid: n.position for nid, n in window.session.project.nodes.items()}
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=node_center(window, "hidden1"))
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.ControlModifier, node_center(window, "hidden2"))
    assert sorted(window.scene.selected_ids()) == ["hidden1", "hidden2"]
    assert window.session.undo_stack.count() == 0  # clicks move nothing

    start = node_center(window, "hidden1")
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    for step in range(1, 6):
        qtbot.mouseMove(viewport, start + QPoint(8 * step, 10 * step))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=start + QPoint(40, 50))

    after = {nid: n.position for nid, n in window.session.project.nodes.items()}
    moved = {nid for nid in after if after[nid] != before[nid]}
    assert moved == {"hidden1", "hidden2"}
    scale = view.transform().m11()
    for nid in moved:
        dx, dy = after[nid][0] - before[nid][0], after[nid][1] - before[nid][1]
        assert dx == pytest.approx(40 / scale, abs=1.5 / scale)
        assert dy == pytest.approx(50 / scale, abs=1.5 / scale)
        assert window.scene.node_items[nid].pos() == QPointF(*after[nid])
    assert window.session.undo_stack.count() == 1
    assert window.session.modified

    trigger(window, "undo")
    assert {nid: n.position for nid, n in window.session.project.nodes.items()} == before
    for nid, pos in before.items():
        assert window.scene.node_items[nid].pos() == QPointF(*pos)
    assert not window.session.modified
    trigger(window, "redo")
    assert {nid: n.position for nid, n in window.session.project.nodes.items()} == after


def test_double_click_on_a_palette_entry_appends_a_layer(window, qtbot):
    menu_entry(window, "action_example_spirals-classifier").trigger()
    palette: QListWidget = window.palette_widget
    item = next(palette.item(i) for i in range(palette.count())
                if palette.item(i).data(Qt.ItemDataRole.UserRole) == "dropout")
    palette.scrollToItem(item)
    rect = palette.visualItemRect(item)
    # what a double click sends: press, release, then the double click (QTest's mouseDClick
    # sends only the last)
    qtbot.mouseClick(palette.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(palette.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    project = window.session.project
    assert "dropout1" in project.nodes
    assert ("output", "dropout1") in project.edges  # after the network's last layer
    assert "dropout1" in window.scene.node_items
    assert window.session.undo_stack.count() == 1
    trigger(window, "undo")
    assert "dropout1" not in project.nodes and "dropout1" not in window.scene.node_items
    assert project == examples.spirals_classifier()


def test_enter_on_a_palette_entry_appends_after_the_selected_layer(window, qtbot):
    menu_entry(window, "action_example_spirals-classifier").trigger()
    window.scene.node_items["hidden1"].setSelected(True)
    palette: QListWidget = window.palette_widget
    row = next(i for i in range(palette.count())
               if palette.item(i).data(Qt.ItemDataRole.UserRole) == "dense")
    palette.setFocus()
    palette.setCurrentRow(row)
    qtbot.keyClick(palette.viewport(), Qt.Key.Key_Return)
    assert ("hidden1", "dense1") in window.session.project.edges


def test_delete_removes_the_selected_layer_and_undo_restores_it(window, qtbot):
    menu_entry(window, "action_example_spirals-classifier").trigger()
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton,
                     pos=node_center(window, "hidden2"))
    assert window.scene.selected_ids() == ["hidden2"]
    assert window.selection_label.text() == "hidden2"
    trigger(window, "delete")
    project = window.session.project
    assert "hidden2" not in project.nodes and "hidden2" not in window.scene.node_items
    assert all("hidden2" not in e for e in project.edges)
    assert window.problem_label.text() != ""  # output lost its input: a problem is shown
    trigger(window, "undo")
    assert project == examples.spirals_classifier()
    assert "hidden2" in window.scene.node_items
    assert window.problem_label.text() == ""


def test_copy_paste_adds_copies_with_new_ids(window, qtbot):
    menu_entry(window, "action_example_spirals-classifier").trigger()
    for nid in ("hidden1", "hidden2"):
        window.scene.node_items[nid].setSelected(True)
    trigger(window, "copy")
    assert not window.session.modified  # copying changes nothing
    trigger(window, "paste")
    project = window.session.project
    new = [nid for nid in project.nodes if nid not in examples.spirals_classifier().nodes]
    assert len(new) == 2 and not set(new) & {"hidden1", "hidden2"}
    assert (new[0], new[1]) in project.edges
    for nid, original in zip(new, ("hidden1", "hidden2")):
        assert project.nodes[nid].config == project.nodes[original].config
        assert project.nodes[nid].position != project.nodes[original].position
        assert nid in window.scene.node_items
    assert window.session.undo_stack.count() == 1
    trigger(window, "paste")  # again: yet other ids
    assert len(project.nodes) == 8
    trigger(window, "undo")
    trigger(window, "undo")
    assert project == examples.spirals_classifier()


def test_cut_then_paste_brings_the_layer_back_under_a_new_id(window, qtbot):
    menu_entry(window, "action_example_spirals-classifier").trigger()
    window.scene.node_items["hidden2"].setSelected(True)
    trigger(window, "cut")
    assert "hidden2" not in window.session.project.nodes
    trigger(window, "paste")
    assert len(window.session.project.nodes) == 4


def test_select_all_then_delete_is_one_undo_step(window, qtbot):
    menu_entry(window, "action_example_xor-playground").trigger()
    trigger(window, "select_all")
    assert len(window.scene.selected_ids()) == 4
    trigger(window, "delete")
    assert window.session.project.nodes == {}
    trigger(window, "undo")
    assert window.session.project == examples.xor_playground()


def test_arrange_lays_out_the_layers_and_undo_puts_them_back(window, qtbot):
    menu_entry(window, "action_example_spirals-classifier").trigger()
    project = window.session.project
    before = {nid: n.position for nid, n in project.nodes.items()}
    trigger(window, "arrange")
    assert {nid: n.position for nid, n in project.nodes.items()} == \
        edit_ops.arrange_positions(project)
    assert window.session.undo_stack.count() == 1
    for nid, node in project.nodes.items():
        assert window.scene.node_items[nid].pos() == QPointF(*node.position)
    trigger(window, "undo")
    assert {nid: n.position for nid, n in project.nodes.items()} == before
    # arranging an arranged network is no edit at all
    trigger(window, "redo")
    trigger(window, "arrange")
    assert window.session.undo_stack.count() == 1


# -- modified marker -----------------------------------------------------------------------------
def test_the_modified_marker_follows_the_undo_stack(window, qtbot, spirals_file):
    open_file(window, spirals_file)
    assert_title(window, "spirals.nnproj", False)
    assert window.doc_label.text() == "Saved"
    set_epochs(window, qtbot, 5)
    assert_title(window, "spirals.nnproj", True)
    assert window.doc_label.text() == "Modified"
    assert window.actions_by_name["revert"].isEnabled()
    trigger(window, "undo")
    assert_title(window, "spirals.nnproj", False)
    assert not window.actions_by_name["revert"].isEnabled()
    trigger(window, "redo")
    assert_title(window, "spirals.nnproj", True)
    trigger(window, "save")
    assert_title(window, "spirals.nnproj", False)
    trigger(window, "undo")  # back before the saved state: modified again
    assert_title(window, "spirals.nnproj", True)
    assert window.actions_by_name["revert"].isEnabled()


# -- unsaved changes: Save / Discard / Cancel -------------------------------------------------
@pytest.mark.parametrize("answer", [SAVE, DISCARD, CANCEL])
def test_closing_with_unsaved_changes_asks(make_window, qtbot, spirals_file, answer):
    window = make_window()
    modified_file(window, qtbot, spirals_file, epochs=8)
    window.person.will("save_changes", answer)
    closed = window.close()
    assert window.person.asked[-1] == ("save_changes",)
    on_disk = project_file.load(spirals_file)
    if answer == CANCEL:
        assert not closed and window.isVisible()
        assert window.session.modified and window.session.project.training.epochs == 8
        assert on_disk == examples.spirals_classifier()
    else:
        assert closed and not window.isVisible()
        assert on_disk.training.epochs == (8 if answer == SAVE else 60)


def test_closing_an_unmodified_document_asks_nothing(window, spirals_file):
    open_file(window, spirals_file)
    assert window.close()
    assert ("save_changes",) not in window.person.asked


def test_save_on_close_of_an_untitled_document_asks_for_a_file(make_window, qtbot, tmp_path):
    window = make_window()
    menu_entry(window, "action_example_plane-regression").trigger()
    set_epochs(window, qtbot, 4)
    # the path dialog cancelled: the close is cancelled as well
    window.person.will("save_changes", SAVE).will("save_path", None)
    assert not window.close()
    assert window.isVisible() and window.session.modified
    # with a file name: saved there, then closed
    target = str(tmp_path / "plane.nnproj")
    window.person.will("save_changes", SAVE).will("save_path", target)
    assert window.close()
    assert project_file.load(target).training.epochs == 4


def test_a_failed_save_on_close_keeps_the_window_open(make_window, qtbot, tmp_path):
    window = make_window()
    menu_entry(window, "action_example_plane-regression").trigger()
    set_epochs(window, qtbot, 4)
    window.person.will("save_changes", SAVE).will(
        "save_path", str(tmp_path / "missing" / "plane.nnproj"))
    assert not window.close()
    assert window.isVisible() and window.session.modified
    assert len(window.person.errors) == 1


@pytest.mark.parametrize("answer", [SAVE, DISCARD, CANCEL])
def test_new_with_unsaved_changes_asks(window, qtbot, spirals_file, answer):
    modified_file(window, qtbot, spirals_file, epochs=8)
    window.person.will("save_changes", answer)
    trigger(window, "new")
    on_disk = project_file.load(spirals_file)
    if answer == CANCEL:
        assert window.session.path == spirals_file and window.session.modified
        assert window.session.project.training.epochs == 8
        assert on_disk == examples.spirals_classifier()
    else:
        assert window.session.path is None and window.session.project == Project()
        assert not window.session.modified
        assert on_disk.training.epochs == (8 if answer == SAVE else 60)


@pytest.mark.parametrize("answer", [SAVE, DISCARD, CANCEL])
def test_open_with_unsaved_changes_asks(window, qtbot, spirals_file, xor_file, answer):
    modified_file(window, qtbot, spirals_file, epochs=8)
    window.person.will("save_changes", answer)
    if answer != CANCEL:
        window.person.will("open_path", xor_file)
    trigger(window, "open")
    on_disk = project_file.load(spirals_file)
    if answer == CANCEL:
        assert ("open_path",) not in window.person.asked[-1:]
        assert window.session.path == spirals_file and window.session.modified
        assert on_disk == examples.spirals_classifier()
    else:
        assert window.person.asked[-2:] == [("save_changes",), ("open_path",)]
        assert window.session.path == xor_file
        assert window.session.project == examples.xor_playground()
        assert on_disk.training.epochs == (8 if answer == SAVE else 60)


@pytest.mark.parametrize("answer", [SAVE, DISCARD, CANCEL])
def test_open_example_with_unsaved_changes_asks(window, qtbot, spirals_file, answer):
    modified_file(window, qtbot, spirals_file, epochs=8)
    window.person.will("save_changes", answer)
    menu_entry(window, "action_example_xor-playground").trigger()
    if answer == CANCEL:
        assert window.session.path == spirals_file and window.session.modified
    else:
        assert window.session.project == examples.xor_playground()
        assert project_file.load(spirals_file).training.epochs == (8 if answer == SAVE
                                                                   else 60)


# -- recent files --------------------------------------------------------------------------------
def test_saving_and_opening_put_files_at_the_front_of_recent(window, qtbot, tmp_path,
                                                            spirals_file, xor_file):
    assert window.recent_files() == []
    open_file(window, spirals_file)
    open_file(window, xor_file)
    assert window.recent_files() == [xor_file, spirals_file]
    open_file(window, spirals_file)
    assert window.recent_files() == [spirals_file, xor_file]  # moved, not duplicated
    target = str(tmp_path / "saved.nnproj")
    window.person.will("save_path", target)
    trigger(window, "save_as")
    assert window.recent_files() == [target, spirals_file, xor_file]
    set_epochs(window, qtbot, 4)
    trigger(window, "save")
    assert window.recent_files() == [target, spirals_file, xor_file]


def test_recent_files_keep_the_ten_newest(window, tmp_path):
    paths = [save_file(examples.plane_regression(), tmp_path / f"p{i:02d}.nnproj")
             for i in range(12)]
    for path in paths:
        open_file(window, path)
    assert window.recent_files() == paths[::-1][:10]
    entries = open_recent_menu(window)
    assert [a.toolTip() for a in entries] == paths[::-1][:10]
    assert entries[0].text() == "&1 p11.nnproj"
    assert all(a.objectName() for a in entries)


def test_recent_files_persist_in_the_settings(make_window, settings_path, spirals_file):
    first = make_window()
    open_file(first, spirals_file)
    first.close()
    second = make_window(ini_settings(settings_path))
    assert second.recent_files() == [spirals_file]
    assert [a.toolTip() for a in open_recent_menu(second)] == [spirals_file]


def test_opening_from_the_recent_menu(window, qtbot, spirals_file, xor_file):
    open_file(window, spirals_file)
    open_file(window, xor_file)
    trigger(window, "new")
    entries = open_recent_menu(window)
    assert [a.toolTip() for a in entries] == [xor_file, spirals_file]
    entries[1].trigger()
    assert window.session.path == spirals_file
    assert window.session.project == examples.spirals_classifier()
    assert window.recent_files() == [spirals_file, xor_file]


def test_opening_a_recent_file_asks_about_unsaved_changes(window, qtbot, spirals_file,
                                                          xor_file):
    open_file(window, xor_file)
    modified_file(window, qtbot, spirals_file)
    window.person.will("save_changes", CANCEL)
    next(a for a in open_recent_menu(window) if a.toolTip() == xor_file).trigger()
    assert window.session.path == spirals_file and window.session.modified


def test_an_empty_recent_menu_says_so(window):
    entries = open_recent_menu(window)
    assert len(entries) == 1 and not entries[0].isEnabled()
    assert entries[0].objectName()


def test_a_recent_file_that_is_gone_gives_an_error_and_leaves_the_document(
        window, qtbot, spirals_file, xor_file):
    open_file(window, xor_file)
    modified_file(window, qtbot, spirals_file, epochs=5)
    before = window.session.project.to_dict()
    os.remove(xor_file)
    next(a for a in open_recent_menu(window) if a.toolTip() == xor_file).trigger()
    assert len(window.person.errors) == 1
    assert "xor.nnproj" in window.person.errors[0][1]
    assert ("save_changes",) not in window.person.asked  # nothing to decide for a lost file
    assert window.session.project.to_dict() == before
    assert window.session.path == spirals_file and window.session.modified
    # the lost file leaves the list
    assert window.recent_files() == [spirals_file]
    assert [a.toolTip() for a in open_recent_menu(window)] == [spirals_file]


# -- errors --------------------------------------------------------------------------------------
def test_opening_a_corrupt_file_shows_an_error_naming_it(window, qtbot, spirals_file,
                                                         tmp_path):
    modified_file(window, qtbot, spirals_file, epochs=6)
    before = window.session.project.to_dict()
    undo_steps = window.session.undo_stack.count()
    corrupt = tmp_path / "corrupt.nnproj"
    corrupt.write_bytes(os.urandom(2048))
    window.person.will("save_changes", DISCARD).will("open_path", str(corrupt))
    trigger(window, "open")
    assert len(window.person.errors) == 1
    title, message = window.person.errors[0]
    assert "corrupt.nnproj" in message
    assert window.session.project.to_dict() == before
    assert window.session.path == spirals_file and window.session.modified
    assert window.session.undo_stack.count() == undo_steps
    assert_title(window, "spirals.nnproj", True)
    assert str(corrupt) not in window.recent_files()


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 truncated", b'{"format": "json"}'])
def test_other_broken_files_are_refused_too(window, tmp_path, content):
    path = tmp_path / "broken.nnproj"
    path.write_bytes(content)
    window.person.will("open_path", str(path))
    trigger(window, "open")
    assert len(window.person.errors) == 1 and "broken.nnproj" in window.person.errors[0][1]
    assert window.session.path is None


def test_saving_into_a_missing_folder_shows_an_error(window, qtbot, spirals_file, tmp_path):
    modified_file(window, qtbot, spirals_file, epochs=6)
    window.person.will("save_path", str(tmp_path / "nowhere" / "x.nnproj"))
    trigger(window, "save_as")
    assert len(window.person.errors) == 1 and "nowhere" in window.person.errors[0][1]
    assert window.session.path == spirals_file
    assert_title(window, "spirals.nnproj", True)
    assert not (tmp_path / "nowhere").exists()
    assert window.recent_files() == [spirals_file]


def test_saving_over_a_read_only_file_keeps_it(window, qtbot, spirals_file, tmp_path):
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    folder = tmp_path / "locked"
    folder.mkdir()
    path = save_file(examples.xor_playground(), folder / "locked.nnproj")
    open_file(window, path)
    set_epochs(window, qtbot, 3)
    os.chmod(folder, 0o500)
    try:
        trigger(window, "save")
    finally:
        os.chmod(folder, 0o700)
    assert len(window.person.errors) == 1
    assert window.session.modified
    assert project_file.load(path) == examples.xor_playground()


# -- autosave and recovery ---------------------------------------------------------------------
def crashed_with_unsaved_epochs(make_window, qtbot, epochs: int):
    """A window whose unsaved edit (the XOR example's epochs) was autosaved before its
    process 'died' (see :func:`crash`)."""
    window = make_window()
    menu_entry(window, "action_example_xor-playground").trigger()
    set_epochs(window, qtbot, epochs)
    window.autosave_now()
    crash(window)
    return window


def crash(window) -> None:
    """Make ``window``'s autosave look like that of a process that died: its note gets the
    pid of a process that has ended.  The window is left as it is (no clean close)."""
    note_path = window.autosaver.note_path
    with open(note_path, encoding="utf-8") as f:
        note = json.load(f)
    note["pid"] = dead_pid()
    with open(note_path, "w", encoding="utf-8") as f:
        json.dump(note, f)


def test_autosave_writes_a_copy_only_while_modified(window, qtbot, autosave_dir, spirals_file):
    open_file(window, spirals_file)
    window.autosave_now()
    assert os.listdir(autosave_dir) == []  # nothing unsaved
    set_epochs(window, qtbot, 9)
    window.autosave_now()
    assert project_file.load(window.autosaver.data_path) == window.session.project
    trigger(window, "save")
    assert os.listdir(autosave_dir) == []  # saved: the copy is gone
    set_epochs(window, qtbot, 10)
    window.autosave_now()
    assert os.listdir(autosave_dir)
    trigger(window, "undo")  # back to the saved state: the copy is stale
    window.autosave_now()
    assert os.listdir(autosave_dir) == []


def test_autosave_runs_on_a_timer(window, qtbot, autosave_dir):
    assert window._autosave_timer.isActive()
    assert window._autosave_timer.interval() == window.AUTOSAVE_MS
    menu_entry(window, "action_example_spirals-classifier").trigger()
    set_epochs(window, qtbot, 9)
    window._autosave_timer.timeout.emit()
    assert os.path.exists(window.autosaver.data_path)


def test_recovery_after_a_crash(make_window, qtbot, autosave_dir, spirals_file):
    first = make_window()
    modified_file(first, qtbot, spirals_file, epochs=13)
    first.scene.node_items["hidden2"].setSelected(True)
    trigger(first, "delete")
    expected = project_file.loads(project_file.dumps(first.session.project))  # a copy
    first.autosave_now()
    crash(first)

    second = make_window()
    second.person.will("recover", True)
    assert second.offer_recovery()
    assert second.person.asked == [("recover", spirals_file)]
    assert second.session.project == expected
    assert second.session.path == spirals_file
    assert_title(second, "spirals.nnproj", True)
    assert second.actions_by_name["revert"].isEnabled()
    assert "hidden2" not in second.scene.node_items
    assert second.training_panel.epochs.value() == 13
    # the crashed copy is gone; the recovered document is autosaved by its new window
    assert autosave.leftovers() == []
    assert os.path.exists(second.autosaver.data_path)
    # saving the recovered document writes its file
    trigger(second, "save")
    assert project_file.load(spirals_file) == expected


def test_declining_recovery_discards_the_copy(make_window, qtbot, autosave_dir):
    first = crashed_with_unsaved_epochs(make_window, qtbot, 13)
    data_path = first.autosaver.data_path

    second = make_window()
    second.person.will("recover", False)
    assert not second.offer_recovery()
    assert second.person.asked == [("recover", None)]
    assert second.session.project == Project() and not second.session.modified
    assert not os.path.exists(data_path)
    assert autosave.leftovers() == []


def test_a_copy_of_a_running_window_is_not_offered(make_window, qtbot, autosave_dir):
    first = make_window()
    menu_entry(first, "action_example_xor-playground").trigger()
    set_epochs(first, qtbot, 13)
    first.autosave_now()
    second = make_window()
    assert not second.offer_recovery()
    assert second.person.asked == []
    assert os.path.exists(first.autosaver.data_path)


def test_a_damaged_copy_gives_an_error_and_is_removed(make_window, qtbot, autosave_dir):
    first = crashed_with_unsaved_epochs(make_window, qtbot, 13)
    with open(first.autosaver.data_path, "r+b") as f:
        f.truncate(100)
    second = make_window()
    second.person.will("recover", True)
    assert not second.offer_recovery()
    assert len(second.person.errors) == 1
    assert second.session.project == Project()
    assert autosave.leftovers() == [] and not os.path.exists(first.autosaver.data_path)


def test_a_clean_close_removes_the_autosave_files(make_window, qtbot, autosave_dir):
    window = make_window()
    menu_entry(window, "action_example_xor-playground").trigger()
    set_epochs(window, qtbot, 13)
    window.autosave_now()
    assert len(os.listdir(autosave_dir)) == 2
    window.person.will("save_changes", DISCARD)
    assert window.close()
    assert os.listdir(autosave_dir) == []
    assert not window._autosave_timer.isActive()


def test_a_cancelled_close_keeps_the_autosave_files(make_window, qtbot, autosave_dir):
    window = make_window()
    menu_entry(window, "action_example_xor-playground").trigger()
    set_epochs(window, qtbot, 13)
    window.autosave_now()
    window.person.will("save_changes", CANCEL)
    assert not window.close()
    assert len(os.listdir(autosave_dir)) == 2
    assert window._autosave_timer.isActive()


def test_a_crash_left_by_another_process_is_recovered(make_window, autosave_dir, tmp_path):
    """The autosave files written by a real NN Studio process that then died."""
    original = str(tmp_path / "gone.nnproj")
    script = (
        "import os, sys\n"
        "os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "from nnstudio import autosave\n"
        "from nnstudio.document import examples\n"
        f"autosave.folder = lambda: {str(autosave_dir)!r}\n"
        "project = examples.plane_regression()\n"
        "project.set_training(epochs=3)\n"
        f"autosave.Autosaver().save(project, {original!r})\n"
        "os._exit(1)  # no clean exit\n")
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=False, timeout=120,
                   env={**os.environ, "PYTHONPATH": ROOT})
    assert len(os.listdir(autosave_dir)) == 2
    window = make_window()
    window.person.will("recover", True)
    assert window.offer_recovery()
    expected = examples.plane_regression()
    expected.set_training(epochs=3)
    assert window.session.project == expected
    assert window.session.path == original and window.session.modified
    assert window.windowTitle().startswith("gone.nnproj")


# -- layout ----------------------------------------------------------------------------------------
def test_layout_is_saved_on_close_and_restored(make_window, settings_path, qtbot):
    first = make_window()
    # the offscreen screen is 800 x 800: a size that fits it (and the docks' minimum)
    first.resize(760, 720)
    first.plots_dock.hide()
    first.inspector_dock.setFloating(True)
    qtbot.wait(10)
    assert first.close()
    second = make_window(ini_settings(settings_path))
    assert second.size() == QSize(760, 720)
    assert not second.plots_dock.isVisible()
    assert second.inspector_dock.isFloating()
    assert second.palette_dock.isVisible() and second.data_dock.isVisible()


def test_reset_layout_shows_every_dock_again(window, qtbot):
    window.plots_dock.toggleViewAction().trigger()
    window.palette_dock.close()
    window.data_dock.setFloating(True)
    assert not window.plots_dock.isVisible() and not window.palette_dock.isVisible()
    trigger(window, "reset_layout")
    for dock in (window.palette_dock, window.inspector_dock, window.data_dock,
                 window.training_dock, window.plots_dock):
        assert not dock.isHidden(), dock.objectName()
        assert not dock.isFloating(), dock.objectName()
        assert dock.toggleViewAction().isChecked()
    areas = {d.objectName(): window.dockWidgetArea(d) for d in
             (window.palette_dock, window.inspector_dock, window.plots_dock)}
    assert areas == {"paletteDock": Qt.DockWidgetArea.LeftDockWidgetArea,
                     "inspectorDock": Qt.DockWidgetArea.RightDockWidgetArea,
                     "plotsDock": Qt.DockWidgetArea.BottomDockWidgetArea}


def test_the_view_menu_turns_docks_on_and_off(window):
    action = menu_entry(window, "view_plotsDock")
    assert action.isChecked()
    action.trigger()
    assert window.plots_dock.isHidden() and not action.isChecked()
    action.trigger()
    assert not window.plots_dock.isHidden()


# -- names for screen readers and test harnesses ------------------------------------------------
def all_menu_actions(window):
    def walk(actions):
        for action in actions:
            if action.isSeparator():
                continue
            yield action
            if action.menu() is not None:
                yield from walk(action.menu().actions())

    for menu in (window.recent_menu,):
        menu.aboutToShow.emit()
    yield from walk(window.menuBar().actions())


def test_every_menu_action_has_an_object_name(window, spirals_file):
    open_file(window, spirals_file)  # so that Open Recent has an entry
    actions = list(all_menu_actions(window))
    assert len(actions) > 30
    nameless = [a.text() for a in actions if not a.objectName()]
    assert nameless == []
    names = [a.objectName() for a in actions]
    assert len(names) == len(set(names)), "object names are unique"


def test_every_toolbar_action_has_an_object_name_and_a_tooltip(window):
    for bar in window.findChildren(QToolBar):
        for action in bar.actions():
            if not action.isSeparator():
                assert action.objectName() and action.toolTip()


INTERACTIVE = (QAbstractButton, QComboBox, QAbstractSpinBox, QLineEdit, QAbstractItemView,
               QGraphicsView, QDockWidget, QToolBar)


@pytest.mark.parametrize("views", ["as_started", "built_and_trained"])
def test_every_interactive_widget_has_an_object_name_and_an_accessible_name(window, qtbot,
                                                                           views):
    menu_entry(window, "action_example_spirals-classifier").trigger()
    if views == "built_and_trained":  # every view built, and filled by a short run
        set_epochs(window, qtbot, 3)
        with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT):
            trigger(window, "train")
        for dock in window.docks():
            dock.show()
            dock.raise_()
    window.scene.node_items["hidden1"].setSelected(True)  # the inspector shows its form
    missing = []
    checked = 0
    for widget in window.findChildren(QWidget):
        if not isinstance(widget, INTERACTIVE):
            continue
        checked += 1
        # the text field inside a spin box is named by Qt; what a screen reader needs on it
        # is the accessible name, which it shares with its spin box
        needs_object_name = widget.objectName() != "qt_spinbox_lineedit"
        if (needs_object_name and not widget.objectName()) or not widget.accessibleName():
            missing.append((type(widget).__name__, widget.objectName(),
                            widget.accessibleName()))
    assert checked > 20
    assert missing == []


def test_toolbar_buttons_are_named_after_their_actions(window):
    bar = window.findChild(QToolBar, "mainToolBar")
    button = bar.widgetForAction(window.actions_by_name["save"])
    assert button.objectName() == "toolButton_save"
    assert button.accessibleName() == "Save"


# -- following the palette ---------------------------------------------------------------------
def _lightness(window, action: QAction) -> float:
    image = action.icon().pixmap(QSize(32, 32)).toImage()
    inked = [image.pixelColor(x, y) for x in range(image.width())
             for y in range(image.height()) if image.pixelColor(x, y).alpha() > 200]
    assert inked, "the icon draws something"
    return sum(c.lightnessF() for c in inked) / len(inked)


@pytest.fixture
def restore_palette(qapp):
    saved = qapp.palette()
    yield qapp
    qapp.setPalette(saved)


def test_icons_follow_a_palette_change(window, qtbot, restore_palette):
    app = restore_palette
    light = QPalette(QColor("#f4f4f4"))
    light.setColor(QPalette.ColorRole.WindowText, QColor("#101010"))
    app.setPalette(light)
    qtbot.wait(1)
    for name in ("save", "train", "undo"):
        assert _lightness(window, window.actions_by_name[name]) < 0.3, name

    dark = QPalette(QColor("#2b2b2b"))
    dark.setColor(QPalette.ColorRole.WindowText, QColor("#ececec"))
    app.setPalette(dark)
    qtbot.wait(1)
    for name in ("save", "train", "undo", "redo"):
        assert _lightness(window, window.actions_by_name[name]) > 0.8, name
    assert _lightness(window, window.plots_dock.toggleViewAction()) > 0.8
    assert _lightness(window, window.recent_menu.menuAction()) > 0.8
    button = window.findChild(QToolBar, "mainToolBar").widgetForAction(
        window.actions_by_name["open"])
    assert button.icon().cacheKey() == window.actions_by_name["open"].icon().cacheKey()
    palette = window.palette_widget
    for row in range(palette.count()):  # the layer palette's glyphs follow too
        image = palette.item(row).icon().pixmap(QSize(32, 32)).toImage()
        inked = [image.pixelColor(x, y) for x in range(32) for y in range(32)
                 if image.pixelColor(x, y).alpha() > 200]
        assert sum(c.lightnessF() for c in inked) / len(inked) > 0.8, palette.item(row).text()


# -- training --------------------------------------------------------------------------------------
def plotted_epochs(window) -> int:
    xs, _ = window.loss_plot.train_curve.getData()
    return 0 if xs is None else len(xs)


def long_run(window, qtbot, epochs=100_000):
    """The spirals example set to train (nearly) forever."""
    menu_entry(window, "action_example_spirals-classifier").trigger()
    set_epochs(window, qtbot, epochs)


def test_start_trains_the_example_to_completion_and_adds_a_run(window, qtbot):
    menu_entry(window, "action_example_spirals-classifier").trigger()
    set_epochs(window, qtbot, 20)
    steps_before = window.session.undo_stack.count()
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT) as blocker:
        trigger(window, "train")
        assert window.controller.state == "running"
        assert not window.actions_by_name["train"].isEnabled()
        assert window.actions_by_name["stop"].isEnabled()
        assert not window.palette_widget.isEnabled()
    result = blocker.args[0]
    assert result["status"] == "completed" and result["n_epochs"] == 20
    runs = window.session.project.runs
    assert len(runs) == 1 and runs[0].id == "run1" and runs[0].status == "completed"
    assert len(runs[0].history["lr"]) == 20 and runs[0].weights
    assert window.session.undo_stack.count() == steps_before + 1
    assert window.controller.state == "idle"
    assert window.actions_by_name["train"].isEnabled()
    assert window.palette_widget.isEnabled()
    assert window.training_label.text() == "Ready"
    assert plotted_epochs(window) == 20
    # the run is an undoable edit
    trigger(window, "undo")
    assert window.session.project.runs == []
    trigger(window, "redo")
    assert window.session.project.runs == runs
    assert window.person.errors == []


def test_a_trained_run_saves_and_reopens(window, qtbot, tmp_path):
    menu_entry(window, "action_example_xor-playground").trigger()
    set_epochs(window, qtbot, 5)
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT):
        trigger(window, "train")
    target = str(tmp_path / "trained.nnproj")
    window.person.will("save_path", target)
    trigger(window, "save")
    trained = project_file.loads(project_file.dumps(window.session.project))
    trigger(window, "new")
    open_file(window, target)
    assert window.session.project == trained
    assert window.session.project.runs[0].weights is not None


def test_pause_resume_and_stop_from_the_train_menu(window, qtbot):
    long_run(window, qtbot)
    controller = window.controller
    pause = window.actions_by_name["pause"]
    assert not pause.isEnabled()
    trigger(window, "train")
    # let at least one epoch finish, so that the stopped run has something to keep
    qtbot.waitUntil(lambda: plotted_epochs(window) >= 1,
                    timeout=TRAIN_TIMEOUT)
    trigger(window, "pause")
    assert controller.state == "paused" and pause.isChecked()
    assert pause.text() == "&Resume"
    assert window.training_label.text() == "Paused"
    trigger(window, "pause")
    assert controller.state == "running" and not pause.isChecked()
    assert pause.text() == "&Pause"
    with qtbot.waitSignal(controller.finished, timeout=TRAIN_TIMEOUT) as blocker:
        trigger(window, "stop")
        assert controller.state == "stopping"
    assert blocker.args[0]["status"] == "stopped"
    assert controller.state == "idle" and not controller.worker_thread.isRunning()
    assert [r.status for r in window.session.project.runs] == ["stopped"]
    assert not window.actions_by_name["stop"].isEnabled()


def test_step_runs_one_batch_at_a_time(window, qtbot):
    long_run(window, qtbot)
    controller = window.controller
    batches = []
    controller.batchEnded.connect(lambda *a: batches.append(a))
    trigger(window, "step")
    # the pause and the batch may arrive in two deliveries: wait for both
    qtbot.waitUntil(lambda: controller.state == "paused" and bool(batches),
                    timeout=TRAIN_TIMEOUT)
    assert [b[2] for b in batches] == [1]  # iteration 1, and only it
    assert window.actions_by_name["step"].isEnabled()
    trigger(window, "step")
    qtbot.waitUntil(lambda: controller.state == "paused" and batches[-1][2] == 2,
                    timeout=TRAIN_TIMEOUT)
    assert window.training_label.text() == "Paused"
    with qtbot.waitSignal(controller.finished, timeout=TRAIN_TIMEOUT) as blocker:
        trigger(window, "stop")
    assert blocker.args[0]["status"] == "stopped"
    assert window.session.project.runs == []  # no epoch finished: nothing to keep


def test_train_is_disabled_while_the_network_has_errors(window, qtbot):
    menu_entry(window, "action_example_spirals-classifier").trigger()
    window.scene.node_items["hidden1"].setSelected(True)
    trigger(window, "delete")
    assert not window.actions_by_name["train"].isEnabled()
    assert window.actions_by_name["train"].toolTip().startswith("Cannot train")
    trigger(window, "undo")
    assert window.actions_by_name["train"].isEnabled()


def test_closing_while_training_asks_first_then_ends_the_thread(make_window, qtbot):
    window = make_window()
    long_run(window, qtbot)
    trigger(window, "train")
    qtbot.waitUntil(lambda: window.controller.state == "running")
    thread = window.controller.worker_thread
    # Cancel: the window stays and training goes on
    window.person.will("save_changes", CANCEL)
    assert not window.close()
    assert window.controller.state == "running" and thread.isRunning()
    # Discard: the thread ends before the window is gone
    window.person.will("save_changes", DISCARD)
    assert window.close()
    assert [q for q, *_ in window.person.asked] == ["save_changes", "save_changes"]
    assert not thread.isRunning()
    assert not thread.process.is_alive() and thread.process.exitcode == 0  # no orphan run
    assert window.controller.worker_thread is None or \
        not window.controller.worker_thread.isRunning()
    assert window.controller.state == "idle"
    qtbot.wait(50)
    assert window.session.project.runs == []  # nothing pushed into a closed document


def test_opening_a_file_while_training_stops_the_run_and_keeps_the_file_clean(
        window, qtbot, xor_file):
    long_run(window, qtbot)
    trigger(window, "train")
    qtbot.waitUntil(lambda: plotted_epochs(window) >= 1,
                    timeout=TRAIN_TIMEOUT)
    window.person.will("save_changes", DISCARD).will("open_path", xor_file)
    trigger(window, "open")
    qtbot.waitUntil(lambda: window.controller.state == "idle", timeout=TRAIN_TIMEOUT)
    qtbot.wait(50)
    # the spirals run does not land in the xor document
    assert window.session.project == examples.xor_playground()
    assert not window.session.modified
    assert window.person.errors == []


# -- help ---------------------------------------------------------------------------------------
def test_keyboard_shortcuts_are_the_standard_ones(window):
    from PySide6.QtGui import QKeySequence

    K = QKeySequence.StandardKey
    for name, key in (("new", K.New), ("open", K.Open), ("save", K.Save), ("undo", K.Undo),
                      ("redo", K.Redo), ("copy", K.Copy), ("paste", K.Paste),
                      ("delete", K.Delete)):
        assert window.actions_by_name[name].shortcuts() == QKeySequence.keyBindings(key), name
    # every binding of the platform, not only the first: Ctrl+Shift+Z redoes too
    assert QKeySequence("Ctrl+Shift+Z") in window.actions_by_name["redo"].shortcuts()
    # a standard key the platform leaves unbound gets the usual one
    assert window.actions_by_name["quit"].shortcuts()


# -- starting the application ---------------------------------------------------------------
def test_version_on_the_command_line():
    out = subprocess.run([sys.executable, "-m", "nnstudio", "--version"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": ROOT})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"NN Studio {__version__}"


def test_first_window_shows_the_file_given(window, spirals_file):
    from nnstudio import app

    assert app.show_first_document(window, [spirals_file]) == "file"
    assert window.session.path == spirals_file
    assert window.session.project == examples.spirals_classifier()
    assert not window.session.modified


def test_first_window_without_a_file_shows_the_spirals_example(window):
    from nnstudio import app

    assert app.show_first_document(window, []) == "example"
    assert window.session.project == examples.spirals_classifier()
    assert window.session.path is None and not window.session.modified
    assert spec_check.errors(window.problems) == []
    assert window.actions_by_name["train"].isEnabled()


def test_first_window_with_a_file_that_cannot_be_opened(window, tmp_path):
    from nnstudio import app

    missing = str(tmp_path / "missing.nnproj")
    assert app.show_first_document(window, [missing]) == "example"
    assert len(window.person.errors) == 1 and "missing.nnproj" in window.person.errors[0][1]
    assert window.session.project == examples.spirals_classifier()


def test_first_window_offers_recovery_first(make_window, qtbot, spirals_file):
    from nnstudio import app

    first = crashed_with_unsaved_epochs(make_window, qtbot, 13)
    window = make_window()
    window.person.will("recover", True)
    assert app.show_first_document(window, []) == "recovered"
    assert window.session.project.training.epochs == 13 and window.session.modified


def test_first_window_declined_recovery_shows_the_example(make_window, qtbot):
    from nnstudio import app

    first = crashed_with_unsaved_epochs(make_window, qtbot, 13)
    window = make_window()
    window.person.will("recover", False)
    assert app.show_first_document(window, []) == "example"
    assert window.session.project == examples.spirals_classifier()


def test_first_window_with_recovery_and_a_file_keeps_the_recovered_work(
        make_window, qtbot, xor_file):
    """Recovered work is never dropped silently: opening the file asks about it first."""
    from nnstudio import app

    first = make_window()
    menu_entry(first, "action_example_plane-regression").trigger()
    set_epochs(first, qtbot, 13)
    first.autosave_now()
    crash(first)
    window = make_window()
    window.person.will("recover", True).will("save_changes", CANCEL)
    assert app.show_first_document(window, [xor_file]) == "recovered"
    assert window.person.asked[-1] == ("save_changes",)
    assert window.session.project.training.epochs == 13 and window.session.modified


def test_first_window_recovering_the_given_file_shows_the_recovered_work(
        make_window, qtbot, spirals_file):
    from nnstudio import app

    first = make_window()
    modified_file(first, qtbot, spirals_file, epochs=13)
    first.autosave_now()
    crash(first)
    window = make_window()
    window.person.will("recover", True)
    assert app.show_first_document(window, [spirals_file]) == "recovered"
    assert window.session.path == spirals_file
    assert window.session.project.training.epochs == 13 and window.session.modified
    assert ("save_changes",) not in window.person.asked


def test_the_application_starts_with_a_file_and_quits(tmp_path, spirals_file):
    """``nnstudio FILE`` end to end in a process of its own (settings and app data in
    tmp_path): the window shows the file, then the event loop is left."""
    script = (
        "import sys\n"
        "from PySide6.QtCore import QTimer\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from nnstudio import app, __main__\n"
        "made = app.make_application\n"
        "def report():\n"
        "    window = [w for w in QApplication.topLevelWidgets()\n"
        "              if w.objectName() == 'mainWindow'][0]\n"
        "    print('TITLE', window.windowTitle())\n"
        "    print('PATH', window.session.path)\n"
        "    window.close()\n"
        "    QApplication.quit()\n"
        "def make(argv):\n"
        "    application = made(argv)\n"
        "    QTimer.singleShot(200, report)\n"
        "    return application\n"
        "app.make_application = make\n"
        f"sys.exit(__main__.main([{spirals_file!r}]))\n")
    home = tmp_path / "home"
    env = {**os.environ, "PYTHONPATH": ROOT, "QT_QPA_PLATFORM": "offscreen",
           "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_DATA_HOME": str(home / "data"), "XDG_CACHE_HOME": str(home / "cache")}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    assert "TITLE spirals.nnproj[*] — NN Studio" in out.stdout
    assert f"PATH {spirals_file}" in out.stdout
    # the window's settings went to the isolated home
    assert any("NN Studio" in p for p in os.listdir(home / "config"))


def test_keyboard_delete_undo_and_save_on_the_canvas(window, qtbot, spirals_file):
    open_file(window, spirals_file)
    window.activateWindow()
    qtbot.waitActive(window)
    viewport = window.view.viewport()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=node_center(window, "hidden2"))
    assert window.view.hasFocus()
    qtbot.keyClick(viewport, Qt.Key.Key_Delete)
    assert "hidden2" not in window.session.project.nodes
    qtbot.keyClick(viewport, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.session.project == examples.spirals_classifier()
    qtbot.keyClick(viewport, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    assert "hidden2" not in window.session.project.nodes
    qtbot.keyClick(viewport, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not window.session.modified
    assert "hidden2" not in project_file.load(spirals_file).nodes


def test_saving_onto_a_folder_shows_an_error(window, qtbot, spirals_file, tmp_path):
    modified_file(window, qtbot, spirals_file, epochs=6)
    folder = tmp_path / "a folder.nnproj"
    folder.mkdir()
    window.person.will("save_path", str(folder))
    trigger(window, "save_as")
    assert len(window.person.errors) == 1 and "a folder.nnproj" in window.person.errors[0][1]
    assert folder.is_dir() and os.listdir(folder) == []
    assert window.session.path == spirals_file and window.session.modified
    assert [n for n in os.listdir(tmp_path) if n.endswith(".tmp")] == []


def test_a_disk_full_while_saving_keeps_the_previous_file(window, qtbot, spirals_file,
                                                          monkeypatch, tmp_path):
    import errno

    modified_file(window, qtbot, spirals_file, epochs=6)

    def disk_full(src, dst):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", disk_full)
        trigger(window, "save")
    assert len(window.person.errors) == 1
    message = window.person.errors[0][1]
    assert "spirals.nnproj" in message and "unchanged" in message
    assert project_file.load(spirals_file) == examples.spirals_classifier()
    assert window.session.modified
    assert [n for n in os.listdir(tmp_path) if n.endswith(".tmp")] == []
    trigger(window, "save")  # the disk has room again
    assert project_file.load(spirals_file).training.epochs == 6


def test_the_neurons_dock_draws_the_trained_network(window, qtbot):
    menu_entry(window, "action_example_xor-playground").trigger()
    set_epochs(window, qtbot, 3)
    window.neuron_dock.show()
    window.neuron_dock.raise_()
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT):
        trigger(window, "train")
    run = window.session.project.runs[-1]
    view = window.neuron_panel.view
    # 2-8-8-1: every neuron a circle, every weight a line, coloured from the run's weights
    qtbot.waitUntil(lambda: view.counts()["neurons"] == 2 + 8 + 8 + 1, timeout=5000)
    assert view.counts()["weight_lines"] == 2 * 8 + 8 * 8 + 8 * 1
    assert run.weights is not None and "hidden1.weight" in run.weights


def test_a_run_fills_the_confusion_boundary_and_gradient_views(window, qtbot):
    menu_entry(window, "action_example_spirals-classifier").trigger()
    set_epochs(window, qtbot, 5)
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT):
        trigger(window, "train")
    qtbot.waitUntil(lambda: window.gradient_view.n_epochs == 5, timeout=5000)
    assert set(window.gradient_view.norms()) == {"hidden1", "hidden2", "output"}
    matrix = window.confusion_view.matrix
    held_out = round(600 * window.session.project.training.validation_split)
    assert matrix.shape == (3, 3) and matrix.sum() == held_out  # the validation split
    qtbot.waitUntil(lambda: window.boundary_view._grid is not None, timeout=5000)
    assert window.boundary_view._grid["final"]


def test_while_training_the_network_and_settings_wait(window, qtbot):
    long_run(window, qtbot)
    trigger(window, "train")
    qtbot.waitUntil(lambda: plotted_epochs(window) >= 1, timeout=TRAIN_TIMEOUT)
    assert not window.view.isInteractive() and not window.view.acceptDrops()
    # settings wait too, all but the learning rate (it reaches the run at its next epoch)
    assert not window.training_panel.epochs.isEnabled() and not window.inspector.isEnabled()
    assert window.training_panel.lr.isEnabled()
    assert not window.actions_by_name["paste"].isEnabled()
    trigger(window, "pause")
    qtbot.waitUntil(lambda: window.training_label.text().startswith("Paused"), timeout=5000)
    assert not window.view.isInteractive()
    # F5 (Start) continues a paused run
    trigger(window, "train")
    assert window.controller.state == "running"
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT):
        trigger(window, "stop")
    assert window.view.isInteractive() and window.training_panel.epochs.isEnabled()
    assert window.actions_by_name["paste"].isEnabled()


def test_a_finished_run_is_summed_up_in_the_status_bar(window, qtbot):
    menu_entry(window, "action_example_spirals-classifier").trigger()
    set_epochs(window, qtbot, 4)
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT):
        trigger(window, "train")
    message = window.statusBar().currentMessage()
    assert message.startswith("Run 1 completed after 4 epochs: ")
    assert "val_accuracy" in message


def test_edit_actions_follow_the_selection(window, qtbot):
    menu_entry(window, "action_example_spirals-classifier").trigger()
    act = window.actions_by_name
    assert not act["copy"].isEnabled() and not act["delete"].isEnabled()
    window.scene.node_items["hidden1"].setSelected(True)
    assert act["copy"].isEnabled() and act["cut"].isEnabled() and act["delete"].isEnabled()


def test_the_glossary_opens_once(window, qtbot):
    trigger(window, "glossary")
    trigger(window, "glossary")
    dialogs = [w for w in window.findChildren(QWidget, "glossaryDialog")]
    assert len(dialogs) == 1 and dialogs[0].isVisible()


def test_appending_after_a_middle_layer_inserts_it_in_one_undo_step(window, qtbot):
    menu_entry(window, "action_example_spirals-classifier").trigger()
    project = window.session.project
    window.scene.node_items["hidden1"].setSelected(True)
    window.append_layer("dropout")
    assert ("hidden1", "dropout1") in project.edges and ("dropout1", "hidden2") in project.edges
    assert ("hidden1", "hidden2") not in project.edges
    # the layers to the right made room, and the network still checks clean
    assert project.nodes["hidden2"].position[0] > project.nodes["dropout1"].position[0]
    assert not [p for p in window.problems if p.severity == "error"]
    assert window.session.undo_stack.count() == 1
    trigger(window, "undo")
    assert project == examples.spirals_classifier()


def test_a_process_that_copied_layers_exits_cleanly(tmp_path):
    # PySide6 used to crash at interpreter exit while the clipboard held our mime data
    code = (
        "import os, sys\n"
        "from PySide6.QtCore import QSettings, QStandardPaths\n"
        "from nnstudio.app import make_application\n"
        "app = make_application(sys.argv[:1]); QStandardPaths.setTestModeEnabled(True)\n"
        "from nnstudio.main_window import MainWindow\n"
        f"w = MainWindow(settings=QSettings({str(tmp_path / 's.ini')!r}, "
        "QSettings.Format.IniFormat))\n"
        "w.session.open_example('spirals-classifier')\n"
        "w.scene.node_items['hidden1'].setSelected(True)\n"
        "w.copy()\n"
        "w.session.undo_stack.setClean(); w.close()\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-2000:]


def test_choosing_iris_resizes_the_network_and_it_trains(window, qtbot):
    menu_entry(window, "action_example_spirals-classifier").trigger()
    combo = window.data_panel.dataset
    combo.setCurrentIndex(combo.findData("builtin:iris"))
    project = window.session.project
    assert project.data.kind == "builtin" and project.data.config["name"] == "iris"
    # the input layer takes the 4 measurements, the output one unit per species
    assert window.scene.units["input"] == 4 and window.scene.units["output"] == 3
    assert not [p for p in window.problems if p.severity == "error"]
    set_epochs(window, qtbot, 3)
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT) as done:
        trigger(window, "train")
    assert done.args[0]["status"] == "completed"
    assert project.runs[-1].weights["hidden1.weight"].shape == (16, 4)


def test_a_file_handed_over_by_the_desktop_opens(window, qtbot, tmp_path):
    from PySide6.QtGui import QFileOpenEvent
    from PySide6.QtWidgets import QApplication

    from nnstudio.app import FileOpenForwarder
    from nnstudio.document import project_file

    path = tmp_path / "handed.nnproj"
    project_file.save(examples.xor_playground(), path)
    forwarder = FileOpenForwarder(window)
    QApplication.instance().installEventFilter(forwarder)
    try:
        QApplication.sendEvent(QApplication.instance(), QFileOpenEvent(str(path)))
    finally:
        QApplication.instance().removeEventFilter(forwarder)
    assert window.session.path == str(path)
    assert window.session.project == examples.xor_playground()


def test_undo_waits_while_a_run_trains(window, qtbot):
    long_run(window, qtbot)
    assert window.actions_by_name["undo"].isEnabled()  # setting the epochs was an edit
    trigger(window, "train")
    qtbot.waitUntil(lambda: plotted_epochs(window) >= 1, timeout=TRAIN_TIMEOUT)
    assert not window.actions_by_name["undo"].isEnabled()
    epochs = window.session.project.training.epochs
    window.actions_by_name["undo"].trigger()  # a disabled action does nothing
    assert window.session.project.training.epochs == epochs
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT):
        trigger(window, "stop")
    assert window.actions_by_name["undo"].isEnabled()


def test_export_errors_are_shown(window, qtbot, tmp_path):
    menu_entry(window, "action_example_xor-playground").trigger()
    set_epochs(window, qtbot, 2)
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT):
        trigger(window, "train")
    person = window.person
    person.will("save_path", str(tmp_path / "no-such-folder" / "history.csv"))
    trigger(window, "export_history_csv")
    assert person.errors and "history.csv" in person.errors[-1][1]
    person.errors.clear()


def test_a_reimported_csv_of_the_same_name_is_read_again(window, qtbot):
    from nnstudio.document.model import DataSource
    from nnstudio.editor.commands import SetData

    def csv(n_classes):
        rows = "".join(f"{i % 7};{i % n_classes}\n" for i in range(40))
        return ("x;label\n" + rows).encode()

    source = DataSource("csv", {"file": "d.csv", "encoding": "utf-8", "delimiter": ";",
                                "header": True, "target": "label",
                                "task": "classification"}, {})
    menu_entry(window, "action_example_spirals-classifier").trigger()
    window.session.push(SetData(window.session.project, source, {"d.csv": csv(2)}))
    assert window.dataset().n_classes == 2
    window.session.push(SetData(window.session.project, source, {"d.csv": csv(4)}))
    assert window.dataset().n_classes == 4
    assert window.scene.units["output"] == 4


def test_other_boundary_axes_after_a_run_redraw_it(window, qtbot):
    menu_entry(window, "action_example_spirals-classifier").trigger()
    combo = window.data_panel.dataset
    combo.setCurrentIndex(combo.findData("builtin:iris"))
    set_epochs(window, qtbot, 3)
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT):
        trigger(window, "train")
    view = window.boundary_view
    qtbot.waitUntil(lambda: view.grid is not None and view.grid["final"], timeout=5000)
    view.x_feature.setCurrentIndex(2)
    view.x_feature.activated.emit(2)  # what a person's pick sends
    qtbot.waitUntil(lambda: tuple(view.grid["features"])[0] == 2, timeout=5000)


def test_a_new_document_clears_the_boundary_points(window, qtbot):
    menu_entry(window, "action_example_spirals-classifier").trigger()
    set_epochs(window, qtbot, 2)
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT):
        trigger(window, "train")
    assert len(window.boundary_view.points.getData()[0]) > 0
    window.session.undo_stack.setClean()
    trigger(window, "new")
    assert window.boundary_view.grid is None
    xs = window.boundary_view.points.getData()[0]
    assert xs is None or len(xs) == 0


def test_the_save_dialog_adds_the_suffix_itself(qtbot, tmp_path, monkeypatch):
    # not through the Person: the real method, with the dialog's exec answered here
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QFileDialog

    from nnstudio.main_window import MainWindow

    seen = {}

    def accept(dialog):
        seen["suffix"] = dialog.defaultSuffix()
        seen["mode"] = dialog.acceptMode()
        dialog.selectFile(str(tmp_path / "results.csv"))
        return QFileDialog.DialogCode.Accepted

    monkeypatch.setattr(QFileDialog, "exec", accept)
    w = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    try:
        path = w.ask_save_path("Export", "CSV files (*.csv)", "results")
        assert seen == {"suffix": "csv", "mode": QFileDialog.AcceptMode.AcceptSave}
        assert path.endswith("results.csv")
        w.ask_save_path()
        assert seen["suffix"] == "nnproj"
    finally:
        w.session.undo_stack.setClean()
        w.close()
