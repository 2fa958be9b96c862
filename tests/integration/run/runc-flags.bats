#!/usr/bin/env bats
# runc's command-line flags that change how the container is set up:
# create/run --no-pivot and --no-new-keyring, exec --additional-gids and
# the LSM labels.

load helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() {
	# exec --cgroup's sub-cgroup: delete removes only the container's own.
	local sub="$CGROOT/$ID/sub" i
	if [ -d "$sub" ]; then
		echo 1 >"$sub/cgroup.kill" || true
		for i in $(seq 50); do rmdir "$sub" 2>/dev/null && break; sleep 0.1; done
	fi
	common_teardown
}

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

@test "run --no-pivot in a user namespace: the host's procfs and sysfs, locked there, are covered" {
	cfg "c['linux']['namespaces'].append({'type': 'user'})
c['linux']['uidMappings'] = [{'containerID': 0, 'hostID': 200000, 'size': 65536}]
c['linux']['gidMappings'] = [{'containerID': 0, 'hostID': 200000, 'size': 65536}]
c['mounts'] = [m for m in c['mounts'] if m['destination'] != '/sys/fs/cgroup']"
	args "$root_mount; id -u; wc -l </etc/passwd"
	run lr run --no-pivot -b "$B" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c '^root-mount')" -eq 1 ]
	[[ "$output" == *"/rootfs"$'\n0\n1' ]]
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

start_sleeper() {
	args 'sleep 300'
	lrd run -d -b "$B" "$ID"
	wait_status "$ID" running
}

@test "exec --additional-gids: appended to the container's groups; a bad gid is named" {
	cfg "c['process']['user']['additionalGids'] = [5]"
	start_sleeper
	run lr exec -g 10 --additional-gids 4242 --user 1000:1000 "$ID" grep '^Groups:' /proc/self/status
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^Groups:[[:space:]]+5\ 10\ 4242[[:space:]]*$ ]]
	# Without it, the container's own.
	run lr exec --user 1000:1000 "$ID" grep '^Groups:' /proc/self/status
	[[ "$output" =~ ^Groups:[[:space:]]+5[[:space:]]*$ ]]

	run lr exec -g staff "$ID" true
	[ "$status" -eq 1 ]
	[[ "$output" == *"lazuli-run: exec: --additional-gids staff: must be a gid (a number)" ]]
	run lr exec -g 4294967295 "$ID" true
	[ "$status" -eq 1 ]
	[ "$(lr ps -f json "$ID" | json_get 'len(d)')" = 1 ]
}

@test "exec --apparmor, --process-label: refused on a host without the LSM, naming it" {
	start_sleeper
	if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ]; then
		run lr exec --apparmor lzr-profile "$ID" true
		echo "$output"
		[ "$status" -eq 1 ]
		[ "$output" = "lazuli-run: --apparmor lzr-profile: AppArmor is not enabled on this host" ]
	fi
	if [ "$(stat -f -c %T /sys/fs/selinux 2>/dev/null)" != selinuxfs ]; then
		run lr exec --process-label system_u:system_r:container_t:s0 "$ID" true
		echo "$output"
		[ "$status" -eq 1 ]
		[ "$output" = "lazuli-run: --process-label system_u:system_r:container_t:s0: SELinux is not enabled on this host" ]
	fi
	# Nothing was started.
	[ "$(lr ps -f json "$ID" | json_get 'len(d)')" = 1 ]
	# With --process the process file says it all, as with runc: the flags are ignored.
	echo '{"args": ["true"], "cwd": "/"}' >"$OUT/p.json"
	lr exec --apparmor lzr-profile --process-label x -p "$OUT/p.json" "$ID"
	# ...and its own labels are checked like config.json's.
	if [ "$(stat -f -c %T /sys/fs/selinux 2>/dev/null)" != selinuxfs ]; then
		echo '{"args": ["true"], "cwd": "/", "selinuxLabel": "x"}' >"$OUT/p.json"
		run lr exec -p "$OUT/p.json" "$ID"
		[ "$status" -eq 1 ]
		[ "$output" = "lazuli-run: process.selinuxLabel x: SELinux is not enabled on this host" ]
	fi
}

@test "config.json's AppArmor profile and SELinux label: refused without the LSM, leaving nothing" {
	if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ]; then
		cfg "c['process']['apparmorProfile'] = 'lzr-profile'"
		fails_with "process.apparmorProfile lzr-profile: AppArmor is not enabled on this host"
		cfg "c['process']['apparmorProfile'] = ''"
	fi
	if [ "$(stat -f -c %T /sys/fs/selinux 2>/dev/null)" != selinuxfs ]; then
		cfg "c['process']['selinuxLabel'] = 'system_u:system_r:container_t:s0'"
		fails_with "process.selinuxLabel system_u:system_r:container_t:s0: SELinux is not enabled on this host"
		# A mount label means nothing without SELinux: runc ignores it, and so do we.
		cfg "c['process']['selinuxLabel'] = ''; c['linux']['mountLabel'] = 'system_u:object_r:container_file_t:s0'"
		args 'grep -c context= /proc/self/mountinfo || true'
		run lr run -b "$B" "$ID"
		echo "$output"
		[ "$status" -eq 0 ]
		[ "$output" = 0 ]
	fi
	# Empty ones are what managers send when there is none: the container runs.
	args 'cat /proc/self/attr/current 2>/dev/null; echo ran'
	run lr run -b "$B" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *ran ]]
	assert_nothing_left "$ID"
}

@test "exec --cgroup: the process runs in a sub-cgroup of the container's" {
	[ -z "$CGV1" ] || skip "cgroup v2 only (exec.bats has --cgroup on v1)"
	start_sleeper
	mkdir "$CGROOT/$ID/sub"
	run lr exec --cgroup sub "$ID" cat /proc/self/cgroup
	echo "$output"
	[ "$status" -eq 0 ]
	# In the container's cgroup namespace, its own cgroup is /.
	[ "$(echo "$output" | grep '^0::')" = "0::/sub" ]
	lr exec -d --cgroup /sub --pid-file "$OUT/exec.pid" "$ID" sleep 100 </dev/null >/dev/null 2>&1
	grep -qx "$(cat "$OUT/exec.pid")" "$CGROOT/$ID/sub/cgroup.procs"
	kill "$(cat "$OUT/exec.pid")"

	run lr exec --cgroup nosuch "$ID" true
	[ "$status" -eq 1 ]
	[[ "$output" == *"--cgroup nosuch: $CGROOT/$ID/nosuch: No such file or directory" ]]
	run lr exec --cgroup ../.. "$ID" true
	[ "$status" -eq 1 ]
	[[ "$output" == *"--cgroup ../..: must name a sub-cgroup of the container's cgroup" ]]
	run lr exec --cgroup memory:sub "$ID" true
	[ "$status" -eq 1 ]
	[[ "$output" == *"no controller: prefix" ]]
	run lr exec --cgroup sub --cgroup /sub "$ID" true
	[ "$status" -eq 1 ]
	[[ "$output" == *"--cgroup sub and --cgroup /sub: cgroup v2 has one hierarchy, so one path" ]]
}
