# shellcheck shell=bash
# The server side of ./deploy.sh. Never run by hand: deploy.sh sends this file over SSH to `bash -s`, followed by
# one line `remote_main STEP ARGS...`, so the server needs nothing of SelfDB before the first upload.
# Layout on the server (DIR, default ~/Desktop/SelfDB):
#   DIR/releases/<id>/   one uploaded copy of the project per deploy (the last 3 are kept)
#   DIR/current          symlink to the release that runs
#   DIR/shared/.env      the production env file (made on the first deploy, with fresh keys; kept by every redeploy)
#   DIR/shared/selfdb/   native state: database, file bytes, logs, pid files, Caddy's certificates
#   DIR/backups/         backups (pre-deploy ones too); Docker mode keeps data in named volumes of project selfdb
# Each release links .env, .selfdb and backups to these, so every release sees the same data.
set -euo pipefail

r_say() { printf '%s\n' "$*"; }
r_warn() { printf 'deploy: warning: %s\n' "$*" >&2; }
r_die() {
  printf 'deploy: %s\n' "$*" >&2
  exit 1
}
r_have() { command -v "$1" >/dev/null 2>&1; }

# Runs a command as root: directly when we are root, else through sudo without a password prompt.
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi
}

resolve_dir() {
  local dir="$1"
  case "$dir" in
    "~") dir="$HOME" ;;
    "~/"*) dir="$HOME/${dir#"~/"}" ;;
    /*) ;;
    *) dir="$HOME/$dir" ;;
  esac
  printf '%s' "${dir%/}"
}

has_systemd() { [ -d /run/systemd/system ] && r_have systemctl; }

# KEY=VALUE facts deploy.sh reads before it decides anything.
remote_facts() {
  local dir free_mb sudo=no
  dir="$(resolve_dir "$1")"
  echo "DIR=$dir"
  if [ -L "$dir/current" ] && [ -d "$dir/current/" ]; then
    echo "MODE=redeploy"
    echo "CURRENT=$(readlink -f "$dir/current")"
  elif [ -f "$dir/selfdb.sh" ] || [ -f "$dir/docker-compose.yml" ]; then
    # A folder 0.0.5's deploy.sh (or a hand copy) filled: not ours to replace silently.
    echo "MODE=foreign"
  else
    echo "MODE=init"
  fi
  if [ "$(id -u)" = 0 ]; then sudo=root; elif sudo -n true 2>/dev/null; then sudo=yes; fi
  echo "SUDO=$sudo"
  if has_systemd; then echo "SYSTEMD=yes"; else echo "SYSTEMD=no"; fi
  if r_have docker && docker compose version >/dev/null 2>&1; then echo "DOCKER=yes"; else echo "DOCKER=no"; fi
  local probe="$dir"
  while [ ! -d "$probe" ]; do probe="$(dirname "$probe")"; done
  free_mb="$(df -Pm "$probe" | awk 'NR == 2 { print $4 }')"
  echo "FREE_MB=${free_mb:-0}"
  echo "OS=$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-unknown}" | tr ' ' '_')"
  if [ -f "$dir/shared/mode" ]; then echo "DEPLOYED_AS=$(cat "$dir/shared/mode")"; fi
  if r_have node; then echo "NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')"; fi
}

# --- Installing ---------------------------------------------------------------------------------------------------

apt_install() {
  r_have apt-get || r_die "this server has no apt-get: deploy.sh installs on Debian and Ubuntu only; install $* by hand and run it again."
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null ||
    r_die "apt-get update failed (network? a held lock?): run it by hand on the server to see why."
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" ||
    r_die "apt-get install $* failed (above): a full disk (df -h), or a package name unknown to this release."
}

remote_install() {
  local native="$1" missing=()
  if [ "$native" = yes ]; then
    r_have rsync || missing+=(rsync)
    r_have curl || missing+=(curl)
    r_have caddy || missing+=(caddy)
    compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || missing+=(postgresql)
    [ -x /usr/sbin/pgbouncer ] || r_have pgbouncer || missing+=(pgbouncer)
    r_have openssl || missing+=(openssl)
    if [ ${#missing[@]} -gt 0 ]; then
      r_say "  installing ${missing[*]} (apt)"
      apt_install "${missing[@]}"
      # Debian starts the packaged services; SelfDB runs its own Postgres, PgBouncer and Caddy on their ports.
      if has_systemd; then as_root systemctl disable --now postgresql pgbouncer caddy >/dev/null 2>&1 || true; fi
    else
      r_say "  PostgreSQL, PgBouncer, Caddy, rsync and curl are installed"
    fi
    if ! r_have node || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
      r_say "  installing Node.js 20 (NodeSource apt repository)"
      apt_install ca-certificates curl gnupg
      curl -fsSL https://deb.nodesource.com/setup_20.x | as_root bash - >/dev/null ||
        r_die "adding the NodeSource repository failed: install Node.js 20+ by hand (https://nodejs.org) and run deploy.sh again."
      apt_install nodejs
    else
      r_say "  Node.js $(node -v) is installed"
    fi
    # Caddy binds 80 and 443 as this user too.
    if [ "$(id -u)" != 0 ]; then as_root setcap cap_net_bind_service=+ep "$(command -v caddy)" || true; fi
  else
    r_have rsync || apt_install rsync
    if r_have docker && docker compose version >/dev/null 2>&1; then
      r_say "  Docker $(docker --version | awk '{print $3}' | tr -d ,) with the compose plugin is installed"
    else
      r_say "  installing Docker (get.docker.com)"
      curl -fsSL https://get.docker.com | as_root sh >/dev/null ||
        r_die "installing Docker failed: see https://docs.docker.com/engine/install/ and run deploy.sh again."
      if [ "$(id -u)" != 0 ]; then as_root usermod -aG docker "$(id -un)" || true; fi
    fi
  fi
}

remote_firewall() {
  local ssh_port="$1"
  if ! has_systemd; then
    r_say "  no systemd here (a container?): firewall and fail2ban left to the host"
    return 0
  fi
  r_have ufw || apt_install ufw
  as_root ufw allow "$ssh_port/tcp" >/dev/null
  as_root ufw allow 80/tcp >/dev/null
  as_root ufw allow 443/tcp >/dev/null
  as_root ufw allow 443/udp >/dev/null
  as_root ufw --force enable >/dev/null
  r_say "  ufw: $ssh_port (ssh), 80, 443 open; everything else closed"
  r_have fail2ban-client || apt_install fail2ban
  as_root tee /etc/fail2ban/jail.local >/dev/null <<'EOF'
[DEFAULT]
bantime = 1h
findtime = 10m
maxretry = 5

[sshd]
enabled = true
maxretry = 3
findtime = 10m
bantime = 24h
EOF
  as_root systemctl enable --now fail2ban >/dev/null 2>&1 || true
  as_root systemctl restart fail2ban >/dev/null 2>&1 || true
  r_say "  fail2ban: sshd jail (3 failures in 10 min: banned 24 h)"
}

# --- Releases -----------------------------------------------------------------------------------------------------

# Makes the release folder and, on the first deploy, the shared ones. As root, the native state goes to
# /var/lib/selfdb/<id> (linked from DIR/shared/selfdb): Postgres runs as the postgres user, which cannot enter
# /root/... nor the 0700 DIR/shared.
remote_mkrelease() {
  local dir state
  dir="$(resolve_dir "$1")"
  mkdir -p "$dir/releases/$2" "$dir/shared" "$dir/backups"
  chmod 700 "$dir/shared"
  if [ ! -e "$dir/shared/selfdb" ]; then
    if [ "$(id -u)" = 0 ] && [ "${3:-}" = native ]; then
      state="/var/lib/selfdb/$(printf '%s' "$dir" | sha256sum | cut -c1-12)"
      mkdir -p "$state"
      chmod 755 /var/lib/selfdb "$state"
      ln -s "$state" "$dir/shared/selfdb"
      r_say "  native state (database, files, logs) in $state"
    else
      mkdir -p "$dir/shared/selfdb"
    fi
  fi
  # Docker: the backend container runs as node (uid 1000) and writes archives to the ./backups mount.
  if [ "${3:-}" = docker ]; then as_root chown 1000:1000 "$dir/backups" || true; fi
}

# Sets KEY=VALUE in an env file (replacing the first line of KEY, else appending), keeping it 0600.
set_env_value() {
  local file="$1" key="$2" value="$3" tmp
  tmp="$(mktemp "$file.XXXXXX")"
  awk -v key="$key" -v value="$value" '
    BEGIN { done = 0 }
    $0 ~ "^#? *" key "=" && !done { print key "=" value; done = 1; next }
    { print }
    END { if (!done) print key "=" value }
  ' "$file" >"$tmp"
  chmod 600 "$tmp"
  mv "$tmp" "$file"
}

env_value() {
  sed -n "s/^$2=//p" "$1" | tail -n 1 | sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'$/\1/"
}

is_local_name() {
  case "$1" in
    localhost | *.localhost) return 0 ;;
    *[!0-9.]*) ;;
    *) return 0 ;;
  esac
  case "$1" in *:*) return 0 ;; esac
  return 1
}

# Links the shared data into a release, makes the production .env on the first deploy (fresh keys, a random admin
# password printed once), applies the values deploy.sh passed (DEPLOY_SET_KEY=VALUE variables), and puts
# node_modules in place.
remote_prepare() {
  local dir release env_file created=no key value domain admin_password
  dir="$(resolve_dir "$1")"
  release="$dir/releases/$2"
  env_file="$dir/shared/.env"
  [ -f "$release/selfdb.sh" ] || r_die "the upload did not arrive in $release (selfdb.sh is missing): run deploy.sh again."
  ln -sfn "$env_file" "$release/.env"
  ln -sfn "$dir/shared/selfdb" "$release/.selfdb"
  rm -rf "$release/backups"
  ln -sfn "$dir/backups" "$release/backups"
  if [ -n "${DEPLOY_ENV_CONTENT:-}" ]; then
    printf '%s\n' "$DEPLOY_ENV_CONTENT" >"$env_file.upload"
    chmod 600 "$env_file.upload"
    mv "$env_file.upload" "$env_file"
    r_say "  .env: the file given with --env-file"
  elif [ ! -f "$env_file" ]; then
    SELFDB_ENV_FILE="$env_file" "$release/generate_keys.sh" --yes >/dev/null ||
      r_die "generating the production .env failed: run SELFDB_ENV_FILE=$env_file $release/generate_keys.sh --yes on the server to see why."
    admin_password="$(openssl rand -base64 18 | tr -d '/+=' | cut -c1-20)"
    set_env_value "$env_file" ADMIN_PASSWORD "$admin_password"
    set_env_value "$env_file" TRUST_PROXY true
    created=yes
  fi
  while IFS='=' read -r key value; do
    key="${key#DEPLOY_SET_}"
    set_env_value "$env_file" "$key" "$value"
  done < <(env | grep '^DEPLOY_SET_[A-Z0-9_]*=' || true)
  echo "${3:-docker}" >"$dir/shared/mode"
  domain="$(env_value "$env_file" FRONTEND_DOMAIN)"
  if [ -z "${DEPLOY_SET_CADDY_TLS:-}" ] && { [ -z "$(env_value "$env_file" CADDY_TLS)" ] || [ -n "${DEPLOY_SET_FRONTEND_DOMAIN:-}" ]; }; then
    if is_local_name "$domain"; then
      set_env_value "$env_file" CADDY_TLS internal
    else
      set_env_value "$env_file" CADDY_TLS "$(env_value "$env_file" CADDY_EMAIL)"
    fi
  fi
  if [ "$created" = yes ]; then
    r_say "  .env: created with fresh keys in $env_file (kept by every redeploy)"
    r_say "  ADMIN: $(env_value "$env_file" ADMIN_EMAIL) / $admin_password   (shown once: write it down)"
  else
    r_say "  .env: kept $env_file"
  fi
  # node_modules: the previous release's when package-lock.json is unchanged (hard links, seconds), else npm ci.
  if [ "${3:-}" = native ]; then
    local previous=""
    if [ -L "$dir/current" ]; then previous="$(readlink -f "$dir/current")"; fi
    if [ -n "${DEPLOY_NODE_MODULES:-}" ]; then
      # Tests only (documented in the README): the test machine's own install, linked instead of installed.
      ln -sfn "$DEPLOY_NODE_MODULES" "$release/node_modules"
      r_say "  node_modules: linked to $DEPLOY_NODE_MODULES (DEPLOY_NODE_MODULES)"
    elif [ -n "$previous" ] && [ -d "$previous/node_modules" ] && cmp -s "$previous/package-lock.json" "$release/package-lock.json"; then
      cp -al "$previous/node_modules" "$release/node_modules" 2>/dev/null || cp -a "$previous/node_modules" "$release/node_modules"
      r_say "  node_modules: reused from the previous release (package-lock.json unchanged)"
    else
      r_say "  node_modules: npm ci (a few minutes the first time)"
      (cd "$release" && npm ci --no-audit --no-fund >"$dir/shared/selfdb/npm-ci.log" 2>&1) || {
        tail -n 20 "$dir/shared/selfdb/npm-ci.log" | sed 's/^/  | /' >&2
        r_die "npm ci failed (above; full log $dir/shared/selfdb/npm-ci.log): a full disk (df -h) or no network to the npm registry."
      }
    fi
    # Built now, while the running release still serves: the switch then only restarts.
    (cd "$release" && node --import tsx scripts/build.ts >/dev/null) ||
      r_die "building the services in $release failed (above)."
  fi
}

# A backup of the running release's data before anything changes (redeploys only).
remote_backup() {
  in_current "$1"
  ./backup_now.sh --name pre-deploy ||
    r_die "the pre-deploy backup failed (above), so nothing was changed. Is the stack running (./deploy.sh --status)? Is the disk full (df -h)?"
}

native_stop_release() {
  local release="$1"
  [ -d "$release" ] || return 0
  (cd "$release" && ./scripts/native/caddy.sh stop >/dev/null 2>&1 || true)
  (cd "$release" && SELFDB_MODE=native ./selfdb.sh stop) || return 1
}

native_start_release() {
  local release="$1"
  (cd "$release" && SELFDB_MODE=native ./selfdb.sh start && ./scripts/native/caddy.sh start)
}

write_systemd_units() {
  local dir="$1"
  as_root tee /etc/systemd/system/selfdb.service >/dev/null <<EOF
[Unit]
Description=SelfDB (native: PostgreSQL, PgBouncer and the Node.js services of $dir/current)
After=network-online.target
Wants=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
User=$(id -un)
Environment=SELFDB_MODE=native
WorkingDirectory=$dir/current
ExecStart=$dir/current/selfdb.sh start
ExecStop=$dir/current/selfdb.sh stop
TimeoutStartSec=300
KillMode=none

[Install]
WantedBy=multi-user.target
EOF
  as_root tee /etc/systemd/system/selfdb-caddy.service >/dev/null <<EOF
[Unit]
Description=Caddy in front of SelfDB ($dir/current/caddy/Caddyfile)
After=selfdb.service
Requires=selfdb.service

[Service]
Type=oneshot
RemainAfterExit=yes
User=$(id -un)
WorkingDirectory=$dir/current
ExecStart=$dir/current/scripts/native/caddy.sh start
ExecStop=$dir/current/scripts/native/caddy.sh stop
KillMode=none

[Install]
WantedBy=multi-user.target
EOF
  as_root systemctl daemon-reload
  as_root systemctl enable selfdb.service selfdb-caddy.service >/dev/null 2>&1
}

compose_in() {
  (cd "$1" && docker compose -f docker-compose-production.yml --env-file .env "${@:2}")
}

# Stops the running release (native: its processes; Docker: nothing, `up` replaces containers once the new images
# are built), points DIR/current at the new one and starts it.
remote_switch() {
  local dir release previous="" native="$3"
  dir="$(resolve_dir "$1")"
  release="$dir/releases/$2"
  if [ -L "$dir/current" ]; then previous="$(readlink -f "$dir/current")"; fi
  if [ "$native" = native ]; then
    if [ -n "$previous" ]; then
      r_say "  stopping the running release $(basename "$previous")"
      native_stop_release "$previous" || r_die "the running release did not stop (above): ./deploy.sh --status, --logs."
    fi
    ln -sfn "releases/$2" "$dir/current.new" && mv -T "$dir/current.new" "$dir/current"
    if has_systemd; then
      write_systemd_units "$dir"
      as_root systemctl restart selfdb.service selfdb-caddy.service || return 1
      r_say "  started as systemd units selfdb.service and selfdb-caddy.service (they start again after a reboot)"
    else
      native_start_release "$release" || return 1
      r_warn "no systemd on this server (a container?): SelfDB and Caddy run as plain processes and will NOT come back after a reboot; run ./deploy.sh again (or ./selfdb.sh start and scripts/native/caddy.sh start in $dir/current) after one."
    fi
  else
    r_say "  building the images (the running containers keep serving meanwhile)"
    compose_in "$release" build || r_die "docker compose build failed (above): nothing running was changed."
    ln -sfn "releases/$2" "$dir/current.new" && mv -T "$dir/current.new" "$dir/current"
    compose_in "$release" up -d --remove-orphans || return 1
  fi
}

# Health through Caddy, as a browser sees it: /caddy-health, the API's /health, the dashboard page.
remote_health() {
  local dir env_file scheme domain port url code body deadline timeout="${DEPLOY_HEALTH_TIMEOUT:-120}"
  dir="$(resolve_dir "$1")"
  env_file="$dir/shared/.env"
  scheme="$(env_value "$env_file" CADDY_SCHEME)"
  scheme="${scheme:-https}"
  domain="$(env_value "$env_file" FRONTEND_DOMAIN)"
  if [ "$scheme" = http ]; then port="$(env_value "$env_file" CADDY_HTTP_PORT)" port="${port:-80}"; else port="$(env_value "$env_file" CADDY_HTTPS_PORT)" port="${port:-443}"; fi
  deadline=$(($(date +%s) + timeout))
  for path in /caddy-health /api/health /; do
    url="$scheme://$domain:$port$path"
    while :; do
      body="$(curl -ks --max-time 5 --resolve "$domain:$port:127.0.0.1" -w '\n%{http_code}' "$url" 2>/dev/null || true)"
      code="${body##*$'\n'}"
      case "$path:$code" in
        /caddy-health:200 | /:200) break ;;
        /api/health:200) [[ "$body" == *'"healthy"'* ]] && break ;;
      esac
      if [ "$(date +%s)" -ge "$deadline" ]; then
        body="${body%$'\n'*}"
        printf 'deploy: health check failed: %s answered %s%s\n' "$url" "${code:-nothing}" "${body:+: ${body:0:300}}" >&2
        return 1
      fi
      sleep 2
    done
    r_say "  $url: $code"
  done
}

# Puts the previous release back after a failed switch: the new one is stopped, DIR/current points back, the old
# one starts, and its health is checked again.
remote_rollback() {
  local dir failed previous="$3" native="$4"
  dir="$(resolve_dir "$1")"
  failed="$dir/releases/$2"
  [ -d "$previous" ] || r_die "there is no previous release to put back ($previous): fix the cause and deploy again."
  if [ "$native" = native ]; then
    native_stop_release "$failed" || true
    ln -sfn "releases/$(basename "$previous")" "$dir/current.new" && mv -T "$dir/current.new" "$dir/current"
    if has_systemd; then
      as_root systemctl restart selfdb.service selfdb-caddy.service
    else
      native_start_release "$previous"
    fi
  else
    ln -sfn "releases/$(basename "$previous")" "$dir/current.new" && mv -T "$dir/current.new" "$dir/current"
    compose_in "$previous" up -d --build --remove-orphans
  fi
  remote_health "$dir"
  mv "$failed" "$failed.failed"
}

# Keeps the newest 3 releases (and the one running), removes older ones; failed ones after 1 day.
remote_cleanup() {
  local dir current release kept=0
  dir="$(resolve_dir "$1")"
  current="$(readlink -f "$dir/current")"
  for release in $(ls -1dt "$dir"/releases/*/ 2>/dev/null); do
    release="${release%/}"
    case "$release" in *.failed) continue ;; esac
    if [ "$release" = "$current" ] || [ "$kept" -lt 3 ]; then
      kept=$((kept + 1))
      continue
    fi
    rm -rf "$release"
  done
  find "$dir/releases" -maxdepth 1 -name '*.failed' -mtime +1 -exec rm -rf {} + 2>/dev/null || true
  if [ "$(cat "$dir/shared/mode" 2>/dev/null)" = docker ]; then
    docker image prune -f --filter label=com.docker.compose.project=selfdb >/dev/null 2>&1 || true
  fi
}

