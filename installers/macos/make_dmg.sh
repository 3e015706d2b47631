#!/usr/bin/env bash
# Sign (when a Developer ID is given), package and notarize (when credentials are given) ppcdesk.app.
# Called by installers/build.py on macOS:  make_dmg.sh <dist/ppcdesk.app> <out.dmg> <entitlements>
#
# Optional secrets (GitHub Actions: repository secrets, see docs/install.md):
#   MACOS_SIGN_IDENTITY     "Developer ID Application: Name (TEAMID)", already in the keychain
#   MACOS_NOTARY_APPLE_ID, MACOS_NOTARY_PASSWORD (app-specific), MACOS_NOTARY_TEAM_ID
# Without them the .app is ad-hoc signed (Apple silicon refuses unsigned code) and the .dmg is
# not notarized: Gatekeeper then asks the user to confirm once (docs/install.md says how).
set -euo pipefail
app="$1"; dmg="$2"; entitlements="$3"
[ -d "$app" ] || { echo "make_dmg.sh: no app bundle at $app" >&2; exit 2; }

identity="${MACOS_SIGN_IDENTITY:--}"  # "-" = ad-hoc
sign_args=(--force --deep --timestamp --options runtime --entitlements "$entitlements")
if [ "$identity" = "-" ]; then
  sign_args=(--force --deep --entitlements "$entitlements")
  echo "make_dmg.sh: MACOS_SIGN_IDENTITY unset: ad-hoc signature, no notarization"
fi
codesign "${sign_args[@]}" --sign "$identity" "$app"
codesign --verify --strict --verbose=2 "$app"

staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"  # drag-to-install
rm -f "$dmg"
hdiutil create -volname "ppcdesk" -srcfolder "$staging" -fs HFS+ -format UDZO -ov "$dmg"

if [ "$identity" != "-" ]; then
  codesign --force --timestamp --sign "$identity" "$dmg"
  if [ -n "${MACOS_NOTARY_APPLE_ID:-}" ] && [ -n "${MACOS_NOTARY_PASSWORD:-}" ] \
      && [ -n "${MACOS_NOTARY_TEAM_ID:-}" ]; then
    xcrun notarytool submit "$dmg" --wait --apple-id "$MACOS_NOTARY_APPLE_ID" \
      --password "$MACOS_NOTARY_PASSWORD" --team-id "$MACOS_NOTARY_TEAM_ID"
    xcrun stapler staple "$dmg"
  else
    echo "make_dmg.sh: notarization credentials unset: signed but not notarized"
  fi
fi
echo "make_dmg.sh: wrote $dmg"
