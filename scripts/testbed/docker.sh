#!/usr/bin/env bash
# Docker testbed: a private dockerd (vfs, no iptables, no bridge) on the default socket,
# a busybox image imported from the local busybox-static binary (no registry needed),
# and three containers: web (running), done (exited 3), chatty (running, logs markup/ANSI).
#
#   docker.sh up         start dockerd + containers (idempotent), write $TESTBED/docker.yaml
#   docker.sh down       stop dockerd by the PID in its pidfile
#   docker.sh status     exit 0 iff the daemon answers
#   docker.sh many N     make sure N extra sleeping containers (many-1..N) run (benchmarks)
#   docker.sh unmany     remove the many-* containers
#   docker.sh swarm      make this engine a single-node Swarm manager with services websvc, chattysvc
# MEGAM_TESTBED_CONTAINERS=N with `up` is the same as `up` followed by `many N`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR="$TESTBED/docker"
SOCK=/var/run/docker.sock
PIDFILE="$DIR/dockerd.pid"
LOGFILE="$DIR/dockerd.log"
IMAGE=busybox:local
# also on loopback TCP (no TLS: loopback only) so tests can drive the "remote engine" path
TCP_PORT="${MEGAM_DOCKER_TCP_PORT:-23750}"
# The docker CLI on PATH may be newer than the Debian daemon (API 1.41): pin the version.
export DOCKER_HOST="unix://$SOCK"
export DOCKER_API_VERSION="${DOCKER_API_VERSION:-1.41}"
DOCKER=(docker)
[ -x /usr/bin/docker ] && DOCKER=(/usr/bin/docker)

