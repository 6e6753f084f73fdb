"""Undo commands: the only way edits reach the document.

Each command calls the document's API in ``redo`` and restores exactly what it changed in
``undo``.  A drag (a move of any number of nodes) or a slider scrub is pushed once, on
release, as one command; consecutive changes of the same setting from a spin box merge into
one undo step.
"""

from __future__ import annotations

import copy
import inspect
import itertools
import time

from PySide6.QtGui import QUndoCommand

from engine import layers as layer_registry
from engine import losses as loss_registry
from engine import metrics as metric_registry
from nnstudio.document.model import DataSource, Node, Project, Run, TrainingSettings
from nnstudio.training.runs import last_trained_run

_MERGE_IDS = itertools.count(1000)
SET_TRAINING_ID = next(_MERGE_IDS)
SET_NODE_PARAMETER_ID = next(_MERGE_IDS)


def _tr(text: str) -> str:
    from PySide6.QtCore import QCoreApplication

    return QCoreApplication.translate("commands", text)


class AddNode(QUndoCommand):
    """Add a layer (optionally connected from ``connect_from``)."""

    def __init__(self, project: Project, node: Node, connect_from: str | None = None,
                 parent_command=None):
        super().__init__(_tr("Add {0}").format(node.type), parent_command)
        self.project, self.node, self.connect_from = project, copy.deepcopy(node), connect_from

    def redo(self):
        self.project.add_node(self.node)
        if self.connect_from is not None:
            self.project.connect(self.connect_from, self.node.id)

    def undo(self):
        self.project.remove_node(self.node.id)


class RemoveNodes(QUndoCommand):
    """Remove layers and their connections."""

    def __init__(self, project: Project, node_ids: list[str], parent_command=None):
        super().__init__(_tr("Delete {0} layer(s)").format(len(node_ids)), parent_command)
        self.project, self.node_ids = project, list(node_ids)
        self.removed: list = []

    def redo(self):
        self.removed = [self.project.remove_node(nid) for nid in self.node_ids]

    def undo(self):
        for node, index, edges in reversed(self.removed):
            self.project.restore_node(node, index, edges)


class MoveNodes(QUndoCommand):
    """Move several layers at once: one undo step per drag."""

    def __init__(self, project: Project, old: dict, new: dict, parent_command=None):
        super().__init__(_tr("Move {0} layer(s)").format(len(new)), parent_command)
        self.project, self.old, self.new = project, dict(old), dict(new)

    def redo(self):
        self.project.move_nodes(self.new)

    def undo(self):
        self.project.move_nodes(self.old)


class SetNodeConfig(QUndoCommand):
    """Replace one layer's config."""

    def __init__(self, project: Project, node_id: str, config: dict, text: str | None = None,
                 parent_command=None):
        super().__init__(text or _tr("Change {0}").format(node_id), parent_command)
        self.project, self.node_id = project, node_id
        self.config = copy.deepcopy(config)
        self.old = copy.deepcopy(project.nodes[node_id].config)

    def redo(self):
        self.project.set_node_config(self.node_id, self.config)

    def undo(self):
        self.project.set_node_config(self.node_id, self.old)


class SetNodeParameter(SetNodeConfig):
    """Set one parameter of one layer.

    Commands made with the same ``chain`` token (steps of one number box while it is being
    edited) merge into one undo step; a chain that ends where it began removes itself.
    """

    def __init__(self, project, node_id: str, param: str, value, text: str | None = None,
                 chain=None, default=inspect.Parameter.empty):
        config = dict(project.nodes[node_id].config)
        config[param] = value
        super().__init__(project, node_id, config, text)
        self.param, self.chain, self.default = param, chain, default

    def id(self) -> int:
        return -1 if self.chain is None else SET_NODE_PARAMETER_ID

    def mergeWith(self, other) -> bool:
        if not (isinstance(other, SetNodeParameter) and other.chain is not None
                and other.chain == self.chain and other.node_id == self.node_id
                and other.param == self.param):
            return False
        config = dict(other.config)
        if self.param not in self.old and config.get(self.param, self) == self.default:
            # stepped back to the default that the config left out: leave it out again
            del config[self.param]
            self.project.set_node_config(self.node_id, config)
        self.config = config
        self.setObsolete(self.config == self.old)
        return True


