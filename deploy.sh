#!/usr/bin/env bash
# ./deploy.sh: puts SelfDB on a Debian or Ubuntu server over SSH, behind Caddy with TLS, in one command; with Docker
# (docker-compose-production.yml) or without (--native: PostgreSQL, PgBouncer, Caddy and Node.js from the server's
# packages). Run ./deploy.sh --help. The server side is scripts/deploy/remote.sh, sent over SSH step by step.
set -euo pipefail

DEPLOY_VERSION=1.1.0
ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# shellcheck source=scripts/native/common.sh
. "$ROOT_DIR/scripts/native/common.sh"
warn() { printf 'deploy: warning: %s\n' "$*" >&2; }
die() {
  printf 'deploy: %s\n' "$*" >&2
  exit 1
}

usage() {
  cat <<'EOF'
Usage: ./deploy.sh [options]              deploy (or redeploy) SelfDB to a server over SSH
       ./deploy.sh --host H --status | --logs [SERVICE] | --backup | --restore ARCHIVE

Connection:
  --host HOST          server name or IP address (without it: an interactive wizard asks for everything)
  --user USER          SSH user (default root; another user needs password-less sudo)
  --port N             SSH port (default 22)
  --ssh-key KEY        private key: a path, or the key's content itself
  --password PASS      SSH password instead of a key (needs sshpass on this machine)
  --dir DIR            folder on the server (default ~/Desktop/SelfDB, as SelfDB 0.0.5)

What to deploy:
  --native             without Docker: PostgreSQL, PgBouncer and Caddy from apt, Node.js 20, the services as
                       systemd units (or plain processes where the server has no systemd, e.g. a container)
  --domain NAME        FRONTEND_DOMAIN: the dashboard at https://NAME, the API at https://NAME/api
  --api-domain NAME    BACKEND_DOMAIN: the API at https://NAME too (default api.NAME)
  --email ADDRESS      CADDY_EMAIL: contact for Let's Encrypt (needed for a real domain)
  --env-file FILE      upload FILE as the server's .env (by default the server keeps its own; the first deploy
                       makes one with fresh keys, and the laptop's .env is never sent)

Behaviour:
  --dry-run            print every step and command, change nothing, connect nowhere
  -y, --yes            ask nothing (required when stdin is not a terminal)
  -h, --help           this help;  --version  the version

After a deploy (over SSH, no manual session needed):
  --status             releases, services, and the health checks through Caddy
  --logs [SERVICE]     the last 100 log lines (postgres, pgbouncer, backend, realtime, storage, functions,
                       frontend, caddy; Docker: any service)
  --backup             a backup now (backups/ on the server)
  --restore ARCHIVE    restore a backup of the server (latest, or a file name in backups/)

Steps: 1 local checks, 2 SSH and server facts (init or redeploy), 3 install Docker or the native packages (init),
4 firewall ufw 22/80/443 and fail2ban (init, where systemd runs), 5 upload (rsync, a new release folder), 6 .env
and build, 7 backup of the running data (redeploy), 8 switch and start, 9 health checks through Caddy, 10 cleanup.
If the health checks fail after a redeploy, the previous release is started again and deploy.sh exits 1 saying why.

Environment: FRONTEND_DOMAIN, BACKEND_DOMAIN, CADDY_EMAIL, ADMIN_EMAIL and the ports of docs/ENVS.md exported here
are written to the server's .env; DEPLOY_KNOWN_HOSTS (known_hosts file for this server), DEPLOY_HEALTH_TIMEOUT
(seconds, default 120).
EOF
}

# --- Options ------------------------------------------------------------------------------------------------------

host="" user=root port=22 ssh_key="" password="" dir="~/Desktop/SelfDB" native=no dry_run=no yes=no
operation=deploy operation_arg="" env_upload="" domain="${FRONTEND_DOMAIN:-}" api_domain="${BACKEND_DOMAIN:-}"
email="${CADDY_EMAIL:-}"

need_value() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value; see ./deploy.sh --help."; }

