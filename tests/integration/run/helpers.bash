# Shared helpers for the lazuli-run integration tests. They run as root
# inside run-suite's private mount namespace (/sys/fs/cgroup is cgroup2).

RUNTIME="${LAZULI_BUILDDIR:-$(cd "$BATS_TEST_DIRNAME/../../.." && pwd)/build}/src/run/lazuli-run"
CGROOT=/sys/fs/cgroup
# cgroup v1 (run-suite with LAZULI_CGROUP=v1): one hierarchy per controller below CGROOT.
CGV1=
[ "$(stat -f -c %T "$CGROOT")" = tmpfs ] && CGV1=1

# cg_file ID CONTROLLER FILE: a file of the container's cgroup as seen from the host.
cg_file() {
	if [ -n "$CGV1" ]; then
		echo "$CGROOT/$2/$1/$3"
	else
		echo "$CGROOT/$1/$3"
	fi
}

# The container's cgroup directories, in every v1 hierarchy (or the one on v2).
cg_dirs() { # id
	local h
	if [ -n "$CGV1" ]; then
		for h in "$CGROOT"/*; do
			[ -L "$h" ] || [ ! -d "$h/$1" ] || echo "$h/$1"
		done
	else
		[ ! -d "$CGROOT/$1" ] || echo "$CGROOT/$1"
	fi
}

# One busybox rootfs per file, shared read-only by its tests.
build_rootfs() { # dir
	local bb
	bb=$(command -v busybox || true)
	[ -n "$bb" ] || bb=/bin/busybox
	# /out exists for with_out: a user namespace's root may not create it.
	mkdir -p "$1/bin" "$1/etc" "$1/tmp" "$1/proc" "$1/sys" "$1/dev" "$1/out"
	cp "$bb" "$1/bin/busybox"
	chroot "$1" /bin/busybox true || {
		echo "need a static busybox (Debian's busybox-static)" >&2
		return 1
	}
	local a
	for a in $("$1/bin/busybox" --list); do
		[ "$a" = busybox ] || ln -s busybox "$1/bin/$a"
	done
	echo "root:x:0:0:root:/:/bin/sh" >"$1/etc/passwd"
}

common_setup_file() {
	export ROOTFS="$BATS_FILE_TMPDIR/rootfs"
	[ -d "$ROOTFS" ] || build_rootfs "$ROOTFS"
}

common_setup() {
	STATE="$BATS_TEST_TMPDIR/state"
	B="$BATS_TEST_TMPDIR/bundle"
	OUT="$BATS_TEST_TMPDIR/out"
	mkdir -p "$B" "$OUT"
	ln -s "$ROOTFS" "$B/rootfs"
	"$RUNTIME" spec -b "$B"
	ID="lzr-test-$BATS_TEST_NUMBER-$$"
	# Marks every container process, so that leftovers can be found from the host.
	cfg "c['process']['env'].append('LZR_TEST=$ID')"
	# The rootfs is shared: tests that write into it get their own copy (own_rootfs).
}

common_teardown() {
	local id
	if [ -d "$STATE" ]; then
		for id in $(state_left "$STATE"); do
			"$RUNTIME" --root "$STATE" delete --force "$id" || true
		done
	fi
	for id in "$CGROOT"/lzr-test-*-$$ "$CGROOT"/*/lzr-test-*-$$; do
		[ -d "$id" ] && rmdir "$id" 2>/dev/null || true
	done
	# Bind mounts of tests that make their own (never expected to be left).
	findmnt -rn -o TARGET | grep -F "$BATS_TEST_TMPDIR" | sort -r | xargs -r -n1 umount -l || true
}

own_rootfs() {
	rm "$B/rootfs"
	cp -a "$ROOTFS" "$B/rootfs"
}

# cfg 'PYTHON' edits $B/config.json, available as c.
cfg() {
	python3 - "$B/config.json" "$1" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
exec(sys.argv[2])
json.dump(c, open(p, "w"), indent=1)
PY
}

# args 'SHELL COMMAND': the container runs sh -c with it.
args() {
	cfg "c['process']['args'] = ['sh', '-c', $(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1")]"
}

# Bind $OUT read-write at /out in the container.
with_out() {
	cfg "c['mounts'].append({'destination': '/out', 'type': 'bind', 'source': '$OUT', 'options': ['rbind', 'rw']})"
}

lr() {
	"$RUNTIME" --root "$STATE" "$@"
}

# json_get EXPR <JSON
json_get() {
	python3 -c '
import json, sys
d = json.load(sys.stdin)
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))
' "$1"
}

state_of() { # id -> status
	lr state "$1" | json_get 'd["status"]'
}

pid_of() {
	lr state "$1" | json_get 'd["pid"]'
}

wait_status() { # id status
	for _ in $(seq 1 100); do
		[ "$(state_of "$1")" = "$2" ] && return 0
		sleep 0.05
	done
	echo "container $1 is $(state_of "$1"), not $2" >&2
	return 1
}

# What a state root holds besides lazuli-run's seccomp cache (containers, or their leftovers).
state_left() { # root
	ls -A "$1" | grep -vx '@seccomp-cache' || true
}

# Nothing of container $1 is left: no state directory, no cgroup, no process, no mount.
assert_nothing_left() { # id [pid]
	[ ! -e "$STATE/$1" ] || { echo "state directory $STATE/$1 left" >&2; return 1; }
	[ -z "$(cg_dirs "$1")" ] || { echo "cgroup left: $(cg_dirs "$1")" >&2; return 1; }
	# A zombie is dead; reaping it is its parent's business (init, or containerd's shim).
	# Read the status once: a zombie reaped between two looks is gone, not left.
	local pstate=''
	if [ -n "${2:-}" ] && [ "$2" != 0 ]; then
		pstate=$(sed -n 's/^State:[[:space:]]*//p' "/proc/$2/status" 2>/dev/null) || pstate=''
	fi
	case $pstate in
	'' | Z* | X*) ;;
	*)
		echo "process $2 left ($pstate)" >&2
		return 1
		;;
	esac
	! findmnt -rn -o TARGET | grep -F "$ROOTFS" || { echo "mount left" >&2; return 1; }
	# No process carrying the container's marker in its environment.
	local p
	for p in /proc/[0-9]*; do
		if tr '\0' '\n' 2>/dev/null <"$p/environ" | grep -qx "LZR_TEST=$1"; then
			echo "process ${p#/proc/} left: $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)" >&2
			grep -E 'State|PPid' "$p/status" >&2 || true
			return 1
		fi
	done
	return 0
}

# inside 'SHELL': run it in the container, output in $output, status in $status.
inside() {
	args "$1"
	run lr run -b "$B" "$ID"
	echo "# status $status, output:"
	echo "$output"
}

# fails_with 'MESSAGE' [create args...]: create must fail with exactly this error line and leave nothing.
fails_with() {
	local msg=$1
	shift
	run lrd create -b "$B" "$@" "$ID"
	echo "# status $status, output: $output"
	[ "$status" -eq 1 ]
	[ "$output" = "lazuli-run: $msg" ]
	assert_nothing_left "$ID"
}

# For verbs that leave a container process behind (create, run -d): its
# stdio must not be a pipe the test waits on, so it goes to files.
lrd() {
	local rc=0
	lr "$@" </dev/null >"$OUT/lrd.out" 2>"$OUT/lrd.err" || rc=$?
	cat "$OUT/lrd.err" >&2
	return "$rc"
}

