#!/usr/bin/env bash
# libvirt testbed: virtlogd + libvirtd started by PID, two disk-less 64 MiB domains
# megam-vm1 (running) and megam-vm2 (shut off), type kvm when /dev/kvm exists else qemu.
#
#   libvirt.sh up              install packages, start daemons, define domains (idempotent),
#                              write $TESTBED/libvirt.yaml
#   libvirt.sh down            destroy + undefine the megam-* domains, stop the daemons this
#                              script started (by PID)
#   libvirt.sh status          exit 0 iff libvirtd answers and both domains exist
#   libvirt.sh stop-libvirtd   stop only libvirtd (by PID; running domains keep running)
#   libvirt.sh start-libvirtd  start libvirtd again (if this script's instance is not running)
#   libvirt.sh freeze-libvirtd SIGSTOP this script's libvirtd (a hung daemon: calls time out)
#   libvirt.sh thaw-libvirtd   SIGCONT it
# Note: the domains have no disk and no guest OS, so they ignore ACPI `shutdown`/`reboot`
# requests (libvirt accepts them; the state does not change). `destroy` works.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR="$TESTBED/libvirt"
URI="qemu:///system"
DOMAINS=(megam-vm1 megam-vm2)
mkdir -p "$DIR"

VIRSH=(virsh -q -c "$URI")
answers() { timeout 5 "${VIRSH[@]}" list --all --name >/dev/null 2>&1; }

ensure_users() {
    getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
    getent group kvm >/dev/null || groupadd -r kvm
    id libvirt-qemu >/dev/null 2>&1 || useradd -r -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
}

# set_conf FILE KEY VALUE : make `KEY = VALUE` the only active setting of KEY in FILE.
set_conf() {
    local file=$1 key=$2 value=$3
    touch "$file"
    if grep -Eq "^[[:space:]]*$key[[:space:]]*=[[:space:]]*$value[[:space:]]*$" "$file"; then
        return 0
    fi
    sed -i -E "s|^[[:space:]]*($key[[:space:]]*=.*)$|# megam testbed: \1|" "$file"
    printf '%s = %s\n' "$key" "$value" >>"$file"
}

ensure_qemu_conf() {
    mkdir -p /etc/libvirt
    local f=/etc/libvirt/qemu.conf
    set_conf "$f" user '"root"'
    set_conf "$f" group '"root"'
    set_conf "$f" security_driver '"none"'
}

start_virtlogd() {
    pid_alive "$DIR/virtlogd.pid" && return 0
    if pid_alive /run/virtlogd.pid; then return 0; fi  # someone else's virtlogd: use it
    log "starting virtlogd"
    start_daemon "$DIR/virtlogd.pid" "$DIR/virtlogd.log" virtlogd
}

start_libvirtd() {
    if pid_alive "$DIR/libvirtd.pid" && answers; then return 0; fi
    if answers; then
        [ -e "$DIR/foreign" ] || log "libvirtd already answers (not started by this script): using it"
        touch "$DIR/foreign"
        return 0
    fi
    rm -f "$DIR/foreign"
    pid_alive "$DIR/libvirtd.pid" && stop_pidfile "$DIR/libvirtd.pid"
    log "starting libvirtd (log: $DIR/libvirtd.log)"
    # libvirtd also writes its own pid file (/run/libvirtd.pid); setsid execs it, so $! is the same PID.
    start_daemon "$DIR/libvirtd.pid" "$DIR/libvirtd.log" libvirtd
    wait_for 30 answers || { tail -20 "$DIR/libvirtd.log" >&2; die "libvirtd did not answer within 30 s"; }
    if [ -s /run/libvirtd.pid ] && [ "$(cat /run/libvirtd.pid)" != "$(cat "$DIR/libvirtd.pid")" ]; then
        log "note: /run/libvirtd.pid ($(cat /run/libvirtd.pid)) differs from the recorded PID; recording it"
        cp /run/libvirtd.pid "$DIR/libvirtd.pid"
    fi
}

domain_xml() {
    local name=$1 type=qemu
    [ -e /dev/kvm ] && type=kvm
    cat <<EOF
<domain type='$type'>
  <name>$name</name>
  <memory unit='MiB'>64</memory>
  <currentMemory unit='MiB'>64</currentMemory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices/>
</domain>
EOF
}

domstate() { "${VIRSH[@]}" domstate "$1" 2>/dev/null | head -1; }

ensure_domain() {
    local name=$1 want=$2
    if ! "${VIRSH[@]}" dominfo "$name" >/dev/null 2>&1; then
        domain_xml "$name" >"$DIR/$name.xml"
        "${VIRSH[@]}" define "$DIR/$name.xml" >/dev/null
    fi
    local st; st=$(domstate "$name")
    if [ "$want" = running ]; then
        case $st in
            running) ;;
            paused) "${VIRSH[@]}" resume "$name" >/dev/null ;;
            *) "${VIRSH[@]}" start "$name" >/dev/null ;;
        esac
    elif [ "$st" != "shut off" ]; then
        "${VIRSH[@]}" destroy "$name" >/dev/null 2>&1 || true
    fi
}

write_fragment() {
    cat >"$TESTBED/libvirt.yaml" <<EOF
libvirt:
  hypervisors:
    - {name: local, uri: "$URI", timeout: 5s}
EOF
}

cmd_up() {
    ensure_pkgs libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 qemu-utils
    ensure_users
    ensure_qemu_conf
    start_virtlogd
    start_libvirtd
    ensure_domain megam-vm1 running
    ensure_domain megam-vm2 "shut off"
    write_fragment
}

cmd_down() {
    if answers; then
        local d
        for d in $("${VIRSH[@]}" list --all --name | grep '^megam-' || true); do
            "${VIRSH[@]}" destroy "$d" >/dev/null 2>&1 || true
            "${VIRSH[@]}" undefine "$d" >/dev/null 2>&1 || true
        done
    fi
    stop_pidfile "$DIR/libvirtd.pid"
    stop_pidfile "$DIR/virtlogd.pid"
    rm -f "$DIR/foreign" "$TESTBED/libvirt.yaml"
}

cmd_status() {
    answers || { echo "libvirtd does not answer on $URI"; return 1; }
    local d st out=""
    for d in "${DOMAINS[@]}"; do
        st=$(domstate "$d") || true
        [ -n "$st" ] || { echo "domain $d missing"; return 1; }
        out+="$d=$st "
    done
    echo "${out% }"
}

cmd_stop_libvirtd() {
    [ -s "$DIR/libvirtd.pid" ] || die "libvirtd was not started by this script"
    stop_pidfile "$DIR/libvirtd.pid"
}

signal_libvirtd() {
    pid_alive "$DIR/libvirtd.pid" || die "libvirtd was not started by this script"
    kill "-$1" "$(cat "$DIR/libvirtd.pid")"
}

case ${1:-} in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    stop-libvirtd) cmd_stop_libvirtd ;;
    start-libvirtd) start_virtlogd; start_libvirtd ;;
    freeze-libvirtd) signal_libvirtd STOP ;;
    thaw-libvirtd) signal_libvirtd CONT ;;
    *) die "usage: $0 up|down|status|stop-libvirtd|start-libvirtd|freeze-libvirtd|thaw-libvirtd" ;;
esac
