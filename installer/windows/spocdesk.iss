; SPOC Desk: per-user installer (Inno Setup 6.3 or later). No administrator rights needed.
;
; Built by installer\build.py when iscc.exe is on PATH, or by hand from the bundle:
;   iscc /DAppVersion=0.1.0 /DBundleDir=C:\src\spocdesk\dist\spocdesk /OC:\src\spocdesk\dist installer\windows\spocdesk.iss
;
; Installs to %LOCALAPPDATA%\Programs\SPOC Desk ({userpf}), adds a Start-menu entry for the
; current user and registers an uninstaller under HKCU. The AppId below never changes: a newer
; setup finds and replaces the installed version. Vaults, settings and logs are never in {app},
; so uninstalling or upgrading cannot remove them.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z (installer\build.py reads it from pyproject.toml)
#endif
#ifndef BundleDir
  #define BundleDir "..\..\dist\spocdesk"
#endif

[Setup]
; Stable upgrade identity: never change this GUID ("{{" is a literal brace).
AppId={{ECEDE7D1-74C9-4518-A23B-75BADB5146CE}
AppName=SPOC Desk
AppVersion={#AppVersion}
AppVerName=SPOC Desk {#AppVersion}
AppPublisher=SPOC Desk developers
AppCopyright=SPOC Desk developers
VersionInfoVersion={#AppVersion}
VersionInfoProductName=SPOC Desk
PrivilegesRequired=lowest
DefaultDirName={userpf}\SPOC Desk
DisableDirPage=yes
DisableProgramGroupPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputBaseFilename=spocdesk-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\spocdesk.ico
UninstallDisplayIcon={app}\spocdeskw.exe
UninstallDisplayName=SPOC Desk
WizardStyle=modern
Compression=lzma2
SolidCompression=yes
CloseApplications=yes
; Signing (docs/deploy.md): define a sign tool named "signtool" in the IDE or with
;   iscc "/Ssigntool=signtool.exe sign /fd SHA256 /tr http://timestamp.example /td SHA256 /a $f" ...
; and uncomment the next line; Inno Setup then signs the setup and its uninstaller.
;SignTool=signtool

[InstallDelete]
; An upgrade replaces the bundle's library folder whole, so no stale module of an old version stays.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Excludes: "spocdesk-portable.txt"; \
  Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{userprograms}\SPOC Desk"; Filename: "{app}\spocdeskw.exe"; WorkingDir: "{userdocs}"; \
  Comment: "Encrypted desk for the information sharing agreement"

[Run]
Filename: "{app}\spocdeskw.exe"; Description: "Start SPOC Desk"; Flags: nowait postinstall skipifsilent

; No [UninstallDelete]: the uninstaller removes only what it installed. Vaults (*.vault and
; *.vault.keys), settings (%LOCALAPPDATA%\SPOCDesk\SPOCDesk) and logs stay.
