# shellcheck shell=bash
# Helpers shared by selfdb.sh's Docker and native modes and the backup scripts: messages, the env file, ports,
# HTTP probes, the choice of mode.
# Sourced, never run. Written for bash 3.2 too (macOS), because Docker mode runs there.

say() { printf '%s\n' "$*"; }
warn() { printf 'selfdb: warning: %s\n' "$*" >&2; }
die() {
  printf 'selfdb: %s\n' "$*" >&2
  exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

# Milliseconds since the epoch where the shell can tell (bash 5), whole seconds otherwise.
now_ms() {
  if [ -n "${EPOCHREALTIME:-}" ]; then
    local t="${EPOCHREALTIME/[.,]/}"
    echo $((t / 1000))
  else
    echo $(($(date +%s) * 1000))
  fi
}

# "1.4s" for a start time taken with now_ms.
elapsed_since() {
  local ms=$(($(now_ms) - $1))
  printf '%d.%ds' $((ms / 1000)) $((ms % 1000 / 100))
}

# Keys the env file may not set: they would change how this script itself runs (or are read-only in bash).
is_reserved_env_key() {
  case "$1" in
    PATH | IFS | HOME | PWD | OLDPWD | SHELL | SHELLOPTS | BASHOPTS | BASH_* | PS4 | UID | EUID | PPID | GROUPS) return 0 ;;
    *) return 1 ;;
  esac
}

# Loads KEY=VALUE lines into the environment without evaluating them as shell code (values such as
# `0 2 * * *` must stay literal). Rules follow Docker Compose's env files: `#` comments, optional `export `,
# single or double quotes stripped, ` #` starts a comment in an unquoted value. A variable already exported
# by the caller wins, so `BACKEND_PORT=9000 ./selfdb.sh start` overrides the file.
load_env_file() {
  local file="$1" line key value line_no=0 exported
  local assignment='^([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*=(.*)$'
  exported=" $(compgen -e | tr '\n' ' ') "
  while IFS= read -r line || [ -n "$line" ]; do
    line_no=$((line_no + 1))
    line="${line%$'\r'}"
    line="${line#"${line%%[![:space:]]*}"}"
    case "$line" in '' | '#'*) continue ;; esac
    if [[ "$line" == export[[:space:]]* ]]; then
      line="${line#export}"
      line="${line#"${line%%[![:space:]]*}"}"
    fi
    if ! [[ "$line" =~ $assignment ]]; then
      warn "$file:$line_no is not KEY=VALUE; ignored."
      continue
    fi
    key="${BASH_REMATCH[1]}"
    value="${BASH_REMATCH[2]}"
    value="${value#"${value%%[![:space:]]*}"}"
    case "$value" in
      \"*\"* | \'*\'*)
        local quote="${value:0:1}"
        value="${value:1}"
        value="${value%"$quote"*}"
        ;;
      *)
        value="${value%%[[:space:]]#*}"
        value="${value%"${value##*[![:space:]]}"}"
        ;;
    esac
    if is_reserved_env_key "$key"; then
      warn "$file:$line_no sets $key, which SelfDB does not take from the env file; ignored."
      continue
    fi
    case "$exported" in *" $key "*) continue ;; esac
    export "$key=$value"
  done <"$file"
}

# Creates the env file from .env.example with fresh keys when it is missing, then loads it.
ensure_env_file() {
  if [ ! -f "$ENV_FILE" ]; then
    say "No env file at $ENV_FILE: creating it from .env.example with fresh keys (./generate_keys.sh --yes)."
    SELFDB_ENV_FILE="$ENV_FILE" "$ROOT_DIR/generate_keys.sh" --yes >/dev/null ||
      die "could not create $ENV_FILE: run ./generate_keys.sh --yes and look at its message."
  fi
  load_env_file "$ENV_FILE"
}

# Loads the env file when there is one (stop/status/logs work without it, on the defaults).
load_env_if_present() {
  if [ -f "$ENV_FILE" ]; then load_env_file "$ENV_FILE"; fi
}

# The value KEY has in .env.example (empty when it has none).
example_value() {
  [ -f "$ROOT_DIR/.env.example" ] || return 0
  sed -n "s/^$1=//p" "$ROOT_DIR/.env.example" | sed -n 1p
}

