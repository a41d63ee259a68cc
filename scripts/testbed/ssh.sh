#!/usr/bin/env bash
# SSH testbed: real sshd hosts on loopback addresses, plus fault hosts.
#
#   ssh.sh up        start (idempotent) and write $TESTBED/ssh.yaml
#   ssh.sh down      stop everything this script started (by PID)
#   ssh.sh status    exit 0 iff the good sshds, badauth, changedkey and the silent listener run
#   ssh.sh many N    make sure N extra sshd hosts many1..manyN run on 127.0.1.1..N:2222
#                    (benchmarks); their hosts list is written to $TESTBED/ssh/many.yaml
#   ssh.sh unmany    stop the many* hosts
#
# Hosts (all port 2222, user root, key auth only):
#   node1..node3  127.0.0.2..4  good hosts, own host keys
#   refused       127.0.0.5     nobody listens (connection refused at once)
#   silent        127.0.0.6     TCP connects, no SSH banner ever (a silent listener)
#   badauth       127.0.0.7     real sshd whose authorized_keys lacks our client key
#   changedkey    127.0.0.8     real sshd whose known_hosts line holds a DIFFERENT key
# State lives under $TESTBED/ssh: client key, known_hosts, an empty ssh_config, per-host
# sshd configs, host keys, pidfiles and logs.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR="$TESTBED/ssh"
PORT=2222
KEY="$DIR/client_ed25519"
KNOWN="$DIR/known_hosts"
SSHCONF="$DIR/ssh_config"
AUTH_OK="$DIR/authorized_keys"
AUTH_BAD="$DIR/authorized_keys.other"
GOOD=(node1:127.0.0.2 node2:127.0.0.3 node3:127.0.0.4)
SSHD_FAULTS=(badauth:127.0.0.7 changedkey:127.0.0.8)
SILENT_ADDR=127.0.0.6
REFUSED_ADDR=127.0.0.5

# listening ADDR : something accepts TCP connections on ADDR:$PORT
listening() { bash -c "exec 3<>/dev/tcp/$1/$PORT" 2>/dev/null; }

keygen() { [ -s "$1" ] || ssh-keygen -q -t ed25519 -N '' -C "$2" -f "$1" >/dev/null; }

# sshd_conf NAME ADDR AUTHFILE : write the sshd config of one host, print its path.
sshd_conf() {
    local name=$1 addr=$2 auth=$3 h="$DIR/hosts/$1"
    mkdir -p "$h"
    keygen "$h/host_ed25519" "megam-testbed-$name"
    chmod 600 "$h/host_ed25519"
    # SetEnv SHLVL=1: bash (root's login shell) sources ~/.bashrc for commands run by
    # sshd only when it is a top-level shell; this makes it level 2, so whatever the
    # machine's root dotfiles start (pyenv rehash, ...) does not run for every session.
    cat >"$h/sshd_config.new" <<EOF
SetEnv SHLVL=1
ListenAddress $addr:$PORT
HostKey $h/host_ed25519
PidFile $h/sshd.pid
AuthorizedKeysFile $auth
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxSessions 64
MaxStartups 100:30:200
PrintMotd no
Subsystem sftp internal-sftp
EOF
    if cmp -s "$h/sshd_config.new" "$h/sshd_config"; then
        rm -f "$h/sshd_config.new"
    else
        mv "$h/sshd_config.new" "$h/sshd_config"
        # a running sshd re-reads its config on SIGHUP (open sessions are kept):
        # it re-execs itself; wait until it listens again
        if pid_alive "$h/sshd.pid"; then
            kill -HUP "$(cat "$h/sshd.pid")"
            sleep 0.2
            wait_for 10 listening "$addr" >&2 || die "sshd $name did not come back after SIGHUP"
        fi
    fi
    echo "$h/sshd_config"
}

# start_sshd NAME ADDR AUTHFILE
start_sshd() {
    local name=$1 addr=$2 auth=$3 h="$DIR/hosts/$1" conf
    conf=$(sshd_conf "$name" "$addr" "$auth")
    pid_alive "$h/sshd.pid" && return 0
    rm -f "$h/sshd.pid"  # stale
    /usr/sbin/sshd -f "$conf" -E "$h/sshd.log" || { tail -5 "$h/sshd.log" >&2; die "sshd $name did not start"; }
    wait_for 10 test -s "$h/sshd.pid" || die "sshd $name wrote no pidfile"
}

start_silent() {
    local f="$DIR/silent.pid"
    pid_alive "$f" && return 0
    # TCP connects, the SSH banner never comes. It accepts (and silently drains) each
    # connection: a listener that never accept()s fills its backlog after ~64 attempts
    # and then drops SYNs, which is a different fault (TCP connect timeout).
    start_daemon "$f" "$DIR/silent.log" python3 -c '
import socket, sys, threading
def drain(c):
    with c:
        while c.recv(4096):
            pass
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(64)
while True:
    c, _ = s.accept()
    threading.Thread(target=drain, args=(c,), daemon=True).start()
' "$SILENT_ADDR" "$PORT"
    wait_for 5 listening "$SILENT_ADDR" || die "silent listener did not listen"
}

