#!/usr/bin/env bash
# Restores SelfDB (database and storage) from a backup archive, or checks an archive without touching anything.
# Usage: ./restore_from_backup.sh [latest | BACKUP_FILE] [--yes] | --verify ARCHIVE | --help
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ENV_FILE="${SELFDB_ENV_FILE:-$ROOT_DIR/.env}"
cd "$ROOT_DIR"

# shellcheck source=scripts/native/common.sh
. "$ROOT_DIR/scripts/native/common.sh"
# shellcheck source=scripts/native/native.sh
. "$ROOT_DIR/scripts/native/native.sh"
# shellcheck source=scripts/backups.sh
. "$ROOT_DIR/scripts/backups.sh"

usage() {
  cat <<'USAGE'
Usage: ./restore_from_backup.sh [latest | BACKUP_FILE] [--yes] | --verify ARCHIVE | --help

  (no argument)    list the backups in ./backups and show this usage
  latest           restore the newest backup
  BACKUP_FILE      restore backups/BACKUP_FILE (selfdb_backup_YYYYMMDD_HHMMSS[_suffix].tar.gz)
  -y, --yes        do not ask for confirmation (for scripts)
  --verify ARCHIVE restore ARCHIVE (latest, a backup name, or any path) into a throwaway database and folder,
                   compare it with its manifest, and drop them again: the live data is not touched (same as
                   ./selfdb.sh backup-verify)
  -h, --help       show this help

What a restore does: it checks the whole archive first (gzip, member names, database.sql present, manifest
checksums), loads database.sql into a new staging database and migrates it to this version, as a throwaway
database role without privileges (an archive cannot run programs, read server files or create roles), and only
then swaps it with the live database (and the restored storage with the live storage). If anything fails, the
previous data stays in place. Archives from SelfDB 0.0.5 (no manifest) restore too. The archive's .env is
never applied. While it runs it needs room for a second copy of the database and of the storage.

Writers are stopped while it runs:
  Docker mode: backend, realtime, storage (and functions, frontend) are stopped, db is started if needed, the
               restore runs in a one-off backend container, then `docker compose up -d` starts everything again.
  Native mode: Postgres (and PgBouncer) keep running; the backend and the other app services are stopped, the
               restore runs here, and ./selfdb.sh start brings them back. Postgres must be running.
Other sessions on the database are ended just before the swap.
USAGE
}

target="" yes=false verify=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help)
      usage
      exit 0
      ;;
    -y | --yes) yes=true ;;
    --verify)
      [ $# -ge 2 ] || die "--verify (./selfdb.sh backup-verify) needs the path of an archive."
      verify="$2"
      shift
      ;;
    -*)
      echo "restore_from_backup.sh: unknown option '$1'." >&2
      echo "Usage: ./restore_from_backup.sh [latest | BACKUP_FILE] [--yes] | --verify ARCHIVE | --help" >&2
      exit 2
      ;;
    *)
      [ -z "$target" ] || die "one backup at a time (got '$target' and '$1')."
      target="$1"
      ;;
  esac
  shift
done

load_env_if_present
select_mode
dir="$(backups_host_dir)"

# --- Verify ------------------------------------------------------------------------------------------------------

if [ -n "$verify" ]; then
  # As for a restore: `latest` is the newest backup, a bare archive name one in the backups folder; any other
  # argument is a path.
  if [ "$verify" = latest ]; then
    newest="$(archive_names "$dir" | sed -n 1p)"
    [ -n "$newest" ] || die "there are no backups in $dir."
    verify="$dir/$newest"
  elif [ ! -e "$verify" ] && [ "${verify##*/}" = "$verify" ] && [ -n "$(archive_stamp "$verify")" ]; then
    verify="$dir/$verify"
  fi
  [ -f "$verify" ] || die "no such archive: $verify (a path, a backup name in $dir, or latest)"
  backups_require_env
  say "Verifying $verify ($mode mode): restore into a throwaway database, compare with the manifest..."
  if [ "$mode" = docker ]; then
    # The archive may be anywhere on the host: it goes to the container on stdin.
    backups_cli_docker verify - <"$verify"
  else
    backups_native_env
    backups_cli_native verify "$(cd "$(dirname "$verify")" && pwd -P)/$(basename "$verify")"
  fi
  exit $?
