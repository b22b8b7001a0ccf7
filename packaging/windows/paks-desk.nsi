; The Windows installer of PAKS Desk, built on Debian by scripts/installers/windows.sh:
;   makensis -DVERSION=0.1.0 -DBIN_DIR=DIR -DOUT_FILE=FILE -DICON=FILE packaging/windows/paks-desk.nsi
; BIN_DIR holds paks-desk.exe, paks-desk-cli.exe, paks-desk-extract-worker.exe and WebView2Loader.dll.
;
; Per user by default (%LOCALAPPDATA%\Programs\PAKS Desk, no administrator rights, no UAC prompt).
; IT departments install for all users from an elevated prompt with /AllUsers (Program Files):
;   paks-desk-setup.exe /S /AllUsers
; Other switches: /S silent, /NoDesktopShortcut, /NoWebView2 (the runtime is deployed otherwise),
; /D=DIR the folder (last on the line, unquoted). The uninstaller keeps the user's data
; (%APPDATA%\org.un-paks.desk and the token in the Credential Manager).

Unicode true
Target amd64-unicode
SetCompressor /SOLID lzma
ManifestDPIAware true

!ifndef VERSION
  !error "VERSION is not defined (-DVERSION=x.y.z)"
!endif
!ifndef BIN_DIR
  !error "BIN_DIR is not defined (-DBIN_DIR=folder of the Windows binaries)"
!endif
!ifndef OUT_FILE
  !error "OUT_FILE is not defined (-DOUT_FILE=dist/...exe)"
!endif

!define PRODUCT "PAKS Desk"
!define PUBLISHER "UN Public Administration Knowledge Space"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\org.un-paks.desk"
!define APP_KEY "Software\PAKS Desk"
; Microsoft's Evergreen bootstrapper of the WebView2 runtime and the GUID under which it registers.
!define WEBVIEW2_BOOTSTRAPPER_URL "https://go.microsoft.com/fwlink/p/?LinkId=2124703"
!define WEBVIEW2_PAGE "https://developer.microsoft.com/microsoft-edge/webview2/"
!define WEBVIEW2_GUID "{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}"

!define MULTIUSER_EXECUTIONLEVEL Standard
!define MULTIUSER_INSTALLMODE_COMMANDLINE
!define MULTIUSER_USE_PROGRAMFILES64
!define MULTIUSER_INSTALLMODE_INSTDIR "${PRODUCT}"
!define MULTIUSER_INSTALLMODE_INSTDIR_REGISTRY_KEY "${APP_KEY}"
!define MULTIUSER_INSTALLMODE_INSTDIR_REGISTRY_VALUENAME "InstallDir"
!include MultiUser.nsh
!include MUI2.nsh
!include LogicLib.nsh
!include FileFunc.nsh
!include x64.nsh

Name "${PRODUCT}"
OutFile "${OUT_FILE}"
BrandingText "${PRODUCT} ${VERSION}"
VIProductVersion "${VERSION}.0"
VIAddVersionKey /LANG=1033 "ProductName" "${PRODUCT}"
VIAddVersionKey /LANG=1033 "FileDescription" "${PRODUCT} installer"
VIAddVersionKey /LANG=1033 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=1033 "LegalCopyright" "Apache-2.0"

!ifdef ICON
  !define MUI_ICON "${ICON}"
  !define MUI_UNICON "${ICON}"
!endif
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\paks-desk.exe"
!define MUI_FINISHPAGE_RUN_TEXT "Start ${PRODUCT}"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Var Parameters

