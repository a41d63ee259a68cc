# Shared helpers for the testbed scripts. Source it; do not run it.
# Every engine script: `<engine>.sh up|down|status`, idempotent, state under
# $TESTBED (default: <repo>/.testbed), config fragment in $TESTBED/<engine>.yaml.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TESTBED="${MEGAM_TESTBED_DIR:-$REPO/.testbed}"
mkdir -p "$TESTBED"

log() { printf '[testbed] %s\n' "$*" >&2; }
die() { printf '[testbed] ERROR: %s\n' "$*" >&2; exit 1; }

# ensure_pkgs PKG... : apt-get install the Debian packages that are missing.
ensure_pkgs() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing: ${missing[*]}"
    local stamp="$TESTBED/.apt-updated"
    if [ ! -e "$stamp" ] || [ -n "$(find "$stamp" -mmin +600 2>/dev/null)" ]; then
        apt-get update -q >/dev/null 2>&1 || apt-get update -q
        touch "$stamp"
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >"$TESTBED/apt-$$.log" 2>&1 \
        || { tail -20 "$TESTBED/apt-$$.log" >&2; die "apt-get install failed"; }
    rm -f "$TESTBED/apt-$$.log"
}

# pid_alive FILE : true when FILE holds the PID of a live process.
pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# start_daemon PIDFILE LOGFILE CMD... : setsid CMD in the background, record its PID.
start_daemon() {
    local pidfile=$1 logfile=$2; shift 2
    setsid "$@" >"$logfile" 2>&1 </dev/null &
    echo $! >"$pidfile"
}

# stop_pidfile FILE [SIGNAL] : stop the process whose PID is in FILE (and wait up to 10 s).
stop_pidfile() {
    local f=$1 sig=${2:-TERM}
    pid_alive "$f" || { rm -f "$f"; return 0; }
    local pid; pid=$(cat "$f")
    kill "-$sig" "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    rm -f "$f"
}

# wait_for SECONDS CMD... : retry CMD every 0.2 s until it succeeds or SECONDS pass.
wait_for() {
    local secs=$1; shift
    local end=$(( $(date +%s) + secs ))
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -ge "$end" ] && return 1
        sleep 0.2
    done
}
