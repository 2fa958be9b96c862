#!/usr/bin/env bats
# process.scheduler, process.ioPriority, process.execCPUAffinity,
# linux.personality and a time namespace with linux.timeOffsets: seen from
# inside the container (and from the host where the container cannot tell).

load helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

start_sleeper() {
	args 'sleep 300'
	lrd run -d -b "$B" "$ID"
	wait_status "$ID" running
}

# exec_process 'JSON fields' 'SHELL': exec --process with sh -c SHELL and these fields added.
exec_process() {
	python3 - "$OUT/process.json" "$1" "$2" <<'PY'
import json, sys
p = {"args": ["sh", "-c", sys.argv[3]], "cwd": "/", "env": ["PATH=/bin"]}
p.update(json.loads(sys.argv[2]))
json.dump(p, open(sys.argv[1], "w"))
PY
	run lr exec --process "$OUT/process.json" "$ID"
	echo "# status $status, output:"
	echo "$output"
}

# Fields 19 (nice), 40 (rt_priority) and 41 (policy) of /proc/self/stat.
STAT='cut -d" " -f19,40,41 /proc/self/stat'

@test "process.scheduler: policy, nice and real-time priority of the container's process" {
	cfg "c['process']['scheduler'] = {'policy': 'SCHED_BATCH', 'nice': 7}"
	inside "$STAT"
	[ "$status" -eq 0 ]
	[ "$output" = "7 0 3" ]

	cfg "c['process']['scheduler'] = {'policy': 'SCHED_FIFO', 'priority': 10}"
	inside "$STAT"
	[ "$status" -eq 0 ]
	[ "$output" = "0 10 1" ]

	# A SCHED_DEADLINE task may not fork: the program is run without a shell.
	cfg "c['process']['scheduler'] = {'policy': 'SCHED_DEADLINE', 'runtime': 10000000, 'deadline': 50000000, 'period': 100000000}
c['process']['args'] = ['cat', '/proc/self/sched']"
	run lr run -b "$B" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ policy\ +:\ +6 ]]
}

@test "process.scheduler: exec takes the container's, or that of its process object" {
	cfg "c['process']['scheduler'] = {'policy': 'SCHED_BATCH', 'nice': 3}"
	start_sleeper
	run lr exec "$ID" sh -c "$STAT"
	[ "$status" -eq 0 ]
	[ "$output" = "3 0 3" ]
	exec_process '{"scheduler": {"policy": "SCHED_IDLE"}}' "$STAT"
	[ "$status" -eq 0 ]
	[ "$output" = "0 0 5" ]
	# A process object without one: the default policy.
	exec_process '{}' "$STAT"
	[ "$status" -eq 0 ]
	[ "$output" = "0 0 0" ]
}

@test "process.ioPriority: class and level, seen inside and from the host" {
	cfg "c['process']['ioPriority'] = {'class': 'IOPRIO_CLASS_BE', 'priority': 5}"
	inside 'ionice -p $$'
	[ "$status" -eq 0 ]
	[ "$output" = "best-effort: prio 5" ]

	cfg "c['process']['ioPriority'] = {'class': 'IOPRIO_CLASS_RT', 'priority': 2}"
	start_sleeper
	[ "$(ionice -p "$(pid_of "$ID")")" = "realtime: prio 2" ]
	exec_process '{"ioPriority": {"class": "IOPRIO_CLASS_IDLE", "priority": 7}}' 'ionice -p $$'
	[ "$status" -eq 0 ]
	[ "$output" = "idle" ]
}

@test "process.execCPUAffinity: initial, then final in the cgroup, for exec only" {
	[ "$(nproc)" -ge 2 ] || skip "needs two CPUs"
	host=$(sed -n 's/^Cpus_allowed_list:\t//p' /proc/self/status)
	cfg "c['process']['execCPUAffinity'] = {'initial': '1'}"
	start_sleeper
	# Not for the container's own process, as the spec says.
	[ "$(sed -n 's/^Cpus_allowed_list:\t//p' "/proc/$(pid_of "$ID")/status")" = "$host" ]
	# exec with the container's process section: initial only, which the kernel keeps.
	run lr exec "$ID" sed -n 's/^Cpus_allowed_list:\t//p' /proc/self/status
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
	exec_process '{"execCPUAffinity": {"initial": "1", "final": "0"}}' \
		'sed -n "s/^Cpus_allowed_list:\t//p" /proc/self/status'
	[ "$status" -eq 0 ]
	[ "$output" = 0 ]
	exec_process '{"execCPUAffinity": {"final": "0-1"}}' \
		'sed -n "s/^Cpus_allowed_list:\t//p" /proc/self/status'
	[ "$status" -eq 0 ]
	[ "$output" = 0-1 ]
}

@test "linux.personality: LINUX32 for the container's process and exec'd ones" {
	cfg "c['linux']['personality'] = {'domain': 'LINUX32'}"
	inside 'cat /proc/self/personality; uname -m'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 00000008 ]
	[ "$(uname -m)" != x86_64 ] || [ "${lines[1]}" = i686 ]

	start_sleeper
	run lr exec "$ID" cat /proc/self/personality
	[ "$status" -eq 0 ]
	[ "$output" = 00000008 ]
}

