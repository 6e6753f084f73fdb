"""Build hook: put the repository's ``resources/`` into the wheel as package data.

``resources/`` stays at the repository root, where a source checkout (and ``pip install -e .``)
and the PyInstaller bundle find it beside the packages.  A regular wheel has no "beside", so
the build copies it in where the code looks next:

* ``nnstudio/resources/{icons,examples}``  (``nnstudio.icons``),
* ``engine/resources/datasets``            (``engine.data.builtin``).

Everything else is in pyproject.toml.
"""

import pathlib
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = pathlib.Path(__file__).resolve().parent
RESOURCES = ROOT / "resources"
# (folder of resources/, package it goes into)
PLACES = [("icons", "nnstudio"), ("examples", "nnstudio"), ("datasets", "engine")]
SKIP = shutil.ignore_patterns("*.py", "__pycache__", "*.pyc")


class build_py_with_resources(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install finds resources/ beside the packages
        for folder, package in PLACES:
            source = RESOURCES / folder
            if source.is_dir():
                target = pathlib.Path(self.build_lib) / package / "resources" / folder
                shutil.copytree(source, target, ignore=SKIP, dirs_exist_ok=True)


setup(cmdclass={"build_py": build_py_with_resources})
