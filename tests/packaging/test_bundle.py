"""The installers end to end: build the PyInstaller bundle and the .deb, unpack the .deb into
a temporary root (``dpkg -x``, no root needed) and run ``nnstudio --self-test`` from it.

Slow (a build of about 20-30 s, 200 MB on disk) and needs PyInstaller and dpkg-deb, so it is
skipped unless ``NNSTUDIO_PACKAGING=1``:

    NNSTUDIO_PACKAGING=1 python -m pytest -m packaging tests/packaging
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.packaging,
    pytest.mark.skipif(os.environ.get("NNSTUDIO_PACKAGING") != "1",
                       reason="builds the installers: set NNSTUDIO_PACKAGING=1 to run"),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    for tool in ("dpkg-deb", "dpkg"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    pytest.importorskip("PyInstaller")
    out = tmp_path_factory.mktemp("packaging")
    env = dict(os.environ, PYTHON=sys.executable, DIST_DIR=str(out / "dist"),
               BUILD_DIR=str(out / "build"))
    t0 = time.perf_counter()
    proc = subprocess.run(["bash", str(ROOT / "packaging" / "build.sh")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    print(proc.stdout)
    print(f"build.sh took {seconds:.1f} s")
    return out / "dist"


def _version() -> str:
    from nnstudio import __version__

    return __version__


def _deb(dist: pathlib.Path) -> pathlib.Path:
    debs = sorted(dist.glob(f"nnstudio_{_version()}_*.deb"))
    assert len(debs) == 1, list(dist.iterdir())
    return debs[0]


def test_the_build_makes_a_bundle_a_tarball_and_a_deb(built):
    assert (built / "nnstudio" / "nnstudio").is_file()
    assert list(built.glob(f"nnstudio-{_version()}-linux-*.tar.gz"))
    deb = _deb(built)
    fields = subprocess.run(["dpkg-deb", "-f", str(deb), "Package", "Version", "Depends"],
                            capture_output=True, text=True, check=True).stdout
    assert "Package: nnstudio" in fields
    assert f"Version: {_version()}" in fields
    for dependency in ("libegl1", "libgl1", "libxcb1", "libfontconfig1", "fonts-dejavu-core"):
        assert dependency in fields


def test_the_deb_installed_into_a_temporary_root_passes_its_self_test(built, tmp_path):
    root = tmp_path / "root"
    subprocess.run(["dpkg", "-x", str(_deb(built)), str(root)], check=True)
    app = root / "opt" / "nnstudio" / "nnstudio"
    assert app.is_file() and os.access(app, os.X_OK)
    assert os.readlink(root / "usr" / "bin" / "nnstudio") == "/opt/nnstudio/nnstudio"
    desktop = (root / "usr" / "share" / "applications" / "nnstudio.desktop").read_text()
    assert "Exec=nnstudio %f" in desktop and "MimeType=application/x-nnstudio-project;" in desktop
    assert "Icon=nnstudio" in desktop
    mime = (root / "usr" / "share" / "mime" / "packages" / "nnstudio.xml").read_text()
    assert 'type="application/x-nnstudio-project"' in mime and '"*.nnproj"' in mime
    assert (root / "usr/share/icons/hicolor/256x256/apps/nnstudio.png").is_file()
    assert (root / "opt/nnstudio/_internal/resources/examples/spirals-classifier.nnproj").is_file()

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["QT_QPA_PLATFORM"] = "offscreen"
    version = subprocess.run([str(app), "--version"], env=env, capture_output=True, text=True,
                             timeout=60)
    assert version.returncode == 0 and version.stdout.strip() == f"NN Studio {_version()}"
    proc = subprocess.run([str(app), "--self-test"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == "self-test passed"
