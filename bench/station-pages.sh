#!/bin/sh
# Cold polling-station pages (issue 9: at least 2,000 a second at 1,000,000
# stations; docs/performance.md "Cold station pages on PostgreSQL"): a fresh
# `vigil serve` on DB (a SQLite file or a PostgreSQL URL), so that every
# page is a cache miss, 16 clients asking for the pages of random stations
# for 15 s, and the CPU of each side: vigil's (from /proc, by
# vigil-portal-load -pid), PostgreSQL's (its backends' ticks, 1/100 s, read
# from /proc before and after: the backends that live through the run) and
# the load generator's (/usr/bin/time; it includes listing the stations
# first).
#
#   go build -o bin/ ./cmd/vigil ./cmd/vigil-portal-load
#   bench/station-pages.sh bin /work/scale-1m.db scale-1000000-seed-1 [-gzip]
#   bench/station-pages.sh bin 'postgres://…/vigil?search_path=big' scale-1000000-seed-1
set -e
B=${1:?bin directory}
DB=${2:?database}
EL=${3:?election name}
GZ=${4:-}
ADDR=127.0.0.1:18431
pgticks() {
	for p in $(pgrep -u postgres postgres 2>/dev/null); do awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null; done | awk '{s += $1} END {print s + 0}'
}
"$B/vigil" serve --db "$DB" --addr "$ADDR" --metrics-addr= --log-level warn >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
for i in $(seq 50); do curl -s -o /dev/null "http://$ADDR/" && break; sleep 0.3; done
curl -s -o /dev/null "http://$ADDR/elections/1/areas/root"
t0=$(pgticks)
/usr/bin/time -f "generator CPU: %U s user, %S s system" "$B/vigil-portal-load" -url "http://$ADDR" -db "$DB" -election "$EL" \
	-stations -c 16 -n 1000000 -d 15s -pid $pid $GZ 2>&1 | tail -5
echo "PostgreSQL backends' CPU during the run: $(( $(pgticks) - t0 )) ticks of 10 ms"
