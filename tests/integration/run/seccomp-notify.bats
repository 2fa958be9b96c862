#!/usr/bin/env bats
# seccomp user notification: SCMP_ACT_NOTIFY rules, the listener fd sent with
# the container process state to linux.seccomp.listenerPath, and an agent
# (seccomp-agent) that answers the container's syscalls through it.

load helpers

setup_file() { common_setup_file; }
setup() {
	common_setup
	[ "$(uname -m)" = x86_64 ] || skip "seccomp-agent knows x86_64 only"
	SOCK="$BATS_TEST_TMPDIR/agent.sock"
}
teardown() {
	common_teardown
	[ -z "${AGENT:-}" ] || kill "$AGENT" 2>/dev/null || true
}

# notify_cfg [noNewPrivileges]: mkdir, mkdirat and uname go to the agent.
notify_cfg() {
	cfg "c['process']['noNewPrivileges'] = ${1:-True}
c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ALLOW',
  'listenerPath': '$SOCK', 'listenerMetadata': 'agent=test;v=1',
  'syscalls': [{'names': ['mkdir', 'mkdirat', 'uname'], 'action': 'SCMP_ACT_NOTIFY'}]}
c['annotations'] = {'org.example/k': 'v'}"
}

start_agent() { # [connections]
	python3 "$BATS_TEST_DIRNAME/seccomp-agent" "$SOCK" "$OUT/agent" "${1:-1}" &
	AGENT=$!
	for _ in $(seq 1 100); do
		[ -e "$OUT/agent.ready" ] && return 0
		sleep 0.05
	done
	echo "the agent did not start" >&2
	return 1
}

