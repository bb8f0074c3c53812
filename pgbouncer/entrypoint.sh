#!/usr/bin/env bash
# PgBouncer container entrypoint for SelfDB.
#
# Renders pgbouncer.ini and the auth file from environment variables (names as in SelfDB 0.0.5; every variable is
# described in docs/ENVS.md), then replaces itself with PgBouncer so that `docker stop` signals reach it directly.
# Every variable may instead be read from a file named by NAME_FILE (Docker secrets).

# The settings are assigned indirectly (printf -v in load_var), which shellcheck cannot follow.
# shellcheck disable=SC2154
set -euo pipefail

# SelfDB's app role (common/src/db-roles.ts), which the backend logs in as.
APP_DB_ROLE=selfdb_app

usage() {
  cat <<'EOF'
Usage: pgbouncer-entrypoint [pgbouncer [PGBOUNCER_OPTION...] | healthcheck | --help | COMMAND [ARG...]]

  pgbouncer     write the configuration from the environment and run PgBouncer in the foreground (default)
  healthcheck   exit 0 when PgBouncer answers on LISTEN_PORT, 1 otherwise (used by HEALTHCHECK)
  COMMAND       run any other command as is (for debugging), without writing the configuration

Required: DATABASES_HOST, DATABASES_USER, DATABASES_PASSWORD, DATABASES_DBNAME.
Optional (default): DATABASES_PORT (5432), DATABASES_ALIAS (DATABASES_DBNAME), LISTEN_ADDR (0.0.0.0),
  LISTEN_PORT (6432), AUTH_TYPE (scram-sha-256), POOL_MODE (transaction), MAX_CLIENT_CONN (5000),
  DEFAULT_POOL_SIZE (100), RESERVE_POOL_SIZE (20), SERVER_LIFETIME (3600), SERVER_IDLE_TIMEOUT (60),
  QUERY_WAIT_TIMEOUT (30), CLIENT_IDLE_TIMEOUT (0), IGNORE_STARTUP_PARAMETERS (extra_float_digits,options),
  SERVER_RESET_QUERY_ALWAYS (1), ADMIN_USERS, STATS_USERS, PGBOUNCER_CONFIG_DIR (/etc/pgbouncer).
The auth file lists DATABASES_USER and SelfDB's app role (selfdb_app), both with DATABASES_PASSWORD.
Any NAME may be given as NAME_FILE, a path whose content is the value.
EOF
}

die() {
  echo "pgbouncer-entrypoint: $*" >&2
  exit 1
}

# Sets the shell variable NAME from $NAME, else from the file named by $NAME_FILE, else from the default.
load_var() {
  local name=$1 default=${2-}
  local file_var="${name}_FILE"
  local value=${!name-}
  if [[ -z $value && -n ${!file_var-} ]]; then
    [[ -r ${!file_var} ]] || die "${file_var} points to ${!file_var}, which cannot be read"
    value=$(<"${!file_var}")
  fi
  [[ -n $value ]] || value=$default
  # A line break in a value would let it add its own lines to pgbouncer.ini.
  [[ $value != *$'\n'* && $value != *$'\r'* ]] || die "${name} must not contain line breaks"
  printf -v "$name" '%s' "$value"
}

require_var() {
  load_var "$1"
  [[ -n ${!1} ]] || die "Missing environment variable $1: set it (or $1_FILE) in the container environment"
}

require_int() {
  [[ ${!1} =~ ^[0-9]+$ ]] || die "$1 must be a non-negative integer, got '${!1}'"
}

# Values that go inside the [databases] connection string or a user list are limited to characters that need no
# quoting there, so no value can change the meaning of the line around it.
require_word() {
  local name=$1 pattern=$2
  [[ ${!name} =~ $pattern ]] || die "${name} contains characters PgBouncer's config cannot carry: '${!name}'"
}

# Quotes a value for userlist.txt, where a double quote inside a field is written twice.
userlist_quote() {
  printf '"%s"' "${1//\"/\"\"}"
}