# --- Day two ------------------------------------------------------------------------------------------------------

# Enters DIR/current; in Docker mode the backup scripts then work on the production compose file.
in_current() {
  local dir
  dir="$(resolve_dir "$1")"
  [ -L "$dir/current" ] || r_die "SelfDB is not deployed in $dir (no $dir/current): run ./deploy.sh first."
  cd "$dir/current"
  deployed_as="$(cat "$dir/shared/mode" 2>/dev/null || echo native)"
  if [ "$deployed_as" = docker ]; then export COMPOSE_FILE=docker-compose-production.yml SELFDB_MODE=docker; else export SELFDB_MODE=native; fi
}

is_docker_release() { [ "${deployed_as:-native}" = docker ]; }

remote_status() {
  in_current "$1"
  r_say "Release: $(basename "$(pwd -P)")   ($(pwd -P))"
  if is_docker_release; then
    docker compose -f docker-compose-production.yml --env-file .env ps
  else
    ./selfdb.sh status || true
    ./scripts/native/caddy.sh status || true
  fi
  remote_health "$1" || true
}

remote_logs() {
  in_current "$1"
  if is_docker_release; then
    docker compose -f docker-compose-production.yml --env-file .env logs --tail "${3:-100}" ${2:+"$2"}
  elif [ "${2:-}" = caddy ]; then
    tail -n "${3:-100}" .selfdb/logs/caddy.log
  else
    ./selfdb.sh logs ${2:+"$2"} -n "${3:-100}"
  fi
}

remote_backup_now() {
  in_current "$1"
  ./backup_now.sh ${2:+--name "$2"}
  ./backup_now.sh --list | head -n 8
}

remote_restore() {
  in_current "$1"
  ./restore_from_backup.sh "$2" --yes
}

remote_main() {
  local step="$1"
  shift
  "remote_$step" "$@"
}
