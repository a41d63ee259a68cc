#!/usr/bin/env bash
# One-node Ceph testbed: 1 mon (mon0), 1 mgr (x), 3 memstore OSDs.
#   ceph.sh up | down | purge | status
#   ceph.sh kill-osd N | start-osd N | stop-mon | start-mon | stop-mgr | start-mgr   (fault tests)
# Everything (conf, data, run dir, logs, pid files) lives under $TESTBED/ceph; the
# cluster is reached with CEPH_CONF=$TESTBED/ceph/ceph.conf, never /etc/ceph.
# Daemons run in the foreground (-f) under setsid so the recorded PID is theirs;
# they are stopped by that PID only.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR="$TESTBED/ceph"
RUN="$DIR/run"
CONF="$DIR/ceph.conf"
export CEPH_CONF="$CONF"
OSDS=(0 1 2)
HEALTH_WAIT=${CEPH_HEALTH_WAIT:-120}

cephq() { timeout 15 ceph --connect-timeout 5 "$@"; }

# alive NAME : the daemon whose PID is in $RUN/NAME.pid runs (and is a ceph daemon).
alive() {
    local f="$RUN/$1.pid"
    pid_alive "$f" || return 1
    tr '\0' ' ' <"/proc/$(cat "$f")/cmdline" 2>/dev/null | grep -q "ceph-"
}

write_conf() {
    mkdir -p "$DIR" "$RUN" "$DIR/log" "$DIR/mon" "$DIR/mgr"
    cat >"$CONF" <<EOF
[global]
fsid = $(uuidgen)
mon host = v2:127.0.0.1:3300/0
mon initial members = mon0
auth cluster required = none
auth service required = none
auth client required = none
osd crush chooseleaf type = 0
osd pool default size = 3
osd pool default min size = 2
osd pool default pg autoscale mode = off
mon warn on pool no redundancy = false
auth allow insecure global id reclaim = false
mon data avail warn = 1
mon data avail crit = 0
run dir = $RUN
memstore device bytes = 268435456
[mon]
mon data = $DIR/mon/\$cluster-\$id
log file = $DIR/log/\$name.log
admin socket = $RUN/\$name.asok
[osd]
osd objectstore = memstore
osd data = $DIR/osd\$id
log file = $DIR/log/\$name.log
admin socket = $RUN/\$name.asok
[mgr]
mgr data = $DIR/mgr/\$cluster-\$id
log file = $DIR/log/\$name.log
admin socket = $RUN/\$name.asok
EOF
}

start_mon() {
    alive mon.mon0 && return 0
    log "starting ceph-mon mon0"
    start_daemon "$RUN/mon.mon0.pid" "$DIR/log/mon.mon0.out" ceph-mon --id mon0 -f
    wait_for 30 cephq health || die "mon did not answer within 30 s (see $DIR/log/mon.mon0.log)"
}

start_mgr() {
    alive mgr.x && return 0
    mkdir -p "$DIR/mgr/ceph-x"
    log "starting ceph-mgr x"
    start_daemon "$RUN/mgr.x.pid" "$DIR/log/mgr.x.out" ceph-mgr --id x -f
}

# start_osd N : create osd.N in the osdmap if needed; memstore keeps nothing across a
# restart, so the store is made anew (same id and uuid) before every start.
start_osd() {
    local n=$1
    alive "osd.$n" && return 0
    local uuid_file="$DIR/osd$n.uuid"
    [ -s "$uuid_file" ] || uuidgen >"$uuid_file"
    local uuid; uuid=$(cat "$uuid_file")
    if ! cephq osd ls 2>/dev/null | grep -qx "$n"; then
        cephq osd create "$uuid" "$n" >/dev/null
        cephq osd crush add "osd.$n" 1 root=default host="$(hostname -s)" >/dev/null 2>&1
    fi
    rm -rf "$DIR/osd$n"; mkdir -p "$DIR/osd$n"
    ceph-osd --id "$n" --mkfs --osd-uuid "$uuid" >"$DIR/log/osd.$n.mkfs" 2>&1 \
        || { tail -5 "$DIR/log/osd.$n.mkfs" >&2; die "mkfs of osd.$n failed"; }
    log "starting ceph-osd $n"
    start_daemon "$RUN/osd.$n.pid" "$DIR/log/osd.$n.out" ceph-osd --id "$n" -f
}

