#!/usr/bin/env bash
# One command to run SelfDB: Docker Compose when a Docker engine answers, native processes otherwise.
# Usage: ./selfdb.sh [start|stop|restart|status|logs [service] [-f]|migrate|test|help]
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ENV_FILE="${SELFDB_ENV_FILE:-$ROOT_DIR/.env}"
cd "$ROOT_DIR"

# shellcheck source=scripts/native/common.sh
. "$ROOT_DIR/scripts/native/common.sh"
# shellcheck source=scripts/native/native.sh
. "$ROOT_DIR/scripts/native/native.sh"

usage() {
  cat <<'EOF'
Usage: ./selfdb.sh [command] [options]

Commands:
  start              start SelfDB (the default) and wait until every service is healthy
  stop               stop what `start` started; data is kept
  restart            stop, then start
  status | ps        show each service: up/down, pid, port, health (exit 3 when something is down)
  logs [service] [-f] [-n N]
                     show the last N (100) log lines; -f follows. Native services: postgres, pgbouncer,
                     storage, functions, backend, realtime, frontend, initdb; in Docker mode any Compose service
  migrate            apply pending database migrations (and seed the admin) against the running database
  test               run the test suite (npm test; extra arguments are passed on)
  backup-verify ARCHIVE
                     restore ARCHIVE (latest, a backup name, or a path) into a throwaway database and folder and
                     compare it with its manifest
                     (row counts, checksums, files); the live data is not touched. Backups: ./backup_now.sh,
                     restores: ./restore_from_backup.sh
  help | -h | --help show this help

Modes: Docker Compose when `docker info` and `docker compose version` work and docker-compose.yml exists;
otherwise native: PostgreSQL and PgBouncer from this machine, the storage service, the functions runtime, the
backend and the realtime service as Node.js processes, with data (file bytes in .selfdb/storage), pid files and logs under .selfdb/.

Environment (an exported variable wins over the env file):
  SELFDB_MODE        auto (default), docker or native
  SELFDB_ENV_FILE    env file to use (default .env; created from .env.example with fresh keys if missing)
  SELFDB_HOME        native state directory (default .selfdb)
  BACKEND_PORT, DB_PORT, PGBOUNCER_PORT, REALTIME_INTERNAL_PORT, STORAGE_INTERNAL_PORT, FUNCTIONS_INTERNAL_PORT
                     ports (defaults 8000, 5432, 6432, 4000, 9000, 8090)
  FRONTEND_PORT      port of the admin dashboard (default 3000; it serves the API under /api too)
  STORAGE_PATH       folder of the file bytes (default $SELFDB_HOME/storage)
  PG_BIN             directory of the PostgreSQL server binaries (default: found automatically)
  PGBOUNCER_BIN      PgBouncer executable (default: found on PATH or in /usr/sbin)
  SELFDB_SERVICE_USER  OS user for Postgres and PgBouncer when run as root (default postgres)
  SELFDB_START_TIMEOUT seconds each service may take to become healthy (default 60)
EOF
}

# --- Docker mode ------------------------------------------------------------------------------------------------

# Waits until every container runs and is healthy (or has no health check); one-shot containers that exited 0
# count as done. Fails early when one exits with an error.
docker_wait_healthy() {
  local timeout="${SELFDB_START_TIMEOUT:-180}" deadline ids line service state health code waiting failed
  deadline=$(($(date +%s) + timeout))
  printf 'Waiting for every service to be healthy '
  while :; do
    ids="$(compose ps --all -q)"
    [ -n "$ids" ] || die "docker compose started no containers: look at docker compose ps and docker-compose.yml."
    waiting="" failed=""
    # shellcheck disable=SC2086 # one argument per container id
    while read -r service state health code; do
      case "$state:$health" in
        running:healthy | running:none) ;;
        exited:*) [ "$code" = 0 ] || failed="$failed $service" ;;
        dead:*) failed="$failed $service" ;;
        *) waiting="$waiting $service($state${health:+/$health})" ;;
      esac
    done < <(docker inspect --format \
      '{{index .Config.Labels "com.docker.compose.service"}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}} {{.State.ExitCode}}' $ids)
    if [ -n "$failed" ]; then
      echo " failed"
      for service in $failed; do
        echo "--- last 30 log lines of $service ---" >&2
        compose logs --tail 30 "$service" >&2 || true
      done
      die "service(s)${failed} exited with an error (logs above). Fix the cause, then ./selfdb.sh restart."
    fi
    [ -z "$waiting" ] && break
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo " timed out"
      for line in $waiting; do
        service="${line%%(*}"
        echo "--- last 30 log lines of $service ---" >&2
        compose logs --tail 30 "$service" >&2 || true
      done
      die "not healthy after ${timeout}s:${waiting}. Read the logs above (./selfdb.sh logs SERVICE); raise SELFDB_START_TIMEOUT on a slow machine."
    fi
    printf '.'
    sleep 2
  done
  echo " done"
}

