#!/usr/bin/env bash
# Regenerates the committed fixtures: evidencias.xlsx (the generator's valid sample for the fixture
# set), evidencias.xls, LibreOffice's BIFF8 conversion of it, and evidencias-libreoffice.xlsx, its
# .xlsx as LibreOffice writes it (real .xls support is tested with the .xls; CI has no LibreOffice,
# so both conversions are committed). Needs `libreoffice-calc-nogui` (Debian).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cd "$root"
cargo run -q -p avisos-evidence --example sample -- "$here/evidencias.xlsx"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
soffice --headless --norestore -env:UserInstallation="file://$tmp/profile" \
  --convert-to xls:"MS Excel 97" --outdir "$tmp" "$here/evidencias.xlsx" >/dev/null
mv "$tmp/evidencias.xls" "$here/evidencias.xls"
# LibreOffice's own .xlsx of the same workbook (its drawing: a twoCellAnchor, shared strings).
soffice --headless --norestore -env:UserInstallation="file://$tmp/profile" \
  --convert-to xlsx:"Calc MS Excel 2007 XML" --outdir "$tmp/lo" "$here/evidencias.xlsx" >/dev/null
mv "$tmp/lo/evidencias.xlsx" "$here/evidencias-libreoffice.xlsx"
ls -l "$here"/evidencias.xls* "$here"/evidencias-libreoffice.xlsx
