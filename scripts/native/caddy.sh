#!/usr/bin/env bash
# Caddy in front of a native SelfDB (./selfdb.sh start), as a plain process of this machine: what `./deploy.sh
# --native` runs on a server without systemd (containers), and what the tests run. Same caddy/Caddyfile as Docker
# production; the upstreams are the native services on 127.0.0.1. State under $SELFDB_HOME/caddy/: data/ (the
# certificates, Caddy's internal CA), caddy.pid, and the log in $SELFDB_HOME/logs/caddy.log.
# Usage: scripts/native/caddy.sh start|stop|status|validate
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
ENV_FILE="${SELFDB_ENV_FILE:-$ROOT_DIR/.env}"
# shellcheck source=scripts/native/common.sh
. "$ROOT_DIR/scripts/native/common.sh"

usage() {
  cat <<'EOF'
Usage: scripts/native/caddy.sh start|stop|status|validate

Runs Caddy (caddy/Caddyfile) in front of the native stack as a plain background process:
  start     start Caddy and wait until https://FRONTEND_DOMAIN/caddy-health answers (through Caddy itself)
  stop      stop it (SIGTERM, then SIGKILL after 15 s)
  status    exit 0 when it runs, 3 when not
  validate  check the Caddyfile with the current environment (caddy validate)

Reads the env file (SELFDB_ENV_FILE, default .env): FRONTEND_DOMAIN, BACKEND_DOMAIN, CADDY_TLS, CADDY_SCHEME,
CADDY_HTTP_PORT, CADDY_HTTPS_PORT, CADDY_BIND, CADDY_ADMIN, and the service ports. A process started this way does
not come back after a reboot: on a server with systemd, ./deploy.sh --native installs units instead.
EOF
}

# True for localhost, *.localhost and IPv4/IPv6 addresses: names no public CA certifies.
is_local_name() {
  case "$1" in
    localhost | *.localhost) return 0 ;;
    *[!0-9.]*) ;;
    *) return 0 ;;
  esac
  case "$1" in *:*) return 0 ;; esac
  return 1
}

caddy_init() {
  load_env_if_present
  state_dir="${SELFDB_HOME:-$ROOT_DIR/.selfdb}"
  case "$state_dir" in /*) ;; *) state_dir="$ROOT_DIR/$state_dir" ;; esac
  caddy_dir="$state_dir/caddy"
  pid_path="$caddy_dir/caddy.pid"
  log_path="$state_dir/logs/caddy.log"
  export FRONTEND_DOMAIN="${FRONTEND_DOMAIN:-localhost}"
  export BACKEND_DOMAIN="${BACKEND_DOMAIN:-api.localhost}"
  if [ -z "${CADDY_TLS:-}" ]; then
    if is_local_name "$FRONTEND_DOMAIN"; then CADDY_TLS=internal; else CADDY_TLS="${CADDY_EMAIL:-internal}"; fi
  fi
  export CADDY_TLS
  export CADDY_HTTP_PORT="${CADDY_HTTP_PORT:-80}" CADDY_HTTPS_PORT="${CADDY_HTTPS_PORT:-443}"
  export CADDY_BACKEND_UPSTREAM="127.0.0.1:$(port_value BACKEND_PORT 8000)"
  export CADDY_REALTIME_UPSTREAM="127.0.0.1:$(port_value REALTIME_INTERNAL_PORT 4000)"
  export CADDY_FRONTEND_UPSTREAM="127.0.0.1:$(port_value FRONTEND_PORT 3000)"
  # Certificates and Caddy's own config next to the rest of the state, not in root's home.
  export XDG_DATA_HOME="$caddy_dir/data" XDG_CONFIG_HOME="$caddy_dir/config"
}

caddy_pid() {
  local pid
  [ -f "$pid_path" ] || return 1
  pid="$(cat "$pid_path")"
  case "$pid" in '' | *[!0-9]*) return 1 ;; esac
  # The pid must still be Caddy running a SelfDB Caddyfile (pids are reused). Any release's: releases deployed by
  # ./deploy.sh share this state directory, and the one Caddy in it, so any of them can stop it.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "caddy run --adapter caddyfile --config .*/caddy/Caddyfile" || return 1
  echo "$pid"
}

