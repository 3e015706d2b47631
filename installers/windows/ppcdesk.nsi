; ppcdesk's Windows installer: per user, no administrator prompt.
;
; Built by `python installers/build.py` on Windows:
;   makensis /DVERSION=0.1.0 /DBUNDLE=<dist\ppcdesk> /DOUTFILE=<ppcdesk-0.1.0-setup.exe> ppcdesk.nsi
; On Linux, build.py compiles it against the Linux bundle's layout (/DCHECK_ONLY) to catch
; script errors early; that output is not an installer anyone should run.
;
; Installs into %LOCALAPPDATA%\Programs\ppcdesk, adds a Start menu shortcut and an entry in
; "Installed apps" (HKCU). The uninstaller removes the program; the user's data
; (%LOCALAPPDATA%\ppcdesk: databases, settings, recordings, logs) stays unless they tick the box.

Unicode true
ManifestDPIAware true
RequestExecutionLevel user
!ifdef CHECK_ONLY
  SetCompress off  ; the Linux check proves the script, not the compression: keep it quick
!else
  SetCompressor /SOLID lzma
!endif

!ifndef VERSION
  !error "pass /DVERSION=x.y.z"
!endif
!ifndef BUNDLE
  !error "pass /DBUNDLE=path\to\dist\ppcdesk"
!endif
!ifndef OUTFILE
  !define OUTFILE "ppcdesk-${VERSION}-setup.exe"
!endif
!ifndef ICON
  !define ICON "${BUNDLE}\_internal\resources\icons\ppcdesk.ico"
!endif
!ifdef CHECK_ONLY
  !define EXE_NAME "ppcdesk"
!else
  !define EXE_NAME "ppcdesk.exe"
!endif

!define APP "ppcdesk"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP}"

!include "MUI2.nsh"
!include "FileFunc.nsh"

Name "${APP} ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${APP}"
InstallDirRegKey HKCU "Software\${APP}" "InstallDir"
BrandingText "${APP} ${VERSION}"

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\${EXE_NAME}"
!define MUI_FINISHPAGE_RUN_TEXT "Open ppcdesk"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "English"

VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "${APP}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "${APP} installer"
VIAddVersionKey "LegalCopyright" "ppcdesk maintainers"

Section "ppcdesk" SecMain
  SectionIn RO
  SetShellVarContext current
  SetOutPath "$INSTDIR"
  ; A reinstall replaces the program folder whole: no stale DLL from an older version survives.
  RMDir /r "$INSTDIR\_internal"
  File /r "${BUNDLE}\*.*"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateShortcut "$SMPROGRAMS\${APP}.lnk" "$INSTDIR\${EXE_NAME}" "" "$INSTDIR\${EXE_NAME}" 0

  WriteRegStr HKCU "Software\${APP}" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayName" "${APP}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINST_KEY}" "Publisher" "ppcdesk"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\${EXE_NAME}"
  WriteRegStr HKCU "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINST_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKCU "${UNINST_KEY}" "EstimatedSize" "$0"
SectionEnd

Section "un.ppcdesk (the program)" UnSecProgram
  SectionIn RO
  SetShellVarContext current
  Delete "$SMPROGRAMS\${APP}.lnk"
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${EXE_NAME}"
  Delete "$INSTDIR\ppcdesk-cli.exe"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"  ; only if empty: a portable.txt or the user's own files keep it
  DeleteRegKey HKCU "${UNINST_KEY}"
  DeleteRegKey HKCU "Software\${APP}"
SectionEnd

; Unticked by default: uninstalling keeps the user's calls, contracts and settings.
Section /o "un.My ppcdesk data (databases, settings, recordings, logs)" UnSecData
  SetShellVarContext current
  RMDir /r "$LOCALAPPDATA\${APP}"
SectionEnd

!insertmacro MUI_UNFUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${UnSecProgram} "Remove the ppcdesk program and its Start menu shortcut."
  !insertmacro MUI_DESCRIPTION_TEXT ${UnSecData} "Also delete your workspaces, backups, settings, cached recordings and logs in $LOCALAPPDATA\${APP}. Secrets in Windows Credential Manager are not touched."
!insertmacro MUI_UNFUNCTION_DESCRIPTION_END
