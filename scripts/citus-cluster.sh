# Sourced by scripts/test-citus and scripts/bench-citus (from the repository's root, with `set -euo
# pipefail` and the virtualenv made): builds Citus once and installs it, then starts a coordinator
# and two workers, local PostgreSQL 15 clusters on free ports, stopped when the script exits.
# Leaves: url NODE DATABASE, psql_on NODE DATABASE ARGS..., port[NODE], base, as_owner, PG_BIN.
repo=$PWD

VERSION=12.1.9
SHA256=344e48c6fd29dfd911aa7bcc4a6b1f1e6345b1579226a08f76769242f0226d62
PG_BIN=${STATIONS_PG_BIN:-/usr/lib/postgresql/15/bin}
DEPS=(postgresql-server-dev-15 libcurl4-openssl-dev liblz4-dev libzstd-dev libkrb5-dev)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/stations/citus-$VERSION

say() { echo "$(basename "$0"): $*" >&2; }
fail() { say "$*"; exit 1; }

[ -x "$PG_BIN/postgres" ] || fail "no PostgreSQL 15 in $PG_BIN (Debian: apt-get install postgresql-15; or set STATIONS_PG_BIN)"

source_tarball() {
  # Not in the repository (AGPL source, 7 MB): the user's copy, else the shared folder beside it.
  local candidate
  for candidate in ${STATIONS_CITUS_SOURCE:-} "$repo/../shared/citus/citus-$VERSION.tar.gz" \
                   "/work/shared/citus/citus-$VERSION.tar.gz"; do
    [ -f "$candidate" ] && { echo "$candidate"; return; }
  done
  fail "citus-$VERSION.tar.gz not found: set STATIONS_CITUS_SOURCE to its path (github.com/citusdata/citus, tag v$VERSION)"
}

build() {
  local tarball missing=()
  tarball=$(source_tarball)
  echo "$SHA256  $tarball" | sha256sum --check --quiet - || fail "$tarball: sha256 is not $SHA256"
  for dep in "${DEPS[@]}"; do
    dpkg-query -W -f='${Status}' "$dep" 2>/dev/null | grep -q "ok installed" || missing+=("$dep")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || fail "missing build dependencies (install them as root): ${missing[*]}"
    say "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  say "building Citus $VERSION in $cache (once; about 5 minutes of CPU on two cores)"
  rm -rf "$cache" && mkdir -p "$cache"
  tar xzf "$tarball" -C "$cache"
  local started=$SECONDS
  # with_llvm=no: no JIT bitcode beside citus.so (it doubled the build; JIT does not inline it then).
  (cd "$cache/citus-$VERSION" && ./configure -q PG_CONFIG="$PG_BIN/pg_config" >"$cache/configure.log" 2>&1 \
     && make -j"$(nproc)" with_llvm=no >"$cache/make.log" 2>&1 \
     && make install with_llvm=no DESTDIR="$cache/stage" >>"$cache/make.log" 2>&1) \
    || fail "the build failed: see $cache/configure.log and $cache/make.log"
  echo $((SECONDS - started)) >"$cache/built"
  say "built in $((SECONDS - started)) s"
}

install_into_postgres() {
  # PostgreSQL 15 finds an extension's control file only in its own share folder (a second
  # folder needs PostgreSQL 18's extension_control_path), so the staged build is copied there;
  # skipped when the same citus.so is installed already.
  local libdir
  libdir=$("$PG_BIN/pg_config" --pkglibdir)
  cmp -s "$cache/stage$libdir/citus.so" "$libdir/citus.so" && return
  [ -w "$libdir" ] || fail "Citus is built but not installed in $libdir: run this once as root (or: sudo cp -a $cache/stage/. /)"
  say "installing Citus $VERSION into $libdir"
  cp -a "$cache/stage/." /
}

[ -f "$cache/built" ] || build
install_into_postgres


# The clusters: a coordinator and two workers, each its own data folder and free port. initdb
# and postgres refuse to run as root, so as root they run as the postgres user.
base=$(mktemp -d "${TMPDIR:-/tmp}/stations-citus.XXXXXX")
as_owner=()
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$base"
  as_owner=(runuser -u postgres --)
fi
nodes=(coordinator worker1 worker2)
declare -A port
stop_clusters() {
  # The nodes' logs outlive the run, for a failure's other half (what a worker refused).
  mkdir -p "$cache/logs" && cp "$base"/*.log "$cache/logs/" 2>/dev/null || true
  for node in "${nodes[@]}"; do
    [ -f "$base/$node/postmaster.pid" ] && "${as_owner[@]}" "$PG_BIN/pg_ctl" -D "$base/$node" -m immediate stop >/dev/null 2>&1
  done
  rm -rf "$base"
}
trap stop_clusters EXIT

free_port() {
  .venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

for node in "${nodes[@]}"; do
  port[$node]=$(free_port)
  "${as_owner[@]}" "$PG_BIN/initdb" -D "$base/$node" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  # wal_level logical: citus_move_shard_placement copies a shard online by logical replication.
  cat >>"$base/$node/postgresql.conf" <<EOF
port = ${port[$node]}
listen_addresses = '127.0.0.1'
unix_socket_directories = '$base'
shared_preload_libraries = 'citus'
max_connections = 200
max_prepared_transactions = 100
wal_level = logical
max_replication_slots = 20
max_wal_senders = 20
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  "${as_owner[@]}" "$PG_BIN/pg_ctl" -D "$base/$node" -l "$base/$node.log" -w start >/dev/null
done

url() { echo "postgresql://postgres@127.0.0.1:${port[$1]}/$2"; }
psql_on() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$(url "$1" "$2")" "${@:3}"; }

# The service's database on every node, with the extension; the workers joined to the coordinator.
# A database without the extension on the coordinator is the single-node run the suite compares with.
for node in "${nodes[@]}"; do
  psql_on "$node" postgres -c "CREATE DATABASE stations"
  psql_on "$node" stations -c "CREATE EXTENSION citus"
done
psql_on coordinator postgres -c "CREATE DATABASE single"
psql_on coordinator stations -c "SELECT citus_set_coordinator_host('127.0.0.1', ${port[coordinator]})" \
  -c "SELECT citus_add_node('127.0.0.1', ${port[worker1]})" -c "SELECT citus_add_node('127.0.0.1', ${port[worker2]})" >/dev/null
say "coordinator :${port[coordinator]}, workers :${port[worker1]} :${port[worker2]} (Citus $VERSION)"

