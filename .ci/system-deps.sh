#!/usr/bin/env bash
# System packages the test suite needs, installed from Debian when missing (root), or a clear
# message saying what to install. Called by `make test` (and so by .ci/run).
#   gdal-bin: ogrinfo, the GDAL that QGIS users on Debian have (3.6; it cannot read GeoParquet),
#             proves the GeoPackage exports open.
set -euo pipefail
need=()
command -v ogrinfo >/dev/null 2>&1 || need+=(gdal-bin)
for pkg in "$@"; do need+=("$pkg"); done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "make test needs these Debian packages: ${need[*]} (run: sudo apt-get install ${need[*]})" >&2
  exit 1
fi
