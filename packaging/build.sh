#!/usr/bin/env bash
# Build NN Studio's Linux artefacts (offline):
#   dist/nnstudio/                              one-folder PyInstaller bundle
#   dist/nnstudio-<version>-linux-<arch>.tar.gz  that folder as a tarball
#   dist/nnstudio_<version>_<deb-arch>.deb      Debian package (/opt/nnstudio, /usr/bin/nnstudio)
#
#   packaging/build.sh                      # all three
#   PYTHON=/path/to/python packaging/build.sh
#   DIST_DIR=/tmp/out BUILD_DIR=/tmp/work packaging/build.sh
#
# PYTHON must have the app's dependencies and pyinstaller installed. The version comes from
# nnstudio.__version__ (the only place it lives).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
DIST_DIR="${DIST_DIR:-$ROOT/dist}"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
PKG="$ROOT/packaging"

VERSION="$(cd "$ROOT" && "$PYTHON" -c 'import nnstudio; print(nnstudio.__version__)')"
ARCH="$(uname -m)"
DEB_ARCH="$(dpkg --print-architecture 2>/dev/null || echo amd64)"
echo "NN Studio $VERSION ($ARCH)"

# -- 1. the one-folder bundle --------------------------------------------------------------
t0=$(date +%s.%N)
(cd "$ROOT" && "$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$DIST_DIR" --workpath "$BUILD_DIR/pyinstaller" "$PKG/nnstudio.spec")
t1=$(date +%s.%N)
BUNDLE="$DIST_DIR/nnstudio"
printf 'bundle: %s (%s, built in %.1f s)\n' "$BUNDLE" "$(du -sh "$BUNDLE" | cut -f1)" \
    "$(echo "$t1 - $t0" | bc)"

# -- 2. the tarball ---------------------------------------------------------------------------
TARBALL="$DIST_DIR/nnstudio-$VERSION-linux-$ARCH.tar.gz"
tar -C "$DIST_DIR" -czf "$TARBALL" nnstudio
printf 'tarball: %s (%s)\n' "$TARBALL" "$(du -h "$TARBALL" | cut -f1)"

# -- 3. the .deb --------------------------------------------------------------------------------
STAGE="$BUILD_DIR/deb-root"
rm -rf "$STAGE"
mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" \
         "$STAGE/usr/share/mime/packages" "$STAGE/usr/share/doc/nnstudio"
cp -a "$BUNDLE" "$STAGE/opt/nnstudio"
ln -s /opt/nnstudio/nnstudio "$STAGE/usr/bin/nnstudio"
install -m 644 "$PKG/deb/nnstudio.desktop" "$STAGE/usr/share/applications/nnstudio.desktop"
install -m 644 "$PKG/deb/nnstudio-mime.xml" "$STAGE/usr/share/mime/packages/nnstudio.xml"
ICONS="$ROOT/resources/icons"
for png in "$ICONS"/png/nnstudio-*.png; do
    size="$(basename "$png" .png)"; size="${size#nnstudio-}"
    for name in nnstudio application-x-nnstudio-project; do
        sub=apps; [ "$name" = nnstudio ] || sub=mimetypes
        install -D -m 644 "$png" "$STAGE/usr/share/icons/hicolor/${size}x${size}/$sub/$name.png"
    done
done
install -D -m 644 "$ICONS/nnstudio.svg" "$STAGE/usr/share/icons/hicolor/scalable/apps/nnstudio.svg"
install -D -m 644 "$ICONS/nnstudio.svg" \
    "$STAGE/usr/share/icons/hicolor/scalable/mimetypes/application-x-nnstudio-project.svg"
[ -f "$ROOT/LICENSE" ] && install -m 644 "$ROOT/LICENSE" "$STAGE/usr/share/doc/nnstudio/copyright"
install -m 644 "$ROOT/resources/datasets/README.md" "$STAGE/usr/share/doc/nnstudio/DATASETS.md"
# No maintainer scripts: the mime, desktop and icon caches are refreshed by the dpkg
# triggers of shared-mime-info, desktop-file-utils and the icon theme packages.
SIZE_KB="$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)"
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$DEB_ARCH/" -e "s/@SIZE@/$SIZE_KB/" \
    "$PKG/deb/control.in" > "$STAGE/DEBIAN/control"
DEB="$DIST_DIR/nnstudio_${VERSION}_${DEB_ARCH}.deb"
t2=$(date +%s.%N)
dpkg-deb --root-owner-group -Zzstd --build "$STAGE" "$DEB" >/dev/null
t3=$(date +%s.%N)
printf 'deb: %s (%s, packed in %.1f s)\n' "$DEB" "$(du -h "$DEB" | cut -f1)" \
    "$(echo "$t3 - $t2" | bc)"
