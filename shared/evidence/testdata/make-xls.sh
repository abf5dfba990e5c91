#!/usr/bin/env bash
# Regenerates the committed fixtures: evidencias.xlsx (the generator's valid sample for the fixture
# set) and evidencias.xls, LibreOffice's BIFF8 conversion of it (real .xls support is tested with
# it; CI has no LibreOffice, so the .xls is committed). Needs `libreoffice-calc-nogui` (Debian).
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
ls -l "$here"/evidencias.xls*
