#!/usr/bin/env bats
# runc's command-line flags that change how the container is set up:
# create/run --no-pivot and --no-new-keyring.

load helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

# The mount at / as the container sees it: "ID PARENT ROOT".
root_mount='while read id parent dev root mp rest; do
	[ "$mp" = / ] && echo "root-mount $id $parent $root"
done </proc/self/mountinfo'

@test "run --no-pivot: the rootfs is moved onto / and chrooted into; the host's mounts stay" {
	findmnt -rn -o TARGET,FSTYPE,OPTIONS >"$OUT/mounts.before"
	args "$root_mount; wc -l </etc/passwd; ls /bin/busybox"
	run lr run --no-pivot -b "$B" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	# One mount at /, the rootfs; the old root below it is out of sight.
	[ "$(echo "$output" | grep -c '^root-mount')" -eq 1 ]
	set -- $(echo "$output" | grep '^root-mount')
	[[ "$4" == */rootfs ]]
	# The busybox rootfs: one user, not the host's /etc/passwd.
	[[ "$output" == *$'\n1\n/bin/busybox'* ]]
	findmnt -rn -o TARGET,FSTYPE,OPTIONS | diff "$OUT/mounts.before" -
	mountpoint -q /proc
	mountpoint -q /sys
	assert_nothing_left "$ID"
}

@test "create --no-pivot: exec lands in the container's root" {
	args 'sleep 300'
	lrd create --no-pivot -b "$B" "$ID"
	lr start "$ID"
	run lr exec "$ID" sh -c "$root_mount; wc -l </etc/passwd"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c '^root-mount')" -eq 1 ]
	[[ "$output" == *"/rootfs"$'\n1' ]]
	lr delete --force "$ID"
	assert_nothing_left "$ID"
}

# keys_as_user UID: the container's user is UID and /proc/keys is not masked.
keys_as_user() {
	cfg "c['process']['user'] = {'uid': $1, 'gid': $1}
c['linux']['maskedPaths'].remove('/proc/keys')"
}

# in_keyring NAME CMD...: run CMD with a new session keyring NAME (keyctl(2) via Python).
in_keyring() {
	local nr
	case $(uname -m) in
	x86_64) nr=250 ;;
	aarch64) nr=219 ;;
	*) skip "keyctl syscall number unknown on $(uname -m)" ;;
	esac
	python3 -c 'import ctypes, os, sys
if ctypes.CDLL(None, use_errno=True).syscall(int(sys.argv[1]), 1, sys.argv[2].encode()) < 0:
    sys.exit("keyctl: " + os.strerror(ctypes.get_errno()))
os.execvp(sys.argv[3], sys.argv[3:])' "$nr" "$@"
}

# keyring_container [RUN OPTIONS]: run -d from a session keyring lzr-caller-ID;
# the container's /proc/keys goes to $OUT/run.out, that of an exec to $output.
keyring_container() {
	in_keyring "lzr-caller-$ID" "$RUNTIME" --root "$STATE" run -d "$@" -b "$B" "$ID" \
		</dev/null >"$OUT/run.out" 2>&1
	wait_status "$ID" running
	cat "$OUT/run.out"
	run lr exec --user 1000:1000 "$ID" cat /proc/keys
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "each container gets a session keyring _ses.ID, shared with exec; --no-new-keyring keeps ours" {
	# As uid 1000, only keyrings the process possesses (its session keyring) are in sight.
	keys_as_user 1000
	args 'cat /proc/keys; sleep 300'
	keyring_container
	grep -q " keyring *_ses.$ID: " "$OUT/run.out"
	! grep -q "lzr-caller-$ID" "$OUT/run.out" || false
	[[ "$output" == *" keyring "*" _ses.$ID: "* ]]
	lr delete --force "$ID"

	keyring_container --no-new-keyring
	grep -q " keyring *lzr-caller-$ID: " "$OUT/run.out"
	! grep -q "_ses.$ID" "$OUT/run.out" || false
	# exec, too, keeps its caller's keyring: not the one of the runtime that ran the container.
	[[ "$output" != *"lzr-caller-$ID"* ]]
	[[ "$output" != *"_ses.$ID"* ]]
	lr delete --force "$ID"
	assert_nothing_left "$ID"
}