while [ $# -gt 0 ]; do
  case "$1" in
    --host) need_value "$@" && host="$2" && shift ;;
    --user) need_value "$@" && user="$2" && shift ;;
    --port) need_value "$@" && port="$2" && shift ;;
    --ssh-key | --key) need_value "$@" && ssh_key="$2" && shift ;;
    --password) need_value "$@" && password="$2" && shift ;;
    --dir) need_value "$@" && dir="$2" && shift ;;
    --domain) need_value "$@" && domain="$2" && shift ;;
    --api-domain) need_value "$@" && api_domain="$2" && shift ;;
    --email) need_value "$@" && email="$2" && shift ;;
    --env-file) need_value "$@" && env_upload="$2" && shift ;;
    --native) native=yes ;;
    --docker) native=no ;;
    --dry-run) dry_run=yes ;;
    -y | --yes) yes=yes ;;
    --status) operation=status ;;
    --backup) operation=backup ;;
    --logs)
      operation=logs
      if [ $# -ge 2 ] && [[ "$2" != -* ]]; then operation_arg="$2" && shift; fi
      ;;
    --restore) need_value "$@" && operation=restore && operation_arg="$2" && shift ;;
    -h | --help)
      usage
      exit 0
      ;;
    --version)
      echo "deploy.sh $DEPLOY_VERSION"
      exit 0
      ;;
    *)
      echo "deploy: unknown option '$1'." >&2
      echo "Usage: ./deploy.sh --host HOST [--user USER] [--ssh-key KEY | --password PASS] [--native] [--dry-run] [--yes]" >&2
      echo "Run ./deploy.sh --help for details." >&2
      exit 2
      ;;
  esac
  shift
done


# --- Wizard -------------------------------------------------------------------------------------------------------

ask() {
  local prompt="$1" default="${2:-}" answer
  read -r -p "$prompt${default:+ [$default]}: " answer
  printf '%s' "${answer:-$default}"
}

wizard() {
  [ -t 0 ] || die "no --host given, and no terminal for the wizard: pass --host (see ./deploy.sh --help)."
  say "SelfDB deploy wizard (Ctrl-C to stop; ./deploy.sh --help lists the options to skip it)"
  host="$(ask "Server IP address or name")"
  [ -n "$host" ] || die "a server is needed."
  user="$(ask "SSH user" root)"
  port="$(ask "SSH port" 22)"
  local found=""
  for candidate in "$HOME/.ssh/id_ed25519" "$HOME/.ssh/id_rsa" "$HOME/.ssh/id_ecdsa"; do
    if [ -f "$candidate" ]; then found="$candidate" && break; fi
  done
  ssh_key="$(ask "SSH private key (Enter with no key: use a password)" "$found")"
  if [ -z "$ssh_key" ]; then
    read -r -s -p "SSH password: " password
    echo
  fi
  domain="$(ask "Domain of the dashboard (FRONTEND_DOMAIN; an IP address works, with a self-signed certificate)" "${domain:-$host}")"
  if ! is_local_name "$domain"; then email="$(ask "E-mail for Let's Encrypt" "$email")"; fi
  local answer
  answer="$(ask "Without Docker (native PostgreSQL, PgBouncer, Caddy, Node.js)? y/N" n)"
  case "$answer" in y | Y | yes) native=yes ;; esac
  dir="$(ask "Folder on the server" "$dir")"
}

# --- Helpers ------------------------------------------------------------------------------------------------------

is_local_name() {
  case "$1" in
    localhost | *.localhost) return 0 ;;
    *[!0-9.]*) ;;
    *) return 0 ;;
  esac
  case "$1" in *:*) return 0 ;; esac
  return 1
}

step_no=0
step_total=10
step_started=0
step() {
  step_no=$((step_no + 1))
  step_started="$(now_ms)"
  printf '\n[%d/%d] %s\n' "$step_no" "$step_total" "$*"
}
step_done() { printf '  done in %s\n' "$(elapsed_since "$step_started")"; }
# The failing step, why, and what to do.
step_fail() {
  printf '\n[%d/%d] FAILED after %s: %s\n' "$step_no" "$step_total" "$(elapsed_since "$step_started")" "$1" >&2
  [ -z "${2:-}" ] || printf '  What to do: %s\n' "$2" >&2
  exit 1
}
would() { printf '  would run: %s\n' "$*"; }