# recreate_pgs : every OSD was made anew (memstore keeps nothing), so every PG of the
# existing pools is gone; have the mon create them again, empty.
recreate_pgs() {
    local pg
    for pg in $(cephq osd pool ls detail -f json | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    for i in range(p["pg_num"]):
        print("%d.%x" % (p["pool_id"], i))'); do
        cephq osd force-create-pg "$pg" --yes-i-really-mean-it >/dev/null 2>&1 || true
    done
}

# lab_pool : a small pool with a few objects, so df and per-pool usage show something.
lab_pool() {
    cephq osd pool ls | grep -qx lab || {
        cephq osd pool create lab 8 >/dev/null 2>&1
        cephq osd pool application enable lab rados >/dev/null 2>&1
    }
    [ "$(timeout 15 rados -p lab ls 2>/dev/null | wc -l)" -ge 4 ] && return 0
    head -c 1048576 /dev/urandom >"$DIR/obj.bin"
    local i
    for i in 1 2 3 4; do timeout 15 rados -p lab put "obj-$i" "$DIR/obj.bin" || die "rados put to pool lab failed"; done
}

write_fragment() {
    local tmp="$TESTBED/ceph.yaml.tmp"
    printf 'ceph:\n  clusters:\n    - {name: lab, conf: %s, timeout: 5s}\n' "$CONF" >"$tmp"
    mv "$tmp" "$TESTBED/ceph.yaml"
}

# ready : HEALTH_OK with every OSD up and in, the mgr active and every PG active+clean.
ready() {
    cephq status -f json 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin); o = s["osdmap"]; o = o.get("osdmap", o)
ok = (s["health"]["status"] == "HEALTH_OK" and s["mgrmap"].get("available")
      and o["num_osds"] == o["num_up_osds"] == o["num_in_osds"] == '"${#OSDS[@]}"'
      and sum(x["count"] for x in s["pgmap"].get("pgs_by_state", []) if x["state_name"] == "active+clean")
          == s["pgmap"]["num_pgs"])
sys.exit(0 if ok else 1)'
}

up() {
    local t0; t0=$(date +%s%N)
    ensure_pkgs ceph-mon ceph-osd ceph-mgr ceph-common uuid-runtime
    if [ ! -d "$DIR/mon/ceph-mon0/store.db" ] || [ ! -s "$CONF" ]; then
        local n
        for n in mon.mon0 mgr.x osd.0 osd.1 osd.2; do stop_pidfile "$RUN/$n.pid"; done
        rm -rf "$DIR"
        write_conf
        log "creating a new cluster in $DIR"
        ceph-mon --id mon0 --mkfs --keyring /dev/null >"$DIR/log/mon.mkfs" 2>&1 \
            || { tail -5 "$DIR/log/mon.mkfs" >&2; die "mon mkfs failed"; }
    fi
    mkdir -p "$RUN" "$DIR/log"
    start_mon
    local all_new=1
    for n in "${OSDS[@]}"; do alive "osd.$n" && all_new=0; done
    for n in "${OSDS[@]}"; do start_osd "$n"; done
    start_mgr
    [ "$all_new" = 1 ] && recreate_pgs
    write_fragment
    wait_for "$HEALTH_WAIT" ready || { cephq status >&2 || true; die "no HEALTH_OK within ${HEALTH_WAIT} s"; }
    lab_pool
    wait_for "$HEALTH_WAIT" ready || { cephq status >&2 || true; die "no HEALTH_OK within ${HEALTH_WAIT} s"; }
    log "ceph up (HEALTH_OK) in $(( ($(date +%s%N) - t0) / 1000000 )) ms; CEPH_CONF=$CONF"
}

down() {
    local n
    for n in mgr.x osd.0 osd.1 osd.2 mon.mon0; do stop_pidfile "$RUN/$n.pid"; done
    rm -f "$TESTBED/ceph.yaml"
}

status() {
    local n missing=()
    for n in mon.mon0 mgr.x osd.0 osd.1 osd.2; do alive "$n" || missing+=("$n"); done
    if [ ${#missing[@]} -ne 0 ]; then echo "not running: ${missing[*]}"; return 1; fi
    echo "mon.mon0 mgr.x osd.0 osd.1 osd.2 running ($(timeout 8 ceph --connect-timeout 3 health 2>/dev/null | head -1 || echo 'no answer'))"
}

need_n() { [[ "${1:-}" =~ ^[0-9]+$ ]] || die "usage: ceph.sh $2 N"; }

case "${1:-}" in
    up) up ;;
    down) down ;;
    purge) down; rm -rf "$DIR" ;;
    status) status ;;
    kill-osd) need_n "${2:-}" kill-osd; stop_pidfile "$RUN/osd.$2.pid" KILL ;;
    start-osd) need_n "${2:-}" start-osd; start_osd "$2" ;;
    stop-mon) stop_pidfile "$RUN/mon.mon0.pid" ;;
    start-mon) start_mon ;;
    stop-mgr) stop_pidfile "$RUN/mgr.x.pid" ;;
    start-mgr) start_mgr ;;
    *) die "usage: ceph.sh up|down|purge|status|kill-osd N|start-osd N|stop-mon|start-mon|stop-mgr|start-mgr" ;;
esac