caddy_health_url() {
  local scheme="${CADDY_SCHEME:-https}" port
  if [ "$scheme" = http ]; then port="$CADDY_HTTP_PORT"; else port="$CADDY_HTTPS_PORT"; fi
  echo "$scheme://$FRONTEND_DOMAIN:$port/caddy-health"
}

caddy_probe() {
  local url host port
  url="$(caddy_health_url)"
  host="${url#*://}"
  host="${host%%/*}"
  port="${host##*:}"
  host="${host%:*}"
  curl -ks -o /dev/null -w '%{http_code}' --max-time 3 --resolve "$host:$port:127.0.0.1" "$url" 2>/dev/null || true
}

caddy_start() {
  local pid deadline t0
  have caddy || die "caddy is not installed: apt-get install -y caddy (Debian 12+ / Ubuntu 22.04+)."
  have curl || die "curl is not installed: apt-get install -y curl."
  if pid="$(caddy_pid)"; then
    say "Caddy is already running (pid $pid)."
    return 0
  fi
  mkdir -p "$caddy_dir" "$(dirname "$log_path")"
  caddy validate --adapter caddyfile --config "$ROOT_DIR/caddy/Caddyfile" >"$caddy_dir/validate.log" 2>&1 || {
    sed 's/^/  | /' "$caddy_dir/validate.log" | tail -n 15 >&2
    die "caddy/Caddyfile does not validate with the values of $ENV_FILE (above)."
  }
  t0="$(now_ms)"
  printf '  %-10s starting on ports %s/%s for %s ' caddy "$CADDY_HTTP_PORT" "$CADDY_HTTPS_PORT" "$FRONTEND_DOMAIN"
  printf '===== %s caddy start =====\n' "$(date -u +%FT%TZ)" >>"$log_path"
  # setsid: its own session, so it outlives the SSH session or shell that started it.
  setsid caddy run --adapter caddyfile --config "$ROOT_DIR/caddy/Caddyfile" >>"$log_path" 2>&1 </dev/null &
  echo $! >"$pid_path"
  deadline=$(($(date +%s) + ${SELFDB_START_TIMEOUT:-60}))
  while [ "$(caddy_probe)" != 200 ]; do
    if ! caddy_pid >/dev/null; then
      echo " failed"
      show_log_tail "$log_path" 20
      if grep -q 'address already in use' "$log_path"; then
        die "Caddy could not bind its ports ($CADDY_HTTP_PORT, $CADDY_HTTPS_PORT): another web server runs there (ss -ltnp). Stop it (e.g. systemctl stop apache2 nginx), or set CADDY_HTTP_PORT/CADDY_HTTPS_PORT."
      fi
      die "Caddy exited (log above, full log $log_path)."
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo " timed out"
      show_log_tail "$log_path" 20
      die "Caddy runs but $(caddy_health_url) does not answer 200 (log above)."
    fi
    sleep 0.3
  done
  echo "done ($(elapsed_since "$t0"))"
}

caddy_stop() {
  local pid deadline
  if ! pid="$(caddy_pid)"; then
    rm -f "$pid_path"
    say "Caddy is not running."
    return 0
  fi
  printf '  %-10s stopping (pid %s) ...' caddy "$pid"
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$(($(date +%s) + 15))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
    sleep 0.1
  done
  rm -f "$pid_path"
  echo " stopped"
}

command="${1:-}"
case "$command" in
  -h | --help | help)
    usage
    exit 0
    ;;
  start | stop | status | validate) ;;
  *)
    usage >&2
    exit 2
    ;;
esac
caddy_init
case "$command" in
  start) caddy_start ;;
  stop) caddy_stop ;;
  status)
    if pid="$(caddy_pid)"; then
      printf '%-10s %-14s %-8s %-6s %s\n' caddy running "$pid" "$CADDY_HTTPS_PORT" "$(caddy_probe)"
    else
      printf '%-10s %-14s %-8s %-6s %s\n' caddy stopped - "$CADDY_HTTPS_PORT" -
      exit 3
    fi
    ;;
  validate) caddy validate --adapter caddyfile --config "$ROOT_DIR/caddy/Caddyfile" ;;
esac
