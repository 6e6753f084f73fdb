"""The project document and its file format; Qt-free, so the command line and tests use it
without a display."""

from .model import Change, DataSource, DocumentError, Node, Project, Run, TrainingSettings

__all__ = ["Change", "DataSource", "DocumentError", "Node", "Project", "Run",
           "TrainingSettings"]
