#!/usr/bin/env bash
# Build "NN Studio.app" and a .dmg on macOS (not built on the Linux build machines).
#
#   PYTHON=python3 packaging/macos/build_app.sh
#
# Needs macOS with Xcode command line tools (iconutil, hdiutil, codesign, plutil) and a
# Python 3.11 with the app's dependencies and pyinstaller. Makes:
#   dist/NN Studio.app                   (document type .nnproj: double-click opens it)
#   dist/nnstudio-<version>-macos.dmg    (the app and a link to /Applications)
# Signing: set CODESIGN_IDENTITY to sign with a Developer ID (otherwise ad hoc, "-");
# notarize the .dmg afterwards with `xcrun notarytool submit --wait`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
DIST="$ROOT/dist"
VERSION="$(cd "$ROOT" && "$PYTHON" -c 'import nnstudio; print(nnstudio.__version__)')"
APP="$DIST/NN Studio.app"

# 1. the one-folder bundle (dist/nnstudio/)
(cd "$ROOT" && "$PYTHON" -m PyInstaller --noconfirm --clean --distpath "$DIST" \
    --workpath "$ROOT/build/pyinstaller" packaging/nnstudio.spec)

# 2. the .app around it: the executable and _internal/ go to Contents/MacOS
rm -rf "$APP"
mkdir -p "$APP/Contents/MacOS" "$APP/Contents/Resources"
cp -R "$DIST/nnstudio/" "$APP/Contents/MacOS/"

ICONSET="$ROOT/build/nnstudio.iconset"
rm -rf "$ICONSET" && mkdir -p "$ICONSET"
PNG="$ROOT/resources/icons/png"
for size in 16 32 128 256 512; do
    cp "$PNG/nnstudio-$size.png" "$ICONSET/icon_${size}x${size}.png"
done
cp "$PNG/nnstudio-32.png" "$ICONSET/icon_16x16@2x.png"
cp "$PNG/nnstudio-64.png" "$ICONSET/icon_32x32@2x.png"
cp "$PNG/nnstudio-256.png" "$ICONSET/icon_128x128@2x.png"
cp "$PNG/nnstudio-512.png" "$ICONSET/icon_256x256@2x.png"
iconutil -c icns "$ICONSET" -o "$APP/Contents/Resources/nnstudio.icns"

cat > "$APP/Contents/Info.plist" <<PLIST
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>CFBundleName</key><string>NN Studio</string>
  <key>CFBundleDisplayName</key><string>NN Studio</string>
  <key>CFBundleIdentifier</key><string>org.nnstudio.NNStudio</string>
  <key>CFBundleVersion</key><string>$VERSION</string>
  <key>CFBundleShortVersionString</key><string>$VERSION</string>
  <key>CFBundlePackageType</key><string>APPL</string>
  <key>CFBundleExecutable</key><string>nnstudio</string>
  <key>CFBundleIconFile</key><string>nnstudio</string>
  <key>LSMinimumSystemVersion</key><string>11.0</string>
  <key>NSHighResolutionCapable</key><true/>
  <key>NSPrincipalClass</key><string>NSApplication</string>
  <key>CFBundleDocumentTypes</key>
  <array>
    <dict>
      <key>CFBundleTypeName</key><string>NN Studio project</string>
      <key>CFBundleTypeRole</key><string>Editor</string>
      <key>LSHandlerRank</key><string>Owner</string>
      <key>CFBundleTypeIconFile</key><string>nnstudio</string>
      <key>LSItemContentTypes</key><array><string>org.nnstudio.project</string></array>
      <key>CFBundleTypeExtensions</key><array><string>nnproj</string></array>
    </dict>
  </array>
  <key>UTExportedTypeDeclarations</key>
  <array>
    <dict>
      <key>UTTypeIdentifier</key><string>org.nnstudio.project</string>
      <key>UTTypeDescription</key><string>NN Studio project</string>
      <key>UTTypeConformsTo</key><array><string>public.data</string><string>public.zip-archive</string></array>
      <key>UTTypeIconFile</key><string>nnstudio</string>
      <key>UTTypeTagSpecification</key>
      <dict>
        <key>public.filename-extension</key><array><string>nnproj</string></array>
        <key>public.mime-type</key><array><string>application/x-nnstudio-project</string></array>
      </dict>
    </dict>
  </array>
</dict>
</plist>
PLIST
plutil -lint "$APP/Contents/Info.plist"
codesign --force --deep --sign "${CODESIGN_IDENTITY:--}" "$APP"

# 3. a quick check, then the .dmg
QT_QPA_PLATFORM=offscreen "$APP/Contents/MacOS/nnstudio" --self-test
STAGE="$ROOT/build/dmg"
rm -rf "$STAGE" && mkdir -p "$STAGE"
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
DMG="$DIST/nnstudio-$VERSION-macos.dmg"
rm -f "$DMG"
hdiutil create -volname "NN Studio $VERSION" -srcfolder "$STAGE" -ov -format UDZO "$DMG"
echo "$APP"
echo "$DMG"