docker_start() {
  local backend_port frontend_port
  backend_port="$(port_value BACKEND_PORT 8000)"
  frontend_port="$(port_value FRONTEND_PORT 3000)"
  warn_insecure_settings
  say "Starting SelfDB with Docker Compose (the first start builds the images and takes a few minutes)..."
  compose up -d || die "docker compose up failed (see above): fix the cause and run ./selfdb.sh start again."
  docker_wait_healthy
  echo
  compose ps
  echo
  say "API:      http://localhost:$backend_port   (every request needs the header X-API-Key: API_KEY from $ENV_FILE)"
  say "API docs: http://localhost:$backend_port/docs"
  say "Admin UI: http://localhost:$frontend_port"
  say "Admin:    ${ADMIN_EMAIL:-admin@example.com}, password ADMIN_PASSWORD (both from $ENV_FILE; the admin is created on first start)"
  # A fresh install's one-time restore token, written by the backend in its container (none once someone logged in).
  local token
  # shellcheck disable=SC2016 # expanded by the container's shell
  token="$(compose exec -T backend sh -c 'cat "$RESTORE_TOKEN_FILE" 2>/dev/null' 2>/dev/null | head -n 1 || true)"
  if [ -n "$token" ]; then
    say "Restore:  fresh install: restoring a backup through the API needs the one-time token $token"
    say "          (header X-Restore-Token; also in the backend log: ./selfdb.sh logs backend; used up by a restore)"
  fi
  warn_insecure_settings
}

docker_logs() {
  local args=(--tail 100) services=()
  while [ $# -gt 0 ]; do
    case "$1" in
      -f | --follow) args+=(-f) ;;
      -n | --lines)
        [ $# -ge 2 ] || die "$1 needs a number of lines."
        args+=(--tail "$2")
        shift
        ;;
      -*) die "unknown logs option '$1': use -f or -n N." ;;
      *) services+=("$1") ;;
    esac
    shift
  done
  compose logs "${args[@]}" ${services[@]+"${services[@]}"}
}

# --- Commands ---------------------------------------------------------------------------------------------------

command="${1:-start}"
if [ $# -gt 0 ]; then shift; fi

case "$command" in
  help | -h | --help)
    usage
    exit 0
    ;;
  start | restart | migrate) ensure_env_file ;;
  stop | status | ps | logs) load_env_if_present ;;
  test) ;;
  backup-verify) exec "$ROOT_DIR/restore_from_backup.sh" --verify "$@" ;;
  *)
    echo "selfdb: unknown command '$command'." >&2
    echo "Usage: ./selfdb.sh [start|stop|restart|status|logs [service] [-f]|migrate|test|help]" >&2
    echo "Run ./selfdb.sh --help for details." >&2
    exit 2
    ;;
esac
case "$command" in start | stop | restart | status | ps | migrate)
  [ $# -eq 0 ] || die "'$command' takes no arguments (got: $*); see ./selfdb.sh --help."
  ;;
esac

if [ "$command" = test ]; then
  have npm || die "npm is missing: install Node.js 20 or newer."
  exec npm test -- "$@"
fi

select_mode
case "$mode:$command" in
  native:start) native_start ;;
  native:stop) native_stop ;;
  native:restart)
    native_stop
    native_start
    ;;
  native:status | native:ps) native_status ;;
  native:logs) native_logs "$@" ;;
  native:migrate) native_migrate ;;
  docker:start) docker_start ;;
  docker:stop) compose down ;;
  docker:restart)
    compose down
    docker_start
    ;;
  docker:status | docker:ps) compose ps ;;
  docker:logs) docker_logs "$@" ;;
  # The backend image runs from its package directory, where the migration CLI lives in src/.
  docker:migrate) compose exec -T backend node --import tsx src/migrate-cli.ts ;;
esac
