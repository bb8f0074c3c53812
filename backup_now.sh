#!/usr/bin/env bash
# Makes a backup archive now (database, .env, storage, manifest), lists archives, or deletes old ones.
# Usage: ./backup_now.sh [--name SUFFIX] | --list | --cleanup [--retention DAYS] | --help
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
Usage: ./backup_now.sh [--name SUFFIX] | --list | --cleanup [--retention DAYS] | --help

  (no option)          back up now: backups/selfdb_backup_YYYYMMDD_HHMMSS.tar.gz
  -n, --name SUFFIX    add _SUFFIX to the name (letters, digits, - and _); named backups are listed by the API
                       and kept by the scheduled retention
  -l, --list           list the backups, newest first, with sizes and the total
  -c, --cleanup        delete backups older than the retention (named ones too)
  -r, --retention DAYS retention for --cleanup (default BACKUP_RETENTION_DAYS from the env file, else 7)
  -h, --help           show this help

The archive holds database.sql (pg_dump --clean --if-exists --no-owner --no-privileges), .env, storage/<bucket>/...
and manifest.json (versions, row counts, size and SHA-256 of every member); it appears under its final name only
once complete. Only one backup or restore runs at a time (a running one makes this exit with an error).

Docker mode runs it in the backend container (or a one-off one when the backend is stopped; db must run).
Native mode runs it here, against the Postgres that ./selfdb.sh start runs. SELFDB_MODE, SELFDB_ENV_FILE and
SELFDB_HOME work as for ./selfdb.sh; BACKUPS_DIR moves the archives (native mode).
Restore with ./restore_from_backup.sh; check an archive with ./selfdb.sh backup-verify ARCHIVE.
USAGE
}

action=backup name="" retention=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help)
      usage
      exit 0
      ;;
    -n | --name)
      [ $# -ge 2 ] || die "$1 needs a suffix, e.g. --name before-upgrade."
      name="$2"
      shift
      ;;
    -l | --list) action=list ;;
    -c | --cleanup) action=cleanup ;;
    -r | --retention)
      [ $# -ge 2 ] || die "$1 needs a number of days."
      retention="$2"
      shift
      ;;
    *)
      echo "backup_now.sh: unknown option '$1'." >&2
      echo "Usage: ./backup_now.sh [--name SUFFIX] | --list | --cleanup [--retention DAYS] | --help" >&2
      exit 2
      ;;
  esac
  shift
done
if [ -n "$name" ] && ! [[ "$name" =~ ^[A-Za-z0-9_-]{1,64}$ ]]; then
  die "the name may use letters, digits, - and _ (at most 64 characters), got '$name'."
fi

load_env_if_present
select_mode

case "$action" in
  list)
    list_archives "$(backups_host_dir)"
    exit 0
    ;;
  cleanup)
    cleanup_archives "$(backups_host_dir)" "${retention:-${BACKUP_RETENTION_DAYS:-7}}"
    exit 0
    ;;
esac

backups_require_env
args=(backup)
if [ -n "$name" ]; then args+=(--name "$name"); fi
t0="$(now_ms)"
say "Backing up SelfDB ($mode mode)..."
if [ "$mode" = docker ]; then
  backups_cli_docker "${args[@]}" || die "the backup failed (see above); nothing was left behind in ./backups."
else
  backups_native_env
  backups_cli_native "${args[@]}" || die "the backup failed (see above); nothing was left behind in $(backups_host_dir)."
fi
say "Done in $(elapsed_since "$t0"). Restore it with: ./restore_from_backup.sh latest"