key_file=""
cleanup_files=()
cleanup() { [ ${#cleanup_files[@]} -eq 0 ] || rm -f "${cleanup_files[@]}"; }
trap cleanup EXIT

ssh_options() {
  ssh_opts=(-p "$port" -o ConnectTimeout=10 -o ServerAliveInterval=15 -o StrictHostKeyChecking=accept-new)
  if [ -n "${DEPLOY_KNOWN_HOSTS:-}" ]; then ssh_opts+=(-o "UserKnownHostsFile=$DEPLOY_KNOWN_HOSTS"); fi
  if [ -n "$key_file" ]; then ssh_opts+=(-i "$key_file" -o IdentitiesOnly=yes); fi
  if [ -z "$password" ]; then ssh_opts+=(-o BatchMode=yes); else ssh_opts+=(-o PubkeyAuthentication=no -o PreferredAuthentications=password,keyboard-interactive); fi
}

ssh_run() {
  if [ -n "$password" ]; then
    SSHPASS="$password" sshpass -e ssh "${ssh_opts[@]}" "$user@$host" "$@"
  else
    ssh "${ssh_opts[@]}" "$user@$host" "$@"
  fi
}

# Runs one step of scripts/deploy/remote.sh on the server, with VAR=VALUE pairs exported there first.
remote() {
  local exports=()
  while [ $# -gt 0 ] && [[ "$1" == *=* ]]; do
    exports+=("$1")
    shift
  done
  {
    for pair in ${exports[@]+"${exports[@]}"}; do printf 'export %s=%q\n' "${pair%%=*}" "${pair#*=}"; done
    cat "$ROOT_DIR/scripts/deploy/remote.sh"
    printf 'remote_main'
    printf ' %q' "$@"
    printf '\n'
  } | ssh_run 'bash -s'
}

# Explains an SSH failure from ssh's own message.
ssh_failure_hint() {
  case "$1" in
    *"Permission denied"*) echo "the server refused the login as $user: check --user and --ssh-key/--password (ssh-copy-id -p $port $user@$host puts your key there)." ;;
    *"Connection refused"*) echo "nothing accepts SSH on $host:$port: is sshd running, and is --port right?" ;;
    *"Could not resolve"* | *"Name or service not known"*) echo "'$host' does not resolve: check --host (or use the IP address)." ;;
    *"timed out"* | *"No route"*) echo "$host:$port does not answer: wrong address, or a firewall drops SSH." ;;
    *"Host key verification failed"* | *"REMOTE HOST IDENTIFICATION HAS CHANGED"*) echo "the server's host key changed since the last connection: if you reinstalled it, remove the old key (ssh-keygen -R '[$host]:$port'); else do not go on." ;;
    *) echo "run ssh -p $port $user@$host by hand to see why." ;;
  esac
}

rsync_excludes=(--exclude=.git/ --exclude=node_modules/ --exclude=.selfdb/ --exclude=/backups/ --include=.env.example
  --exclude=.env --exclude='.env.*' --exclude='*.log' --exclude=.tmp/ --exclude=coverage/ --exclude='*.tsbuildinfo'
  --exclude='.tmp-*/')

# --- Main ---------------------------------------------------------------------------------------------------------

if [ -z "$host" ]; then
  if [ "$dry_run" = yes ]; then die "--dry-run needs --host (the wizard asks questions; a dry run asks none)."; fi
  wizard
fi
case "$port" in '' | *[!0-9]*) die "--port must be a number (got '$port')." ;; esac
case "$host" in *[!A-Za-z0-9.:_-]*) die "--host '$host' is not a host name or IP address." ;; esac
case "$user" in *[!A-Za-z0-9._-]* | -*) die "--user '$user' is not a user name." ;; esac

if [ -n "$ssh_key" ]; then
  if [ -f "$ssh_key" ]; then
    key_file="$ssh_key"
  elif [[ "$ssh_key" == *"PRIVATE KEY"* ]]; then
    key_file="$(mktemp)"
    cleanup_files+=("$key_file")
    printf '%s\n' "$ssh_key" >"$key_file"
    chmod 600 "$key_file"
  else
    die "--ssh-key '$ssh_key' is neither a file nor a private key's content."
  fi
fi

if [ "$operation" != deploy ]; then
  ssh_options
  [ "$dry_run" = no ] || {
    would "ssh -p $port $user@$host bash -s  (scripts/deploy/remote.sh: $operation ${operation_arg})"
    exit 0
  }
  case "$operation" in
    status) remote DEPLOY_HEALTH_TIMEOUT=10 status "$dir" ;;
    logs) remote logs "$dir" "$operation_arg" ;;
    backup) remote backup_now "$dir" ;;
    restore) remote restore "$dir" "$operation_arg" ;;
  esac
  exit $?
fi

