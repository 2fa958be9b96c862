#!/usr/bin/env bats
# The six hook kinds: order, where they run, what they get, timeouts, and
# what a failing or hanging one leaves behind (nothing).

load helpers

setup_file() { common_setup_file; }
setup() {
	common_setup
	with_out
	LOG="$OUT/hooks.log"
}
teardown() { common_teardown; }

# hook KIND 'SHELL' [timeout]: append a hook that runs sh -c SHELL, with
# $KIND and the test's marker in its environment, to config.json.
hook() {
	local t=${3:-}
	cfg "h = {'path': '/bin/sh', 'args': ['sh', '-c', $(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$2"), 'hook-arg'],
     'env': ['KIND=$1', 'LZR_TEST=$ID', 'PATH=/bin:/usr/bin']}
if '$t': h['timeout'] = int('$t' or 0)
c.setdefault('hooks', {}).setdefault('$1', []).append(h)"
}

# What each hook records: its kind, its argv[1], the status and pid of the state on its stdin, its pid namespace.
record() { # file
	echo 's=$(cat); echo "$KIND $0 $(echo "$s" | sed -n "s/.*\"status\":\"\([a-z]*\)\".*/\1/p") $(echo "$s" | sed -n "s/.*\"pid\":\([0-9]*\).*/\1/p") $(readlink /proc/self/ns/pid)" >>'"$1"
}

@test "all six hooks, in order, with the state on stdin, their args and env" {
	args 'sleep 300'
	hook prestart "$(record "$LOG")"
	hook createRuntime "$(record "$LOG")"
	# Before pivot_root: host paths still resolve, in the container's namespaces.
	hook createContainer "$(record "$LOG")"
	# In the container: its /out is $OUT.
	hook startContainer "$(record /out/hooks.log)"
	hook poststart "$(record "$LOG")"
	hook poststop "$(record "$LOG")"
	lrd create -b "$B" "$ID"
	pid=$(pid_of "$ID")
	cat "$LOG"
	[ "$(wc -l <"$LOG")" -eq 3 ]
	lr start "$ID"
	wait_status "$ID" running
	for _ in $(seq 50); do [ "$(wc -l <"$LOG")" -ge 5 ] && break; sleep 0.05; done
	lr delete -f "$ID"
	cat "$LOG"
	[ "$(cut -d' ' -f1,2 "$LOG" | tr '\n' ' ')" = "prestart hook-arg createRuntime hook-arg createContainer hook-arg startContainer hook-arg poststart hook-arg poststop hook-arg " ] ||
		[ "$(cut -d' ' -f1,2 "$LOG" | tr '\n' ' ')" = "prestart hook-arg createRuntime hook-arg createContainer hook-arg poststart hook-arg startContainer hook-arg poststop hook-arg " ]
	host_pidns=$(readlink /proc/self/ns/pid)
	container_pidns=$(readlink "/proc/$pid/ns/pid" 2>/dev/null || true)
	while read -r kind arg status spid ns; do
		case $kind in
		prestart | createRuntime)
			[ "$status" = creating ] && [ "$spid" = "$pid" ] && [ "$ns" = "$host_pidns" ] ;;
		createContainer | startContainer)
			[ "$ns" != "$host_pidns" ] ;;
		poststart)
			[ "$status" = running ] && [ "$ns" = "$host_pidns" ] ;;
		poststop)
			[ "$status" = stopped ] && [ "$ns" = "$host_pidns" ] ;;
		esac || { echo "wrong: $kind $status $spid $ns" >&2; false; }
	done <"$LOG"
	assert_nothing_left "$ID"
}

@test "a failing createRuntime hook aborts create, naming its path and index, and leaves nothing" {
	hook createRuntime 'true'
	hook createRuntime 'exit 3'
	run lrd create -b "$B" "$ID"
	[ "$status" -eq 1 ]
	[ "$output" = "lazuli-run: hooks.createRuntime[1]: /bin/sh exited with status 3" ]
	assert_nothing_left "$ID"

	cfg "c['hooks']['createRuntime'][1]['path'] = '/nonexistent/hook'"
	run lrd create -b "$B" "$ID"
	[ "$status" -eq 1 ]
	[ "$output" = "lazuli-run: hooks.createRuntime[1]: cannot execute /nonexistent/hook: No such file or directory" ]
	assert_nothing_left "$ID"
}

