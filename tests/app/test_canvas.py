"""The network canvas, used as a person uses it: palette drops (synthesized drag events built
from the palette's own MIME data, PLATFORM.md), port drags, moves, deletes, copy and paste,
with undo and redo of each -- and the default classifier built with the mouse alone.

A Session, a NetworkScene and a CanvasView without the main window: the scene pushes its
commands onto the session's undo stack, as the window wires it.
"""

from __future__ import annotations

import gc

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import (QDragEnterEvent, QDragLeaveEvent, QDragMoveEvent, QDropEvent,
                           QNativeGestureEvent, QPointingDevice, QWheelEvent)
from PySide6.QtWidgets import QApplication

from engine import activations
from engine import layers as layer_registry
from engine import network, spec as spec_check
from nnstudio.canvas import edit_ops
from nnstudio.canvas.items import (GLYPH_H, GLYPH_W, NODE_H, NODE_W, EdgeItem, NodeItem,
                                   activation_glyph)
from nnstudio.canvas.scene import NetworkScene
from nnstudio.canvas.view import CanvasView
from nnstudio.document import examples
from nnstudio.document.model import Node
from nnstudio.editor.commands import AddNode, Connect, SetNodeConfig
from nnstudio.panels.inspector import Inspector
from nnstudio.panels.palette import MIME_TYPE, Palette
from nnstudio.panels.problems import ProblemsPanel
from nnstudio.panels.summary import SummaryPanel
from nnstudio.session import Session

LEFT = Qt.MouseButton.LeftButton


class Canvas:
    """A person's view of the canvas: drop, drag, click, in viewport coordinates."""

    def __init__(self, qtbot):
        self.qtbot = qtbot
        self.session = Session()
        self.project = self.session.project
        self.stack = self.session.undo_stack
        self.scene = NetworkScene(self.project, push=self.session.push)
        self.view = CanvasView(self.scene)
        self.palette = Palette()
        for widget in (self.view, self.palette):
            qtbot.addWidget(widget)
        self.view.resize(1200, 700)
        self.view.show()
        qtbot.waitExposed(self.view)
        self.hints: list[str] = []
        self.messages: list[str] = []
        self.scene.connectionHint.connect(self.hints.append)
        self.scene.statusMessage.connect(self.messages.append)
        self.view.centerOn(QPointF(500, 250))

    # coordinates
    def at(self, x: float, y: float) -> QPoint:
        """The viewport point showing scene point (x, y)."""
        return self.view.mapFromScene(QPointF(x, y))

    def item(self, nid: str) -> NodeItem:
        return self.scene.node_items[nid]

    def out_port(self, nid: str) -> QPoint:
        return self.view.mapFromScene(self.item(nid).out_anchor())

    def in_port(self, nid: str) -> QPoint:
        return self.view.mapFromScene(self.item(nid).in_anchor())

    def centre(self, nid: str) -> QPoint:
        return self.view.mapFromScene(self.item(nid).sceneBoundingRect().center()
                                      + QPointF(0, 3))

    # gestures
    def palette_mime(self, layer_type: str):
        for row in range(self.palette.count()):
            item = self.palette.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == layer_type:
                return self.palette.mimeData([item])
        raise KeyError(layer_type)

    def drop(self, layer_type: str, where: QPoint) -> None:
        """Drag a palette entry over the canvas and drop it at ``where``."""
        mime = self.palette_mime(layer_type)
        vp = self.view.viewport()
        copy = Qt.DropAction.CopyAction
        mods = Qt.KeyboardModifier.NoModifier
        enter = QDragEnterEvent(where - QPoint(30, 20), copy, mime, LEFT, mods)
        QApplication.sendEvent(vp, enter)
        assert enter.isAccepted(), "the canvas refused a palette drag"
        for step in (QPoint(15, 10), QPoint(0, 0)):
            move = QDragMoveEvent(where - step, copy, mime, LEFT, mods)
            QApplication.sendEvent(vp, move)
            assert move.isAccepted()
        QApplication.sendEvent(vp, QDropEvent(QPointF(where), copy, mime, LEFT, mods))

    def drag(self, start: QPoint, end: QPoint, steps: int = 5, modifier=None,
             button=LEFT) -> None:
        vp = self.view.viewport()
        mods = modifier or Qt.KeyboardModifier.NoModifier
        self.qtbot.mousePress(vp, button, mods, start)
        for i in range(1, steps + 1):
            self.qtbot.mouseMove(vp, start + (end - start) * (i / steps))
        self.qtbot.mouseRelease(vp, button, mods, end)

    def click(self, where: QPoint, modifier=None) -> None:
        self.qtbot.mouseClick(self.view.viewport(), LEFT,
                              modifier or Qt.KeyboardModifier.NoModifier, where)

    def connect(self, source: str, target: str) -> None:
        self.drag(self.out_port(source), self.in_port(target))


