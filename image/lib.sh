# Shared by image/build-debs, image/build and image/boot. Sourced, not run.
# shellcheck disable=SC2034 # the variables are used by the scripts that source this
# shellcheck shell=bash

LAZULI_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROG=${PROG:-$(basename "$0")}
# Caches (bootstrapped trees, downloaded .debs) live outside the checkout so
# that several checkouts share them and `git clean` does not throw them away.
CACHE=${LAZULI_IMAGE_CACHE:-/var/tmp/lazuli-image}
MIRROR=${LAZULI_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${LAZULI_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
SUITE=trixie
# What the trees are bootstrapped from, and what the image's apt uses.
APT_SOURCES=(
	"deb $MIRROR $SUITE main"
	"deb $MIRROR $SUITE-updates main"
	"deb $SECURITY_MIRROR $SUITE-security main"
)
OUT=${LAZULI_OUT:-$LAZULI_ROOT/out}
# Trees older than this many days are bootstrapped again, to pick up updates.
TREE_MAX_AGE_DAYS=${LAZULI_TREE_MAX_AGE_DAYS:-7}
export PATH=$PATH:/usr/sbin:/sbin

die() {
	echo "$PROG: $*" >&2
	exit 1
}

log() {
	echo "$PROG: $*" >&2
}

# need TOOL[:PACKAGE]...: stop with a message naming the first missing tool.
need() {
	local t tool pkg
	for t in "$@"; do
		tool=${t%%:*}
		pkg=${t#*:}
		command -v "$tool" >/dev/null 2>&1 ||
			die "missing host tool '$tool' (Debian package $pkg; tools/install-deps image installs it)"
	done
}

# deb_arch ARCH: the Debian architecture of an image ARCH, or fail.
deb_arch() {
	case $1 in
	x86_64) echo amd64 ;;
	arm64) echo arm64 ;;
	*) return 1 ;;
	esac
}

check_arch() {
	deb_arch "$1" >/dev/null ||
		die "unknown ARCH '$1' (expected x86_64 or arm64)"
}

# timed LABEL CMD...: run CMD and record how long it took in TIMINGS.
TIMINGS=()
timed() {
	local label=$1 start end rc=0
	shift
	start=${EPOCHREALTIME/./}
	"$@" || rc=$?
	end=${EPOCHREALTIME/./}
	TIMINGS+=("$(printf '%-30s %5d.%d s' "$label" $(((end - start) / 1000000)) $(((end - start) / 100000 % 10)))")
	return $rc
}

print_timings() {
	local t
	for t in "${TIMINGS[@]}"; do
		log "time: $t"
	done
}

# Default SOURCE_DATE_EPOCH: the last commit's time.
source_date_epoch() {
	if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
		echo "$SOURCE_DATE_EPOCH"
	else
		git -C "$LAZULI_ROOT" log -1 --format=%ct
	fi
}

# Take the cache lock so two builds do not bootstrap the same tree at once.
lock_cache() {
	mkdir -p "$CACHE"
	exec 9>"$CACHE/.lock"
	flock -w 3600 9 || die "cannot lock $CACHE/.lock"
}

# mmdeb ARGS...: mmdebstrap reusing the .debs downloaded before, kept in
# $CACHE/archives/DEBARCH (needs DEBARCH set).
mmdeb() {
	local archives=$CACHE/archives/$DEBARCH
	mkdir -p "$archives"
	# mmdebstrap hands apt a pipe as "cat >&N" for dash to run, and dash only
	# knows fds 0-9: with descriptors inherited from the caller (bats keeps
	# several open) the pipe lands above 9 and the bootstrap fails with "Bad
	# fd number". Nothing of ours needs them in mmdebstrap: close them.
	(
		close_inherited_fds
		exec mmdebstrap --skip=essential/unlink \
			--architectures="$DEBARCH" \
			--setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
			--setup-hook="sync-in $archives /var/cache/apt/archives/" \
			"$@" \
			--customize-hook="sync-out /var/cache/apt/archives $archives"
	)
}

# close_inherited_fds: close every descriptor above 2 of the calling shell
# (call it in a subshell: locks held on descriptors go with them).
close_inherited_fds() {
	local fd
	for fd in /proc/$BASHPID/fd/*; do
		fd=${fd##*/}
		[ "$fd" -gt 2 ] 2>/dev/null || continue
		eval "exec $fd>&-" 2>/dev/null || true
	done
}

# tree_fresh DIR KEY: DIR was bootstrapped with KEY and is recent enough.
tree_fresh() {
	local dir=$1 key=$2
	[ -d "$dir" ] && [ -f "$dir.key" ] && [ "$(cat "$dir.key")" = "$key" ] &&
		[ -z "$(find "$dir.key" -mtime +"$TREE_MAX_AGE_DAYS")" ]
}

# in_tree DIR CMD...: run CMD chrooted in DIR with /proc and /dev mounted in
# a private mount namespace, so nothing stays mounted when it ends. With
# IN_TREE_BIND=HOSTDIR, HOSTDIR is also seen as /mnt.
in_tree() {
	local dir=$1
	shift
	unshare --mount --fork -- bash -euc '
		dir=$1 bind=$2; shift 2
		mount --make-rprivate /
		mount -t proc proc "$dir/proc"
		mount --rbind /dev "$dir/dev"
		[ -z "$bind" ] || mount --bind "$bind" "$dir/mnt"
		exec chroot "$dir" "$@"
	' in_tree "$dir" "${IN_TREE_BIND:-}" "$@"
}