fi

# --- Which archive -----------------------------------------------------------------------------------------------

if [ -z "$target" ]; then
  list_archives "$dir"
  echo
  usage | sed -n 1p
  exit 0
fi
if [ "$target" = latest ]; then
  target="$(archive_names "$dir" | sed -n 1p)"
  [ -n "$target" ] || die "there are no backups in $dir."
else
  target="${target##*/}"
  [ -n "$(archive_stamp "$target")" ] ||
    die "'$target' is not a backup name (selfdb_backup_YYYYMMDD_HHMMSS[_suffix].tar.gz); run ./restore_from_backup.sh to list them."
fi
[ -f "$dir/$target" ] || die "no backup named $target in $dir; run ./restore_from_backup.sh to list them."

size="$(human_size "$(file_size "$dir/$target")")"
say "Backup:  $target ($size)"
say "Target:  SelfDB in $mode mode; its database and storage will be REPLACED by the backup's."
if ! $yes; then
  [ -t 0 ] || die "refusing to restore without confirmation: run it in a terminal, or add --yes."
  printf 'Type yes to continue: '
  read -r answer
  case "$answer" in y | Y | yes | YES) ;; *) die "cancelled; nothing was changed." ;; esac
fi

backups_require_env
t0="$(now_ms)"
rc=0
# A damaged archive is found before anything is stopped (the restore checks it again as it extracts).
say "Checking the archive..."
if [ "$mode" = docker ]; then
  backups_cli_docker check "/backups/$target" || die "the archive cannot be restored (see above); nothing was changed."
else
  backups_native_env
  backups_cli_native check "$dir/$target" || die "the archive cannot be restored (see above); nothing was changed."
fi

if [ "$mode" = docker ]; then
  running=""
  for service in $APP_SERVICES; do
    if [ -n "$(compose ps --status running -q "$service" 2>/dev/null)" ]; then running="$running $service"; fi
  done
  if [ -n "$running" ]; then
    say "Stopping the services that write:$running"
    # shellcheck disable=SC2086 # one argument per service
    compose stop $running
  fi
  say "Starting the database..."
  compose up -d db
  for _ in $(seq 1 30); do
    if compose exec -T db pg_isready -q -h 127.0.0.1 -U "${POSTGRES_USER:-postgres}" >/dev/null 2>&1; then break; fi
    sleep 1
  done
  # The backend is stopped now: this runs in a one-off container.
  backups_cli_docker restore "/backups/$target" || rc=$?
  say "Starting SelfDB again..."
  compose up -d || rc=1
else
  lock_state
  stopped=()
  for service in $NATIVE_SERVICES; do
    case "$service" in postgres | pgbouncer) continue ;; esac
    if running_pid "$service" >/dev/null; then stopped=("$service" ${stopped[@]+"${stopped[@]}"}); fi
  done
  if [ "${#stopped[@]}" -gt 0 ]; then
    say "Stopping the services that write: ${stopped[*]}"
    for service in "${stopped[@]}"; do stop_service "$service"; done
  fi
  backups_cli_native restore "$dir/$target" || rc=$?
  if [ "${#stopped[@]}" -gt 0 ]; then
    say "Starting SelfDB again..."
    exec 9>&-
    native_start || rc=1
  fi
fi

if [ "$rc" != 0 ]; then
  die "the restore failed (see above); the previous database and storage are still in place."
fi
say "Restore finished in $(elapsed_since "$t0"). Log in with the credentials of the restored backup."
