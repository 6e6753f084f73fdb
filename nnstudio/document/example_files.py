"""The example projects as files: written from ``examples.EXAMPLES``, shipped in
``resources/examples/``.

``python -m nnstudio.document.example_files`` writes them again after ``examples.py`` changes
(a test fails until it is done, so the shipped files cannot drift from the code).
"""

from __future__ import annotations

import pathlib
import sys

import nnstudio
from engine.resources import resource_dir

from . import examples, project_file

#: Where the shipped example files live (resources/ beside the package in the source tree).
EXAMPLES_FOLDER = pathlib.Path(nnstudio.__file__).resolve().parent.parent / "resources" / "examples"


def write_examples(folder: str | pathlib.Path = EXAMPLES_FOLDER) -> list[pathlib.Path]:
    """Write every ``examples.EXAMPLES`` project to ``<folder>/<name>.nnproj``; returns the
    paths written."""
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in examples.EXAMPLES.items():
        path = folder / f"{name}{project_file.SUFFIX}"
        project_file.save(make(), path)
        written.append(path)
    return written


def example_paths() -> list:
    """The shipped example project files, sorted by name (also from an installed wheel)."""
    try:
        folder = resource_dir("examples", package="nnstudio")
    except FileNotFoundError:
        return []
    return sorted((f for f in folder.iterdir() if f.name.endswith(project_file.SUFFIX)),
                  key=lambda f: f.name)


if __name__ == "__main__":
    for written_path in write_examples(sys.argv[1] if len(sys.argv) > 1 else EXAMPLES_FOLDER):
        print(written_path)
