#!/usr/bin/env bats
# Rootless: lazuli-run run by an unprivileged user (no capabilities), as
# runc and crun are, in a user namespace of the user's own. The suite runs
# as root; every runtime call here drops to the test user first.

load helpers

RL_USER=lzr-rootless

# The runtime, as the test user: no capabilities, no groups, its own
# XDG_RUNTIME_DIR (the default --root is $XDG_RUNTIME_DIR/lazuli-run).
as_user() {
	setpriv --reuid="$RL_UID" --regid="$RL_GID" --clear-groups --inh-caps=-all \
		env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/ XDG_RUNTIME_DIR="$XDG" "$@"
}

# helpers.bash's lr, lrd, state_of, wait_status and fails_with go through this.
lr() {
	as_user "$RUNTIME" "$@"
}

setup_file() {
	# A user with subordinate ids (useradd gives it a range in /etc/subuid).
	id "$RL_USER" >/dev/null 2>&1 || useradd -M -s /usr/sbin/nologin "$RL_USER"
	grep -q "^$RL_USER:" /etc/subuid || usermod --add-subuids 300000-365535 "$RL_USER"
	grep -q "^$RL_USER:" /etc/subgid || usermod --add-subgids 300000-365535 "$RL_USER"
	export RL_UID RL_GID RL_SUBUID
	RL_UID=$(id -u "$RL_USER")
	RL_GID=$(id -g "$RL_USER")
	RL_SUBUID=$(awk -F: -v u="$RL_USER" '$1 == u { print $2; exit }' /etc/subuid)
	# Bats' own temporary directories are private to root: the user's live here.
	export RL_DIR
	RL_DIR=$(mktemp -d /tmp/lzr-rootless.XXXXXX)
	chmod 755 "$RL_DIR"
	export ROOTFS="$RL_DIR/rootfs"
	build_rootfs "$ROOTFS"
	# The build tree may be below a directory only root can enter (a CI clone
	# in a mktemp -d): the user runs a copy of the runtime and of the helpers.
	cp "$RUNTIME" "$RL_DIR/lazuli-run"
	cp "$BATS_TEST_DIRNAME/console-socket" "$RL_DIR/console-socket"
	chmod 755 "$RL_DIR/lazuli-run" "$RL_DIR/console-socket"
	export RL_HELPERS="$RL_DIR"
	# A host that forbids unprivileged user namespaces has no rootless containers
	# (the error it gets is tested below, in a namespace where they are forbidden).
	XDG=/ as_user unshare --user true ||
		skip "unprivileged user namespaces are disabled on this host"
}

need_newuidmap() {
	command -v newuidmap >/dev/null && command -v newgidmap >/dev/null ||
		skip "needs newuidmap and newgidmap (package uidmap)"
}

teardown_file() {
	rm -rf "$RL_DIR"
}

setup() {
	# helpers.bash sets RUNTIME again for every test: the user's copy instead.
	RUNTIME="$RL_DIR/lazuli-run"
	XDG="$RL_DIR/xdg-$BATS_TEST_NUMBER"
	STATE="$XDG/lazuli-run"
	B="$RL_DIR/bundle-$BATS_TEST_NUMBER"
	OUT="$RL_DIR/out-$BATS_TEST_NUMBER"
	mkdir -p "$XDG" "$B" "$OUT"
	chmod 700 "$XDG"
	chown "$RL_UID:$RL_GID" "$XDG" "$B" "$OUT"
	ln -s "$ROOTFS" "$B/rootfs"
	lr spec --rootless -b "$B"
	ID="lzr-rootless-$BATS_TEST_NUMBER-$$"
	cfg "c['process']['env'].append('LZR_TEST=$ID')"
}

