#!/usr/bin/env bats
# Bad input: every failure names the field or path, exits 1, and leaves no
# state directory, cgroup, mount or process behind.

load helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

@test "malformed JSON, a duplicate key, a document that is not an object" {
	printf '{"ociVersion": "1.2.0",' >"$B/config.json"
	fails_with "config.json: not valid JSON: document ends early (truncated at byte 23)"
	printf '{"ociVersion":"1.2.0","ociVersion":"1.0.0"}' >"$B/config.json"
	run lrd create -b "$B" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *'config.json: not valid JSON: duplicate key "ociVersion"'* ]]
	assert_nothing_left "$ID"
	echo '[1, 2]' >"$B/config.json"
	fails_with "config.json: must be a JSON object"
	rm "$B/config.json"
	fails_with "$(readlink -f "$B")/config.json: No such file or directory"
}

@test "invalid fields are named" {
	cfg "c['process']['args'] = []"
	fails_with "config.json: process.args: must be a non-empty array of strings"
	cfg "c['process']['args'] = ['sh']; c['process']['capabilities']['bounding'].append('CAP_BOGUS')"
	fails_with 'config.json: process.capabilities.bounding[3]: unknown capability "CAP_BOGUS"'
	cfg "c['process']['capabilities']['bounding'].pop(); c['mounts'][2]['destination'] = 'dev/pts'"
	fails_with 'config.json: mounts[2].destination: must be an absolute path, not "dev/pts"'
	cfg "c['mounts'][2]['destination'] = '/dev/pts'; c['linux']['seccomp']['syscalls'][0] = {'names': ['mkdir'], 'action': 'SCMP_ACT_NOTIFY'}"
	fails_with 'config.json: linux.seccomp.listenerPath: is required by SCMP_ACT_NOTIFY in linux.seccomp.syscalls[0]'
	cfg "c['linux']['seccomp']['syscalls'][0]['action'] = 'SCMP_ACT_ERRNO'; c['hooks'] = {'prestart': [{'path': 'true'}]}"
	fails_with 'config.json: hooks.prestart[0].path: must be an absolute path'
	cfg "del c['hooks']; c['process']['terminal'] = True"
	fails_with 'config.json: process.terminal: a terminal needs --console-socket (or run in the foreground)'
}

@test "a missing rootfs, or one that is not a directory" {
	rm "$B/rootfs"
	fails_with "root.path: $(readlink -f "$B")/rootfs: No such file or directory"
	touch "$B/rootfs"
	fails_with "root.path: $(readlink -f "$B")/rootfs: Not a directory"
	cfg "c['root']['path'] = '/nonexistent/rootfs'"
	fails_with "root.path: /nonexistent/rootfs: No such file or directory"
}

@test "a missing bind source, a namespace path that does not exist" {
	cfg "c['mounts'].append({'destination': '/data', 'type': 'bind', 'source': 'no-such-dir', 'options': ['rbind']})"
	fails_with "mounts[7].source: $(readlink -f "$B")/no-such-dir: No such file or directory"
	cfg "c['mounts'].pop(); c['linux']['namespaces'][1]['path'] = '/proc/999999999/ns/net'"
	fails_with "linux.namespaces[1].path: /proc/999999999/ns/net: No such file or directory"
}

@test "failures inside the container's init are reported and undone" {
	# The cgroup and state exist by then, and the init has run: all of it goes.
	cfg "c['mounts'].append({'destination': '/weird', 'type': 'nosuchfs', 'source': 'none'})"
	fails_with "mounts[7]: cannot mount none (nosuchfs) on /weird: No such device"
	cfg "c['mounts'].pop(); c['process']['args'] = ['no-such-program']"
	fails_with 'process.args[0]: "no-such-program": executable file not found in $PATH'
	cfg "c['process']['args'] = ['/bin/sh']; c['process']['cwd'] = '/etc/passwd'"
	fails_with 'process.cwd: /etc/passwd: Not a directory'
	cfg "c['process']['cwd'] = '/'; c['process']['user'] = {'uid': 1000, 'gid': 1000}; c['process']['capabilities']['ambient'] = ['CAP_SYS_ADMIN']"
	run lrd create -b "$B" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"process.capabilities.ambient: cannot raise CAP_SYS_ADMIN"* ]]
	assert_nothing_left "$ID"
}