load_settings() {
  require_var DATABASES_HOST
  require_var DATABASES_USER
  require_var DATABASES_PASSWORD
  require_var DATABASES_DBNAME
  load_var DATABASES_PORT 5432
  load_var DATABASES_ALIAS "$DATABASES_DBNAME"
  load_var LISTEN_ADDR 0.0.0.0
  load_var LISTEN_PORT 6432
  # scram-sha-256 by default: upstream SelfDB used `trust`, which lets anyone who reaches the port in as postgres.
  load_var AUTH_TYPE scram-sha-256
  load_var POOL_MODE transaction
  load_var MAX_CLIENT_CONN 5000
  load_var DEFAULT_POOL_SIZE 100
  load_var RESERVE_POOL_SIZE 20
  load_var SERVER_LIFETIME 3600
  load_var SERVER_IDLE_TIMEOUT 60
  load_var QUERY_WAIT_TIMEOUT 30
  load_var CLIENT_IDLE_TIMEOUT 0
  # Drivers send these start-up parameters; PgBouncer would refuse the connection without this list.
  load_var IGNORE_STARTUP_PARAMETERS extra_float_digits,options
  load_var SERVER_RESET_QUERY_ALWAYS 1
  load_var ADMIN_USERS
  load_var STATS_USERS

  local name
  for name in DATABASES_PORT LISTEN_PORT MAX_CLIENT_CONN DEFAULT_POOL_SIZE RESERVE_POOL_SIZE SERVER_LIFETIME \
    SERVER_IDLE_TIMEOUT QUERY_WAIT_TIMEOUT CLIENT_IDLE_TIMEOUT; do
    require_int "$name"
  done
  require_word DATABASES_HOST '^[A-Za-z0-9._:-]+$'
  require_word DATABASES_DBNAME '^[A-Za-z0-9_.-]+$'
  require_word DATABASES_ALIAS '^[A-Za-z0-9_.-]+$'
  require_word LISTEN_ADDR '^[A-Za-z0-9.:*,-]+$'
  require_word IGNORE_STARTUP_PARAMETERS '^[A-Za-z0-9_,]*$'
  require_word ADMIN_USERS '^[A-Za-z0-9_.,@-]*$'
  require_word STATS_USERS '^[A-Za-z0-9_.,@-]*$'
  [[ $SERVER_RESET_QUERY_ALWAYS == 0 || $SERVER_RESET_QUERY_ALWAYS == 1 ]] ||
    die "SERVER_RESET_QUERY_ALWAYS must be 0 or 1, got '${SERVER_RESET_QUERY_ALWAYS}'"
  case $POOL_MODE in
    session | transaction | statement) ;;
    *) die "POOL_MODE must be session, transaction or statement, got '${POOL_MODE}'" ;;
  esac
  case $AUTH_TYPE in
    scram-sha-256 | md5 | plain) ;;
    trust) echo "pgbouncer-entrypoint: WARNING: AUTH_TYPE=trust accepts any client without a password" >&2 ;;
    *) die "AUTH_TYPE must be scram-sha-256, md5, plain or trust, got '${AUTH_TYPE}'" ;;
  esac
}

