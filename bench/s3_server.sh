# Sourced by the benchmarks that need an S3 server: starts the test radosgw (tests/storage/s3_server.sh)
# on a free loopback port in $W/s3, stops it and removes $W on exit, and exports the AWS_* settings
# the astrolake binary reads. Needs W set (a scratch folder).
S3_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$W"
trap 'bash tests/storage/s3_server.sh stop "$W/s3" >/dev/null 2>&1; rm -rf "$W"' EXIT
bash tests/storage/s3_server.sh start "$W/s3" "$S3_PORT" >/dev/null
export AWS_ENDPOINT_URL=http://127.0.0.1:$S3_PORT AWS_ACCESS_KEY_ID=astrolake-test \
  AWS_SECRET_ACCESS_KEY=astrolake-test-secret AWS_REGION=us-east-1