@test "a failing createContainer hook aborts create and leaves nothing" {
	hook createContainer 'echo ran >'"$OUT"'/cc; exit 4'
	run lrd create -b "$B" "$ID"
	[ "$status" -eq 1 ]
	[ "$output" = "lazuli-run: hooks.createContainer[0]: /bin/sh exited with status 4" ]
	[ "$(cat "$OUT/cc")" = ran ]
	assert_nothing_left "$ID"
}

@test "a hanging hook is killed at its timeout, with what it started" {
	# The marker in its environment finds the hook's processes if they were left.
	hook prestart 'sleep 1000 & sleep 1000' 1
	run lrd create -b "$B" "$ID"
	[ "$status" -eq 1 ]
	[ "$output" = "lazuli-run: hooks.prestart[0]: /bin/sh: timed out after 1 s" ]
	assert_nothing_left "$ID"

	cfg "del c['hooks']"
	hook createContainer 'sleep 1000' 1
	run lrd create -b "$B" "$ID"
	[ "$status" -eq 1 ]
	[ "$output" = "lazuli-run: hooks.createContainer[0]: /bin/sh: timed out after 1 s" ]
	assert_nothing_left "$ID"
}

@test "a failing startContainer hook stops the container before its program runs" {
	args 'echo program-ran'
	hook startContainer 'exit 2'
	run lr run -b "$B" "$ID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"hooks.startContainer[0]: /bin/sh exited with status 2"* ]]
	[[ "$output" != *program-ran* ]]
	assert_nothing_left "$ID"
}

@test "create, then start: a failing startContainer hook fails start, a passing one does not" {
	with_out
	args 'echo program-ran >/out/ran'
	hook startContainer 'exit 2'
	lrd create -b "$B" "$ID"
	run lr start "$ID"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot start container \"$ID\": a startContainer hook failed"* ]]
	[ ! -e "$OUT/ran" ]
	wait_status "$ID" stopped
	lr delete "$ID"
	assert_nothing_left "$ID"

	cfg "del c['hooks']"
	hook startContainer 'exit 0'
	lrd create -b "$B" "$ID"
	run lr start "$ID"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	for _ in $(seq 1 100); do [ -s "$OUT/ran" ] && break; sleep 0.05; done
	[ "$(cat "$OUT/ran")" = program-ran ]
	wait_status "$ID" stopped
	lr delete "$ID"
}

@test "failing poststart and poststop hooks are warnings" {
	args 'sleep 300'
	hook poststart 'exit 5'
	hook poststop 'exit 6'
	lrd create -b "$B" "$ID"
	run lr start "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "lazuli-run: warning: hooks.poststart[0]: /bin/sh exited with status 5" ]
	wait_status "$ID" running
	run lr delete -f "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "lazuli-run: warning: hooks.poststop[0]: /bin/sh exited with status 6" ]
	assert_nothing_left "$ID"
}

@test "invalid hooks are named" {
	cfg "c['hooks'] = {'prestart': [{'path': 'relative'}]}"
	run lrd create -b "$B" "$ID"
	[ "$status" -eq 1 ]
	[ "$output" = "lazuli-run: config.json: hooks.prestart[0].path: must be an absolute path" ]
	cfg "c['hooks'] = {'poststop': [{'path': '/bin/true', 'timeout': 0}]}"
	run lrd create -b "$B" "$ID"
	[ "$output" = "lazuli-run: config.json: hooks.poststop[0].timeout: must be between 1 and 2147483647" ]
	cfg "c['hooks'] = {'createRuntime': {}}"
	run lrd create -b "$B" "$ID"
	[ "$output" = "lazuli-run: config.json: hooks.createRuntime: must be an array" ]
	assert_nothing_left "$ID"
}
