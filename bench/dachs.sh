#!/bin/bash
# astrolake's TAP service side by side with GAVO DaCHS 2.7 on the same rows, both on loopback.
# The script stands DaCHS up itself: a private PostgreSQL 15 cluster with pgSphere on a free port,
# a private DaCHS root (GAVOSETTINGS/GAVOCUSTOM), `dachs imp` of the rows `astrolake generate gaia`
# writes, then `dachs serve debug`. It then measures both servers alternately, request by request:
# 10" sync cone p50/p99, a 100k-row BINARY2 result, async create -> COMPLETED -> result, COUNT(*).
# Every server it started is stopped on exit.
# Needs root and the Debian packages gavodachs2-server, postgresql-15, postgresql-15-pgsphere.
# The package's install script needs a running PostgreSQL: `pg_ctlcluster 15 main start` for the
# install, stop it after. DaCHS imports slowly, so keep ROWS small (300000 rows: about 20 s here).
# Usage: bench/dachs.sh ASTROLAKE_BINARY WORK_DIR [ROWS=300000] [PYTHON=.venv/bin/python]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
B="$(realpath "$1")"
W="$(mkdir -p "$2" && realpath "$2")"
ROWS="${3:-300000}"
PY="${4:-$HERE/../.venv/bin/python}"
PGBIN=/usr/lib/postgresql/15/bin
[ "$(id -u)" = 0 ] || { echo "dachs.sh: run as root (PostgreSQL runs as user postgres)" >&2; exit 2; }
for f in "$PGBIN/initdb" /usr/bin/dachs /usr/share/postgresql/15/extension/pg_sphere.control; do
  [ -e "$f" ] || { echo "dachs.sh: $f missing; apt-get install gavodachs2-server postgresql-15-pgsphere" >&2; exit 2; }
done

# pgSphere 1.2.0 as packaged declares two operators on smoc that PostgreSQL 15.20+ rejects
# ("commutator operator @> is already the commutator of operator <@"); drop those statements.
for f in /usr/share/postgresql/15/extension/pg_sphere--*.sql; do
  "$PY" - "$f" <<'PYEOF'
import re, sys
path = sys.argv[1]
text = open(path).read()
fixed = re.sub(r"CREATE OPERATOR @ \([^;]*?smoc[^;]*?\);", "", text, flags=re.S)
if fixed != text:
    open(path, "w").write(fixed)
PYEOF
done

free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PGPORT=$(free_port)
DPORT=$(free_port)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [ -f "$W/pg/data/postmaster.pid" ]; then
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$W/pg/data" -m fast -w stop >/dev/null || true
  fi
}
trap cleanup EXIT
cd "$W"

# The rows: one Parquet file for astrolake (imported as a HATS catalog) and a CSV of it for DaCHS.
if [ ! -d "cats$ROWS/gaia" ]; then
  "$B" generate gaia --rows "$ROWS" --seed 1 -o "gaia$ROWS.parquet" -q
  "$B" import "gaia$ROWS.parquet" -o "cats$ROWS/gaia" --max-rows 100000 -q
fi
rm -rf pg dachs state
mkdir -p dachs/inputs/bench
"$PY" -c 'import sys, pyarrow.parquet as pq, pyarrow.csv as pc; pc.write_csv(pq.read_table(sys.argv[1]), sys.argv[2])' \
  "gaia$ROWS.parquet" dachs/inputs/bench/gaia.csv

# A private PostgreSQL cluster, trusting loopback connections only.
mkdir -p pg && chown postgres pg
runuser -u postgres -- "$PGBIN/initdb" -D "$W/pg/data" -U postgres --auth=trust -E UTF8 >pg/initdb.log
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$W/pg/data" -l "$W/pg/server.log" -w \
  -o "-p $PGPORT -k $W/pg -c listen_addresses=127.0.0.1" start >/dev/null
runuser -u postgres -- "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" gavo

# A private DaCHS root and the resource descriptor for the same rows.
cat > dachs/gavo.rc <<EOF
[general]
rootDir: $W/dachs
[web]
serverURL: http://127.0.0.1:$DPORT
bindAddress: 127.0.0.1
serverPort: $DPORT
[async]
defaultMAXREC: 200000
EOF
: > dachs/custom.rc
export GAVOSETTINGS="$W/dachs/gavo.rc" GAVOCUSTOM="$W/dachs/custom.rc"
cat > dachs/inputs/bench/q.rd <<'EOF'
<resource schema="bench">
  <meta name="title">astrolake comparison rows</meta>
  <meta name="description">Synthetic Gaia-like rows written by astrolake generate gaia</meta>
  <meta name="creationDate">2026-12-01T00:00:00</meta>
  <meta name="subject">benchmark</meta>
  <meta name="creator.name">astrolake</meta>
  <table id="gaia" onDisk="True" adql="True" primary="source_id">
    <mixin>//scs#pgs-pos-index</mixin>
    <column name="source_id" type="bigint" ucd="meta.id;meta.main" required="True"/>
    <column name="ra" type="double precision" unit="deg" ucd="pos.eq.ra;meta.main" required="True"/>
    <column name="dec" type="double precision" unit="deg" ucd="pos.eq.dec;meta.main" required="True"/>
    <column name="parallax" type="double precision" unit="mas"/>
    <column name="pmra" type="double precision" unit="mas/yr"/>
    <column name="pmdec" type="double precision" unit="mas/yr"/>
    <column name="phot_g_mean_mag" type="double precision" unit="mag"/>
    <column name="ztf_object_id" type="bigint"/>
  </table>
  <data id="import">
    <sources>gaia.csv</sources>
    <csvGrammar/>
    <make table="gaia">
      <rowmaker idmaps="*">
        <map key="ztf_object_id" source="ztf_object_id" nullExpr="''"/>
      </rowmaker>
    </make>
  </data>
</resource>
EOF
dachs init -d "host=127.0.0.1 port=$PGPORT dbname=gavo user=postgres" > dachs/init.log 2>&1
t0=$(date +%s)
(cd dachs/inputs && dachs imp bench/q) > dachs/imp.log 2>&1
echo "dachs imp of $ROWS rows: $(( $(date +%s) - t0 )) s"

dachs serve debug > dachs/serve.log 2>&1 &
PIDS+=($!)
"$B" serve --root "cats$ROWS" --state state --port 0 --max-queued 64 2> serve.log &
PIDS+=($!)
for _ in $(seq 100); do grep -q listening serve.log && break; sleep 0.1; done
AURL=$(grep -o 'http://127.0.0.1:[0-9]*/tap' serve.log | head -1)
DURL="http://127.0.0.1:$DPORT/tap"
for _ in $(seq 300); do curl -sf -o /dev/null "$DURL/capabilities" && break; sleep 0.2; done

"$PY" "$HERE/tap_compare.py" "$AURL" gaia "$DURL" bench.gaia
