#!/usr/bin/env bash
# Generates SelfDB's secrets (SECRET_KEY, API_KEY, POSTGRES_PASSWORD) in .env.
# Usage: ./generate_keys.sh [--yes] [--help]
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ENV_FILE="${SELFDB_ENV_FILE:-$ROOT_DIR/.env}"
EXAMPLE_FILE="$ROOT_DIR/.env.example"

usage() {
  cat <<EOF
Usage: ./generate_keys.sh [--yes] [--help]

Regenerates SelfDB's secrets in $ENV_FILE:
  SECRET_KEY         signs the JWTs (64 hex characters; never printed in full)
  API_KEY            the X-API-Key every client sends (selfdb-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)
  POSTGRES_PASSWORD  the database password of POSTGRES_USER and of SelfDB's roles (48 hex characters; never
                     printed in full). When SelfDB's database runs (natively or with Docker Compose) it is changed
                     there first, for every role, and in PgBouncer's auth file; a stopped native database takes it
                     at the next ./selfdb.sh start.

Without options it shows the current keys and asks which to regenerate.
When the env file is missing it is created from .env.example (readable by its owner only).

Options:
  -y, --yes   no questions: create the env file if missing and regenerate all three
  -h, --help  show this help

Environment:
  SELFDB_ENV_FILE  path of the env file to edit (default: .env next to this script)
EOF
}

die() {
  echo "generate_keys.sh: $*" >&2
  exit 1
}

# Random hex of N bytes. openssl is the documented source; /dev/urandom keeps the script usable without it.
random_hex() {
  if command -v openssl >/dev/null 2>&1; then
    openssl rand -hex "$1"
  else
    od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'
    echo
  fi
}

new_secret_key() { random_hex 32; }

new_db_password() { random_hex 24; }

new_api_key() {
  local hex
  hex="$(random_hex 16)"
  echo "selfdb-${hex:0:8}-${hex:8:4}-${hex:12:4}-${hex:16:4}-${hex:20:12}"
}

# Current value of KEY in the env file (last assignment wins, as when the file is loaded); empty when unset.
current_value() {
  awk -v key="$1" '
    { sub(/\r$/, "") }
    $0 ~ "^[[:space:]]*(export[[:space:]]+)?" key "[[:space:]]*=" {
      value = $0
      sub("^[^=]*=", "", value)
      if (value ~ /^".*"$/ || value ~ /^'\''.*'\''$/) value = substr(value, 2, length(value) - 2)
      found = value
    }
    END { print found }
  ' "$ENV_FILE"
}

# A secret is shown only as its first four characters and its length.
mask() {
  local value="$1"
  if [ -z "$value" ]; then
    echo "(not set)"
  elif [ "${#value}" -le 8 ]; then
    echo "******** (${#value} chars)"
  else
    echo "${value:0:4}... (${#value} chars)"
  fi
}

# Sets KEY=VALUE in the env file: every existing assignment is replaced (keeping an `export ` prefix), otherwise
# the line is appended. The file is rewritten through `cat >` so its inode, mode and any symlink survive; awk
# instead of `sed -i` sidesteps the GNU/BSD sed differences.
set_value() {
  local key="$1" value="$2" tmp
  tmp="$(mktemp "${ENV_FILE}.XXXXXX")"
  awk -v key="$key" -v value="$value" '
    $0 ~ "^[[:space:]]*(export[[:space:]]+)?" key "[[:space:]]*=" {
      prefix = ($0 ~ /^[[:space:]]*export[[:space:]]/) ? "export " : ""
      print prefix key "=" value
      done = 1
      next
    }
    { print }
    END { if (!done) print key "=" value }
  ' "$ENV_FILE" >"$tmp"
  cat "$tmp" >"$ENV_FILE"
  rm -f "$tmp"
}

create_env_file() {
  [ -f "$EXAMPLE_FILE" ] || die "$EXAMPLE_FILE is missing too: restore it (git checkout .env.example) and run again."
  mkdir -p "$(dirname "$ENV_FILE")"
  # The file holds secrets: readable by its owner only.
  (umask 077 && cp "$EXAMPLE_FILE" "$ENV_FILE")
  # A template without a final newline would glue an appended key onto its last line.
  [ -z "$(tail -c 1 "$ENV_FILE")" ] || echo >>"$ENV_FILE"
  echo "Created $ENV_FILE from .env.example."
  created_env=true
}

