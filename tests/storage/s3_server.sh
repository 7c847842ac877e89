#!/usr/bin/env bash
# A throwaway S3 server for the tests: Ceph's S3 gateway (radosgw) over one monitor and one
# in-memory (memstore) OSD, all on 127.0.0.1, no systemd, everything under one directory.
#   s3_server.sh start DIR PORT [ADDR] -> prints "endpoint http://ADDR:PORT" once S3 answers
# ADDR (default 127.0.0.1) is where the S3 gateway listens, e.g. a network namespace's own
# address when the server runs as a separate host; the monitor and OSD stay on loopback.
#   s3_server.sh stop DIR
# Access key and secret for the test user: astrolake-test / astrolake-test-secret.
set -euo pipefail
trap 'echo "s3_server.sh: line $LINENO failed: $BASH_COMMAND (status $?)" >&2' ERR
cmd=${1:?start|stop}
dir=${2:?directory}
if [ "$cmd" = stop ]; then
  pids=()
  for p in "$dir"/run/*.pid; do
    [ -f "$p" ] && pids+=("$(cat "$p")")
  done
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  # Wait for them to exit (a memstore OSD writes its store out on shutdown), then insist.
  for i in $(seq 1 20); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.25
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  rm -rf "$dir"
  exit 0
fi
port=${3:?port}
addr=${4:-127.0.0.1}
mon_port=$((port + 1))
for b in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph-authtool; do
  command -v $b >/dev/null || { echo "s3_server.sh: $b is missing (bash scripts/install-deps.sh installs it)" >&2; exit 2; }
done
rm -rf "$dir"
mkdir -p "$dir"/{run,log,mon/a,osd/0}
fsid=$(cat /proc/sys/kernel/random/uuid)
conf="$dir/ceph.conf"
cat > "$conf" <<CONF
[global]
fsid = $fsid
mon host = [v1:127.0.0.1:$mon_port]
ms bind msgr2 = false
auth cluster required = none
auth service required = none
auth client required = none
auth supported = none
osd pool default size = 1
osd pool default min size = 1
osd pool default pg autoscale mode = off
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
osd crush chooseleaf type = 0
osd objectstore = memstore
memstore device bytes = 2147483648
run dir = $dir/run
log file = $dir/log/\$name.log
admin socket = $dir/run/\$name.asok
pid file = $dir/run/\$name.pid
keyring = $dir/keyring
ms bind ipv4 = true
ms bind ipv6 = false
[mon.a]
mon data = $dir/mon/a
public addr = 127.0.0.1:$mon_port
[osd.0]
osd data = $dir/osd/0
[client.rgw]
# tcp_nodelay: without it a reused connection waits ~40 ms per response (Nagle against
# the client's delayed ACK), which would hide every request-count improvement.
rgw frontends = beast endpoint=$addr:$port tcp_nodelay=1
rgw dns name = localhost
rgw enable usage log = false
rgw thread pool size = 64
CONF
ceph-authtool --create-keyring "$dir/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
monmaptool --create --addv a "[v1:127.0.0.1:$mon_port]" --fsid "$fsid" "$dir/monmap" >/dev/null
ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/keyring"
ceph-mon -c "$conf" -i a </dev/null >>"$dir/log/daemons.out" 2>&1
# The OSD registers itself (as id 0, with this uuid) when it first boots.
osd_uuid=$(cat /proc/sys/kernel/random/uuid)
# The OSD now and then fails its first registration with the new monitor ("wrong fsid");
# a fresh store and a second start succeed.
for attempt in 1 2 3 4; do
  rm -rf "$dir/osd/0" && mkdir -p "$dir/osd/0"
  ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$osd_uuid" >/dev/null 2>&1
  ceph-osd -c "$conf" -i 0 </dev/null >>"$dir/log/daemons.out" 2>&1 && break
  [ $attempt = 4 ] && { echo "s3_server.sh: the OSD did not start (logs in $dir/log)" >&2; exit 1; }
  sleep 1
done
radosgw -c "$conf" -n client.rgw </dev/null >>"$dir/log/daemons.out" 2>&1
for i in $(seq 1 120); do
  if radosgw-admin -c "$conf" user create --uid=astrolake-test --display-name=astrolake-test \
       --access-key=astrolake-test --secret-key=astrolake-test-secret >/dev/null 2>&1; then
    break
  fi
  sleep 0.5
done
for i in $(seq 1 120); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://$addr:$port/" || true)
  if [ "$code" = 200 ]; then
    # The tests' bucket, made with boto3 (an independent client).
    python3 -c "import boto3; boto3.client('s3', endpoint_url='http://$addr:$port', region_name='us-east-1',
      aws_access_key_id='astrolake-test', aws_secret_access_key='astrolake-test-secret').create_bucket(Bucket='astrolake-test')"
    echo "endpoint http://$addr:$port"
    exit 0
  fi
  sleep 0.5
done
echo "s3_server.sh: radosgw did not answer on $addr:$port (logs in $dir/log)" >&2
exit 1