domain="${domain:-$host}"
if [ -z "$api_domain" ]; then
  if is_local_name "$domain"; then api_domain="api.localhost"; else api_domain="api.$domain"; fi
fi
kind=Docker
if [ "$native" = yes ]; then kind=native; fi

# What the server's .env gets from here: the domains, the e-mail, and any port or Caddy setting exported.
env_pairs=("DEPLOY_SET_FRONTEND_DOMAIN=$domain" "DEPLOY_SET_BACKEND_DOMAIN=$api_domain")
if [ -n "$email" ]; then env_pairs+=("DEPLOY_SET_CADDY_EMAIL=$email"); fi
for name in ADMIN_EMAIL CADDY_TLS CADDY_SCHEME CADDY_HTTP_PORT CADDY_HTTPS_PORT CADDY_BIND CADDY_ADMIN BACKEND_PORT \
  DB_PORT PGBOUNCER_PORT REALTIME_INTERNAL_PORT STORAGE_INTERNAL_PORT FUNCTIONS_INTERNAL_PORT FRONTEND_PORT; do
  if [ -n "${!name:-}" ]; then env_pairs+=("DEPLOY_SET_$name=${!name}"); fi
done
if [ -n "${DEPLOY_NODE_MODULES:-}" ]; then env_pairs+=("DEPLOY_NODE_MODULES=$DEPLOY_NODE_MODULES"); fi
export_health=("DEPLOY_HEALTH_TIMEOUT=${DEPLOY_HEALTH_TIMEOUT:-120}")

say "SelfDB deploy $DEPLOY_VERSION: $kind stack to $user@$host:$port, folder $dir"
say "  https://$domain (dashboard, API under /api), https://$api_domain (API)"
if [ "$dry_run" = no ] && [ "$yes" = no ]; then
  [ -t 0 ] || die "stdin is not a terminal, so there is no one to confirm: add --yes."
  answer="$(ask "Go on? y/N" n)"
  case "$answer" in y | Y | yes) ;; *) die "stopped; nothing was changed." ;; esac
fi
t_total="$(now_ms)"

# 1. Local checks
step "Local checks"
for file in selfdb.sh docker-compose-production.yml caddy/Caddyfile scripts/deploy/remote.sh scripts/native/caddy.sh .env.example generate_keys.sh; do
  [ -e "$ROOT_DIR/$file" ] || step_fail "$file is missing here" "run deploy.sh from a complete SelfDB checkout."
done
for tool in ssh rsync; do
  have "$tool" || step_fail "$tool is not installed on this machine" "install it (apt-get install openssh-client rsync; brew install rsync)."
done
if [ -n "$password" ] && ! have sshpass; then
  step_fail "--password needs sshpass, which is not installed" "install sshpass (apt-get install sshpass), or use --ssh-key."
fi
if [ -n "$env_upload" ] && [ ! -f "$env_upload" ]; then step_fail "--env-file $env_upload does not exist" "give the path of an env file."; fi
if ! is_local_name "$domain"; then
  case "$email" in '' | *your-domain.com | *example.com)
    step_fail "a real domain ($domain) needs an e-mail for Let's Encrypt (CADDY_EMAIL is '${email:-unset}')" "add --email you@$domain (or export CADDY_EMAIL)." ;;
  esac
fi
say "  project files, ssh, rsync: ok"
step_done
ssh_options

if [ "$dry_run" = yes ]; then
  step "SSH and server facts"
  would "ssh ${ssh_opts[*]} $user@$host bash -s   (remote_facts: mode init or redeploy, disk, sudo, systemd)"
  step "Install (init only)"
  if [ "$native" = yes ]; then would "apt-get install postgresql pgbouncer caddy rsync curl; Node.js 20 when missing"; else would "curl -fsSL https://get.docker.com | sh   (when Docker is missing)"; fi
  step "Firewall and fail2ban (init only, where systemd runs)"
  would "ufw allow $port/tcp 80/tcp 443/tcp 443/udp; ufw enable; fail2ban sshd jail"
  step "Upload"
  would "rsync -az --delete ${rsync_excludes[*]} $ROOT_DIR/ $user@$host:$dir/releases/<id>/"
  step ".env and build"
  would "link .env, .selfdb, backups to $dir/shared; first deploy: generate_keys.sh --yes (fresh keys, random admin password)"
  would "set ${env_pairs[*]#DEPLOY_SET_}"
  step "Backup of the running data (redeploy only)"
  would "./backup_now.sh --name pre-deploy"
  step "Switch and start"
  if [ "$native" = yes ]; then would "./selfdb.sh stop (old); ln -sfn releases/<id> current; ./selfdb.sh start; scripts/native/caddy.sh start (systemd units where systemd runs)"; else would "docker compose -f docker-compose-production.yml build; up -d"; fi
  step "Health checks through Caddy"
  would "curl https://$domain/caddy-health, /api/health, /   (on failure after a redeploy: the previous release is started again)"
  step "Cleanup"
  would "keep the newest 3 releases"
  say ""
  say "Dry run: nothing was changed and nothing was contacted."
  exit 0