teardown() {
	[ -z "${LISTENER:-}" ] || kill "$LISTENER" 2>/dev/null || true
	common_teardown
	[ -z "${DELEG:-}" ] || rmdir "$DELEG"/* "$DELEG" 2>/dev/null || true
}

@test "spec --rootless: the caller's ids mapped, no network namespace, /sys bound, no gid= on devpts" {
	c="$B/config.json"
	[ "$(stat -c %u "$c")" = "$RL_UID" ]
	[ "$(json_get '[n["type"] for n in d["linux"]["namespaces"]]' <"$c")" = '["pid", "ipc", "uts", "mount", "user"]' ]
	[ "$(json_get 'd["linux"]["uidMappings"]' <"$c")" = "[{\"containerID\": 0, \"hostID\": $RL_UID, \"size\": 1}]" ]
	[ "$(json_get 'd["linux"]["gidMappings"]' <"$c")" = "[{\"containerID\": 0, \"hostID\": $RL_GID, \"size\": 1}]" ]
	[ "$(json_get '[m for m in d["mounts"] if m["destination"] == "/sys"][0]' <"$c")" = \
		'{"destination": "/sys", "type": "none", "source": "/sys", "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]}' ]
	[ "$(json_get '[m["options"] for m in d["mounts"] if m["destination"] == "/dev/pts"][0]' <"$c")" = \
		'["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]' ]
	[ "$(json_get '"resources" in d["linux"]' <"$c")" = false ]
}

@test "run: root inside is the user outside; hostname, mounts and devices work" {
	# The runtime really is unprivileged.
	run as_user sh -c 'id -u; grep ^CapEff /proc/self/status'
	[ "${lines[0]}" = "$RL_UID" ]
	[ "${lines[1]}" = "CapEff:	0000000000000000" ]

	with_out
	# runc's default cgroup mount, kept by its spec --rootless.
	cfg "c['mounts'].append({'destination': '/sys/fs/cgroup', 'type': 'cgroup', 'source': 'cgroup', 'options': ['nosuid', 'noexec', 'nodev', 'relatime', 'ro']})"
	inside 'cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; hostname
		touch /out/made; ls -n /out/made
		grep -E " /(proc|dev/pts|dev/mqueue|dev/shm|sys) " /proc/self/mounts | cut -d" " -f2,3 | sort
		echo hi >/dev/null && head -c 4 /dev/zero | wc -c; cat /proc/self/setgroups
		grep " /sys/fs/cgroup " /proc/self/mounts | tail -1 | cut -d" " -f3,4 | cut -d, -f1'
	[ "$status" -eq 0 ]
	# Only the user's own ids: written without newuidmap.
	[ "$(echo "${lines[0]}" | tr -s ' ')" = " 0 $RL_UID 1" ]
	[ "$(echo "${lines[1]}" | tr -s ' ')" = " 0 $RL_GID 1" ]
	[ "${lines[2]}" = 0 ]
	[ "${lines[3]}" = 0 ]
	[ "${lines[4]}" = lazuli ]
	[[ "${lines[5]}" == "-rw-r--r--"*" 0 "*" 0 "*"/out/made" ]]
	# Outside, the file is the user's.
	[ "$(stat -c %u:%g "$OUT/made")" = "$RL_UID:$RL_GID" ]
	[ "${lines[6]}" = "/dev/mqueue mqueue" ]
	[ "${lines[7]}" = "/dev/pts devpts" ]
	[ "${lines[8]}" = "/dev/shm tmpfs" ]
	[ "${lines[9]}" = "/proc proc" ]
	# The host's sysfs, bound (a user namespace without its own network namespace may not mount one).
	[ "${lines[10]}" = "/sys sysfs" ]
	[ "${lines[11]}" = 4 ]
	# A gid map written without newgidmap denies setgroups.
	[ "${lines[12]}" = deny ]
	# No cgroup namespace, so not a cgroup2 mount of its own: the host's, bound read-only.
	[ "${lines[13]}" = "cgroup2 ro" ]
	assert_nothing_left "$ID"
	[ -z "$(state_left "$STATE")" ]
}

@test "create, start, state, exec, ps, list, kill and delete as the user" {
	with_out
	args 'echo started >/out/started; exec sleep 60'
	# Hooks run as the user, in the runtime's namespaces.
	cfg "c['hooks'] = {'createRuntime': [{'path': '/bin/sh', 'args': ['sh', '-c', 'id -u >$OUT/hook']}]}"
	run lrd create -b "$B" --pid-file "$OUT/pid" "$ID"
	[ "$status" -eq 0 ]
	[ "$(cat "$OUT/hook")" = "$RL_UID" ]
	[ "$(state_of "$ID")" = created ]
	pid=$(pid_of "$ID")
	[ "$(cat "$OUT/pid")" = "$pid" ]
	# The container's init is the user's process, root only in its namespace.
	[ "$(stat -c %u "/proc/$pid")" = "$RL_UID" ]
	[ "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" = "$RL_UID" ]
	[ -p "$STATE/$ID/exec.fifo" ]
	[ "$(stat -c %u "$STATE/$ID")" = "$RL_UID" ]

	lr start "$ID"
	wait_status "$ID" running
	for _ in $(seq 50); do [ -e "$OUT/started" ] && break; sleep 0.05; done
	[ -e "$OUT/started" ]

	lr state "$ID" >"$OUT/state.json"
	[ "$(json_get 'd["id"]' <"$OUT/state.json")" = "$ID" ]
	[ "$(json_get 'd["status"]' <"$OUT/state.json")" = running ]
	[ "$(json_get 'd["pid"]' <"$OUT/state.json")" = "$pid" ]
	[ "$(json_get 'd["bundle"]' <"$OUT/state.json")" = "$B" ]

	run lr exec "$ID" sh -c 'id -u; cat /proc/self/uid_map; hostname; echo $LZR_TEST'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "$(echo "${lines[1]}" | tr -s ' ')" = " 0 $RL_UID 1" ]
	[ "${lines[2]}" = lazuli ]
	[ "${lines[3]}" = "$ID" ]
	run lr exec "$ID" sh -c 'exit 7'
	[ "$status" -eq 7 ]

	run lr list -q
	[ "$output" = "$ID" ]
	run lr list
	[[ "${lines[1]}" == "$ID"*running*"$RL_USER" ]]
	run lr ps -f json "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$pid"* ]]

	run lr delete "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot delete container $ID that is not stopped: running" ]]
	# KILL: the init (sleep, pid 1 of its namespace) has no handler for TERM,
	# so the kernel drops a TERM sent from outside.
	lr kill "$ID" KILL
	wait_status "$ID" stopped
	lr delete "$ID"
	assert_nothing_left "$ID" "$pid"
	[ -z "$(state_left "$STATE")" ]
}

@test "without a cgroup, ps and kill --all reach the processes of the container's pid namespace" {
	args 'sleep 60 & sleep 60 & exec sleep 60'
	lrd run -d -b "$B" "$ID"
	pid=$(pid_of "$ID")
	[ ! -e "$CGROOT/$ID" ]
	for _ in $(seq 50); do
		[ "$(lr ps -f json "$ID" | json_get 'len(d)')" = 3 ] && break
		sleep 0.05
	done
	run lr ps -f json "$ID"
	[ "$(echo "$output" | json_get 'len(d)')" = 3 ]
	[ "$(echo "$output" | json_get 'd[0]')" = "$pid" ]
	# The init of a pid namespace ignores TERM without a handler; the others go
	# (zombies, as the init does not reap them: no longer listed).
	lr kill --all "$ID" TERM
	for _ in $(seq 50); do
		[ "$(lr ps -f json "$ID")" = "[$pid]" ] && break
		sleep 0.05
	done
	[ "$(lr ps -f json "$ID")" = "[$pid]" ]
	lr kill --all "$ID" KILL
	wait_status "$ID" stopped
	lr delete "$ID"
	assert_nothing_left "$ID" "$pid"

	lrd run -d -b "$B" "$ID"
	pid=$(pid_of "$ID")
	lr delete --force "$ID"
	assert_nothing_left "$ID" "$pid"
	run lr pause "$ID"
	[ "$output" = "lazuli-run: container \"$ID\" does not exist" ]
}

@test "process.terminal: the pty from the container's devpts goes to --console-socket" {
	cfg "c['process']['terminal'] = True"
	args 'tty; stat -c "%t:%T" /dev/console; test -t 0 && echo stdin-is-tty; read line; echo "got:$line"'
	# The receiving end is the user's too (a console socket of root's would refuse the user).
	as_user python3 "$RL_HELPERS/console-socket" "$OUT/console.sock" "$OUT/tty" 'hello
' &
	LISTENER=$!
	for _ in $(seq 100); do [ -e "$OUT/tty.ready" ] && break; sleep 0.05; done
	lrd run -d -b "$B" --console-socket "$OUT/console.sock" "$ID"
	for _ in $(seq 200); do kill -0 "$LISTENER" 2>/dev/null || break; sleep 0.05; done
	[ "$(cat "$OUT/tty.name")" = /dev/pts/0 ]
	tr -d '\r' <"$OUT/tty" >"$OUT/tty.txt"
	cat "$OUT/tty.txt"
	grep -qx /dev/pts/0 "$OUT/tty.txt"
	grep -qx 88:0 "$OUT/tty.txt"
	grep -qx stdin-is-tty "$OUT/tty.txt"
	grep -qx got:hello "$OUT/tty.txt"
	wait_status "$ID" stopped
	lr delete "$ID"
	assert_nothing_left "$ID"
}

@test "a second container joins the first one's user and ipc namespaces" {
	args 'exec sleep 60'
	lrd run -d -b "$B" "$ID"
	pid=$(pid_of "$ID")
	B2="$RL_DIR/bundle2-$BATS_TEST_NUMBER"
	mkdir "$B2"
	ln -s "$ROOTFS" "$B2/rootfs"
	python3 - "$B/config.json" "$B2/config.json" "$pid" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = ["sh", "-c", "id -u; readlink /proc/self/ns/user; readlink /proc/self/ns/ipc; ls -n /dev/null"]
for n in c["linux"]["namespaces"]:
    if n["type"] in ("user", "ipc"):
        n["path"] = f"/proc/{sys.argv[3]}/ns/{n['type']}"
del c["linux"]["uidMappings"], c["linux"]["gidMappings"]
json.dump(c, open(sys.argv[2], "w"))
PY
	chown -R "$RL_UID:$RL_GID" "$B2"
	run lr run -b "$B2" "$ID-2"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = "$(readlink "/proc/$pid/ns/user")" ]
	[ "${lines[2]}" = "$(readlink "/proc/$pid/ns/ipc")" ]
	# Bound from the host in a joined user namespace too: mknod is not allowed there either.
	[[ "${lines[3]}" == "crw-rw-rw-"*"1,   3"*"/dev/null" ]]
	assert_nothing_left "$ID-2"
	lr delete --force "$ID"
	assert_nothing_left "$ID" "$pid"
}

@test "as root of the user's own user namespace, as podman runs its runtime" {
	# podman's rootless containers share its user namespace: the config has none.
	cfg "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'user']
del c['linux']['uidMappings'], c['linux']['gidMappings']"
	with_out
	args 'id -u; cat /proc/self/uid_map; ls -n /dev/null; hostname; touch /out/made'
	for mnt in --mount ''; do
		run as_user unshare --user --map-root-user $mnt -- "$RUNTIME" --root "$XDG/podman" run -b "$B" "$ID"
		echo "# $mnt: $output"
		[ "$status" -eq 0 ]
		[ "${lines[0]}" = 0 ]
		[ "$(echo "${lines[1]}" | tr -s ' ')" = " 0 $RL_UID 1" ]
		# Bound from the host: no mknod in a user namespace.
		[[ "${lines[2]}" == "crw-rw-rw-"*"1,   3"*"/dev/null" ]]
		[ "${lines[3]}" = lazuli ]
		[ "$(stat -c %u "$OUT/made")" = "$RL_UID" ]
		rm "$OUT/made"
		[ -z "$(state_left "$XDG/podman")" ]
		assert_nothing_left "$ID"
	done
	cfg "c['linux']['resources'] = {'pids': {'limit': 10}}"
	run as_user unshare --user --map-root-user -- "$RUNTIME" --root "$XDG/podman" run -b "$B" "$ID"
	[ "$status" -eq 1 ]
	[ "$output" = "lazuli-run: linux.resources: limits need a cgroup, and running rootless (uid 0 in a user namespace) cannot create $CGROOT/$ID: Permission denied (set linux.cgroupsPath to a cgroup delegated to this user, or drop the limits)" ]
	assert_nothing_left "$ID"
}

@test "the default --root is \$XDG_RUNTIME_DIR/lazuli-run; without one, an error and nothing made" {
	args 'true'
	lr run -b "$B" "$ID"
	[ -d "$XDG/lazuli-run" ]
	run as_user env -u XDG_RUNTIME_DIR "$RUNTIME" run -b "$B" "$ID"
	[ "$status" -eq 1 ]
	[ "$output" = "lazuli-run: running rootless (uid $RL_UID): XDG_RUNTIME_DIR is not set, so there is no default state directory; set it or pass --root DIR" ]
	run as_user env XDG_RUNTIME_DIR=/root "$RUNTIME" list
	[ "$status" -eq 1 ]
	[ "$output" = "lazuli-run: running rootless (uid $RL_UID): XDG_RUNTIME_DIR=/root is not writable (Permission denied); fix it or pass --root DIR" ]
	# --root still wins; spec needs no state directory.
	as_user env -u XDG_RUNTIME_DIR "$RUNTIME" --root "$XDG/other" run -b "$B" "$ID"
	[ -d "$XDG/other" ]
	run as_user env -u XDG_RUNTIME_DIR "$RUNTIME" spec --rootless -b "$OUT"
	[ "$status" -eq 0 ]
	assert_nothing_left "$ID"
}

@test "without a delegated cgroup: none when no limits are asked for, an error when they are" {
	args 'cat /proc/self/cgroup'
	run lr run -b "$B" "$ID"
	[ "$status" -eq 0 ]
	# Where the user's runtime was, not a cgroup of its own.
	[ "$output" = "$(as_user cat /proc/self/cgroup)" ]
	assert_nothing_left "$ID"

	cfg "c['linux']['resources'] = {'pids': {'limit': 10}}"
	fails_with "linux.resources: limits need a cgroup, and running rootless (uid $RL_UID) cannot create $CGROOT/$ID: Permission denied (set linux.cgroupsPath to a cgroup delegated to this user, or drop the limits)"
	cfg "c['linux']['resources'] = {'memory': {'limit': 67108864}}; c['linux']['cgroupsPath'] = '/lzr-rootless/$ID'"
	fails_with "linux.resources: limits need a cgroup, and running rootless (uid $RL_UID) cannot create $CGROOT/lzr-rootless/$ID: Permission denied (set linux.cgroupsPath to a cgroup delegated to this user, or drop the limits)"
	[ ! -e "$CGROOT/lzr-rootless" ]
	# "No limit" needs no cgroup.
	cfg "c['linux']['resources'] = {'pids': {'limit': 0}}; del c['linux']['cgroupsPath']"
	run lr run -b "$B" "$ID"
	[ "$status" -eq 0 ]
	assert_nothing_left "$ID"
}

@test "a cgroup delegated to the user: the container gets one below it, removed at delete" {
	# As systemd delegates one: the directory and its interface files are the user's,
	# and the user's processes are in a leaf of it.
	DELEG="$CGROOT/lzr-rootless-deleg-$$"
	mkdir "$DELEG" "$DELEG/shell"
	chown "$RL_UID:$RL_GID" "$DELEG" "$DELEG/cgroup.procs" "$DELEG/cgroup.subtree_control" "$DELEG/cgroup.threads" \
		"$DELEG/shell" "$DELEG/shell/cgroup.procs"
	cfg "c['linux']['cgroupsPath'] = '${DELEG#"$CGROOT"}/ctr'"
	args 'cat /proc/self/cgroup; exec sleep 60'
	(
		echo "$BASHPID" >"$DELEG/shell/cgroup.procs"
		lrd run -d -b "$B" "$ID"
	)
	pid=$(pid_of "$ID")
	[ -d "$DELEG/ctr" ]
	[ "$(cat "$DELEG/ctr/cgroup.procs")" = "$pid" ]
	[ "$(grep '^0::' "/proc/$pid/cgroup")" = "0::${DELEG#"$CGROOT"}/ctr" ]
	run lr ps "$ID"
	[[ "$output" == *"$pid"* ]]
	lr pause "$ID"
	[ "$(state_of "$ID")" = paused ]
	lr resume "$ID"
	[ "$(state_of "$ID")" = running ]
	lr delete --force "$ID"
	[ ! -e "$DELEG/ctr" ]
	assert_nothing_left "$ID" "$pid"
}

@test "more than the user's own ids: mapped through newuidmap and newgidmap from /etc/subuid" {
	need_newuidmap
	with_out
	cfg "c['linux']['uidMappings'] = [{'containerID': 0, 'hostID': $RL_UID, 'size': 1}, {'containerID': 1, 'hostID': $RL_SUBUID, 'size': 1000}]
c['linux']['gidMappings'] = [{'containerID': 0, 'hostID': $RL_GID, 'size': 1}, {'containerID': 1, 'hostID': $RL_SUBUID, 'size': 1000}]
for s in ('bounding', 'effective', 'permitted'): c['process']['capabilities'][s].append('CAP_CHOWN')"
	inside 'cat /proc/self/uid_map; touch /out/f; chown 5:5 /out/f; ls -n /out/f; cat /proc/self/setgroups'
	[ "$status" -eq 0 ]
	[ "$(echo "${lines[0]}" | tr -s ' ')" = " 0 $RL_UID 1" ]
	[ "$(echo "${lines[1]}" | tr -s ' ')" = " 1 $RL_SUBUID 1000" ]
	[[ "${lines[2]}" == *" 5 "*" 5 "*"/out/f" ]]
	# Container uid 5 is the fifth of the user's subordinate ids.
	[ "$(stat -c %u:%g "$OUT/f")" = "$((RL_SUBUID + 4)):$((RL_SUBUID + 4))" ]
	# newgidmap leaves setgroups allowed.
	[ "${lines[3]}" = allow ]
	assert_nothing_left "$ID"
}

@test "root of the container a subordinate id: bind sources are still opened as the user" {
	need_newuidmap
	# Only the user may search $RL_DIR/private; the container's root is not the user.
	mkdir -p "$RL_DIR/private-$BATS_TEST_NUMBER/data"
	echo secret-ok >"$RL_DIR/private-$BATS_TEST_NUMBER/data/file"
	chown -R "$RL_UID:$RL_GID" "$RL_DIR/private-$BATS_TEST_NUMBER"
	chmod 700 "$RL_DIR/private-$BATS_TEST_NUMBER"
	cfg "c['linux']['uidMappings'] = [{'containerID': 0, 'hostID': $RL_SUBUID, 'size': 1000}]
c['linux']['gidMappings'] = [{'containerID': 0, 'hostID': $RL_SUBUID, 'size': 1000}]
c['mounts'].append({'destination': '/out', 'type': 'bind', 'source': '$RL_DIR/private-$BATS_TEST_NUMBER/data', 'options': ['rbind', 'ro']})"
	inside 'cat /proc/self/uid_map; cat /out/file'
	[ "$status" -eq 0 ]
	[ "$(echo "${lines[0]}" | tr -s ' ')" = " 0 $RL_SUBUID 1000" ]
	[ "${lines[1]}" = secret-ok ]
	assert_nothing_left "$ID"
}

@test "more than the user's own ids: errors when newuidmap is missing or refuses" {
	cfg "c['linux']['uidMappings'] = [{'containerID': 0, 'hostID': $RL_UID, 'size': 1}, {'containerID': 1, 'hostID': $RL_SUBUID, 'size': 1000}]"
	run as_user env PATH=/nonexistent "$RUNTIME" create -b "$B" "$ID"
	[ "$status" -eq 1 ]
	[ "$output" = "lazuli-run: linux.uidMappings: mapping 0 $RL_UID 1, 1 $RL_SUBUID 1000 (more than our own uid $RL_UID) needs newuidmap (package uidmap), and it is not in PATH" ]
	assert_nothing_left "$ID"

	# A range that is not the user's.
	need_newuidmap
	cfg "c['linux']['uidMappings'][1]['hostID'] = 1"
	run lrd create -b "$B" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == "lazuli-run: linux.uidMappings: newuidmap refused the mapping 0 $RL_UID 1, 1 1 1000 (are the ranges in /etc/subuid for uid $RL_UID?): newuidmap: "* ]]
	assert_nothing_left "$ID"
}

@test "config errors: no user namespace, no gid mappings, idmapped mounts, the systemd driver" {
	cfg "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'user']
del c['linux']['uidMappings'], c['linux']['gidMappings']"
	fails_with "linux.namespaces: running rootless (uid $RL_UID), the container needs a user namespace: add {\"type\": \"user\"} with uidMappings and gidMappings (lazuli-run spec --rootless writes them)"
	cfg "c['linux']['namespaces'].append({'type': 'user'})
c['linux']['uidMappings'] = [{'containerID': 0, 'hostID': $RL_UID, 'size': 1}]"
	fails_with "config.json: linux.gidMappings: is required with a new user namespace"
	cfg "c['linux']['gidMappings'] = [{'containerID': 0, 'hostID': $RL_GID, 'size': 1}]
c['mounts'].append({'destination': '/out', 'type': 'bind', 'source': '$OUT', 'options': ['rbind', 'idmap']})"
	fails_with "mounts[6].options: \"idmap\": idmapped mounts need root, and this runs rootless (uid $RL_UID)"
	cfg "c['mounts'].pop()"
	# The systemd driver asks the user's own manager, found through
	# XDG_RUNTIME_DIR: this one has none (the image's tests have one).
	run lrd --systemd-cgroup create -b "$B" "$ID"
	[ "$status" -eq 1 ]
	[ "$output" = "lazuli-run: --systemd-cgroup: cannot connect to the systemd user manager over D-Bus: No such file or directory" ]
	assert_nothing_left "$ID"
	run setpriv --reuid="$RL_UID" --regid="$RL_GID" --clear-groups --inh-caps=-all \
		env -i PATH=/usr/bin:/bin HOME=/ "$RUNTIME" --root "$STATE" --systemd-cgroup create -b "$B" "$ID"
	[ "$status" -eq 1 ]
	[ "$output" = "lazuli-run: --systemd-cgroup: running rootless, the container's scope comes from the systemd user manager, found through XDG_RUNTIME_DIR, which is not set (log in through pam_systemd, or use the cgroupfs driver)" ]
	assert_nothing_left "$ID"
	# A bind source that is not there fails before anything is made, as with root.
	cfg "c['mounts'].append({'destination': '/data', 'type': 'bind', 'source': 'no-such-dir', 'options': ['rbind']})"
	fails_with "mounts[6].source: $B/no-such-dir: No such file or directory"
}

@test "user namespaces disabled: the error names the sysctl" {
	# A user namespace of root's in which no further one may be made (the
	# host's own limit stays as it is); the user runs the runtime inside.
	run python3 - "$RL_UID" "$RL_GID" "$XDG" "$RUNTIME" create -b "$B" "$ID" <<'PY'
import ctypes, os, sys
uid, gid, xdg = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
libc = ctypes.CDLL(None, use_errno=True)
r, w = os.pipe()
me = os.getpid()
child = os.fork()
if child == 0:
    os.close(w)
    os.read(r, 1)
    for f, i in (("uid_map", uid), ("gid_map", gid)):
        with open(f"/proc/{me}/{f}", "w") as m:
            m.write(f"0 0 1\n{i} {i} 1\n")
    os._exit(0)
os.close(r)
if libc.unshare(0x10000000) != 0:
    sys.exit(f"unshare: errno {ctypes.get_errno()}")
os.write(w, b"x")
os.waitpid(child, 0)
with open("/proc/sys/user/max_user_namespaces", "w") as f:
    f.write("0")
os.setgroups([])
os.setresgid(gid, gid, gid)
os.setresuid(uid, uid, uid)
os.execve(sys.argv[4], sys.argv[4:], {"PATH": "/usr/bin:/bin", "XDG_RUNTIME_DIR": xdg})
PY
	echo "# $output"
	[ "$status" -eq 1 ]
	[ "$output" = "lazuli-run: user namespaces are disabled: /proc/sys/user/max_user_namespaces is 0" ]
	assert_nothing_left "$ID"
}
