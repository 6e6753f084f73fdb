"""Where the files shipped beside the code (``resources/``) are found.

In a source checkout and in the PyInstaller bundle, ``resources/`` sits next to the
packages; an installed wheel carries the parts a package needs as package data
(``<package>/resources/...``, see setup.py).  Both NN Studio's packages look here.
"""

from __future__ import annotations

import importlib.resources
import pathlib
from importlib.resources.abc import Traversable


def resource_dir(*parts: str, package: str = "engine") -> Traversable:
    """The folder ``resources/<parts>``: beside the packages, else inside ``package``.

    Raises
    ------
    FileNotFoundError
        Naming both places looked in.
    """
    beside = pathlib.Path(__file__).resolve().parents[1].joinpath("resources", *parts)
    if beside.is_dir():
        return beside
    inside = importlib.resources.files(package).joinpath("resources", *parts)
    if inside.is_dir():
        return inside
    raise FileNotFoundError(f"no folder resources/{'/'.join(parts)}: looked in {beside} and "
                            f"in the {package} package")
