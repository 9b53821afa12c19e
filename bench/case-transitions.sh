#!/usr/bin/env bash
# Durable case transitions per second over HTTP (64 clients), next to the bare database running
# the same statements, on SQLite and PostgreSQL. A measurement, not a test: kept
# out of CI.
#
#   bench/case-transitions.sh                  # 10 s per measurement
#   BENCH_SECONDS=10 bench/case-transitions.sh
#
# DAFTAR_TEST_DATABASE_URL names a PostgreSQL server whose user may create databases (a
# scratch database is created and dropped); set it to an empty string to measure SQLite only.
set -euo pipefail

cd "$(dirname "$0")/.."

export DAFTAR_TEST_DATABASE_URL="${DAFTAR_TEST_DATABASE_URL-postgres://postgres@127.0.0.1:5432/postgres}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/root/.cache/daftar-target-bench}"

if [[ -n "$DAFTAR_TEST_DATABASE_URL" ]]; then
    command -v pgbench >/dev/null || { echo "pgbench is missing: apt-get install postgresql-client" >&2; exit 1; }
    if ! pg_isready -q -d "$DAFTAR_TEST_DATABASE_URL"; then
        if [[ -d /etc/postgresql ]]; then
            version="$(ls /etc/postgresql | sort -V | tail -n 1)"
            pg_ctlcluster --skip-systemctl-redirect "$version" main start
            for _ in $(seq 1 30); do
                pg_isready -q -d "$DAFTAR_TEST_DATABASE_URL" && break
                sleep 1
            done
        fi
        pg_isready -q -d "$DAFTAR_TEST_DATABASE_URL" || { echo "PostgreSQL is not reachable at $DAFTAR_TEST_DATABASE_URL" >&2; exit 1; }
    fi
fi

exec cargo bench -p daftar-web --bench case_transitions "$@"