# True for a password anyone would try first (letter case ignored), or one shorter than 8 characters.
is_weak_password() {
  local lowered
  [ "${#1}" -ge 8 ] || return 0
  lowered="$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]')"
  case "$lowered" in
    password | password1 | password123 | passw0rd | admin123 | adminadmin | administrator | changeme | change-me | \
      changethis | letmein | welcome1 | qwerty123 | 12345678 | 123456789 | 1234567890 | selfdb123 | postgres) return 0 ;;
  esac
  return 1
}

# Warns loudly (stderr) while the env file keeps example or weak secrets: fine on a laptop, unsafe on any machine
# others can reach. Prints nothing when every secret is set.
warn_insecure_settings() {
  local problems=() line
  if [ -z "${SECRET_KEY:-}" ] || [ "${SECRET_KEY:-}" = "$(example_value SECRET_KEY)" ] || [[ "${SECRET_KEY:-}" == change-me* ]]; then
    problems+=("SECRET_KEY is the example value: anyone can sign tokens. Run ./generate_keys.sh --yes.")
  fi
  if [ -z "${API_KEY:-}" ] || [ "${API_KEY:-}" = "$(example_value API_KEY)" ] || [ "${API_KEY:-}" = Myapi-Key-for-dev ]; then
    problems+=("API_KEY is the example value. Run ./generate_keys.sh --yes.")
  fi
  if [ "${ADMIN_PASSWORD:-}" = "$(example_value ADMIN_PASSWORD)" ] || is_weak_password "${ADMIN_PASSWORD:-}"; then
    problems+=("ADMIN_PASSWORD is the example value or a weak one: set a strong one in $ENV_FILE (it creates the first admin); if that admin exists, change its password too (PATCH /users/{id}).")
  fi
  if [ "${POSTGRES_PASSWORD:-postgres}" = "$(example_value POSTGRES_PASSWORD)" ] || is_weak_password "${POSTGRES_PASSWORD:-postgres}"; then
    problems+=("POSTGRES_PASSWORD is the example value or a weak one.")
  fi
  [ ${#problems[@]} -gt 0 ] || return 0
  {
    echo "selfdb: ################################################################################"
    echo "selfdb: # WARNING: insecure settings in $ENV_FILE"
    echo "selfdb: # Fine on your laptop; do NOT expose this SelfDB to a network until they are fixed:"
    for line in "${problems[@]}"; do echo "selfdb: #   - $line"; done
    echo "selfdb: ################################################################################"
  } >&2
}

# Percent-encodes a string for a URL's user, password or path part.
url_encode() {
  local LC_ALL=C input="$1" output="" char hex i
  for ((i = 0; i < ${#input}; i++)); do
    char="${input:i:1}"
    case "$char" in
      [a-zA-Z0-9.~_-]) output="$output$char" ;;
      *)
        printf -v hex '%%%02X' "'$char"
        output="$output$hex"
        ;;
    esac
  done
  printf '%s' "$output"
}

# Validates a port variable and prints its value (default when unset).
port_value() {
  local name="$1" default="$2" value
  value="$(printenv "$name" || true)"
  value="${value:-$default}"
  case "$value" in '' | *[!0-9]*) die "$name=$value is not a port number: fix it in $ENV_FILE." ;; esac
  if [ "$value" -lt 1 ] || [ "$value" -gt 65535 ]; then die "$name=$value is not a port between 1 and 65535: fix it in $ENV_FILE."; fi
  echo "$value"
}

# True when something accepts TCP connections on 127.0.0.1:PORT (bash's /dev/tcp: no extra tool needed).
port_answers() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# "python3 (pid 1234)" for the program listening on PORT, when ss can tell; empty otherwise.
port_owner() {
  have ss || return 0
  ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*users:(("\([^"]*\)",pid=\([0-9]*\).*/\1 (pid \2)/p' | sed -n 1p
}

# Fails with a message naming the port and the variable that moves it.
assert_port_free() {
  local port="$1" variable="$2" owner hint=""
  port_answers "$port" || return 0
  owner="$(port_owner "$port")"
  case "$owner" in postgres* | pgbouncer*) hint=" (a system PostgreSQL or PgBouncer? stop it, e.g. sudo systemctl stop postgresql pgbouncer)" ;; esac
  die "port $port is already in use${owner:+ by $owner}${hint}. Free it, or pick another port: set $variable in $ENV_FILE (or export $variable=...)."
}

# HTTP status code of a GET (000 when nothing answers).
http_status() {
  local url="$1"
  shift
  if have curl; then
    curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$@" "$url" 2>/dev/null || true
  else
    node -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(3000) }).then((r) => console.log(r.status), () => console.log("000"))' "$url"
  fi
}

