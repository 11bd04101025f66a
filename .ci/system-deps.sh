#!/usr/bin/env bash
# Debian packages the test suite needs, installed when missing (as root), or a clear message
# saying what to install. Called by `make test` (and so by .ci/run).
#   gdal-bin      ogrinfo, the GDAL that QGIS users on Debian have (3.6; no GeoParquet): proves
#                 the GeoPackage exports open
#   postgresql    the Dagster instance on PostgreSQL (tests start their own server on loopback)
#   redis-server  the Celery executor's broker (tests start their own server on loopback)
#   chromium      headless rendering of the cockpit pages (tests/unit/cockpit)
set -euo pipefail
need=()
command -v ogrinfo >/dev/null 2>&1 || need+=(gdal-bin)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "make test needs these Debian packages: ${need[*]} (run: sudo apt-get install ${need[*]})" >&2
  exit 1
fi