class Connect(QUndoCommand):
    def __init__(self, project: Project, source: str, target: str, parent_command=None):
        super().__init__(_tr("Connect {0} to {1}").format(source, target), parent_command)
        self.project, self.edge = project, (source, target)

    def redo(self):
        self.project.connect(*self.edge)

    def undo(self):
        self.project.disconnect(*self.edge)


class Disconnect(QUndoCommand):
    def __init__(self, project: Project, source: str, target: str, parent_command=None):
        super().__init__(_tr("Disconnect {0} from {1}").format(source, target), parent_command)
        self.project, self.edge = project, (source, target)
        self.index = None

    def redo(self):
        self.index = self.project.disconnect(*self.edge)

    def undo(self):
        self.project.connect(*self.edge, index=self.index)


class SetTraining(QUndoCommand):
    """Change training settings.  Changes of the same settings less than ``MERGE_SECONDS``
    apart merge (a spin box's arrow held down is one undo step); a later change of the same
    setting is a step of its own.  ``merge=False``: never merge (a discrete choice, such as a
    metric ticked, is one step however quickly the next follows)."""

    MERGE_SECONDS = 1.0

    def __init__(self, project: Project, *, merge: bool = True, **changes):
        names = ", ".join(changes)
        super().__init__(_tr("Set {0}").format(names))
        self.project = project
        # a discrete choice (a metric ticked) is a step of its own however quick the next
        self.merge = merge
        self.new = copy.deepcopy(changes)
        self.old = {k: copy.deepcopy(getattr(project.training, k)) for k in changes}
        self.at = time.monotonic()

    def id(self):
        return SET_TRAINING_ID

    def mergeWith(self, other):
        if (not isinstance(other, SetTraining) or not (self.merge and other.merge)
                or set(other.new) != set(self.new)
                or other.at - self.at > self.MERGE_SECONDS):
            return False
        self.new, self.at = other.new, other.at
        self.setObsolete(self.new == self.old)
        return True

    def redo(self):
        self.project.set_training(**self.new)

    def undo(self):
        self.project.set_training(**self.old)


class SetData(QUndoCommand):
    """Replace the data source (and the files embedded with it)."""

    def __init__(self, project: Project, data: DataSource, embedded: dict | None = None,
                 text: str | None = None, parent_command=None):
        super().__init__(text or _tr("Change data"), parent_command)
        self.project = project
        self.new = (copy.deepcopy(data), dict(embedded or {}))
        self.old = (copy.deepcopy(project.data), dict(project.embedded))

    def redo(self):
        self.project.set_data(*self.new)

    def undo(self):
        self.project.set_data(*self.old)


# What a network for each task starts from: its loss, its output activation, its metric.
TASK_DEFAULTS = {
    metric_registry.CLASSIFICATION: {"loss": "sparse_categorical_crossentropy",
                                     "activation": "softmax", "metric": "accuracy"},
    metric_registry.REGRESSION: {"loss": "mse", "activation": "linear", "metric": "mae"},
}


def loss_task(loss: dict) -> str | None:
    """The task ("classification" / "regression") of a loss config; None if unknown."""
    try:
        return loss_registry.LOSSES.cls(loss.get("name", "")).task
    except Exception:  # noqa: BLE001 -- an unknown name: the spec check reports it
        return None


def metric_name(metric) -> str:
    """The name of a metric given by name or config (``{"name": "f1", ...}``)."""
    return metric.get("name", "") if isinstance(metric, dict) else metric


def metric_task(metric) -> str | None:
    """The task of a metric given by name or config; None if unknown."""
    try:
        return metric_registry.METRICS.cls(metric_name(metric)).task
    except Exception:  # noqa: BLE001 -- an unknown name: training reports it
        return None


def metrics_for_task(task: str | None) -> list[str]:
    """Registered metric names made for ``task`` (all of them when it is unknown)."""
    return [n for n in metric_registry.names()
            if task is None or metric_registry.METRICS.cls(n).task == task]


def fitting_metrics(metrics: list, task: str | None) -> list:
    """``metrics`` without those of another task; any dropped one is replaced by the task's
    default metric (``TASK_DEFAULTS``), so that a run always records something."""
    if task not in TASK_DEFAULTS:
        return list(metrics)
    kept = [copy.deepcopy(m) for m in metrics if metric_task(m) == task]
    default = TASK_DEFAULTS[task]["metric"]
    if len(kept) < len(metrics) and default not in map(metric_name, kept):
        kept.insert(0, default)
    return kept


