#!/usr/bin/env bash
# A PostgreSQL cluster of its own for the benchmark worlds (port 5433, data in /tmp/pgbench-data; BENCH_PG_PORT and
# BENCH_PG_DIR override), so that the 1M-deal databases stay off the cluster the tests use: the read-replica test
# copies that whole cluster with pg_basebackup. Same server version and settings as the main cluster, trust auth on
# loopback as there. Idempotent: creates the cluster once, starts it when it is down.
#
#   bash bench/pg-cluster.sh            # then: BENCH_PG_URL=postgres://postgres@127.0.0.1:5433 node dist/bench/seed.js pg-1m
#   bash bench/pg-cluster.sh --drop     # stops it and deletes its data
set -euo pipefail
port="${BENCH_PG_PORT:-5433}"
dir="${BENCH_PG_DIR:-/tmp/pgbench-data}"
version=$(ls /etc/postgresql | sort -n | tail -1)
if [ "${1:-}" = "--drop" ]; then
  pg_dropcluster --stop "$version" bench 2>/dev/null || true
  rm -rf "$dir"
  exit 0
fi
if ! pg_lsclusters -h | awk '{print $2}' | grep -qx bench; then
  pg_createcluster "$version" bench --port "$port" -d "$dir" >/dev/null
  sed -i -E 's/(scram-sha-256|peer|md5)$/trust/' "/etc/postgresql/$version/bench/pg_hba.conf"
fi
pg_ctlcluster --skip-systemctl-redirect "$version" bench start 2>/dev/null || pg_ctlcluster "$version" bench status >/dev/null
for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p "$port" -q && break; sleep 1; done
pg_isready -h 127.0.0.1 -p "$port"