write_config() {
  local dir=${PGBOUNCER_CONFIG_DIR:-/etc/pgbouncer}
  [[ -d $dir && -w $dir ]] || die "config directory ${dir} is missing or not writable"
  # The auth file holds a password: nobody but this user may read what is written here.
  umask 077

  # The password stays in the auth file only. With no user= in [databases], PgBouncer logs in to Postgres as the
  # client's own user with the password it finds here, and SCRAM works on both sides. The backend logs in as
  # selfdb_app, which shares the password (SelfDB's migrations create the role and set it).
  local user_field password_field
  user_field=$(userlist_quote "${DATABASES_USER}")
  password_field=$(userlist_quote "${DATABASES_PASSWORD}")
  {
    echo "${user_field} ${password_field}"
    [[ ${DATABASES_USER} == "${APP_DB_ROLE}" ]] || echo "$(userlist_quote "${APP_DB_ROLE}") ${password_field}"
  } >"${dir}/userlist.txt.tmp"
  mv -f "${dir}/userlist.txt.tmp" "${dir}/userlist.txt"

  {
    echo "; written by pgbouncer-entrypoint at start-up from environment variables; edits are lost on restart"
    echo "[databases]"
    echo "${DATABASES_ALIAS} = host=${DATABASES_HOST} port=${DATABASES_PORT} dbname=${DATABASES_DBNAME}"
    echo
    echo "[pgbouncer]"
    echo "listen_addr = ${LISTEN_ADDR}"
    echo "listen_port = ${LISTEN_PORT}"
    echo "auth_type = ${AUTH_TYPE}"
    echo "auth_file = ${dir}/userlist.txt"
    echo "pool_mode = ${POOL_MODE}"
    echo "max_client_conn = ${MAX_CLIENT_CONN}"
    echo "default_pool_size = ${DEFAULT_POOL_SIZE}"
    echo "reserve_pool_size = ${RESERVE_POOL_SIZE}"
    echo "server_lifetime = ${SERVER_LIFETIME}"
    echo "server_idle_timeout = ${SERVER_IDLE_TIMEOUT}"
    echo "query_wait_timeout = ${QUERY_WAIT_TIMEOUT}"
    echo "client_idle_timeout = ${CLIENT_IDLE_TIMEOUT}"
    echo "ignore_startup_parameters = ${IGNORE_STARTUP_PARAMETERS}"
    # Every server connection is reset after each transaction, in transaction pooling too: SQL a console user wrote
    # (a trigger, a row policy) runs inside API transactions and could leave session state (search_path, role,
    # temporary tables, locks) for the next request. It costs one round trip per transaction between PgBouncer and
    # Postgres; SERVER_RESET_QUERY_ALWAYS=0 saves it. (The SQL console itself never comes through PgBouncer.)
    echo "server_reset_query = DISCARD ALL"
    echo "server_reset_query_always = ${SERVER_RESET_QUERY_ALWAYS}"
    [[ -z $ADMIN_USERS ]] || echo "admin_users = ${ADMIN_USERS}"
    [[ -z $STATS_USERS ]] || echo "stats_users = ${STATS_USERS}"
    # No logfile: PgBouncer then logs to stderr, which main() sends to stdout for `docker logs`.
    echo "syslog = 0"
  } >"${dir}/pgbouncer.ini.tmp"
  mv -f "${dir}/pgbouncer.ini.tmp" "${dir}/pgbouncer.ini"
  CONFIG_FILE="${dir}/pgbouncer.ini"
}

# Sends an SSLRequest, the one message PgBouncer answers (S or N) before any authentication: a reply proves the
# event loop is serving clients, which a bare TCP connect does not. No psql or pg_isready in the image.
healthcheck() {
  load_var LISTEN_PORT 6432
  load_var LISTEN_ADDR 0.0.0.0
  local host=${LISTEN_ADDR%%,*}
  case ${host} in
    '*' | 0.0.0.0 | '::' | '') host=127.0.0.1 ;;
    *) ;;
  esac
  local reply=''
  if ! { exec 3<>"/dev/tcp/${host}/${LISTEN_PORT}"; } 2>/dev/null; then
    return 1
  fi
  printf '\x00\x00\x00\x08\x04\xd2\x16\x2f' >&3
  IFS= read -r -n 1 -t 3 reply <&3 || true
  exec 3>&-
  [[ $reply == N || $reply == S ]]
}

main() {
  local command=${1:-pgbouncer}
  case $command in
    -h | --help)
      usage
      ;;
    healthcheck)
      healthcheck
      ;;
    pgbouncer)
      [[ $# -eq 0 ]] || shift
      load_settings
      write_config
      echo "pgbouncer-entrypoint: ${POOL_MODE} pooling on ${LISTEN_ADDR}:${LISTEN_PORT} for database" \
        "${DATABASES_ALIAS} -> ${DATABASES_HOST}:${DATABASES_PORT}/${DATABASES_DBNAME} (auth ${AUTH_TYPE})"
      exec pgbouncer "$@" "$CONFIG_FILE" 2>&1
      ;;
    *)
      exec "$@"
      ;;
  esac
}

main "$@"