# The last lines a log got since the latest "===== ... =====" start marker, indented, for failure messages.
show_log_tail() {
  local log="$1" lines="${2:-25}"
  if [ -s "$log" ]; then
    printf '  --- last lines of %s ---\n' "$log" >&2
    awk '/^===== .* =====$/ { n = 0; delete kept; next } { kept[++n] = $0 } END { for (i = 1; i <= n; i++) print kept[i] }' "$log" |
      tail -n "$lines" | sed 's/^/  | /' >&2
  else
    printf '  (%s is empty)\n' "$log" >&2
  fi
}

# --- Mode (selfdb.sh, backup_now.sh, restore_from_backup.sh) --------------------------------------------------

# `timeout` is not on every machine (macOS); without it a hung daemon socket could hang `docker info`.
with_timeout() {
  local seconds="$1"
  shift
  if have timeout; then timeout "$seconds" "$@"; else "$@"; fi
}

docker_available() {
  have docker && [ -f "$ROOT_DIR/docker-compose.yml" ] &&
    with_timeout 10 docker info >/dev/null 2>&1 &&
    docker compose version >/dev/null 2>&1
}

native_has_pid_files() {
  local run="${SELFDB_HOME:-$ROOT_DIR/.selfdb}/run"
  case "$run" in /*) ;; *) run="$ROOT_DIR/$run" ;; esac
  ls "$run"/*.pid >/dev/null 2>&1
}

# Sets `mode` (docker or native) for the caller. A native stack that is running keeps its mode, so stop/status
# reach it even after Docker appears.
# shellcheck disable=SC2034 # mode is read by the scripts that source this file
select_mode() {
  case "${SELFDB_MODE:-auto}" in
    native) mode=native ;;
    docker)
      docker_available || die "SELFDB_MODE=docker, but no Docker engine with the compose plugin answers (docker info; docker compose version), or docker-compose.yml is missing. Start Docker, or use SELFDB_MODE=native."
      mode=docker
      ;;
    auto)
      if native_has_pid_files; then
        mode=native
      elif docker_available; then
        mode=docker
      else
        mode=native
      fi
      ;;
    *) die "SELFDB_MODE must be auto, docker or native (got '${SELFDB_MODE}')." ;;
  esac
}

# docker compose with the env file in use.
compose() {
  if [ -n "${SELFDB_ENV_FILE:-}" ]; then
    docker compose --env-file "$ENV_FILE" "$@"
  else
    docker compose "$@"
  fi
}

# Changes the database password of every SelfDB role to $1 in the Compose `db` service (started alone when it is not
# running), through its local socket, where the image lets the superuser in without one. POSTGRES_USER and
# POSTGRES_DB come from the env file in use.
docker_set_db_password() {
  local quoted
  if [ -z "$(compose ps --status running -q db 2>/dev/null)" ]; then
    compose up -d --wait db >/dev/null || die "could not start the db service to change its password (docker compose up -d db)."
  fi
  quoted="${1//\\/\\\\}"
  quoted="${quoted//\'/\'\'}"
  printf '%s\n' "\\set pw '$quoted'" \
    "SELECT format('ALTER ROLE %I PASSWORD %L', rolname, :'pw') FROM pg_roles WHERE rolname IN (:'user', 'selfdb_app', 'selfdb_console') \\gexec" |
    compose exec -T db psql -X -q -v ON_ERROR_STOP=1 -v "user=${POSTGRES_USER:-postgres}" \
      -U "${POSTGRES_USER:-postgres}" -d "${POSTGRES_DB:-selfdb}" >/dev/null ||
    die "could not change the password in the db service (see above)."
}
