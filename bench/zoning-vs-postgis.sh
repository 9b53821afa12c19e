#!/usr/bin/env bash
# Daftar's zoning engine against PostGIS on the same generated city: point → parcel lookups and
# the sweep of every parcel's instruction sheet, loading excluded on both sides. A measurement,
# not a test: kept out of CI.
#
#   bench/zoning-vs-postgis.sh                          # 1,000,000 parcels, 1,000,000 points
#   BENCH_PARCELS=100000 BENCH_POINTS=100000 bench/zoning-vs-postgis.sh
#
# DAFTAR_POSTGIS_URL names a PostgreSQL server whose user may create databases and extensions
# (a scratch database is created and dropped). Installs Debian's PostGIS when it is missing and
# starts the local cluster when it is down.
set -euo pipefail

cd "$(dirname "$0")/.."

export DAFTAR_POSTGIS_URL="${DAFTAR_POSTGIS_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/root/.cache/daftar-target-bench}"

if ! ls /usr/share/postgresql/15/extension/postgis.control >/dev/null 2>&1; then
    echo "installing postgresql-15-postgis-3" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql-15-postgis-3 >/dev/null
fi

if ! pg_isready -q -h 127.0.0.1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
    for _ in $(seq 1 30); do
        pg_isready -q -h 127.0.0.1 && break
        sleep 1
    done
    pg_isready -q -h 127.0.0.1 || { echo "PostgreSQL did not start on 127.0.0.1" >&2; exit 1; }
fi

exec cargo bench -p daftar-zoning --bench postgis_peer "$@"
