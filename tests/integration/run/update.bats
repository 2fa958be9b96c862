#!/usr/bin/env bats
# update: limits changed while the container runs, seen from inside it.

load helpers

setup_file() { common_setup_file; }
setup() {
	common_setup
	args 'sleep 300'
}

# On a v1/v2 hybrid host memory, pids and cpu usually belong to cgroup v1:
# the live tests then need a pure v2 host (the image); the unit tests check
# what is written where with a stand-in hierarchy.
need_controllers() {
	local c
	for c in memory pids cpu; do
		grep -qw "$c" "$CGROOT/cgroup.controllers" ||
			skip "the $c controller is not in the cgroup v2 hierarchy on this host"
	done
	cfg "c['linux']['resources'] = {'memory': {'limit': 67108864}, 'pids': {'limit': 50}, 'cpu': {'quota': 50000, 'period': 100000}}"
}
teardown() { common_teardown; }

inside() { # file in the container's cgroup, read from inside the container
	lr exec "$ID" cat "/sys/fs/cgroup/$1"
}

@test "update --memory, --pids-limit, --cpu-quota, --cpu-period change the limits live" {
	need_controllers
	# The container sees its own cgroup at /sys/fs/cgroup (cgroup namespace + cgroup mount).
	cfg "c['mounts'].append({'destination': '/sys/fs/cgroup', 'type': 'cgroup', 'source': 'cgroup', 'options': ['nosuid', 'noexec', 'nodev', 'ro']})"
	lrd run -d -b "$B" "$ID"
	[ "$(inside memory.max)" = 67108864 ]
	[ "$(inside pids.max)" = 50 ]
	[ "$(inside cpu.max)" = "50000 100000" ]
	lr update --memory 134217728 --pids-limit 20 --cpu-quota 20000 --cpu-period 50000 "$ID"
	[ "$(inside memory.max)" = 134217728 ]
	[ "$(inside pids.max)" = 20 ]
	[ "$(inside cpu.max)" = "20000 50000" ]
	lr update --memory -1 --pids-limit max "$ID"
	[ "$(inside memory.max)" = max ]
	[ "$(inside pids.max)" = max ]
}

@test "update -r FILE: the LinuxResources JSON, options on the command line win" {
	need_controllers
	lrd run -d -b "$B" "$ID"
	echo '{"memory": {"limit": 100663296}, "pids": {"limit": 30}, "cpu": {"quota": 30000, "period": 60000}, "blockIO": {}}' >"$OUT/res.json"
	lr update -r "$OUT/res.json" --pids-limit 31 "$ID"
	[ "$(cat "$CGROOT/$ID/memory.max")" = 100663296 ]
	[ "$(cat "$CGROOT/$ID/pids.max")" = 31 ]
	[ "$(cat "$CGROOT/$ID/cpu.max")" = "30000 60000" ]
	# From stdin too.
	echo '{"pids": {"limit": 7}}' | lr update -r - "$ID"
	[ "$(cat "$CGROOT/$ID/pids.max")" = 7 ]
	# The new pids limit holds inside: 7 processes at most.
	run lr exec "$ID" sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 30 & done; wait'
	[[ "$output" == *"can't fork"* ]] || [[ "$output" == *"Resource temporarily unavailable"* ]]
}

@test "update: bad input is named; a stopped container is refused" {
	lrd run -d -b "$B" "$ID"
	echo '{"memory": {"limit": "big"}}' >"$OUT/res.json"
	run lr update -r "$OUT/res.json" "$ID"
	[ "$status" -eq 1 ]
	[ "$output" = "lazuli-run: update: --resources $OUT/res.json: linux.resources.memory.limit: must be an integer" ]
	run lr update -r "$OUT/nonexistent.json" "$ID"
	[[ "$output" == *"--resources $OUT/nonexistent.json: No such file or directory"* ]]
	run lr update --memory lots "$ID"
	[ "$output" = "lazuli-run: update: --memory lots: not a valid value" ]
	run lr update --cpu-period 10 "$ID"
	[ "$output" = "lazuli-run: update: --cpu-period 10: not a valid value" ]
	run lr update --cpuset-cpus 0 "$ID"
	[ "$output" = "lazuli-run: update: --cpuset-cpus is not supported yet" ]
	if ! grep -qw memory "$CGROOT/cgroup.controllers"; then
		# A limit the hierarchy cannot take is named, not ignored.
		run lr update --memory 1000000 "$ID"
		[ "$status" -eq 1 ]
		[[ "$output" == *"linux.resources.memory.limit: the memory controller is not available in the cgroup v2 hierarchy"* ]]
	fi
	lr kill "$ID" KILL
	wait_status "$ID" stopped
	run lr update --pids-limit 10 "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot update a stopped container"* ]]
	run lr update --pids-limit 10 nosuch
	[ "$status" -eq 1 ]
	[[ "$output" == *'container "nosuch" does not exist'* ]]
}