@test "cgroup paths: systemd notation needs --systemd-cgroup, .. is refused, an existing cgroup is kept" {
	cfg "c['linux']['cgroupsPath'] = 'system.slice:lazuli:$ID'"
	fails_with "linux.cgroupsPath: \"system.slice:lazuli:$ID\" is a systemd slice:prefix:name path, which needs --systemd-cgroup"
	cfg "c['linux']['cgroupsPath'] = '/a/../../$ID'"
	fails_with 'config.json: linux.cgroupsPath: must not contain ".."'
	# A cgroup that existed before create is used, and neither emptied nor removed.
	mkdir "$CGROOT/$ID-pre"
	cfg "c['linux']['cgroupsPath'] = '/$ID-pre'"
	args 'true'
	lr run -b "$B" "$ID"
	[ -d "$CGROOT/$ID-pre" ]
	rmdir "$CGROOT/$ID-pre"
}

@test "--systemd-cgroup: a path that is not slice:prefix:name, a host without systemd" {
	args 'true'
	cfg "c['linux']['cgroupsPath'] = '/$ID'"
	run lrd --systemd-cgroup create -b "$B" "$ID"
	echo "# $output"
	[ "$status" -eq 1 ]
	[ "$output" = "lazuli-run: linux.cgroupsPath: \"/$ID\": the systemd cgroup driver expects \"slice:prefix:name\"" ]
	assert_nothing_left "$ID"
	cfg "c['linux']['cgroupsPath'] = 'bad--slice.slice:p:$ID'"
	run lrd --systemd-cgroup create -b "$B" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *'"bad--slice.slice" is not a valid slice name'* ]]
	assert_nothing_left "$ID"
	# This test host's pid 1 is not systemd (and run-suite's namespace has no bus):
	# create says so, and the init it had started is gone with everything else.
	[ -S /run/systemd/private ] && skip "systemd runs here"
	cfg "c['linux']['cgroupsPath'] = 'machine.slice:lzr:$ID'"
	run lrd --systemd-cgroup create -b "$B" "$ID"
	echo "# $output"
	[ "$status" -eq 1 ]
	[[ "$output" == "lazuli-run: --systemd-cgroup: cannot connect to the systemd system manager over D-Bus: "* ]]
	assert_nothing_left "$ID"
}

@test "usage errors exit 1 with a message" {
	run lr
	[ "$status" -eq 1 ]
	run lr frobnicate
	[ "$status" -eq 1 ]
	[ "$output" = 'lazuli-run: unknown command "frobnicate" (see --help)' ]
	run lr create
	[ "$status" -eq 1 ]
	[ "$output" = 'lazuli-run: create: a container id is required' ]
	run lr start a b
	[ "$status" -eq 1 ]
	[ "$output" = 'lazuli-run: start: unexpected argument "b"' ]
	run lr create --frobnicate "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *'lazuli-run: create: unknown option (see --help)' ]]
	run "$RUNTIME" --root relative list
	[ "$status" -eq 1 ]
	[ "$output" = 'lazuli-run: --root must be an absolute path' ]
	run lr list --format yaml
	[ "$status" -eq 1 ]
	assert_nothing_left "$ID"
}

@test "--log writes errors as JSON lines for containerd, or as text" {
	cfg "c['process']['args'] = []"
	run "$RUNTIME" --root "$STATE" --log "$OUT/log.json" --log-format json create -b "$B" "$ID"
	[ "$status" -eq 1 ]
	[ "$(json_get 'd["level"]' <"$OUT/log.json")" = error ]
	[ "$(json_get 'd["msg"]' <"$OUT/log.json")" = "config.json: process.args: must be a non-empty array of strings" ]
	json_get 'd["time"]' <"$OUT/log.json" | grep -Eq '^[0-9-]{10}T'
	run "$RUNTIME" --root "$STATE" --log "$OUT/log.txt" state nosuch
	[ "$status" -eq 1 ]
	grep -Eq '^time="[^"]+" level=error msg="container \\"nosuch\\" does not exist"$' "$OUT/log.txt"
	run "$RUNTIME" --log-format xml list
	[ "$status" -eq 1 ]
}

@test "create killed with SIGKILL at any point: delete --force removes everything" {
	args 'sleep 30'
	# Kill the runtime after a growing delay: before, during and after the set-up.
	for delay in 0 0.002 0.004 0.006 0.008 0.01 0.015 0.02 0.03 0.05 0.1; do
		timeout -s KILL "$delay" "$RUNTIME" --root "$STATE" create -b "$B" "$ID" </dev/null >/dev/null 2>&1 || true
		state=$(lr state "$ID" 2>/dev/null | json_get 'd["status"]' 2>/dev/null || echo none)
		echo "# delay $delay: $state"
		pid=$(pid_of "$ID" 2>/dev/null || echo 0)
		lr delete --force "$ID"
		assert_nothing_left "$ID" "$pid"
	done
}
