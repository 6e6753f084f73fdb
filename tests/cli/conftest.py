import shutil
import pathlib

import pytest

from nnstudio import cli

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "resources" / "examples").glob("*.nnproj"))


def copy_example(tmp_path, name="spirals-classifier"):
    target = tmp_path / f"{name}.nnproj"
    shutil.copy(ROOT / "resources" / "examples" / f"{name}.nnproj", target)
    return target


@pytest.fixture
def trained(tmp_path):
    """A copy of the spirals example with one 3-epoch run."""
    path = copy_example(tmp_path)
    assert cli.main(["train", str(path), "--epochs", "3"]) == 0
    return path
