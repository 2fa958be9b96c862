#!/usr/bin/env bats
# linux.resources on cgroup v1 (run-suite with LAZULI_CGROUP=v1) and on v2:
# where each field lands, what the container feels, and the errors.

load helpers

setup_file() { common_setup_file; }
setup() {
	common_setup
	args 'sleep 300'
}
teardown() {
	common_teardown
	local d
	for d in "$CGROOT"/lzr-nest-$$ "$CGROOT"/*/lzr-nest-$$ "$CGROOT"/lzr-pre-$$; do
		[ ! -d "$d" ] || find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
}

has_ctl() { # controller: is it there to take limits?
	if [ -n "$CGV1" ]; then
		[ -d "$CGROOT/$1" ] && [ "$(stat -f -c %T "$CGROOT/$1")" = cgroupfs ]
	else
		grep -qw "$1" "$CGROOT/cgroup.controllers"
	fi
}
need_ctl() {
	local c
	for c in "$@"; do
		has_ctl "$c" || skip "no $c controller for this hierarchy on this host"
	done
}
val() { # controller file
	cat "$(cg_file "$ID" "$1" "$2")"
}

@test "config.json's limits land in the container's cgroup files" {
	need_ctl memory cpu cpuset pids
	cfg "c['linux']['resources'] = {'memory': {'limit': 67108864, 'reservation': 33554432, 'swap': 67108864, 'swappiness': 10}, 'cpu': {'shares': 512, 'quota': 50000, 'period': 100000, 'burst': 1000, 'cpus': '0', 'mems': '0'}, 'pids': {'limit': 40}}"
	lrd run -d -b "$B" "$ID"
	if [ -n "$CGV1" ]; then
		[ "$(val memory memory.limit_in_bytes)" = 67108864 ]
		[ "$(val memory memory.soft_limit_in_bytes)" = 33554432 ]
		[ "$(val memory memory.memsw.limit_in_bytes)" = 67108864 ]
		[ "$(val memory memory.swappiness)" = 10 ]
		[ "$(val cpu cpu.shares)" = 512 ]
		[ "$(val cpu cpu.cfs_quota_us)" = 50000 ]
		[ "$(val cpu cpu.cfs_period_us)" = 100000 ]
		[ "$(val cpu cpu.cfs_burst_us)" = 1000 ]
	else
		[ "$(val memory memory.max)" = 67108864 ]
		[ "$(val memory memory.low)" = 33554432 ]
		[ "$(val memory memory.swap.max)" = 0 ]
		[ "$(val cpu cpu.weight)" = 20 ]
		[ "$(val cpu cpu.max)" = "50000 100000" ]
		[ "$(val cpu cpu.max.burst)" = 1000 ]
	fi
	[ "$(val cpuset cpuset.cpus)" = 0 ]
	[ "$(val pids pids.max)" = 40 ]
	# The container runs on CPU 0 only.
	run lr exec "$ID" grep Cpus_allowed_list /proc/self/status
	[ "$status" -eq 0 ]
	[[ "$output" == *"Cpus_allowed_list:"*"0" ]]
}

@test "a block I/O weight lands in the weight file the kernel has" {
	need_ctl "$([ -n "$CGV1" ] && echo blkio || echo io)"
	cfg "c['linux']['resources'] = {'blockIO': {'weight': 300}}"
	# v1's blkio has a weight file only with BFQ (CFQ left in Linux 5.0):
	# without it lazuli-run refuses the weight, naming the file it lacks.
	if [ -n "$CGV1" ] && ! grep -qw bfq /sys/block/*/queue/scheduler 2>/dev/null; then
		fails_with "linux.resources.blockIO.weight: this kernel has no $(cg_file "$ID" blkio blkio.weight) (not supported by the blkio controller here)"
		return
	fi
	lrd run -d -b "$B" "$ID"
	local f
	if [ -n "$CGV1" ]; then
		f=$(cg_file "$ID" blkio blkio.bfq.weight)
		[ -e "$f" ] || f=$(cg_file "$ID" blkio blkio.weight)
		[[ "$(cat "$f")" == *300* ]]
	else
		f=$(cg_file "$ID" io io.bfq.weight)
		if [ -e "$f" ]; then [[ "$(cat "$f")" == *300* ]]; else [[ "$(val io io.weight)" == *2971* ]]; fi
	fi
}

