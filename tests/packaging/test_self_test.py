"""``nnstudio --self-test`` from the source tree: the check the installers' bundle also runs."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
TIMEOUT = 180


def _env() -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def test_nnstudio_self_test_passes():
    proc = subprocess.run([sys.executable, "-m", "nnstudio", "--self-test"], cwd=ROOT,
                          env=_env(), capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[-1] == "self-test passed"
    assert [line.split(":")[0] for line in lines[:-1]] == [
        "[1/6] start the application", "[2/6] open the example", "[3/6] train",
        "[4/6] save", "[5/6] reopen and compare", "[6/6] close the window"]
    assert all(": ok (" in line for line in lines[:-1])


def test_nnstudio_self_test_fails_with_the_number_of_the_failing_step():
    code = ("import sys; from nnstudio import selftest; selftest.EXAMPLE = 'no-such-example'; "
            "sys.exit(selftest.run())")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "[2/6] open the example: FAILED" in proc.stdout
    assert proc.stdout.splitlines()[-1] == "self-test FAILED at step 2"


def test_nnstudio_version_comes_from_the_package():
    from nnstudio import __version__

    proc = subprocess.run([sys.executable, "-m", "nnstudio", "--version"], cwd=ROOT,
                          env=_env(), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == f"NN Studio {__version__}"