fi

# 2. SSH
step "SSH connection and server facts"
if ! facts="$(remote facts "$dir" 2>"${TMPDIR:-/tmp}/deploy-ssh-$$.err")"; then
  err="$(cat "${TMPDIR:-/tmp}/deploy-ssh-$$.err")"
  rm -f "${TMPDIR:-/tmp}/deploy-ssh-$$.err"
  step_fail "cannot run commands on $user@$host:$port: $(printf '%s' "$err" | tail -n 2 | tr '\n' ' ')" "$(ssh_failure_hint "$err")"
fi
rm -f "${TMPDIR:-/tmp}/deploy-ssh-$$.err"
fact() { printf '%s\n' "$facts" | sed -n "s/^$1=//p" | head -n 1; }
remote_dir="$(fact DIR)"
mode="$(fact MODE)"
say "  $(fact OS | tr '_' ' '), systemd: $(fact SYSTEMD), free disk: $(fact FREE_MB) MB, folder: $remote_dir ($mode)"
case "$(fact SUDO)" in root | yes) ;; *) step_fail "$user is not root and has no password-less sudo" "use --user root, or give $user sudo without a password (echo '$user ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/$user)." ;; esac
if [ "$mode" = foreign ]; then
  step_fail "$remote_dir holds a SelfDB that deploy.sh did not put there (no releases/current)" "back it up, then move it away or pick another --dir."
fi
if [ "$(fact FREE_MB)" -lt 1024 ]; then
  step_fail "only $(fact FREE_MB) MB free on the server's disk" "free space (docker system prune, old backups in $remote_dir/backups) and deploy again."
fi
[ "$(fact FREE_MB)" -ge 2048 ] || warn "less than 2 GB free on the server: images, npm packages and backups need room."
deployed_as="$(fact DEPLOYED_AS)"
if [ "$mode" = redeploy ] && [ -n "$deployed_as" ] && [ "$deployed_as" != "$(if [ "$native" = yes ]; then echo native; else echo docker; fi)" ]; then
  step_fail "this server runs the $deployed_as stack; switching between Docker and native is not done by a redeploy" "deploy with$([ "$deployed_as" = native ] && echo ' --native' || echo 'out --native'), or back up, restore on a fresh --dir."
fi
previous="$(fact CURRENT)"
step_done

# 3. Install
step "Install $(if [ "$native" = yes ]; then echo 'PostgreSQL, PgBouncer, Caddy, Node.js'; else echo Docker; fi)"
if [ "$mode" = init ] || [ "$native" = yes ]; then
  remote install "$native" || step_fail "installing the packages failed (above)" "fix the cause shown, then run deploy.sh again (it picks up where it stopped)."
else
  say "  redeploy: skipped"
fi
step_done

# 4. Firewall
step "Firewall (ufw: $port, 80, 443) and fail2ban"
if [ "$mode" = init ]; then
  remote firewall "$port" || step_fail "setting up the firewall failed (above)" "run ufw status on the server; deploy.sh again is safe."
else
  say "  redeploy: skipped"
fi
step_done

# 5. Upload
release="$(date -u +%Y%m%d-%H%M%S)"
step "Upload the project (release $release)"
remote mkrelease "$remote_dir" "$release" "$(if [ "$native" = yes ]; then echo native; else echo docker; fi)" || step_fail "cannot create $remote_dir/releases/$release" "check the folder's owner and the free disk (df -h)."
rsync_ssh="ssh $(printf '%q ' "${ssh_opts[@]}")"
link_dest=()
if [ -n "$previous" ]; then link_dest=(--link-dest="$previous/"); fi
rsync_cmd=(rsync -az --delete "${rsync_excludes[@]}" ${link_dest[@]+"${link_dest[@]}"} -e "$rsync_ssh" "$ROOT_DIR/" "$user@$host:$remote_dir/releases/$release/")
if [ -n "$password" ]; then rsync_cmd=(env SSHPASS="$password" sshpass -e "${rsync_cmd[@]}"); fi
"${rsync_cmd[@]}" || step_fail "rsync failed (above)" "a full disk on the server (df -h) or a dropped connection: run deploy.sh again."
say "  uploaded to $remote_dir/releases/$release"
step_done