@pytest.fixture
def canvas(qtbot):
    c = Canvas(qtbot)
    yield c
    c.scene.cancel_connection()
    c.scene.detach()


def chain(c: Canvas, *ids_types, spacing: float = 240.0) -> None:
    """Put a connected chain into the document (set-up, not the behaviour under test)."""
    prev = None
    for i, (nid, layer_type) in enumerate(ids_types):
        config = {"units": 4, "activation": "relu"} if layer_type == "dense" else {}
        c.session.push(AddNode(c.project, Node(nid, layer_type, config, (i * spacing, 200.0))))
        if prev is not None:
            c.session.push(Connect(c.project, prev, nid))
        prev = nid
    c.stack.clear()


# -- dropping palette entries ---------------------------------------------------------------------
@pytest.mark.parametrize("layer_type", layer_registry.names())
def test_every_palette_entry_drops_a_layer_of_its_type_where_dropped(canvas, layer_type):
    where = canvas.at(400, 300)
    canvas.drop(layer_type, where)
    assert len(canvas.project.nodes) == 1
    node = next(iter(canvas.project.nodes.values()))
    assert node.type == layer_type
    assert node.id == layer_type.replace("_", "") + "1"
    item = canvas.item(node.id)
    assert item.sceneBoundingRect().contains(canvas.view.mapToScene(where))
    assert node.position == (400 - NODE_W / 2, 300 - NODE_H / 2)  # centred on the drop
    assert canvas.scene.selected_ids() == [node.id]  # ready for the inspector
    assert canvas.stack.count() == 1
    canvas.stack.undo()
    assert not canvas.project.nodes and not canvas.scene.node_items
    canvas.stack.redo()
    assert canvas.project.nodes[node.id].type == layer_type
    assert canvas.scene.node_items[node.id].pos() == QPointF(*node.position)


def test_the_palette_lists_every_registered_layer_and_drags_its_name(canvas):
    names = [canvas.palette.item(i).data(Qt.ItemDataRole.UserRole)
             for i in range(canvas.palette.count())]
    assert names == layer_registry.names()
    assert bytes(canvas.palette_mime("batch_norm").data(MIME_TYPE)) == b"batch_norm"


def test_a_second_input_layer_is_refused_with_a_reason(canvas):
    canvas.drop("input", canvas.at(100, 100))
    canvas.drop("input", canvas.at(100, 400))
    assert [n.type for n in canvas.project.nodes.values()] == ["input"]
    assert canvas.stack.count() == 1
    assert "already has an input layer" in canvas.messages[-1]