Section "${PRODUCT}" SecProgram
  SectionIn RO
  SetOutPath "$INSTDIR"
  File "${BIN_DIR}/paks-desk.exe"
  File "${BIN_DIR}/paks-desk-cli.exe"
  File "${BIN_DIR}/paks-desk-extract-worker.exe"
  File "${BIN_DIR}/WebView2Loader.dll"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateDirectory "$SMPROGRAMS"
  CreateShortcut "$SMPROGRAMS\${PRODUCT}.lnk" "$INSTDIR\paks-desk.exe"

  ; SHCTX: HKCU for a per-user install, HKLM for /AllUsers (MultiUser.nsh's SetShellVarContext).
  WriteRegStr SHCTX "${APP_KEY}" "InstallDir" "$INSTDIR"
  ${If} $MultiUser.InstallMode == "AllUsers"
    StrCpy $0 '"$INSTDIR\uninstall.exe" /AllUsers'
  ${Else}
    StrCpy $0 '"$INSTDIR\uninstall.exe" /CurrentUser'
  ${EndIf}
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "DisplayName" "${PRODUCT}"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\paks-desk.exe"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "UninstallString" "$0"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "QuietUninstallString" "$0 /S"
  WriteRegDWORD SHCTX "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD SHCTX "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $1 $2 $3
  WriteRegDWORD SHCTX "${UNINSTALL_KEY}" "EstimatedSize" $1
SectionEnd

Section "Desktop shortcut" SecDesktop
  CreateShortcut "$DESKTOP\${PRODUCT}.lnk" "$INSTDIR\paks-desk.exe"
SectionEnd

; The window is drawn by Microsoft's WebView2 runtime: part of Windows 11 and of an updated
; Windows 10, missing on some managed or offline machines.
Function WebView2Version
  ; -> $R0: the installed runtime's version, "" when there is none.
  ReadRegStr $R0 HKLM "SOFTWARE\WOW6432Node\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_GUID}" "pv"
  ${If} $R0 == ""
  ${OrIf} $R0 == "0.0.0.0"
    ReadRegStr $R0 HKLM "SOFTWARE\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_GUID}" "pv"
  ${EndIf}
  ${If} $R0 == ""
  ${OrIf} $R0 == "0.0.0.0"
    ReadRegStr $R0 HKCU "Software\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_GUID}" "pv"
  ${EndIf}
  ${If} $R0 == "0.0.0.0"
    StrCpy $R0 ""
  ${EndIf}
FunctionEnd

Section "-WebView2 runtime" SecWebView2
  ClearErrors
  ${GetOptions} $Parameters "/NoWebView2" $0
  ${IfNot} ${Errors}
    DetailPrint "WebView2 runtime: not checked (/NoWebView2)."
    StrCpy $R1 "not checked (/NoWebView2)"
    Goto record
  ${EndIf}
  Call WebView2Version
  ${If} $R0 != ""
    DetailPrint "WebView2 runtime $R0 is installed."
    StrCpy $R1 "$R0"
    Goto record
  ${EndIf}
  DetailPrint "The Microsoft WebView2 runtime is missing; ${PRODUCT} needs it to draw its window."
  MessageBox MB_YESNO|MB_ICONQUESTION "${PRODUCT} needs the Microsoft WebView2 runtime, which this computer lacks.$\r$\n$\r$\nDownload and install it from Microsoft now (about 2 MB, then the runtime itself)?" /SD IDYES IDYES download
  DetailPrint "WebView2 runtime: not installed (declined)."
  StrCpy $R1 "missing (declined)"
  Goto record
  download:
  ; curl.exe is part of Windows 10 (1803 and later) and 11 and speaks HTTPS; NSISdl does not.
  StrCpy $1 "$PLUGINSDIR\MicrosoftEdgeWebview2Setup.exe"
  InitPluginsDir
  DetailPrint "Downloading Microsoft's WebView2 bootstrapper…"
  ClearErrors
  ExecWait '"$SYSDIR\curl.exe" --fail --silent --show-error --location --connect-timeout 30 --max-time 900 --retry 5 --output "$1" "${WEBVIEW2_BOOTSTRAPPER_URL}"' $2
  ${If} ${Errors}
  ${OrIf} $2 != 0
  ${OrIfNot} ${FileExists} "$1"
    DetailPrint "WebView2 runtime: the download failed (curl exit code $2)."
    MessageBox MB_OK|MB_ICONEXCLAMATION "The WebView2 runtime could not be downloaded. ${PRODUCT} is installed but cannot open its window until the runtime is installed.$\r$\n$\r$\nThe download page opens now; on a computer without internet use Microsoft's offline $\"Evergreen Standalone Installer$\" (x64) from that page." /SD IDOK
    IfSilent +2
    ExecShell "open" "${WEBVIEW2_PAGE}"
    StrCpy $R1 "missing (the download failed)"
    Goto record
  ${EndIf}
  DetailPrint "Installing the WebView2 runtime…"
  ClearErrors
  ExecWait '"$1" /silent /install' $2
  ${If} ${Errors}
  ${OrIf} $2 != 0
    DetailPrint "WebView2 runtime: the bootstrapper failed (exit code $2)."
    MessageBox MB_OK|MB_ICONEXCLAMATION "The WebView2 runtime could not be installed (code $2). ${PRODUCT} is installed but cannot open its window until it is: see ${WEBVIEW2_PAGE}" /SD IDOK
    StrCpy $R1 "missing (the bootstrapper failed with code $2)"
  ${Else}
    DetailPrint "WebView2 runtime installed."
    Call WebView2Version
    StrCpy $R1 "$R0"
  ${EndIf}
  record:
  ; What support staff (and the test) read when the window does not open.
  WriteRegStr SHCTX "${APP_KEY}" "WebView2Runtime" "$R1"
SectionEnd

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_OK|MB_ICONSTOP "${PRODUCT} needs 64-bit Windows 10 or 11." /SD IDOK
    SetErrorLevel 2
    Quit
  ${EndIf}
  SetRegView 64
  !insertmacro MULTIUSER_INIT
  ${GetParameters} $Parameters
  ClearErrors
  ${GetOptions} $Parameters "/NoDesktopShortcut" $0
  ${IfNot} ${Errors}
    !insertmacro UnselectSection ${SecDesktop}
  ${EndIf}
FunctionEnd

Function un.onInit
  SetRegView 64
  !insertmacro MULTIUSER_UNINIT
FunctionEnd

!insertmacro MUI_FUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${SecProgram} "The app, paks-desk-cli and the text extraction worker."
  !insertmacro MUI_DESCRIPTION_TEXT ${SecDesktop} "A shortcut on the desktop."
!insertmacro MUI_FUNCTION_DESCRIPTION_END

Section "Uninstall"
  ; Only what the installer put here: the cases, attachments and logs live in %APPDATA% and stay.
  Delete "$INSTDIR\paks-desk.exe"
  Delete "$INSTDIR\paks-desk-cli.exe"
  Delete "$INSTDIR\paks-desk-extract-worker.exe"
  Delete "$INSTDIR\WebView2Loader.dll"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${PRODUCT}.lnk"
  Delete "$DESKTOP\${PRODUCT}.lnk"
  DeleteRegKey SHCTX "${UNINSTALL_KEY}"
  DeleteRegKey SHCTX "${APP_KEY}"
SectionEnd