def output_node(project: Project) -> str | None:
    """The id of the layer that ends the network (the only one without an outgoing
    connection, other than the input); None while there is no single one."""
    sources = {s for s, _t in project.edges}
    sinks = [nid for nid, node in project.nodes.items()
             if nid not in sources and node.type != "input"]
    return sinks[0] if len(sinks) == 1 else None


class SetDataForTask(QUndoCommand):
    """Replace the data source; when the new data is of another task than the loss
    (classification <-> regression), also set the loss, the metrics and the output layer's
    activation to that task's defaults (``TASK_DEFAULTS``).  One undo step restores all.

    ``task``: the new data's task, or None when it is not known before loading (then only
    the data changes).
    """

    def __init__(self, project: Project, data: DataSource, task: str | None,
                 embedded: dict | None = None, text: str | None = None, parent_command=None):
        super().__init__(text or _tr("Change data"), parent_command)
        # the parts live in a Python list, not as Qt child commands: PySide does not hand
        # children to their parent, and collecting them under it crashes (canvas.edit_ops)
        self.parts: list[QUndoCommand] = [SetData(project, data, embedded)]
        if task not in TASK_DEFAULTS or loss_task(project.training.loss) in (None, task):
            return
        defaults = TASK_DEFAULTS[task]
        self.parts.append(SetTraining(
            project, loss={"name": defaults["loss"]},
            metrics=fitting_metrics(project.training.metrics, task)))
        out = output_node(project)
        if out is None:
            return
        node = project.nodes[out]
        accepted = layer_registry.LAYERS.parameters(node.type)
        if "activation" in accepted and node.config.get("activation") != defaults["activation"]:
            config = dict(node.config, activation=defaults["activation"])
            self.parts.append(SetNodeConfig(project, out, config))

    def redo(self):
        for part in self.parts:
            part.redo()

    def undo(self):
        for part in reversed(self.parts):
            part.undo()


class AddRun(QUndoCommand):
    def __init__(self, project: Project, run: Run, parent_command=None):
        super().__init__(_tr("Add run {0}").format(run.name), parent_command)
        self.project, self.run = project, run

    def redo(self):
        self.project.add_run(self.run)

    def undo(self):
        self.project.remove_run(self.run.id)


class RemoveRun(QUndoCommand):
    def __init__(self, project: Project, run_id: str, parent_command=None):
        super().__init__(_tr("Delete run"), parent_command)
        self.project, self.run_id = project, run_id
        self.removed = None

    def redo(self):
        self.removed = self.project.remove_run(self.run_id)

    def undo(self):
        run, index = self.removed
        self.project.add_run(run, index)


class RenameRun(QUndoCommand):
    def __init__(self, project: Project, run_id: str, name: str, parent_command=None):
        super().__init__(_tr("Rename run"), parent_command)
        self.project, self.run_id, self.name = project, run_id, name
        self.old = project.run(run_id).name

    def redo(self):
        self.project.rename_run(self.run_id, self.name)

    def undo(self):
        self.project.rename_run(self.run_id, self.old)


class RestoreRun(QUndoCommand):
    """Make a run the current one: the run whose weights the views show and that
    predictions and exports use, which is the project's last run with weights
    (``nnstudio.training.runs.last_trained_run``; a new run becomes current by being
    added last).  The run moves to the end of the project's runs, so the project file
    keeps which run is current without a field of its own; undo puts it back in its place.
    """

    def __init__(self, project: Project, run_id: str, parent_command=None):
        super().__init__(_tr("Restore run {0}").format(project.run(run_id).name),
                         parent_command)
        self.project, self.run_id = project, run_id
        self.index: int | None = None

    def redo(self):
        run, self.index = self.project.remove_run(self.run_id)
        self.project.add_run(run)

    def undo(self):
        run, _ = self.project.remove_run(self.run_id)
        self.project.add_run(run, self.index)


