# Shared helpers of the Python matrix (scripts/matrix/*). Source it; do not run it.
# One chroot per Debian suite under $MATRIX (default: <repo>/.matrix, git-ignored):
#   trixie -> Debian 13, Python 3.13;  sid -> Debian unstable, Python 3.14.
# The chroots share this machine's kernel, PIDs and engines: the repo is bind-mounted at the
# same path inside, so .testbed/megam.yaml, its keys and sockets work unchanged.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MATRIX="${MEGAM_MATRIX_DIR:-$REPO/.matrix}"
SUITES_ALL=(trixie sid)

mlog() { printf '[matrix] %s\n' "$*" >&2; }
mdie() { printf '[matrix] ERROR: %s\n' "$*" >&2; exit 1; }

# root_of SUITE : the chroot directory of a suite.
root_of() { printf '%s/%s' "$MATRIX" "$1"; }

# valid_suite SUITE : only the suites the matrix knows (their Python and quirks are known).
valid_suite() { case "$1" in trixie|sid) return 0 ;; *) return 1 ;; esac; }

# host_mirror : the Debian archive URI this machine's apt uses (never a hard-coded host).
# MEGAM_MATRIX_MIRROR overrides it.
host_mirror() {
    if [ -n "${MEGAM_MATRIX_MIRROR:-}" ]; then printf '%s' "$MEGAM_MATRIX_MIRROR"; return; fi
    local f uri=""
    for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        # deb822: the first URIs of a "Types: deb" stanza that is not the security archive
        uri=$(awk 'BEGIN{RS=""; FS="\n"}
            { deb=0; u="";
              for (i=1;i<=NF;i++) { if ($i ~ /^Types:.*(^|[ \t])deb([ \t]|$)/) deb=1;
                                    if ($i ~ /^URIs:/) { split($i, a, /[ \t]+/); u=a[2] } }
              if (deb && u != "" && u !~ /security/) { print u; exit } }' "$f")
        [ -n "$uri" ] && break
    done
    if [ -z "$uri" ] && [ -r /etc/apt/sources.list ]; then
        uri=$(awk '$1=="deb" && $0 !~ /security/ { for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)
    fi
    [ -n "$uri" ] || mdie "no Debian archive URI in this machine's apt sources: set MEGAM_MATRIX_MIRROR"
    printf '%s' "${uri%/}"
}

# mounts_under DIR : mount points at or below DIR, deepest first.
mounts_under() {
    local d; d=$(readlink -f "$1")
    awk -v d="$d" '{ gsub(/\\040/, " ", $5); if ($5 == d || index($5, d "/") == 1) print $5 }' /proc/self/mountinfo | sort -r | uniq
}

# chroot_pids DIR : processes whose root directory is DIR (started inside that chroot).
chroot_pids() {
    local d p r; d=$(readlink -f "$1")
    for p in /proc/[0-9]*; do
        r=$(readlink "$p/root" 2>/dev/null) || continue
        [ "$r" = "$d" ] && printf '%s\n' "${p#/proc/}"
    done
    return 0
}

# umount_chroot DIR : stop what still runs inside DIR, then unmount everything below it.
umount_chroot() {
    local dir=$1 pids m
    [ -d "$dir" ] || return 0
    pids=$(chroot_pids "$dir")
    if [ -n "$pids" ]; then
        mlog "stopping what still runs in $(basename "$dir"): $(echo $pids)"
        kill -TERM $pids 2>/dev/null || true
        for _ in $(seq 30); do [ -z "$(chroot_pids "$dir")" ] && break; sleep 0.1; done
        pids=$(chroot_pids "$dir"); [ -n "$pids" ] && kill -KILL $pids 2>/dev/null || true
    fi
    for m in $(mounts_under "$dir"); do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || mlog "could not unmount $m"
    done
    [ -z "$(mounts_under "$dir")" ] || { mlog "mounts left under $dir:"; mounts_under "$dir" >&2; return 1; }
}

# mount_chroot DIR : what the tests need inside: /proc, /dev (+pts, shm), /sys, the host's /run
# (docker, libvirt sockets; /var/run is a link to it), the repo at its own path, resolv.conf.
mount_chroot() {
    local dir=$1
    umount_chroot "$dir"   # never stack mounts of an earlier, interrupted run
    mount --bind "$dir" "$dir"
    mount --make-rprivate "$dir"   # nothing mounted below propagates back to the host
    mount --bind /proc "$dir/proc"
    mount --rbind /dev "$dir/dev"; mount --make-rslave "$dir/dev"
    mount --rbind /sys "$dir/sys"; mount --make-rslave "$dir/sys"
    mkdir -p "$dir/run"
    mount --bind /run "$dir/run"; mount --make-private "$dir/run"
    mkdir -p "$dir$REPO"
    mount --bind "$REPO" "$dir$REPO"; mount --make-private "$dir$REPO"
    cp -L /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
}

# in_chroot SUITE [VAR=VALUE...] CMD... : run CMD inside a suite's (mounted) chroot with a plain
# environment, in directory $CHROOT_CWD (default /).
in_chroot() {
    local suite=$1; shift
    chroot "$(root_of "$suite")" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM="${TERM:-xterm-256color}" \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
        CI="${CI:-}" /bin/sh -c 'cd "$0" && exec /usr/bin/env "$@"' "${CHROOT_CWD:-/}" "$@"
}