# 6. .env and build
step ".env and build"
upload_pairs=()
if [ -n "$env_upload" ]; then upload_pairs=("DEPLOY_ENV_CONTENT=$(cat "$env_upload")"); fi
if ! is_local_name "$domain" && ! getent hosts "$domain" >/dev/null 2>&1; then
  warn "$domain does not resolve (yet): serving plain HTTP on port 80 for now, so Caddy does not retry certificates in a loop. Point its DNS A/AAAA record at $host, then run ./deploy.sh again for HTTPS."
  env_pairs+=("DEPLOY_SET_CADDY_SCHEME=http")
elif [ -z "${CADDY_SCHEME:-}" ]; then
  env_pairs+=("DEPLOY_SET_CADDY_SCHEME=https")
fi
remote "${env_pairs[@]}" ${upload_pairs[@]+"${upload_pairs[@]}"} prepare "$remote_dir" "$release" "$(if [ "$native" = yes ]; then echo native; else echo docker; fi)" ||
  step_fail "preparing release $release failed (above)" "fix the cause shown and deploy again; the running release was not touched."
step_done

# 7. Backup
step "Backup of the running data"
if [ "$mode" = redeploy ]; then
  remote backup "$remote_dir" || step_fail "the pre-deploy backup failed (above); nothing was switched" "./deploy.sh --status and --logs show why; free disk space if that is it."
else
  say "  first deploy: nothing to back up"
fi
step_done

# 8. Switch and start
step "Switch to release $release and start"
started=yes
remote switch "$remote_dir" "$release" "$(if [ "$native" = yes ]; then echo native; else echo docker; fi)" || started=no
if [ "$started" = no ] && [ -z "$previous" ]; then
  step_fail "SelfDB did not start (the reason is above)" "fix the cause shown (./deploy.sh --logs [service] shows more), then run deploy.sh again. Ports 80/443 taken by another web server are a common cause (ss -ltnp on the server)."
fi
[ "$started" = no ] && say "  release $release did not start (the reason is above)"
step_done

# 9. Health
step "Health checks through Caddy"
healthy=no
if [ "$started" = yes ] && remote "${export_health[@]}" health "$remote_dir"; then healthy=yes; fi
if [ "$healthy" = no ]; then
  if [ -n "$previous" ]; then
    say "  release $release is not healthy: putting back $(basename "$previous")"
    if remote "${export_health[@]}" rollback "$remote_dir" "$release" "$previous" "$(if [ "$native" = yes ]; then echo native; else echo docker; fi)"; then
      step_fail "release $release did not become healthy (the reason is above); rolled back to $(basename "$previous"), which is healthy and serving again" "read the new release's logs (./deploy.sh --logs backend), fix the cause, deploy again. The pre-deploy backup is in $remote_dir/backups."
    fi
    step_fail "release $release failed and putting back $(basename "$previous") failed too (above)" "./deploy.sh --status and --logs; restore the pre-deploy backup with ./deploy.sh --restore latest."
  fi
  step_fail "SelfDB did not become healthy (the reason is above)" "./deploy.sh --logs shows the services' logs; ports 80/443 taken by another web server is a common cause (ss -ltnp on the server)."
fi
step_done

# 10. Cleanup
step "Cleanup"
remote cleanup "$remote_dir" || warn "cleaning old releases failed (harmless)."
step_done

say ""
say "SelfDB is deployed ($kind, release $release) in $(elapsed_since "$t_total")."
scheme=https
for pair in "${env_pairs[@]}"; do
  if [ "$pair" = DEPLOY_SET_CADDY_SCHEME=http ]; then scheme=http; fi
done
say "  Dashboard: $scheme://$domain      API: $scheme://$domain/api   and $scheme://$api_domain"
say "  Status: ./deploy.sh --host $host --port $port --user $user --status     Logs: ... --logs [service]"
say "  Redeploy after a change: the same command again (the data and the server's .env are kept)."
