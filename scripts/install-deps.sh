#!/usr/bin/env bash
# Installs what astrolake needs on Debian 12. Idempotent: safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
PKGS=(build-essential cmake pkg-config git
      libhealpix-cxx-dev libcfitsio-dev libzstd-dev libsnappy-dev zlib1g-dev libpng-dev
      nlohmann-json3-dev libcli11-dev libexpat1-dev libgtest-dev libbenchmark-dev
      python3-numpy python3-astropy python3-healpy python3-pytest time ccache
      python3-venv python3-dev iproute2 libcpp-httplib-dev libsqlite3-dev stilts
      libcurl4-openssl-dev libssl-dev libsodium-dev
      chromium)  # chromium: the web page's browser test (tests/service/test_web.py)
# The test servers for object storage (radosgw on a memstore OSD, nginx); installed without
# recommends, which for Ceph would pull in far more.
SERVER_PKGS=(ceph-mon ceph-osd radosgw ceph-common nginx-light python3-boto3)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js with npm: Debian's nodejs, unless a node/npm is already installed (e.g. NodeSource,
# whose nodejs package bundles npm and conflicts with Debian's npm package).
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
missing=()
for p in "${SERVER_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing test servers: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# DuckDB (npm @duckdb/node-api ships its own binary): the interoperability tests and benchmarks use it.
if [ ! -d tools/duckdb/node_modules/@duckdb/node-api ]; then
  echo "== installing DuckDB (npm @duckdb/node-api) into tools/duckdb"
  npm install --silent --no-audit --no-fund --prefix tools/duckdb
fi
# configurable-http-proxy (npm, pinned in tools/configurable-http-proxy/package.json): the proxy in
# front of JupyterHub that `astrolake-platform up` starts (deploy/hub/).
if [ ! -x tools/configurable-http-proxy/node_modules/.bin/configurable-http-proxy ]; then
  echo "== installing configurable-http-proxy (npm) into tools/configurable-http-proxy"
  npm install --silent --no-audit --no-fund --prefix tools/configurable-http-proxy
fi
# The project's Python environment: .venv from Debian's /usr/bin/python3, every package pinned in
# requirements.txt (PyPI). Re-installed only when requirements.txt changes.
if [ ! -x .venv/bin/python ]; then
  echo "== creating the Python environment .venv"
  /usr/bin/python3 -m venv .venv
fi
if ! cmp -s requirements.txt .venv/requirements.installed; then
  echo "== installing pinned Python packages into .venv (requirements.txt)"
  .venv/bin/pip install -q -r requirements.txt
  cp requirements.txt .venv/requirements.installed
fi
# The astrolake Python package itself (the C++ extension built by scikit-build-core with the
# pinned pybind11; a persistent build folder under build/ and ccache keep re-installs quick).
echo "== installing the astrolake Python package into .venv"
.venv/bin/pip install -q --no-build-isolation --no-deps .
# JupyterLab's settings for every user of this environment (the hub's servers): no fetching of
# Jupyter news or update checks from the internet, and so no question about it on first start.
mkdir -p .venv/share/jupyter/lab/settings
cat > .venv/share/jupyter/lab/settings/overrides.json <<'JSON'
{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}}
JSON
# A Jupyter kernel named "astrolake" that runs .venv's Python (the notebooks in notebooks/ ask
# for it), so any Jupyter on this machine can run them.
.venv/bin/python -m ipykernel install --user --name astrolake --display-name "Python (astrolake .venv)" >/dev/null