# Changes the database password to $1 where SelfDB's database runs, before the env file gets it: natively
# (scripts/native/native.sh) or in the Compose `db` service. In a subshell, so the env file loaded there (the old
# password, to log in with) and the libraries' helpers stay out of this script. Fails (and the env file keeps the old
# password) when the running database refuses the change.
apply_db_password() {
  (
    # shellcheck source=scripts/native/common.sh
    . "$ROOT_DIR/scripts/native/common.sh"
    # shellcheck source=scripts/native/native.sh
    . "$ROOT_DIR/scripts/native/native.sh"
    load_env_file "$ENV_FILE"
    select_mode
    if [ "$mode" = docker ]; then
      docker_set_db_password "$1"
      echo "  changed in the running database (Docker Compose service db) for every SelfDB role."
    elif native_set_db_password "$1"; then
      echo "  changed in the running database for every SelfDB role, and in PgBouncer's auth file."
    else
      echo "  SelfDB's database is not running here: the next ./selfdb.sh start sets it."
    fi
  )
}

ask_yes_no() {
  local answer
  read -r -p "$1 [y/N] " answer || answer=""
  case "$answer" in
    y | Y | yes | YES | Yes) return 0 ;;
    *) return 1 ;;
  esac
}

ASSUME_YES=false
created_env=false
for arg in "$@"; do
  case "$arg" in
    -y | --yes) ASSUME_YES=true ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      usage >&2
      echo >&2
      die "unknown option: $arg"
      ;;
  esac
done

if [ ! -f "$ENV_FILE" ]; then
  if $ASSUME_YES; then
    create_env_file
  elif [ -t 0 ]; then
    echo "No env file at $ENV_FILE."
    ask_yes_no "Create it from .env.example?" || die "nothing to do without an env file."
    create_env_file
  else
    die "no env file at $ENV_FILE: run ./generate_keys.sh --yes to create it from .env.example with fresh keys."
  fi
fi
[ -z "$(tail -c 1 "$ENV_FILE")" ] || echo >>"$ENV_FILE"

echo "Current keys in $ENV_FILE:"
echo "  SECRET_KEY:        $(mask "$(current_value SECRET_KEY)")"
api_key="$(current_value API_KEY)"
echo "  API_KEY:           ${api_key:-(not set)}"
echo "  POSTGRES_PASSWORD: $(mask "$(current_value POSTGRES_PASSWORD)")"
echo

if $ASSUME_YES; then
  choice=4
else
  [ -t 0 ] || die "no terminal to ask on: run ./generate_keys.sh --yes to regenerate all keys."
  echo "Which key do you want to regenerate?"
  echo "  1) SECRET_KEY (signs tokens: every user must log in again)"
  echo "  2) API_KEY (every client and the admin UI need the new key)"
  echo "  3) POSTGRES_PASSWORD (the database password of every SelfDB role; changed in the running database too)"
  echo "  4) all three"
  echo "  5) cancel"
  read -r -p "Choice [1-5]: " choice || choice=5
  case "$choice" in
    1 | 2 | 3 | 4) ;;
    5 | "")
      echo "Cancelled; nothing changed."
      exit 0
      ;;
    *) die "invalid choice '$choice': answer 1, 2, 3, 4 or 5." ;;
  esac
  ask_yes_no "This rewrites the key(s) in $ENV_FILE. Continue?" || {
    echo "Cancelled; nothing changed."
    exit 0
  }
fi

# The database first: when the running database refuses the new password, nothing is written.
if [ "$choice" = 3 ] || [ "$choice" = 4 ]; then
  db_password="$(new_db_password)"
  echo "POSTGRES_PASSWORD regenerated: $(mask "$db_password")"
  # A new env file means a new install: its database does not exist yet and starts with this password.
  if ! $created_env; then
    apply_db_password "$db_password" || die "the database password could not be changed (see above); $ENV_FILE is unchanged."
  fi
  set_value POSTGRES_PASSWORD "$db_password"
fi
if [ "$choice" = 1 ] || [ "$choice" = 4 ]; then
  secret_key="$(new_secret_key)"
  set_value SECRET_KEY "$secret_key"
  echo "SECRET_KEY regenerated: $(mask "$secret_key")"
fi
if [ "$choice" = 2 ] || [ "$choice" = 4 ]; then
  api_key="$(new_api_key)"
  set_value API_KEY "$api_key"
  echo "API_KEY regenerated:    $api_key"
fi

echo
echo "Restart SelfDB to use the new key(s): ./selfdb.sh restart"
if [ "$choice" = 2 ] || [ "$choice" = 4 ]; then
  echo "The API key is built into the admin UI: rebuild the frontend too (docker compose build frontend), and"
  echo "give the new API_KEY to every client."
fi