def test_a_drag_of_something_else_is_ignored(canvas):
    from PySide6.QtCore import QMimeData

    mime = QMimeData()
    mime.setText("dense")
    enter = QDragEnterEvent(canvas.at(100, 100), Qt.DropAction.CopyAction, mime, LEFT,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(canvas.view.viewport(), enter)
    assert not enter.isAccepted()
    QApplication.sendEvent(canvas.view.viewport(), QDragLeaveEvent())
    assert not canvas.project.nodes


# -- connecting ports -----------------------------------------------------------------------------
def test_dragging_an_output_port_onto_an_input_port_connects(canvas):
    canvas.drop("input", canvas.at(150, 250))
    canvas.drop("dense", canvas.at(450, 250))
    canvas.stack.clear()
    canvas.connect("input1", "dense1")
    assert canvas.project.edges == [("input1", "dense1")]
    assert ("input1", "dense1") in canvas.scene.edge_items
    assert canvas.stack.count() == 1
    assert not canvas.scene.connecting and canvas.hints[-1] == ""
    canvas.stack.undo()
    assert canvas.project.edges == [] and not canvas.scene.edge_items
    canvas.stack.redo()
    assert canvas.project.edges == [("input1", "dense1")]


def test_dragging_an_input_port_back_onto_an_output_port_connects_too(canvas):
    canvas.drop("input", canvas.at(150, 250))
    canvas.drop("dense", canvas.at(450, 250))
    canvas.drag(canvas.in_port("dense1"), canvas.out_port("input1"))
    assert canvas.project.edges == [("input1", "dense1")]


def test_releasing_on_empty_canvas_connects_nothing(canvas):
    canvas.drop("input", canvas.at(150, 250))
    canvas.drag(canvas.out_port("input1"), canvas.at(600, 500))
    assert canvas.project.edges == []
    assert canvas.stack.count() == 1  # just the drop
    assert not [i for i in canvas.scene.items() if not isinstance(i, (NodeItem, EdgeItem))
                and i.parentItem() is None]  # no leftover rubber line or hint


def _refused_while_dragging(c: Canvas, start: QPoint, target: QPoint) -> str:
    """Press on a port, hover the target, and return the hint shown there; then release."""
    vp = c.view.viewport()
    count = c.stack.count()
    edges = list(c.project.edges)
    c.qtbot.mousePress(vp, LEFT, Qt.KeyboardModifier.NoModifier, start)
    c.qtbot.mouseMove(vp, (start + target) / 2)
    c.qtbot.mouseMove(vp, target)
    assert c.scene.connecting
    assert c.scene._wire.state == "refused"  # the line is drawn red
    hint = c.scene._hint
    assert hint.isVisible() and hint.text == c.hints[-1] != ""
    # shown next to the cursor
    assert (hint.scenePos() - c.view.mapToScene(target)).manhattanLength() < 2
    shown = c.hints[-1]
    c.qtbot.mouseRelease(vp, LEFT, Qt.KeyboardModifier.NoModifier, target)
    assert c.project.edges == edges and c.stack.count() == count  # dropping did nothing
    assert c.hints[-1] == "" and not c.scene.connecting
    return shown


def test_a_connection_that_would_make_a_loop_is_refused_with_the_reason(canvas):
    chain(canvas, ("a", "input"), ("b", "dense"), ("c", "dense"), ("d", "dense"))
    canvas.view.fit()
    reason = _refused_while_dragging(canvas, canvas.out_port("d"), canvas.in_port("b"))
    assert "loop" in reason and "b" in reason and "d" in reason
    assert reason == canvas.project.connection_problem("d", "b")


def test_duplicate_self_and_input_connections_are_refused(canvas):
    chain(canvas, ("a", "input"), ("b", "dense"), ("c", "dense"))
    canvas.view.fit()
    assert "already connected" in _refused_while_dragging(
        canvas, canvas.out_port("a"), canvas.in_port("b"))
    assert "itself" in _refused_while_dragging(canvas, canvas.out_port("c"),
                                               canvas.in_port("c"))
    assert "input layer" in _refused_while_dragging(canvas, canvas.out_port("c"),
                                                    canvas.centre("a"))


def test_a_layer_that_takes_one_input_refuses_a_second(canvas):
    chain(canvas, ("a", "input"), ("b", "dense"), ("c", "dense"))
    canvas.session.push(AddNode(canvas.project, Node("x", "dense", {}, (240, 420))))
    canvas.view.fit()
    reason = _refused_while_dragging(canvas, canvas.out_port("x"), canvas.in_port("c"))
    assert "already has 1" in reason


def test_an_add_layer_refuses_inputs_of_another_size(canvas):
    chain(canvas, ("a", "input"), ("b", "dense"), ("sum", "add"))
    canvas.session.push(AddNode(canvas.project, Node("w", "dense", {"units": 7}, (240, 420))))
    canvas.session.push(Connect(canvas.project, "a", "w"))
    graph = spec_check.analyse(canvas.project.spec(), 2, None)
    canvas.scene.set_graph(graph)
    canvas.view.fit()
    reason = _refused_while_dragging(canvas, canvas.out_port("w"), canvas.in_port("sum"))
    assert "equal size" in reason


def test_escape_cancels_a_connection_drag(canvas, qtbot):
    chain(canvas, ("a", "input"), ("b", "dense"))
    vp = canvas.view.viewport()
    qtbot.mousePress(vp, LEFT, Qt.KeyboardModifier.NoModifier, canvas.out_port("a"))
    qtbot.mouseMove(vp, canvas.at(300, 500))
    assert canvas.scene.connecting
    qtbot.keyClick(canvas.view, Qt.Key.Key_Escape)
    assert not canvas.scene.connecting
    qtbot.mouseRelease(vp, LEFT, Qt.KeyboardModifier.NoModifier, canvas.in_port("b"))
    assert canvas.project.edges == [("a", "b")]


# -- inserting on an edge -------------------------------------------------------------------------
def test_dropping_a_layer_onto_a_connection_inserts_it_in_one_undo_step(canvas):
    chain(canvas, ("a", "input"), ("b", "dense"), spacing=420)
    edge = canvas.scene.edge_items[("a", "b")]
    middle = edge._path.pointAtPercent(0.5)
    canvas.drop("dropout", canvas.view.mapFromScene(middle))
    assert canvas.project.edges == [("a", "dropout1"), ("dropout1", "b")]
    assert set(canvas.scene.edge_items) == {("a", "dropout1"), ("dropout1", "b")}
    assert canvas.stack.count() == 1
    canvas.stack.undo()
    assert canvas.project.edges == [("a", "b")] and "dropout1" not in canvas.project.nodes
    assert set(canvas.scene.edge_items) == {("a", "b")}
    canvas.stack.redo()
    assert canvas.project.edges == [("a", "dropout1"), ("dropout1", "b")]


def test_an_insert_keeps_the_order_of_a_merge_layers_inputs(canvas):
    chain(canvas, ("a", "input"), ("b", "dense"), ("cat", "concatenate"), spacing=420)
    canvas.session.push(AddNode(canvas.project, Node("w", "dense", {}, (420, 500))))
    canvas.session.push(Connect(canvas.project, "a", "w"))
    canvas.session.push(Connect(canvas.project, "w", "cat"))
    middle = canvas.scene.edge_items[("b", "cat")]._path.pointAtPercent(0.5)
    canvas.drop("batch_norm", canvas.view.mapFromScene(middle))
    into_cat = [s for s, t in canvas.project.edges if t == "cat"]
    assert into_cat == ["batchnorm1", "w"]


def test_a_connection_lights_up_while_a_layer_is_dragged_over_it(canvas):
    chain(canvas, ("a", "input"), ("b", "dense"), spacing=420)
    edge = canvas.scene.edge_items[("a", "b")]
    where = canvas.view.mapFromScene(edge._path.pointAtPercent(0.5))
    mime = canvas.palette_mime("dense")
    move = QDragEnterEvent(where, Qt.DropAction.CopyAction, mime, LEFT,
                           Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(canvas.view.viewport(), move)
    assert edge.hot
    QApplication.sendEvent(canvas.view.viewport(), QDragLeaveEvent())
    assert not edge.hot and not canvas.project.nodes.get("dense1")


# -- moving ---------------------------------------------------------------------------------------
def test_moving_selected_layers_is_one_undo_step(canvas):
    chain(canvas, ("a", "input"), ("b", "dense"), ("c", "dense"))
    canvas.click(canvas.centre("a"))
    canvas.click(canvas.centre("b"), Qt.KeyboardModifier.ControlModifier)
    assert canvas.scene.selected_ids() == ["a", "b"]
    before = {n: canvas.project.nodes[n].position for n in "abc"}
    start = canvas.centre("b")
    canvas.drag(start, start + QPoint(60, 90), steps=10)
    scale = canvas.view.scale_factor()
    for n in "ab":
        x, y = canvas.project.nodes[n].position
        assert (x - before[n][0], y - before[n][1]) == pytest.approx((60 / scale, 90 / scale),
                                                                     abs=1.5)
    assert canvas.project.nodes["c"].position == before["c"]
    assert canvas.stack.count() == 1 and "Move 2" in canvas.stack.text(0)
    # the connections followed
    assert canvas.scene.edge_items[("a", "b")]._path.pointAtPercent(1.0) == \
        canvas.item("b").in_anchor()
    canvas.stack.undo()
    assert {n: canvas.project.nodes[n].position for n in "abc"} == before
    assert canvas.item("b").pos() == QPointF(*before["b"])
    assert canvas.scene.edge_items[("b", "c")]._path.pointAtPercent(0.0) == \
        canvas.item("b").out_anchor()
    canvas.stack.redo()
    assert canvas.project.nodes["a"].position != before["a"]


def test_without_an_undo_stack_a_drag_is_reported_for_the_window_to_push(qtbot):
    session = Session()
    session.new(examples.spirals_classifier())
    scene = NetworkScene(session.project)  # no push: the window pushes MoveNodes itself
    view = CanvasView(scene)
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    moves = []
    scene.nodesMoved.connect(lambda old, new: moves.append((old, new)))
    start = view.mapFromScene(scene.node_items["hidden1"].sceneBoundingRect().center())
    qtbot.mousePress(view.viewport(), LEFT, Qt.KeyboardModifier.NoModifier, start)
    qtbot.mouseMove(view.viewport(), start + QPoint(10, 40))
    qtbot.mouseRelease(view.viewport(), LEFT, Qt.KeyboardModifier.NoModifier,
                       start + QPoint(10, 40))
    assert len(moves) == 1 and list(moves[0][1]) == ["hidden1"]
    scene.detach()


def test_a_drag_moves_only_the_connections_of_the_moved_layer(canvas, monkeypatch):
    ids = [("n0", "input")] + [(f"n{i}", "dense") for i in range(1, 30)]
    chain(canvas, *ids, spacing=200)
    adjusted = []
    original = EdgeItem.adjust
    monkeypatch.setattr(EdgeItem, "adjust", lambda self: (adjusted.append(self.key),
                                                          original(self))[1])
    canvas.view.centerOn(canvas.item("n3").sceneBoundingRect().center())
    start = canvas.centre("n3")
    canvas.drag(start, start + QPoint(0, 80), steps=8)
    assert set(adjusted) == {("n2", "n3"), ("n3", "n4")}
    assert len(adjusted) <= 2 * 8 + 2


# -- deleting -------------------------------------------------------------------------------------
def test_deleting_a_layer_offers_to_reconnect_its_neighbours(canvas):
    chain(canvas, ("a", "input"), ("b", "dense"), ("c", "dense"), ("d", "dense"))
    asked = []
    canvas.scene.ask_reconnect = lambda bridges: asked.append(bridges) or True
    canvas.click(canvas.centre("b"))
    assert canvas.scene.delete_selection()
    assert asked == [[("a", "c")]]
    assert "b" not in canvas.project.nodes and "b" not in canvas.scene.node_items
    assert canvas.project.edges == [("a", "c"), ("c", "d")]
    assert canvas.stack.count() == 1
    canvas.stack.undo()
    assert canvas.project.edges == [("a", "b"), ("b", "c"), ("c", "d")]
    assert set(canvas.scene.edge_items) == set(canvas.project.edges)
    canvas.stack.redo()
    assert canvas.project.edges == [("a", "c"), ("c", "d")]


def test_declining_the_reconnection_just_deletes(canvas):
    chain(canvas, ("a", "input"), ("b", "dense"), ("c", "dense"))
    canvas.scene.ask_reconnect = lambda bridges: False
    canvas.click(canvas.centre("b"))
    canvas.scene.delete_selection()
    assert canvas.project.edges == [] and list(canvas.project.nodes) == ["a", "c"]
    canvas.stack.undo()
    assert canvas.project.edges == [("a", "b"), ("b", "c")]


def test_a_layer_with_two_inputs_is_deleted_without_a_question(canvas):
    chain(canvas, ("a", "input"), ("b", "dense"), ("sum", "add"), ("out", "dense"))
    canvas.session.push(Connect(canvas.project, "a", "sum"))
    asked = []
    canvas.scene.ask_reconnect = lambda bridges: asked.append(bridges) or True
    canvas.scene.delete(["sum"])
    assert asked == [] and canvas.project.edges == [("a", "b")]


def test_deleting_a_run_of_layers_bridges_the_whole_run(canvas):
    chain(canvas, ("a", "input"), ("b", "dense"), ("c", "dense"), ("d", "dense"))
    canvas.scene.delete(["b", "c"])
    assert canvas.project.edges == [("a", "d")]


def test_a_selected_connection_is_deleted_by_itself(canvas):
    chain(canvas, ("a", "input"), ("b", "dense"), spacing=420)
    middle = canvas.scene.edge_items[("a", "b")]._path.pointAtPercent(0.5)
    canvas.click(canvas.view.mapFromScene(middle))
    assert canvas.scene.selected_edges() == [("a", "b")]
    canvas.scene.delete_selection()
    assert canvas.project.edges == [] and len(canvas.project.nodes) == 2
    canvas.stack.undo()
    assert canvas.project.edges == [("a", "b")]


# -- copy and paste -------------------------------------------------------------------------------
def test_copy_and_paste_make_new_layers_with_new_ids_in_one_step(canvas):
    chain(canvas, ("in", "input"), ("h1", "dense"), ("h2", "dense"))
    canvas.view.fit()
    # rubber band around everything
    rect = canvas.scene.itemsBoundingRect()
    canvas.drag(canvas.view.mapFromScene(rect.topLeft() - QPointF(20, 20)),
                canvas.view.mapFromScene(rect.bottomRight() + QPointF(20, 20)))
    assert canvas.scene.selected_ids() == ["in", "h1", "h2"]
    assert canvas.scene.selected_edges() == []  # a rubber band selects layers only
    payload = edit_ops.copy_payload(canvas.project, canvas.scene.selected_ids())
    new = canvas.scene.paste(payload)
    gc.collect()  # the macro's parts must survive a collection (they once did not)
    assert new == ["dense1", "dense2"]  # the second input layer is left out
    assert ("dense1", "dense2") in canvas.project.edges
    assert canvas.project.nodes["dense1"].config == canvas.project.nodes["h1"].config
    assert canvas.scene.selected_ids() == new
    assert canvas.stack.count() == 1
    canvas.stack.undo()
    gc.collect()
    assert list(canvas.project.nodes) == ["in", "h1", "h2"]
    canvas.stack.redo()
    assert list(canvas.project.nodes) == ["in", "h1", "h2", "dense1", "dense2"]


# -- view: pan and zoom ---------------------------------------------------------------------------
def _scroll(view) -> tuple[int, int]:
    return view.horizontalScrollBar().value(), view.verticalScrollBar().value()


def test_space_and_drag_pans_and_leaves_the_layers_alone(canvas, qtbot):
    chain(canvas, ("a", "input"), ("b", "dense"))
    before = _scroll(canvas.view)
    positions = dict((n, canvas.project.nodes[n].position) for n in "ab")
    qtbot.keyPress(canvas.view, Qt.Key.Key_Space)
    start = canvas.centre("a")  # even starting on a layer, Space+drag pans
    canvas.drag(start, start + QPoint(-120, -60))
    qtbot.keyRelease(canvas.view, Qt.Key.Key_Space)
    assert _scroll(canvas.view) == (before[0] + 120, before[1] + 60)
    assert {n: canvas.project.nodes[n].position for n in "ab"} == positions
    assert canvas.stack.count() == 0


def test_middle_drag_pans(canvas):
    chain(canvas, ("a", "input"))
    before = _scroll(canvas.view)
    canvas.drag(canvas.at(500, 400), canvas.at(450, 380), button=Qt.MouseButton.MiddleButton)
    assert _scroll(canvas.view) == (before[0] + 50, before[1] + 20)


def test_ctrl_wheel_zooms_about_the_cursor(canvas):
    chain(canvas, ("a", "input"), ("b", "dense"))
    where = canvas.centre("b")
    fixed = canvas.view.mapToScene(where)
    wheel = QWheelEvent(QPointF(where), QPointF(canvas.view.viewport().mapToGlobal(where)),
                        QPoint(0, 0), QPoint(0, 120), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.ControlModifier, Qt.ScrollPhase.NoScrollPhase,
                        False)
    QApplication.sendEvent(canvas.view.viewport(), wheel)
    assert canvas.view.scale_factor() == pytest.approx(1.15)
    assert (canvas.view.mapFromScene(fixed) - where).manhattanLength() <= 2


def test_pinch_gesture_zooms(canvas):
    chain(canvas, ("a", "input"))
    where = QPointF(canvas.centre("a"))
    device = QPointingDevice.primaryPointingDevice()
    event = QNativeGestureEvent(Qt.NativeGestureType.ZoomNativeGesture, device, 2, where,
                                where, QPointF(canvas.view.viewport().mapToGlobal(where)),
                                0.5, QPointF(), 0)
    QApplication.sendEvent(canvas.view.viewport(), event)
    assert canvas.view.scale_factor() == pytest.approx(1.5)


def test_touch_pinch_gesture_zooms(canvas):
    from PySide6.QtWidgets import QGestureEvent, QPinchGesture

    chain(canvas, ("a", "input"))
    pinch = QPinchGesture()
    pinch.setChangeFlags(QPinchGesture.ChangeFlag.ScaleFactorChanged)
    pinch.setScaleFactor(0.8)
    pinch.setCenterPoint(QPointF(canvas.view.viewport().mapToGlobal(canvas.centre("a"))))
    QApplication.sendEvent(canvas.view.viewport(), QGestureEvent([pinch]))
    assert canvas.view.scale_factor() == pytest.approx(0.8)


def test_zoom_stays_within_limits(canvas):
    for _ in range(40):
        canvas.view.zoom_in()
    assert canvas.view.scale_factor() == pytest.approx(CanvasView.MAX_ZOOM)
    for _ in range(80):
        canvas.view.zoom_out()
    assert canvas.view.scale_factor() == pytest.approx(CanvasView.MIN_ZOOM)


# -- what the nodes show --------------------------------------------------------------------------
def test_nodes_show_type_units_activation_shape_and_parameters(canvas):
    canvas.session.new(examples.spirals_classifier())
    canvas.scene.set_graph(spec_check.analyse(canvas.project.spec(), 2, 3), "classification")
    text = {nid: item.data(0) for nid, item in canvas.scene.node_items.items()}
    assert text["input"] == "Input layer input 2 features (None, 2) · 0 params"
    assert text["hidden1"] == "Hidden layer dense tanh 16 units (None, 16) · 48 params"
    assert text["output"] == "Output layer dense softmax auto: 3 classes (None, 3) · 51 params"
    roles = {nid: item.role for nid, item in canvas.scene.node_items.items()}
    assert roles == {"input": "input", "hidden1": "hidden", "hidden2": "hidden",
                     "output": "output"}
    # the counts are the engine's
    net = network.build(canvas.project.spec(), 2, 3)
    assert sum(int(t.split(" · ")[-1].split()[0].replace(",", ""))
               for t in text.values()) == net.params.size


def test_problems_mark_their_layers_with_the_message(canvas):
    chain(canvas, ("a", "input"), ("b", "dense"))
    canvas.session.push(AddNode(canvas.project, Node("lost", "dense", {}, (0, 500))))
    graph = spec_check.analyse(canvas.project.spec(), 2, None)
    canvas.scene.set_graph(graph)
    lost = canvas.item("lost")
    assert lost.problem and lost.severity == "error"
    assert lost.problem in lost.toolTip()
    assert not canvas.item("a").problem
    assert graph.units == {}  # an error: the check sizes nothing ...


def test_sizes_show_even_while_an_error_elsewhere_stops_the_check(canvas):
    canvas.session.new(examples.spirals_classifier())
    canvas.session.push(AddNode(canvas.project, Node("lost", "dense", {}, (0, 500))))
    graph = spec_check.analyse(canvas.project.spec(), 2, 3)
    assert spec_check.errors(graph.problems) and graph.units == {}
    canvas.scene.set_graph(graph, "classification", n_features=2, n_outputs=3)
    text = {nid: item.data(0) for nid, item in canvas.scene.node_items.items()}
    assert "2 features" in text["input"]
    assert "(None, 16) · 272 params" in text["hidden2"]
    assert "auto: 3 classes" in text["output"] and "51 params" in text["output"]
    assert canvas.scene.sizes["lost"] == 8 and "params" not in text["lost"]  # no input yet


@pytest.mark.parametrize("name", activations.names())
def test_every_activation_has_a_glyph_of_its_curve(name):
    path = activation_glyph(name)
    assert path is not None and path.elementCount() > 20
    box = path.boundingRect()
    assert box.left() >= -1e-6 and box.right() <= GLYPH_W + 1e-6
    assert box.top() >= -1e-6 and box.bottom() <= GLYPH_H + 1e-6
    fn = activations.get(name)
    z = np.linspace(-3, 3, 61).reshape(1, -1)
    y = np.asarray(fn.forward(z)).ravel()
    if y[-1] > y[0] + 1e-6:  # rising functions rise in the glyph (y grows downwards)
        assert path.elementAt(path.elementCount() - 1).y < path.elementAt(0).y


def test_a_config_change_redraws_one_node_and_recreates_nothing(canvas):
    chain(canvas, ("a", "input"), ("b", "dense"), ("c", "dense"))
    nodes = dict(canvas.scene.node_items)
    edges = dict(canvas.scene.edge_items)
    canvas.session.push(SetNodeConfig(canvas.project, "b", {"units": 32,
                                                            "activation": "tanh"}))
    assert canvas.scene.node_items == nodes and canvas.scene.edge_items == edges
    assert "tanh" in canvas.item("b").data(0)
    canvas.project.replace_with(canvas.project)  # a "reset": compare everything
    assert all(canvas.scene.node_items[n] is nodes[n] for n in nodes)
    assert all(canvas.scene.edge_items[e] is edges[e] for e in edges)


def test_a_palette_change_redraws_the_cached_items(canvas, qapp):
    from PySide6.QtGui import QColor, QPalette

    chain(canvas, ("a", "input"), ("b", "dense"))
    canvas.view.resetTransform()
    canvas.view.centerOn(canvas.item("b").sceneBoundingRect().center())
    inside = canvas.view.mapFromScene(canvas.item("b").pos() + QPointF(60, 80))

    def pixel():
        return canvas.view.viewport().grab().toImage().pixelColor(inside)

    before = pixel()
    saved = QPalette(qapp.palette())
    dark = QPalette(saved)
    dark.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#eeeeee"))
    try:
        qapp.setPalette(dark)
        qapp.processEvents()
        after = pixel()
    finally:
        qapp.setPalette(saved)
    assert before.lightness() > 180 and after.lightness() < 80


def test_a_new_document_replaces_the_items(canvas):
    chain(canvas, ("a", "input"), ("b", "dense"))
    canvas.session.new(examples.xor_playground())
    assert set(canvas.scene.node_items) == set(canvas.project.nodes)
    assert set(canvas.scene.edge_items) == set(canvas.project.edges)


# -- problems list and summary --------------------------------------------------------------------
def test_clicking_a_problem_selects_its_layers(canvas, qtbot):
    chain(canvas, ("a", "input"), ("b", "dense"))
    canvas.session.push(AddNode(canvas.project, Node("x", "dense", {}, (0, 500))))
    canvas.session.push(AddNode(canvas.project, Node("y", "dense", {}, (240, 500))))
    canvas.session.push(Connect(canvas.project, "x", "y"))
    problems = spec_check.check(canvas.project.spec(), 2, None)
    panel = ProblemsPanel()
    qtbot.addWidget(panel)
    panel.resize(400, 300)
    panel.show()
    panel.nodesActivated.connect(canvas.view.show_nodes)
    panel.set_problems(problems)
    assert panel.objectName() == "problemsPanel" and panel.accessibleName()
    rows = [panel.list.item(i) for i in range(panel.list.count())]
    assert [r.text() for r in rows] == [p.message for p in problems]
    multi = next(r for r in rows if "have no outgoing" in r.text())
    rect = panel.list.visualItemRect(multi)
    qtbot.mouseClick(panel.list.viewport(), LEFT, Qt.KeyboardModifier.NoModifier,
                     rect.center())
    assert set(canvas.scene.selected_ids()) == set(multi.data(Qt.ItemDataRole.UserRole))
    assert set(canvas.scene.selected_ids()) == {"b", "y"}
    panel.set_problems([])
    assert panel.list.count() == 1 and "No problems" in panel.list.item(0).text()


def test_problems_are_listed_errors_first_with_icons_by_severity(qtbot):
    panel = ProblemsPanel()
    qtbot.addWidget(panel)
    panel.set_problems([spec_check.LossWarning("meh", ["o"]),
                        spec_check.NotConnectedError("bad", ["x"])])
    first, second = panel.list.item(0), panel.list.item(1)
    assert (first.text(), second.text()) == ("bad", "meh")
    assert first.icon().cacheKey() != second.icon().cacheKey()
    assert not first.icon().isNull()
    assert "1 error(s), 1 warning(s)" in panel.counts.text()


def test_the_summary_lists_layers_shapes_and_parameters_like_keras(qtbot):
    panel = SummaryPanel()
    qtbot.addWidget(panel)
    assert panel.objectName() == "summaryPanel" and panel.accessibleName()
    panel.show()
    spec = examples.spirals_classifier().spec()
    panel.show_network(spec, 2, 3)
    assert panel.pending  # built a moment later, once per burst of edits
    qtbot.waitUntil(lambda: not panel.pending, timeout=2000)
    assert panel.rows() == [
        ("input", "input", "(None, 2)", "0"),
        ("hidden1", "dense", "(None, 16)", "48"),
        ("hidden2", "dense", "(None, 16)", "272"),
        ("output", "dense", "(None, 3)", "51"),
        ("Total", "", "", "371"),
    ]
    assert panel.total_params() == network.build(spec, 2, 3).params.size == 371
    assert "371" in panel.totals.text()
    built = panel.network
    panel.show_network(spec, 2, 3)  # nothing changed: not rebuilt
    assert panel.network is built
    broken = {"nodes": spec["nodes"], "edges": spec["edges"][:-1]}
    panel.show_network(broken, 2, 3, now=True)
    assert panel.network is None and panel.table.rowCount() == 0
    assert "output" in panel.status.text()


def test_the_summary_counts_batch_norm_statistics_as_non_trainable(qtbot):
    panel = SummaryPanel()
    qtbot.addWidget(panel)
    spec = {"nodes": [{"id": "i", "type": "input", "config": {}},
                      {"id": "bn", "type": "batch_norm", "config": {}},
                      {"id": "o", "type": "dense", "config": {"units": 1}}],
            "edges": [["i", "bn"], ["bn", "o"]]}
    panel.show_network(spec, 4, None)  # hidden: built when shown
    assert panel.pending and panel.table.rowCount() == 0
    panel.show()
    qtbot.waitUntil(lambda: not panel.pending, timeout=2000)
    assert panel.rows()[1] == ("bn", "batch_norm", "(None, 4)", "8")
    assert "non-trainable" in panel.totals.text() and ": 8" in panel.totals.text()


# -- the default classifier, with the mouse only --------------------------------------------------
def test_build_the_default_classifier_with_the_mouse(canvas, qtbot):
    inspector = Inspector(canvas.session)
    qtbot.addWidget(inspector)
    inspector.show()
    def selection_changed():  # what the window does
        ids = canvas.scene.selected_ids()
        inspector.show_node(ids[0] if len(ids) == 1 else None)

    canvas.scene.selectionChanged.connect(selection_changed)

    for x, layer_type in ((100, "input"), (340, "dense"), (580, "dense"), (820, "dense")):
        canvas.drop(layer_type, canvas.at(x, 250))
    assert list(canvas.project.nodes) == ["input1", "dense1", "dense2", "dense3"]
    canvas.connect("input1", "dense1")
    canvas.connect("dense1", "dense2")
    canvas.connect("dense2", "dense3")

    def edit(nid, units, activation):
        canvas.click(canvas.centre(nid))
        assert inspector.node_id == nid
        units_box = inspector._fields["units"]
        assert units_box.objectName() == "inspector_units"
        units_box.setFocus()
        units_box.selectAll()
        if units == "auto":
            qtbot.keyClick(units_box, Qt.Key.Key_Backspace)
            units_box.setValue(0)  # the special value "auto"
        else:
            qtbot.keyClicks(units_box, str(units))
        combo = inspector._fields["activation"]
        combo.setCurrentIndex(combo.findText(activation))

    edit("dense1", 16, "tanh")
    edit("dense2", 16, "tanh")
    edit("dense3", "auto", "softmax")

    expected = {
        "nodes": [
            {"id": "input1", "type": "input", "config": {}},
            {"id": "dense1", "type": "dense", "config": {"units": 16, "activation": "tanh"}},
            {"id": "dense2", "type": "dense", "config": {"units": 16, "activation": "tanh"}},
            {"id": "dense3", "type": "dense",
             "config": {"units": "auto", "activation": "softmax"}},
        ],
        "edges": [["input1", "dense1"], ["dense1", "dense2"], ["dense2", "dense3"]],
    }
    assert canvas.project.spec() == expected
    net = network.build(canvas.project.spec(), n_features=2, n_outputs=3)
    assert [net.units[n] for n in net.order] == [2, 16, 16, 3]
    assert net.output_activation == "softmax"
    from engine.data import synthetic

    ds = synthetic.load(canvas.project.data.config)
    problems = spec_check.check(canvas.project.spec(), ds.n_features, 3,
                                canvas.project.training.loss, ds.y)
    assert not spec_check.errors(problems)
    # everything was undoable, back to an empty canvas
    while canvas.stack.canUndo():
        canvas.stack.undo()
    assert not canvas.project.nodes and not canvas.scene.node_items
    while canvas.stack.canRedo():
        canvas.stack.redo()
    assert canvas.project.spec() == expected
    canvas.scene.selectionChanged.disconnect(selection_changed)
