# Shared set-up steps for scripts/start and scripts/test. Sourced, not run.
# Everything third-party comes from its registry, pinned: Python packages from PyPI
# (pyproject.toml + constraints.txt), nhsuk-frontend from npm (package-lock.json),
# system packages from Debian.

VENV=.venv
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install_system_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "==> Installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

install_python() {
  local extras=${1:-}
  [ -x "$VENV/bin/python" ] || { echo "==> Creating $VENV"; "$PY" -m venv "$VENV"; }
  echo "==> Installing Python packages${extras:+ (with $extras)}"
  # (grep drops pip's notes about this machine's unused local package folders)
  "$VENV/bin/pip" install -q --disable-pip-version-check -c constraints.txt -e ".${extras:+[$extras]}" \
    2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}

install_assets() {
  echo "==> Installing nhsuk-frontend from npm"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
}

# Start the Debian PostgreSQL cluster and export TEST_DATABASE_URL for the suite.
start_postgres() {
  local version
  version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  if ! pg_lsclusters -h | grep -q "^$version main"; then
    as_root pg_createcluster "$version" main >/dev/null
  fi
  as_root pg_ctlcluster "$version" main start 2>/dev/null || true
  as_root runuser -u postgres -- psql -q -c \
    "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='survey') THEN
       CREATE ROLE survey LOGIN PASSWORD 'survey' CREATEDB; END IF; END\$\$;" >/dev/null
  # A test database is dropped WITH (FORCE); an autovacuum worker busy in it belongs to no
  # role, and only pg_signal_backend may end it (without it, the drop fails at random).
  as_root runuser -u postgres -- psql -q -c "SET client_min_messages = warning; GRANT pg_signal_backend TO survey" >/dev/null
  export TEST_DATABASE_URL="postgresql+psycopg://survey:survey@127.0.0.1:5432/postgres"
  echo "==> PostgreSQL $version running; tests create their own databases"
}

# Start a throw-away Redis on loopback (no persistence) and export TEST_REDIS_URL: the
# production-mode tests keep gunicorn's rate-limit counts there, as production does.
start_redis() {
  local port=${TEST_REDIS_PORT:-6390}
  if ! redis-cli -p "$port" ping >/dev/null 2>&1; then
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes >/dev/null
  fi
  export TEST_REDIS_URL="redis://127.0.0.1:$port/0"
  echo "==> Redis running on port $port"
}
