#!/usr/bin/env bash
# Durable audited writes per second, through the application and against the bare database,
# on SQLite and PostgreSQL, at 1 and 32 concurrent writers. A measurement, not a test: kept
# out of CI.
#
#   bench/audited-writes.sh                  # 5 s per measurement
#   BENCH_SECONDS=10 bench/audited-writes.sh
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

exec cargo bench -p daftar-app --bench audited_writes "$@"
