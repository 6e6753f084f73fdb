; Inno Setup script for NN Studio on Windows (not built on the Linux build machines).
;
; 1. On Windows, in a Python 3.11 environment with the app's dependencies and pyinstaller
;    (the spec makes the .ico itself; no Pillow needed):
;        pyinstaller --noconfirm --clean packaging\nnstudio.spec
;    which makes dist\nnstudio\ (nnstudio.exe and _internal\) and build\nnstudio.ico (the spec
;    runs packaging\windows\make_ico.py).
; 2. Compile this script with the version from nnstudio\__init__.py:
;        for /f %v in ('python -c "import nnstudio; print(nnstudio.__version__)"') do ^
;            iscc /DAppVersion=%v packaging\windows\nnstudio.iss
;    which makes dist\nnstudio-<version>-setup.exe.
;
; The installer: per-user or all-users install into Program Files, a Start-menu entry, an
; optional desktop icon, the .nnproj file association (double-click opens the project) and
; an uninstaller (Settings > Apps) that removes all of it.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=x.y.z nnstudio.iss (it lives in nnstudio/__init__.py)
#endif

#define AppName "NN Studio"
#define AppExe "nnstudio.exe"
#define ProgId "NNStudio.Project"

[Setup]
AppId={{6C4D2B8E-6F0A-4A57-9C1E-2E6D3B4F9A10}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=NN Studio developers
DefaultDirName={autopf}\NN Studio
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
ChangesAssociations=yes
OutputDir=..\..\dist
OutputBaseFilename=nnstudio-{#AppVersion}-setup
SetupIconFile=..\..\build\nnstudio.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName} {#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "..\..\dist\nnstudio\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; .nnproj -> NNStudio.Project -> "nnstudio.exe" "%1"  (HKA: HKCU or HKLM, as installed)
Root: HKA; Subkey: "Software\Classes\.nnproj"; ValueType: string; ValueName: ""; ValueData: "{#ProgId}"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.nnproj"; ValueType: string; ValueName: "Content Type"; ValueData: "application/x-nnstudio-project"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.nnproj\OpenWithProgids"; ValueType: string; ValueName: "{#ProgId}"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\{#ProgId}"; ValueType: string; ValueName: ""; ValueData: "NN Studio project"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\{#ProgId}\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\{#AppExe},0"
Root: HKA; Subkey: "Software\Classes\{#ProgId}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}\SupportedTypes"; ValueType: string; ValueName: ".nnproj"; ValueData: ""; Flags: uninsdeletekey

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
