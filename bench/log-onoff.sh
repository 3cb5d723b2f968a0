#!/bin/sh
# What the transparency log costs an observer's submission, end to end
# (issue 15; docs/evidence.md "Cost (measured)"): vigil-load self (HTTP on
# loopback, the real handlers, the group commit), 200 clients, 20,000
# reports, the log on and off (-log=false) alternating, on SQLite and on
# PostgreSQL (a new schema per run) when VIGIL_TEST_POSTGRES is set (a URL
# with a query already, e.g. ...?sslmode=disable: the schema is appended).
#
#   go build -o bin/ ./cmd/vigil-load && bench/log-onoff.sh bin 3
set -e
B=${1:-bin}
N=${2:-3}
PG=${VIGIL_TEST_POSTGRES:-}
DB=$(mktemp -d)/lo.db
for i in $(seq 1 "$N"); do
	if [ $((i % 2)) = 1 ]; then order="true false"; else order="false true"; fi
	for log in $order; do
		rm -f "$DB" "$DB-wal" "$DB-shm"
		printf 'round %s sqlite log=%s load=%s: ' "$i" "$log" "$(cut -d' ' -f1 /proc/loadavg)"
		"$B/vigil-load" self --db "$DB" --clients 200 --reports 20000 -log="$log" 2>/dev/null | head -1
	done
	[ -n "$PG" ] || continue
	for log in $order; do
		s="vigil_logonoff_${i}_${log}"
		psql -q "$PG" -c "DROP SCHEMA IF EXISTS $s CASCADE; CREATE SCHEMA $s" >/dev/null
		printf 'round %s postgres log=%s load=%s: ' "$i" "$log" "$(cut -d' ' -f1 /proc/loadavg)"
		"$B/vigil-load" self --db "$PG&search_path=$s" --clients 200 --reports 20000 -log="$log" 2>/dev/null | head -1
		psql -q "$PG" -c "DROP SCHEMA IF EXISTS $s CASCADE" >/dev/null
	done
done