@test "the memory limit holds: a shell that grows past it is killed" {
	need_ctl memory
	cfg "c['linux']['resources'] = {'memory': {'limit': 16777216, 'swap': 16777216}}"
	# 40 MB in a shell variable, twice the limit.
	inside 'x=$(head -c 40000000 /dev/zero | tr "\0" a); echo ${#x}'
	[ "$status" -eq 137 ]
	[ "$output" != 40000000 ]
	# The same without the limit gets there.
	cfg "c['linux']['resources'] = {}"
	inside 'x=$(head -c 40000000 /dev/zero | tr "\0" a); echo ${#x}'
	[ "$status" -eq 0 ]
	[ "$output" = 40000000 ]
	assert_nothing_left "$ID"
}

@test "the pids limit holds inside the container" {
	need_ctl pids
	cfg "c['linux']['resources'] = {'pids': {'limit': 4}}"
	inside 'for i in 1 2 3 4 5 6; do sleep 5 & done; wait'
	[[ "$output" == *"can't fork"* ]] || [[ "$output" == *"Resource temporarily unavailable"* ]]
}

@test "devices: only the allowed devices open, whatever nodes the container makes" {
	cfg "c['process']['capabilities'] = {k: c['process']['capabilities'][k] + ['CAP_MKNOD'] for k in ('bounding', 'effective', 'permitted')}"
	# /dev/kmsg (c 1:11) is in no default rule; /dev/null's numbers are.
	local probe='mknod /dev/km c 1 11 && mknod /dev/nul c 1 3 && (: >/dev/nul) && echo null-ok;
		(: >/dev/km) 2>/dev/null && echo km-write-ok; cat /dev/km >/dev/null 2>&1 & p=$!; sleep 0.3;
		kill $p 2>/dev/null && echo km-read-ok; true'
	inside "$probe"
	[ "$status" -eq 0 ]
	[ "$output" = null-ok ]
	# A rule of the config lets writes through, and only writes.
	cfg "c['linux']['resources'] = {'devices': [{'allow': False, 'access': 'rwm'}, {'allow': True, 'type': 'c', 'major': 1, 'minor': 11, 'access': 'w'}]}"
	inside "$probe"
	[ "$status" -eq 0 ]
	[ "$output" = "null-ok
km-write-ok" ]
}

@test "devices: in a cgroup made beforehand, each container's rules replace the last one's" {
	[ -z "$CGV1" ] || skip "device programs are cgroup v2's; v1 has devices.allow"
	# lazuli-run does not remove a cgroup it did not make; the next container finds it again
	mkdir "$CGROOT/lzr-pre-$$"
	cfg "c['linux']['cgroupsPath'] = '/lzr-pre-$$'; c['process']['capabilities'] = {k: c['process']['capabilities'][k] + ['CAP_MKNOD'] for k in ('bounding', 'effective', 'permitted')}"
	local probe='mknod /dev/km c 1 11 && (: >/dev/km) 2>/dev/null && echo km-write-ok; true'
	inside "$probe"
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	# the first container's program, which denied /dev/kmsg, must not outlive it
	cfg "c['linux']['resources'] = {'devices': [{'allow': False, 'access': 'rwm'}, {'allow': True, 'type': 'c', 'major': 1, 'minor': 11, 'access': 'w'}]}"
	inside "$probe"
	[ "$status" -eq 0 ]
	[ "$output" = km-write-ok ]
	# the kernel takes 64 programs per cgroup: more containers than that still run
	args true
	local i
	for i in $(seq 66); do
		lr run -b "$B" "$ID"
	done
	[ -d "$CGROOT/lzr-pre-$$" ]
	rmdir "$CGROOT/lzr-pre-$$"
}

@test "pause and resume freeze and thaw; kill --all and delete leave no cgroup in any hierarchy" {
	lrd run -d -b "$B" "$ID"
	lr exec -d "$ID" sleep 300
	lr pause "$ID"
	[ "$(state_of "$ID")" = paused ]
	if [ -n "$CGV1" ]; then
		[ "$(val freezer freezer.state)" = FROZEN ]
	else
		grep -qx 'frozen 1' "$(cg_file "$ID" x cgroup.events)"
	fi
	lr resume "$ID"
	[ "$(state_of "$ID")" = running ]
	[ "$(lr ps --format json "$ID" | json_get 'len(d)')" -eq 2 ]
	[ -n "$(cg_dirs "$ID")" ]
	lr kill --all "$ID" KILL
	wait_status "$ID" stopped
	lr delete "$ID"
	assert_nothing_left "$ID"
}

@test "a nested cgroupsPath gets its parents' cpuset and runs" {
	need_ctl pids
	cfg "c['linux']['cgroupsPath'] = '/lzr-nest-$$/a/$ID'"
	inside 'echo ran'
	[ "$status" -eq 0 ]
	[ "$output" = ran ]
	if [ -n "$CGV1" ]; then
		[ "$(cat "$CGROOT/cpuset/lzr-nest-$$/a/cpuset.cpus")" = "$(cat "$CGROOT/cpuset/cpuset.cpus")" ]
		[ ! -e "$CGROOT/memory/lzr-nest-$$/a/$ID" ]
	fi
}

@test "real-time runtime is set on v1 and refused on v2, naming the field" {
	cfg "c['linux']['resources'] = {'cpu': {'realtimeRuntime': 1000, 'realtimePeriod': 1000000}}"
	if [ -n "$CGV1" ]; then
		need_ctl cpu
		[ -e "$CGROOT/cpu/cpu.rt_runtime_us" ] || skip "no real-time group scheduling in this kernel"
		lrd run -d -b "$B" "$ID"
		[ "$(val cpu cpu.rt_runtime_us)" = 1000 ]
		[ "$(val cpu cpu.rt_period_us)" = 1000000 ]
	else
		fails_with "linux.resources.cpu.realtimeRuntime: real-time group scheduling exists only in cgroup v1"
	fi
}

@test "the container's v2 cgroup carries its id in user.lazuli-run.id, for lazuli-metrics" {
	[ -z "$CGV1" ] || skip "the mark is written on cgroup v2 only, which lazuli-metrics walks"
	lrd run -d -b "$B" "$ID"
	run python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "user.lazuli-run.id").decode())' "$CGROOT/$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "$ID" ]
	# readable by an unprivileged user, as lazuli-metrics' unit is
	run setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "user.lazuli-run.id").decode())' "$CGROOT/$ID"
	[ "$output" = "$ID" ]
}

@test "a limit this hierarchy cannot take is named, and create leaves nothing" {
	if [ -n "$CGV1" ]; then
		cfg "c['linux']['resources'] = {'unified': {'memory.high': '1000000'}}"
		fails_with "linux.resources.unified.memory.high: unified needs cgroup v2"
		has_ctl hugetlb && skip "this host mounts hugetlb in v1"
		cfg "c['linux']['resources'] = {'hugepageLimits': [{'pageSize': '2MB', 'limit': 2097152}]}"
		fails_with "linux.resources.hugepageLimits[0]: the hugetlb controller is not mounted at $CGROOT/hugetlb (cgroup v1)"
	else
		cfg "c['linux']['resources'] = {'network': {'classID': 7}}"
		fails_with "linux.resources.network: net_cls and net_prio exist only in cgroup v1"
	fi
	cfg "c['linux']['resources'] = {'blockIO': {'weight': 5}}"
	fails_with "config.json: linux.resources.blockIO.weight: must be between 10 and 1000"
}
