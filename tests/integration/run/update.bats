#!/usr/bin/env bats
# update: limits changed while the container runs, seen from inside it and
# in its cgroup (v2, or v1 under run-suite's LAZULI_CGROUP=v1).

load helpers

setup_file() { common_setup_file; }
setup() {
	common_setup
	args 'sleep 300'
}

# On a v1/v2 hybrid host memory, pids and cpu belong to cgroup v1: the v2
# run skips these and the v1 run (LAZULI_CGROUP=v1) takes them; the unit
# tests check what is written where on v2 with a stand-in hierarchy.
need_controllers() {
	local c
	for c in memory pids cpu cpuset; do
		if [ -n "$CGV1" ]; then
			[ -d "$CGROOT/$c" ] || skip "no $c hierarchy on this host"
		else
			grep -qw "$c" "$CGROOT/cgroup.controllers" ||
				skip "the $c controller is not in the cgroup v2 hierarchy on this host"
		fi
	done
	cfg "c['linux']['resources'] = {'memory': {'limit': 67108864}, 'pids': {'limit': 50}, 'cpu': {'quota': 50000, 'period': 100000}}"
}
teardown() { common_teardown; }

mem() { cat "$(cg_file "$ID" memory "$([ -n "$CGV1" ] && echo memory.limit_in_bytes || echo memory.max)")"; }
pids() { cat "$(cg_file "$ID" pids pids.max)"; }
cpu() { # "quota period"
	if [ -n "$CGV1" ]; then
		echo "$(cat "$(cg_file "$ID" cpu cpu.cfs_quota_us)") $(cat "$(cg_file "$ID" cpu cpu.cfs_period_us)")"
	else
		cat "$(cg_file "$ID" cpu cpu.max)"
	fi
}
unlimited_mem() { [ -n "$CGV1" ] && echo 9223372036854771712 || echo max; }

@test "update --memory, --pids-limit, --cpu-quota, --cpu-period change the limits live" {
	need_controllers
	lrd run -d -b "$B" "$ID"
	[ "$(mem)" = 67108864 ]
	[ "$(pids)" = 50 ]
	[ "$(cpu)" = "50000 100000" ]
	lr update --memory 128m --pids-limit 20 --cpu-quota 20000 --cpu-period 50000 "$ID"
	[ "$(mem)" = 134217728 ]
	[ "$(pids)" = 20 ]
	[ "$(cpu)" = "20000 50000" ]
	lr update --memory -1 --pids-limit max "$ID"
	[ "$(mem)" = "$(unlimited_mem)" ]
	[ "$(pids)" = max ]
}

@test "update --cpuset-cpus, --cpu-share, --memory-reservation, --memory-swap: seen inside" {
	need_controllers
	lrd run -d -b "$B" "$ID"
	lr update --cpuset-cpus 0 --cpu-share 256 --memory-reservation 32m --memory 64m --memory-swap 96m "$ID"
	[ "$(cat "$(cg_file "$ID" cpuset cpuset.cpus)")" = 0 ]
	run lr exec "$ID" grep Cpus_allowed_list /proc/self/status
	[[ "$output" == *"Cpus_allowed_list:"*"0" ]]
	if [ -n "$CGV1" ]; then
		[ "$(cat "$(cg_file "$ID" cpu cpu.shares)")" = 256 ]
		[ "$(cat "$(cg_file "$ID" memory memory.soft_limit_in_bytes)")" = 33554432 ]
		[ "$(cat "$(cg_file "$ID" memory memory.memsw.limit_in_bytes)")" = 100663296 ]
	else
		[ "$(cat "$(cg_file "$ID" cpu cpu.weight)")" = 10 ]
		[ "$(cat "$(cg_file "$ID" memory memory.low)")" = 33554432 ]
		[ "$(cat "$(cg_file "$ID" memory memory.swap.max)")" = 33554432 ]
	fi
	# Raising the limit past the current memory + swap works in one call (v1 orders the writes).
	lr update --memory 256m --memory-swap 512m "$ID"
	[ "$(mem)" = 268435456 ]
}

@test "update -r FILE: the LinuxResources JSON, options on the command line win" {
	need_controllers
	cfg "c['process']['capabilities'] = {k: c['process']['capabilities'][k] + ['CAP_MKNOD'] for k in ('bounding', 'effective', 'permitted')}"
	lrd run -d -b "$B" "$ID"
	echo '{"memory": {"limit": 100663296}, "pids": {"limit": 30}, "cpu": {"quota": 30000, "period": 60000}, "blockIO": {}, "devices": [{"allow": true, "access": "rwm"}]}' >"$OUT/res.json"
	lr update -r "$OUT/res.json" --pids-limit 31 "$ID"
	[ "$(mem)" = 100663296 ]
	[ "$(pids)" = 31 ]
	[ "$(cpu)" = "30000 60000" ]
	# The device rules were left as create set them (an allow-all in the file did nothing).
	run lr exec "$ID" sh -c 'mknod /dev/km c 1 11; (: >/dev/km) 2>&1'
	echo "$output"
	[[ "$output" == *"Operation not permitted"* ]]
	# From stdin too.
	echo '{"pids": {"limit": 7}}' | lr update -r - "$ID"
	[ "$(pids)" = 7 ]
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
	run lr update --memory 12q "$ID"
	[ "$output" = "lazuli-run: update: --memory 12q: not a valid value" ]
	run lr update --cpu-period 10 "$ID"
	[ "$output" = "lazuli-run: update: --cpu-period 10: not a valid value" ]
	run lr update --cpuset-cpus 0-x "$ID"
	[ "$output" = "lazuli-run: update: --cpuset-cpus 0-x: not a valid value" ]
	run lr update --cpu-share 1 "$ID"
	[ "$output" = "lazuli-run: update: --cpu-share 1: not a valid value" ]
	run lr update --memory 64m --memory-swap 32m "$ID"
	[ "$status" -eq 1 ]
	[ "$output" = "lazuli-run: update: --memory-swap must be at least --memory (it is memory + swap)" ]
	run lr update --l3-cache-schema MB:0=f "$ID"
	[ "$output" = "lazuli-run: update: --l3-cache-schema MB:0=f: not a valid value" ]
	if [ -z "$CGV1" ] && ! grep -qw memory "$CGROOT/cgroup.controllers"; then
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