def replace_network(project: Project, nodes: list[Node], edges: list[tuple[str, str]]) -> None:
    """Make the document's network exactly ``nodes`` (this order, these configs and canvas
    positions) and ``edges`` (this order: a merge layer takes its inputs in edge order),
    touching only what differs, so that the canvas keeps the items of the layers that stay
    (and their selection).

    A layer stays when its id is in ``nodes`` with the same type; when the staying layers
    (or connections) are listed in another order than wanted, they are taken out and put
    back, as the only way to get the wanted order exactly.
    """
    wanted = {n.id: n for n in nodes}
    stay = [i for i, n in project.nodes.items() if i in wanted and wanted[i].type == n.type]
    if stay != [n.id for n in nodes if n.id in set(stay)]:
        stay = []
    keep = [e for e in project.edges if e in set(edges) and e[0] in stay and e[1] in stay]
    if keep != [e for e in edges if e in set(keep)]:
        keep = []
    for edge in [e for e in project.edges if e not in set(keep)]:
        project.disconnect(*edge)
    for node_id in [i for i in project.nodes if i not in stay]:
        project.remove_node(node_id)
    for node_id in stay:
        if project.nodes[node_id].config != wanted[node_id].config:
            project.set_node_config(node_id, wanted[node_id].config)
    moved = {i: tuple(wanted[i].position) for i in stay
             if tuple(project.nodes[i].position) != tuple(wanted[i].position)}
    if moved:
        project.move_nodes(moved)
    # inserted in increasing place: everything before each place is already as wanted
    for index, node in enumerate(nodes):
        if node.id not in project.nodes:
            project.add_node(copy.deepcopy(node), index)
    for index, edge in enumerate(edges):
        if edge not in project.edges:
            project.connect(*edge, index=index)


class RestoreRunToCanvas(QUndoCommand):
    """Put a run's network and training settings back in the document (and its data
    source, given ``data``), and make the run current as :class:`RestoreRun` does: one undo
    step that undo reverses exactly (network, settings, data, current run).

    ``positions`` gives the canvas position of every layer of the run's network (the
    caller's layout: layers that stay keep theirs).  ``data``: the run's
    :class:`DataSource` when it can be restored, else None (the current data stays); the
    project's embedded files stay as they are.
    """

    def __init__(self, project: Project, run_id: str, positions: dict,
                 data: DataSource | None = None, parent_command=None):
        run = project.run(run_id)
        super().__init__(_tr("Restore {0} to the canvas").format(run.name), parent_command)
        self.project, self.run_id = project, run_id
        spec = run.settings["spec"]
        self.new_network = ([Node(n["id"], n["type"], copy.deepcopy(n.get("config", {})),
                                  tuple(positions[n["id"]])) for n in spec["nodes"]],
                            [tuple(e) for e in spec["edges"]])
        self.old_network = ([copy.deepcopy(n) for n in project.nodes.values()],
                            list(project.edges))
        self.old_training = project.training.to_dict()
        self.new_training = run_training(run).to_dict()
        self.old_data = (copy.deepcopy(project.data), dict(project.embedded))
        self.new_data = (None if data is None or data.to_dict() == project.data.to_dict()
                         else copy.deepcopy(data))
        self.make_current = run.weights is not None and last_trained_run(project) is not run
        self.index: int | None = None

    @staticmethod
    def changes(project: Project, run: Run, data: DataSource | None = None) -> list[str]:
        """What restoring ``run`` would change: some of "network", "training", "data"
        (the last only when its restorable ``data`` is given)."""
        spec = project.spec()
        out = []
        if (run.settings.get("spec", {}).get("nodes") != spec["nodes"]
                or [list(e) for e in run.settings.get("spec", {}).get("edges", [])]
                != spec["edges"]):
            out.append("network")
        if run_training(run).to_dict() != project.training.to_dict():
            out.append("training")
        if data is not None and data.to_dict() != project.data.to_dict():
            out.append("data")
        return out

    def _set_training(self, values: dict) -> None:
        changed = {k: v for k, v in values.items() if getattr(self.project.training, k) != v}
        if changed:
            self.project.set_training(**changed)

    def redo(self):
        replace_network(self.project, *self.new_network)
        self._set_training(self.new_training)
        if self.new_data is not None:
            self.project.set_data(self.new_data, self.project.embedded)
        if self.make_current:
            run, self.index = self.project.remove_run(self.run_id)
            self.project.add_run(run)

    def undo(self):
        if self.make_current:
            run, _ = self.project.remove_run(self.run_id)
            self.project.add_run(run, self.index)
        if self.new_data is not None:
            self.project.set_data(*self.old_data)
        self._set_training(self.old_training)
        replace_network(self.project, *self.old_network)


def run_training(run: Run) -> TrainingSettings:
    """The training settings ``run`` was trained with (settings a file of an older format
    does not name take their defaults, as when the run is repeated)."""
    stored = run.settings.get("training", {})
    names = TrainingSettings.field_names()
    return TrainingSettings(**copy.deepcopy({k: v for k, v in stored.items() if k in names}))