@test "SCMP_ACT_NOTIFY: the agent gets one seccomp fd and the state, and answers mkdir" {
	notify_cfg
	args 'mkdir /x; echo mkdir=$?; uname -s; echo hi >/dev/null; echo ok;
for f in /proc/$$/fd/*; do readlink "$f"; done'
	start_agent
	lrd create -b "$B" "$ID"
	pid=$(pid_of "$ID")
	[ "$(state_of "$ID")" = created ]
	lr start "$ID"
	wait_status "$ID" stopped
	wait "$AGENT"
	AGENT=
	cat "$OUT/lrd.out"
	cat "$OUT/agent.1.json"
	echo
	cat "$OUT/agent.1.fds" "$OUT/agent.log"

	# What the container saw: mkdir got the agent's errno, uname went on.
	grep -qx "mkdir: can't create directory '/x': Text file busy" "$OUT/lrd.err"
	grep -qx mkdir=1 "$OUT/lrd.out"
	grep -qx Linux "$OUT/lrd.out"
	grep -qx ok "$OUT/lrd.out"
	# The listener fd does not reach the container's process.
	! grep -q seccomp "$OUT/lrd.out"

	[ "$(cat "$OUT/agent.1.fds")" = "anon_inode:seccomp notify" ]
	grep -qE '^1 mkdir(at)? ETXTBSY$' "$OUT/agent.log"
	grep -qx '1 uname CONTINUE' "$OUT/agent.log"

	j="$OUT/agent.1.json"
	[ "$(json_get 'd["ociVersion"], d["fds"], d["pid"], d["metadata"]' <"$j")" = "[\"1.2.0\", [\"seccompFd\"], $pid, \"agent=test;v=1\"]" ]
	[ "$(json_get 'd["state"]["id"], d["state"]["status"], d["state"]["pid"]' <"$j")" = "[\"$ID\", \"creating\", $pid]" ]
	[ "$(json_get 'd["state"]["bundle"], d["state"]["annotations"]' <"$j")" = "[\"$(readlink -f "$B")\", {\"org.example/k\": \"v\"}]" ]
	[ "$(json_get 'd["state"]["ociVersion"]' <"$j")" = 1.2.0 ]
}

@test "SCMP_ACT_NOTIFY without noNewPrivileges: the filter goes on before the user change" {
	notify_cfg False
	start_agent
	inside 'mkdir /x; echo mkdir=$?; uname -s'
	[ "$status" -eq 0 ]
	wait "$AGENT"
	AGENT=
	cat "$OUT/agent.log"
	[[ "$output" == *"mkdir: can't create directory '/x': Text file busy"* ]]
	[[ "$output" == *mkdir=1* ]]
	[[ "$output" == *Linux* ]]
	grep -qE '^1 mkdir(at)? ETXTBSY$' "$OUT/agent.log"
	[ "$(json_get 'd["metadata"], d["state"]["status"]' <"$OUT/agent.1.json")" = '["agent=test;v=1", "creating"]' ]
}

@test "SCMP_ACT_NOTIFY: no socket at listenerPath, create fails and leaves nothing" {
	notify_cfg
	fails_with "linux.seccomp.listenerPath $SOCK: No such file or directory"
}

@test "SCMP_ACT_NOTIFY: nobody listens on listenerPath, create fails and leaves nothing" {
	notify_cfg
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$SOCK"
	fails_with "linux.seccomp.listenerPath $SOCK: Connection refused"
}

@test "SCMP_ACT_NOTIFY without listenerPath, or as defaultAction, is refused" {
	notify_cfg
	cfg "del c['linux']['seccomp']['listenerPath']; del c['linux']['seccomp']['listenerMetadata']"
	fails_with 'config.json: linux.seccomp.listenerPath: is required by SCMP_ACT_NOTIFY in linux.seccomp.syscalls[0]'
	cfg "c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_NOTIFY', 'listenerPath': '$SOCK'}"
	fails_with 'config.json: linux.seccomp.defaultAction: cannot be SCMP_ACT_NOTIFY'
}

@test "SCMP_ACT_NOTIFY: a process started by exec sends its own listener, with its pid" {
	notify_cfg
	args 'sleep 300'
	start_agent 2
	lrd run -d -b "$B" "$ID"
	init=$(pid_of "$ID")
	run lr exec --pid-file "$OUT/exec.pid" "$ID" sh -c 'mkdir /y; echo mkdir=$?'
	echo "# status $status, output: $output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"mkdir: can't create directory '/y': Text file busy"* ]]
	[[ "$output" == *mkdir=1* ]]
	lr kill "$ID" KILL
	wait "$AGENT"
	AGENT=
	cat "$OUT/agent.2.json" "$OUT/agent.log"
	grep -qE '^2 mkdir(at)? ETXTBSY$' "$OUT/agent.log"
	! grep -qE '^1 mkdir' "$OUT/agent.log"
	[ "$(cat "$OUT/agent.2.fds")" = "anon_inode:seccomp notify" ]
	j="$OUT/agent.2.json"
	[ "$(json_get 'd["fds"], d["pid"], d["metadata"]' <"$j")" = "[[\"seccompFd\"], $(cat "$OUT/exec.pid"), \"agent=test;v=1\"]" ]
	[ "$(json_get 'd["state"]["id"], d["state"]["status"], d["state"]["pid"]' <"$j")" = "[\"$ID\", \"running\", $init]" ]
}

@test "SCMP_ACT_NOTIFY: exec fails when the agent is gone, and its process with it" {
	notify_cfg
	args 'sleep 300'
	start_agent
	lrd run -d -b "$B" "$ID"
	init=$(pid_of "$ID")
	kill "$AGENT"
	wait "$AGENT" || true
	AGENT=
	run lr exec "$ID" sleep 200
	echo "# status $status, output: $output"
	[ "$status" -eq 1 ]
	[ "$output" = "lazuli-run: linux.seccomp.listenerPath $SOCK: Connection refused" ]
	[ "$(state_of "$ID")" = running ]
	# Only the init is left of the container.
	for p in /proc/[0-9]*; do
		if tr '\0' '\n' 2>/dev/null <"$p/environ" | grep -qx "LZR_TEST=$ID"; then
			[ "${p#/proc/}" = "$init" ]
		fi
	done
}
