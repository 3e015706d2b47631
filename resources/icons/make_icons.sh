#!/usr/bin/env bash
# Regenerates the PNG, ICO and ICNS renders of the ppcdesk icon from the SVGs.
#   ppcdesk.svg        the mark (used for 48 px and up)
#   ppcdesk-small.svg  same mark with bolder, fewer shapes (used for 16 and 32 px)
# Needs (Debian): librsvg2-bin (rsvg-convert), icoutils (icotool), icnsutils (png2icns)
set -euo pipefail
cd "$(dirname "$0")"

for size in 16 32 48 64 128 256 512; do
  src=ppcdesk.svg
  if [ "$size" -le 32 ]; then src=ppcdesk-small.svg; fi
  rsvg-convert -w "$size" -h "$size" "$src" -o "ppcdesk-$size.png"
done

# Windows: 16-128 px as BMP entries, 256 px stored as PNG (-r) to keep it small
icotool -c -o ppcdesk.ico \
  ppcdesk-16.png ppcdesk-32.png ppcdesk-48.png ppcdesk-64.png ppcdesk-128.png \
  -r ppcdesk-256.png

# macOS: ICNS takes 16, 32, 48, 128, 256 and 512 px (no 64 px slot)
png2icns ppcdesk.icns \
  ppcdesk-16.png ppcdesk-32.png ppcdesk-48.png ppcdesk-128.png ppcdesk-256.png ppcdesk-512.png >/dev/null

ls -l ppcdesk*
