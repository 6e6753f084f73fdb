"""Ready-made projects: what a first-time user sees, and the files in resources/examples."""

from __future__ import annotations

from .model import DataSource, Node, Project, TrainingSettings


def _chain(project: Project, layers: list[tuple[str, str, dict]]) -> None:
    x = 0.0
    previous = None
    for node_id, layer_type, config in layers:
        project.add_node(Node(node_id, layer_type, config, (x, 0.0)))
        if previous is not None:
            project.connect(previous, node_id)
        previous = node_id
        x += 180.0


def spirals_classifier() -> Project:
    """Three interleaved spirals and a 2-16-16-3 tanh MLP with softmax: trains in seconds."""
    project = Project()
    project.data = DataSource("synthetic", {"name": "spirals", "n_samples": 600,
                                            "noise": 0.2, "seed": 0})
    _chain(project, [
        ("input", "input", {}),
        ("hidden1", "dense", {"units": 16, "activation": "tanh"}),
        ("hidden2", "dense", {"units": 16, "activation": "tanh"}),
        ("output", "dense", {"units": "auto", "activation": "softmax"}),
    ])
    project.training = TrainingSettings(
        loss={"name": "sparse_categorical_crossentropy"},
        optimizer={"name": "adam", "lr": 0.01}, epochs=60, batch_size=32)
    return project


def xor_playground() -> Project:
    """The playground's XOR: 2-8-8-1 tanh with a sigmoid output and binary cross-entropy."""
    project = Project()
    project.data = DataSource("synthetic", {"name": "xor", "n_samples": 400, "noise": 0.0,
                                            "seed": 0})
    _chain(project, [
        ("input", "input", {}),
        ("hidden1", "dense", {"units": 8, "activation": "tanh"}),
        ("hidden2", "dense", {"units": 8, "activation": "tanh"}),
        ("output", "dense", {"units": 1, "activation": "sigmoid"}),
    ])
    project.training = TrainingSettings(
        loss={"name": "binary_crossentropy"}, optimizer={"name": "sgd", "lr": 0.1},
        epochs=100, batch_size=10)
    return project


def plane_regression() -> Project:
    """A noisy plane: 2-8-1 ReLU with a linear output and mean squared error."""
    project = Project()
    project.data = DataSource("synthetic", {"name": "plane", "n_samples": 400, "noise": 0.1,
                                            "seed": 0})
    _chain(project, [
        ("input", "input", {}),
        ("hidden1", "dense", {"units": 8, "activation": "relu"}),
        ("output", "dense", {"units": "auto", "activation": "linear"}),
    ])
    project.training = TrainingSettings(
        loss={"name": "mse"}, optimizer={"name": "adam", "lr": 0.01}, epochs=40,
        batch_size=16, metrics=["mae", "r2"])
    return project


EXAMPLES = {
    "spirals-classifier": spirals_classifier,
    "xor-playground": xor_playground,
    "plane-regression": plane_regression,
}


def default_project() -> Project:
    """The project a new window opens with."""
    return spirals_classifier()