host_pub() { cut -d' ' -f1,2 "$DIR/hosts/$1/host_ed25519.pub"; }

write_known_hosts() {
    local e name addr
    : >"$KNOWN.tmp"
    for e in "${GOOD[@]}" badauth:127.0.0.7; do
        name=${e%%:*}; addr=${e#*:}
        echo "[$addr]:$PORT $(host_pub "$name")" >>"$KNOWN.tmp"
    done
    # changedkey: known_hosts remembers an OLD key; the server serves a new one.
    keygen "$DIR/hosts/changedkey/old_ed25519" megam-testbed-changedkey-old
    echo "[127.0.0.8]:$PORT $(cut -d' ' -f1,2 "$DIR/hosts/changedkey/old_ed25519.pub")" >>"$KNOWN.tmp"
    mv "$KNOWN.tmp" "$KNOWN"
}

write_fragment() {
    local out="$TESTBED/ssh.yaml" e name addr
    {
        echo "ssh:"
        echo "  known_hosts: $KNOWN"
        echo "  config: $SSHCONF"
        echo "  timeout: 3s"
        echo "  hosts:"
        for e in "${GOOD[@]}" refused:$REFUSED_ADDR silent:$SILENT_ADDR "${SSHD_FAULTS[@]}"; do
            name=${e%%:*}; addr=${e#*:}
            echo "    - {name: $name, address: $addr, port: $PORT, user: root, identity_file: $KEY}"
        done
    } >"$out.tmp"
    mv "$out.tmp" "$out"
}

up() {
    ensure_pkgs openssh-server openssh-client iproute2 python3
    mkdir -p "$DIR/hosts" /run/sshd
    chmod 700 "$DIR"
    keygen "$KEY" megam-testbed-client
    keygen "$DIR/other_ed25519" megam-testbed-other
    cp "$KEY.pub" "$AUTH_OK"
    cp "$DIR/other_ed25519.pub" "$AUTH_BAD"
    : >"$SSHCONF"
    local e
    for e in "${GOOD[@]}"; do start_sshd "${e%%:*}" "${e#*:}" "$AUTH_OK"; done
    start_sshd badauth 127.0.0.7 "$AUTH_BAD"
    start_sshd changedkey 127.0.0.8 "$AUTH_OK"
    start_silent
    write_known_hosts
    write_fragment
    log "ssh: node1..3 + fault hosts up; config fragment $TESTBED/ssh.yaml"
}

down() {
    local f
    for f in "$DIR"/hosts/*/sshd.pid "$DIR/silent.pid"; do
        [ -e "$f" ] && stop_pidfile "$f"
    done
    return 0
}

status() {
    local e bad=()
    for e in "${GOOD[@]}" "${SSHD_FAULTS[@]}"; do
        pid_alive "$DIR/hosts/${e%%:*}/sshd.pid" || bad+=("${e%%:*}")
    done
    pid_alive "$DIR/silent.pid" || bad+=(silent)
    if [ ${#bad[@]} -gt 0 ]; then echo "not running: ${bad[*]}"; return 1; fi
    echo "node1..3, badauth, changedkey, silent running"
}

many() {
    local n=${1:?usage: ssh.sh many N} i addr
    [ "$n" -ge 0 ] && [ "$n" -le 250 ] || die "N must be 0..250"
    [ -s "$KEY" ] || up
    local kh="$DIR/known_hosts_many" out="$DIR/many.yaml"
    : >"$kh.tmp"
    echo "hosts:" >"$out.tmp"
    for i in $(seq 1 "$n"); do
        addr=127.0.1.$i
        start_sshd "many$i" "$addr" "$AUTH_OK"
        echo "[$addr]:$PORT $(host_pub "many$i")" >>"$kh.tmp"
        echo "  - {name: many$i, address: $addr, port: $PORT, user: root, identity_file: $KEY, known_hosts: $kh}" >>"$out.tmp"
    done
    mv "$kh.tmp" "$kh"; mv "$out.tmp" "$out"
    local f j
    for f in "$DIR"/hosts/many*/sshd.pid; do  # hosts beyond N from an earlier `many`
        [ -e "$f" ] || continue
        j=${f#"$DIR"/hosts/many}; j=${j%/sshd.pid}
        [ "$j" -gt "$n" ] && stop_pidfile "$f"
    done
    log "ssh: $n extra hosts; list in $out"
}

unmany() {
    local f
    for f in "$DIR"/hosts/many*/sshd.pid; do [ -e "$f" ] && stop_pidfile "$f"; done
    rm -f "$DIR/many.yaml"
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    many) many "${2:-}" ;;
    unmany) unmany ;;
    *) die "usage: ssh.sh up|down|status|many N|unmany" ;;
esac