d() { "${DOCKER[@]}" "$@"; }
answers() { timeout 5 "${DOCKER[@]}" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

find_busybox() {
    local b
    for b in /bin/busybox /usr/bin/busybox; do
        [ -x "$b" ] && file_is_static "$b" && { echo "$b"; return; }
    done
    command -v busybox || die "busybox not found (package busybox-static)"
}
file_is_static() { ! ldd "$1" >/dev/null 2>&1; }

start_dockerd() {
    if pid_alive "$PIDFILE" || pid_alive "$DIR/dockerd.launch.pid"; then
        # ours is running: a loaded machine can make it slow to answer; never start a second one
        wait_for 60 answers && return 0
        log "dockerd does not answer within 60 s: restarting it"
        stop_pidfile "$PIDFILE"
        stop_pidfile "$DIR/dockerd.launch.pid"
    elif answers; then
        die "another dockerd already answers on $SOCK (not started by this script); stop it first"
    fi
    mkdir -p "$DIR/data" "$DIR/exec"
    rm -f "$PIDFILE"
    log "starting dockerd (log: $LOGFILE)"
    # dockerd writes its own pidfile; start_daemon records the same PID (setsid execs it).
    # 9>&-: the daemon must not inherit the lock below (it would hold it forever)
    start_daemon "$DIR/dockerd.launch.pid" "$LOGFILE" dockerd \
        --iptables=false --ip-masq=false --bridge=none --storage-driver=vfs --shutdown-timeout 2 \
        --data-root "$DIR/data" --exec-root "$DIR/exec" --pidfile "$PIDFILE" \
        -H "unix://$SOCK" -H "tcp://127.0.0.1:$TCP_PORT" 9>&-
    wait_for 60 answers || { tail -20 "$LOGFILE" >&2; die "dockerd did not answer within 60 s"; }
}

ensure_image() {
    d image inspect "$IMAGE" >/dev/null 2>&1 && return 0
    log "importing $IMAGE from busybox-static"
    local root; root=$(mktemp -d)
    mkdir -p "$root/bin" "$root/tmp"
    cp "$(find_busybox)" "$root/bin/busybox"
    local a
    for a in $("$root/bin/busybox" --list); do
        [ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
    done
    tar -C "$root" -c . | d import -c 'CMD ["/bin/sh"]' - "$IMAGE" >/dev/null
    rm -rf "$root"
}

# ensure_container NAME WANT_STATE RUN_ARGS... : create it if missing; start it if it should run.
ensure_container() {
    local name=$1 want=$2; shift 2
    local state
    state=$(d inspect -f '{{.State.Status}}' "$name" 2>/dev/null || true)
    if [ -z "$state" ]; then
        d run -d --name "$name" --stop-timeout 2 "$@" >/dev/null
    elif [ "$want" = running ] && [ "$state" != running ]; then
        [ "$state" = paused ] && d unpause "$name" >/dev/null || d start "$name" >/dev/null
    fi
}

ensure_containers() {
    ensure_container web running --label com.docker.compose.project=demo \
        --label com.docker.compose.service=web \
        --health-cmd true --health-interval 2s "$IMAGE" sleep 1000000
    # chatty: a line every 0.2 s containing rich markup and an ANSI colour; must stay literal.
    ensure_container chatty running --label com.docker.compose.project=demo \
        --label com.docker.compose.service=chatty "$IMAGE" \
        sh -c 'i=0; while true; do i=$((i+1)); printf "chatty %d [red]x[/] \033[31mred\033[0m [b]bold[/b]\n" "$i"; sleep 0.2; done'
    # done: exits with code 3 once; never restarted.
    if ! d inspect done >/dev/null 2>&1; then
        d run --name done "$IMAGE" sh -c 'echo bye; exit 3' >/dev/null 2>&1 || true
    fi
}

many() {
    local n=$1 i
    for i in $(seq 1 "$n"); do
        local name="many-$i" state
        state=$(d inspect -f '{{.State.Status}}' "$name" 2>/dev/null || true)
        if [ -z "$state" ]; then
            d run -d --name "$name" --stop-timeout 1 --label megam.testbed=many "$IMAGE" sleep 1000000 >/dev/null
        elif [ "$state" != running ]; then
            # after a dockerd restart containerd may still hold the container's task
            # ("task ... already exists"): such a container is made anew
            d start "$name" >/dev/null 2>&1 || {
                d rm -f "$name" >/dev/null
                d run -d --name "$name" --stop-timeout 1 --label megam.testbed=many "$IMAGE" sleep 1000000 >/dev/null
            }
        fi
    done
    log "$n many-* containers running"
}

unmany() {
    local ids
    ids=$(d ps -aq --filter label=megam.testbed=many)
    [ -n "$ids" ] && d rm -f $ids >/dev/null
    return 0
}

swarm() {
    if [ "$(d info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
        d swarm init --advertise-addr 127.0.0.1 >/dev/null
    fi
    if ! d service inspect websvc >/dev/null 2>&1; then
        d service create --detach --name websvc --replicas 2 --no-resolve-image "$IMAGE" sleep 1000000 >/dev/null
    fi
    if ! d service inspect chattysvc >/dev/null 2>&1; then
        d service create --detach --name chattysvc --replicas 1 --no-resolve-image "$IMAGE" \
            sh -c 'i=0; while true; do i=$((i+1)); echo "svc line $i [red]x[/]"; sleep 0.5; done' >/dev/null
    fi
    log "swarm active; services websvc, chattysvc"
}

write_fragment() {
    cat >"$TESTBED/docker.yaml.tmp" <<EOF
docker:
  engines:
    - {name: local, url: unix://$SOCK}
EOF
    mv "$TESTBED/docker.yaml.tmp" "$TESTBED/docker.yaml"
}

# one invocation at a time (tests, benchmarks and people may call this concurrently)
if [ "${1:-}" != status ]; then
    mkdir -p "$DIR"
    exec 9>"$DIR/.lock"
    flock -w 300 9 || die "another docker.sh is still running"
fi

case ${1:-} in
up)
    ensure_pkgs docker.io busybox-static
    start_dockerd
    ensure_image
    ensure_containers
    [ -n "${MEGAM_TESTBED_CONTAINERS:-}" ] && many "$MEGAM_TESTBED_CONTAINERS"
    write_fragment
    ;;
down)
    for f in "$PIDFILE" "$DIR/dockerd.launch.pid"; do
        if pid_alive "$f"; then
            log "stopping dockerd pid $(cat "$f")"
            stop_pidfile "$f"
        fi
    done
    rm -f "$DIR/dockerd.launch.pid"
    ;;
status)
    if answers; then
        echo "dockerd $(d version --format '{{.Server.Version}}') on $SOCK"
    else
        echo "dockerd not answering on $SOCK"; exit 1
    fi
    ;;
many) many "${2:?usage: docker.sh many N}" ;;
unmany) unmany ;;
swarm) swarm ;;
*) die "usage: docker.sh up|down|status|many N|unmany|swarm" ;;
esac