@test "time namespace: linux.timeOffsets shift the clocks of the container and of exec" {
	cfg "c['linux']['namespaces'].append({'type': 'time'})
c['linux']['timeOffsets'] = {'boottime': {'secs': 315360000, 'nanosecs': 5}, 'monotonic': {'secs': -1}}"
	inside 'cat /proc/self/timens_offsets; cut -d. -f1 /proc/uptime
		[ "$(readlink /proc/self/ns/time)" = "$(readlink /proc/self/ns/time_for_children)" ] && echo entered
		readlink /proc/self/ns/time'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^monotonic\ +-1\ +0$ ]]
	[[ "${lines[1]}" =~ ^boottime\ +315360000\ +5$ ]]
	# Uptime is the boottime clock: ten years more than the host's.
	[ "${lines[2]}" -ge 315360000 ]
	[ "${lines[3]}" = entered ]
	[ "${lines[4]}" != "$(readlink /proc/self/ns/time)" ]

	start_sleeper
	pid=$(pid_of "$ID")
	[ "$(readlink "/proc/$pid/ns/time")" != "$(readlink /proc/self/ns/time)" ]
	run lr exec "$ID" sh -c 'readlink /proc/self/ns/time; cut -d. -f1 /proc/uptime'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(readlink "/proc/$pid/ns/time")" ]
	[ "${lines[1]}" -ge 315360000 ]
}

@test "time namespace without offsets: a namespace of its own, clocks as the host's" {
	cfg "c['linux']['namespaces'].append({'type': 'time'})"
	inside 'readlink /proc/self/ns/time; cat /proc/self/timens_offsets'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" != "$(readlink /proc/self/ns/time)" ]
	[[ "${lines[1]}" =~ ^monotonic\ +0\ +0$ ]]
	[[ "${lines[2]}" =~ ^boottime\ +0\ +0$ ]]
}

@test "bad values: the error names the field and nothing is left" {
	args 'true'
	cp "$B/config.json" "$OUT/good.json"
	cfg "c['process']['scheduler'] = {'policy': 'X'}"
	fails_with 'config.json: process.scheduler.policy: unknown policy "X"'
	cp "$OUT/good.json" "$B/config.json"
	cfg "c['process']['ioPriority'] = {'class': 'IOPRIO_CLASS_BE', 'priority': 9}"
	fails_with 'config.json: process.ioPriority.priority: must be between 0 and 7'
	cp "$OUT/good.json" "$B/config.json"
	cfg "c['process']['execCPUAffinity'] = {'initial': '1-x'}"
	fails_with 'config.json: process.execCPUAffinity.initial: invalid CPU list "1-x" (want e.g. "0-3,7")'
	cp "$OUT/good.json" "$B/config.json"
	cfg "c['linux']['personality'] = {'domain': 'LINUX64'}"
	fails_with 'config.json: linux.personality.domain: unknown domain "LINUX64" (LINUX or LINUX32)'
	cp "$OUT/good.json" "$B/config.json"
	cfg "c['linux']['timeOffsets'] = {'boottime': {'secs': 1}}"
	fails_with 'config.json: linux.timeOffsets: needs a new time namespace in linux.namespaces (one without a path)'

	# Refused by the kernel, inside the container's init: undone all the same.
	cp "$OUT/good.json" "$B/config.json"
	cfg "c['process']['scheduler'] = {'policy': 'SCHED_DEADLINE', 'runtime': 1024, 'deadline': 2048}"
	fails_with 'process.scheduler: sched_setattr: Invalid argument'
	cp "$OUT/good.json" "$B/config.json"
	cfg "c['linux']['namespaces'].append({'type': 'time'})
c['linux']['timeOffsets'] = {'monotonic': {'secs': -1000000000000}}"
	fails_with 'linux.timeOffsets: cannot set the offsets: Numerical result out of range'
}

@test "exec --process with a bad scheduler or affinity: an error, no process" {
	start_sleeper
	exec_process '{"scheduler": {"policy": "SCHED_RR", "priority": 0}}' 'true'
	[ "$status" -eq 1 ]
	[ "$output" = "lazuli-run: --process $OUT/process.json: process.scheduler.priority: must be between 1 and 99 with SCHED_FIFO and SCHED_RR" ]
	exec_process '{"execCPUAffinity": {"final": "4096"}}' 'true'
	[ "$status" -eq 1 ]
	[ "$output" = "lazuli-run: --process $OUT/process.json: process.execCPUAffinity.final: CPU numbers must be below 1024" ]
	# Only the container's own process is there.
	[ "$(wc -l <"$CGROOT/$ID/cgroup.procs")" -eq 1 ]
}

@test "time namespace: made inside a new user namespace, or joined by path" {
	cfg "c['linux']['namespaces'] += [{'type': 'time'}, {'type': 'user'}]
c['linux']['uidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 65536}]
c['linux']['gidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 65536}]
c['linux']['timeOffsets'] = {'boottime': {'secs': 315360000}}"
	start_sleeper
	pid=$(pid_of "$ID")
	grep -Eq '^boottime +315360000 +0$' "/proc/$pid/timens_offsets"
	run lr exec "$ID" sh -c 'id -u; cut -d. -f1 /proc/uptime'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" -ge 315360000 ]
	# And the user namespace is real: the init runs as host uid 100000.
	[ "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" = 100000 ]

	# A second container joins that namespace: the same clocks, no offsets of its own.
	first=$ID
	ID=$first-b
	rm "$B/config.json"
	lr spec -b "$B"
	cfg "c['process']['env'].append('LZR_TEST=$ID')
c['linux']['namespaces'].append({'type': 'time', 'path': '/proc/$pid/ns/time'})"
	inside 'readlink /proc/self/ns/time; cut -d. -f1 /proc/uptime'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(readlink "/proc/$pid/ns/time")" ]
	[ "${lines[1]}" -ge 315360000 ]
	ID=$first
}
