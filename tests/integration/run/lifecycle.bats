#!/usr/bin/env bats
# create / start / state / kill / delete / run / list, as containerd drives them.

load helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

@test "create leaves the process waiting; start runs it; delete removes everything" {
	with_out
	args 'echo ran >/out/ran; sleep 30'
	run lrd create --bundle "$B" --pid-file "$OUT/pid" "$ID"
	[ "$status" -eq 0 ]
	[ "$(state_of "$ID")" = created ]
	pid=$(pid_of "$ID")
	[ "$(cat "$OUT/pid")" = "$pid" ]
	kill -0 "$pid"
	sleep 0.3
	[ ! -e "$OUT/ran" ]
	# Until start, the init is still the runtime: it has not exec'd the container's program.
	# (The same file, run from a private read-only mount of it: cve.bats.)
	[ "$(stat -L -c %d:%i "/proc/$pid/exe")" = "$(stat -L -c %d:%i "$RUNTIME")" ]
	[ -p "$STATE/$ID/exec.fifo" ]

	lr start "$ID"
	wait_status "$ID" running
	for _ in $(seq 50); do [ -e "$OUT/ran" ] && break; sleep 0.05; done
	[ "$(cat "$OUT/ran")" = ran ]
	[ ! -e "$STATE/$ID/exec.fifo" ]

	lr state "$ID" >"$OUT/state.json"
	json_get 'sorted(d.keys())' <"$OUT/state.json" >"$OUT/keys"
	[ "$(cat "$OUT/keys")" = '["bundle", "created", "id", "ociVersion", "owner", "pid", "rootfs", "status"]' ]
	[ "$(json_get 'd["bundle"]' <"$OUT/state.json")" = "$(readlink -f "$B")" ]
	[ "$(json_get 'd["rootfs"]' <"$OUT/state.json")" = "$ROOTFS" ]
	[ "$(json_get 'd["id"]' <"$OUT/state.json")" = "$ID" ]
	json_get 'd["created"]' <"$OUT/state.json" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z$'

	lr kill "$ID" KILL
	wait_status "$ID" stopped
	[ "$(pid_of "$ID")" = 0 ]
	lr delete "$ID"
	assert_nothing_left "$ID" "$pid"
}

@test "run waits and exits with the container's status, then cleans up" {
	args 'exit 3'
	run lr run -b "$B" "$ID"
	[ "$status" -eq 3 ]
	assert_nothing_left "$ID"

	# Not as pid 1 of a pid namespace, which SIGKILL from inside cannot kill.
	cfg "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'pid']"
	args 'kill -9 $$'
	run lr run -b "$B" "$ID"
	[ "$status" -eq 137 ]
	assert_nothing_left "$ID"

	args 'echo "out:$LZR_TEST"; echo err >&2'
	run lr run -b "$B" "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "out:$ID" ]
	[ "${lines[1]}" = err ]
}

@test "run --detach returns at once and leaves the container running" {
	args 'sleep 30'
	lrd run -d -b "$B" "$ID"
	[ "$(state_of "$ID")" = running ]
	lr delete -f "$ID"
	assert_nothing_left "$ID"
}

@test "kill takes signal names and numbers; a stopped container cannot be signalled" {
	with_out
	# The shell says when its traps are set, and each signal is sent only
	# after the one before has been handled: a loaded machine may take
	# longer than any fixed sleep to get there.
	args 'trap "echo usr1 >>/out/sig" USR1; trap "echo hup >>/out/sig" HUP; trap "echo term >>/out/sig; exit 0" TERM; echo >/out/ready; while :; do sleep 0.05; done'
	lrd run -d -b "$B" "$ID"
	sig_lines() { [ -e "$OUT/sig" ] && wc -l <"$OUT/sig" || echo 0; }
	wait_for() { for _ in $(seq 400); do eval "$1" && return 0; sleep 0.05; done; return 1; }
	wait_for '[ -e "$OUT/ready" ]'
	lr kill "$ID" USR1
	wait_for '[ "$(sig_lines)" -ge 1 ]'
	lr kill "$ID" SIGHUP
	wait_for '[ "$(sig_lines)" -ge 2 ]'
	lr kill "$ID" 15
	wait_status "$ID" stopped
	[ "$(cat "$OUT/sig")" = "$(printf 'usr1\nhup\nterm')" ]

	run lr kill "$ID" KILL
	[ "$status" -eq 1 ]
	[[ "$output" == *"container not running"* ]]
	run lr kill "$ID" NOSUCHSIG
	[ "$status" -eq 1 ]
	[[ "$output" == *'unknown signal "NOSUCHSIG"'* ]]
}

@test "the container's processes start with default signal actions, whatever the caller ignored" {
	# As under nohup: the caller ignores signals, which execve() would carry on.
	# (grep itself: busybox sh ignores SIGQUIT, and keeps it so when it execs
	# its last command.)
	cfg "c['process']['args'] = ['grep', '-E', '^Sig(Ign|Blk):', '/proc/self/status']"
	run bash -c 'trap "" HUP INT QUIT USR1; exec "$0" --root "$1" run -b "$2" "$3"' "$RUNTIME" "$STATE" "$B" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ SigIgn:[[:space:]]0000000000000000 ]]
	[[ "$output" =~ SigBlk:[[:space:]]0000000000000000 ]]
	# exec as well.
	args 'sleep 100'
	lrd run -d -b "$B" "$ID"
	run bash -c 'trap "" HUP INT QUIT USR1; exec "$0" --root "$1" exec "$2" grep -E "^Sig(Ign|Blk):" /proc/self/status' "$RUNTIME" "$STATE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ SigIgn:[[:space:]]0000000000000000 ]]
	[[ "$output" =~ SigBlk:[[:space:]]0000000000000000 ]]
	lr delete -f "$ID"
	assert_nothing_left "$ID"
}

@test "kill --all reaches every process of the container's cgroup" {
	with_out
	# No pid namespace: killing the init alone would leave the sleeps running.
	cfg "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'pid']"
	args 'sleep 100 & sleep 100 & echo started >/out/ok; wait'
	lrd run -d -b "$B" "$ID"
	for _ in $(seq 50); do [ -e "$OUT/ok" ] && break; sleep 0.05; done
	[ "$(wc -l <"$(cg_file "$ID" pids cgroup.procs)")" -eq 3 ]
	lr kill --all "$ID" KILL
	for _ in $(seq 100); do [ -s "$(cg_file "$ID" pids cgroup.procs)" ] || break; sleep 0.05; done
	[ ! -s "$(cg_file "$ID" pids cgroup.procs)" ]
	lr delete "$ID"
	assert_nothing_left "$ID"
}

@test "delete refuses a running container without --force and keeps it intact" {
	args 'sleep 30'
	lrd run -d -b "$B" "$ID"
	pid=$(pid_of "$ID")
	run lr delete "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot delete container $ID that is not stopped: running"* ]]
	[ "$(state_of "$ID")" = running ]
	[ -n "$(cg_dirs "$ID")" ]
	lr delete --force "$ID"
	assert_nothing_left "$ID" "$pid"
}

@test "delete --force of a created container kills its waiting process" {
	args 'sleep 30'
	lrd create -b "$B" "$ID"
	pid=$(pid_of "$ID")
	lr delete -f "$ID"
	assert_nothing_left "$ID" "$pid"
}

@test "start refuses a running or stopped container" {
	args 'sleep 30'
	lrd run -d -b "$B" "$ID"
	run lr start "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot start an already running container"* ]]
	lr kill "$ID" KILL
	wait_status "$ID" stopped
	run lr start "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot start a container that has stopped"* ]]
}

@test "unknown and duplicate ids" {
	for verb in state start kill delete; do
		run lr "$verb" nosuch
		[ "$status" -eq 1 ]
		[[ "$output" == *'container "nosuch" does not exist'* ]]
	done
	# delete --force is idempotent, as runc's.
	lr delete --force nosuch

	args 'sleep 30'
	lrd create -b "$B" "$ID"
	pid=$(pid_of "$ID")
	run lrd create -b "$B" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"container with id exists: $ID"* ]]
	# The first one is untouched.
	[ "$(state_of "$ID")" = created ]
	[ "$(pid_of "$ID")" = "$pid" ]

	run lrd create -b "$B" "../escape"
	[ "$status" -eq 1 ]
	[[ "$output" == *'invalid container id "../escape"'* ]]
	[ ! -e "$STATE/../escape" ]
}

@test "two concurrent creates with one id: exactly one wins" {
	args 'sleep 30'
	for i in 1 2 3 4; do
		lr create -b "$B" "$ID" </dev/null >"$OUT/c$i.log" 2>&1 &
	done
	wait || true
	ok=0
	for i in 1 2 3 4; do
		if [ ! -s "$OUT/c$i.log" ]; then ok=$((ok + 1)); else grep -q "container with id exists" "$OUT/c$i.log"; fi
	done
	[ "$ok" -eq 1 ]
	[ "$(state_of "$ID")" = created ]
	# One waiting init, in the one cgroup.
	[ "$(cat "$(cg_file "$ID" pids cgroup.procs)")" = "$(pid_of "$ID")" ]
}

@test "list: table, json and ids" {
	run lr list
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "ID"*"PID"*"STATUS"*"BUNDLE"*"CREATED"*"OWNER" ]]
	[ "${#lines[@]}" -eq 1 ]
	args 'sleep 30'
	lrd create -b "$B" "$ID-a"
	lrd run -d -b "$B" "$ID-b"
	run lr list
	[[ "${lines[1]}" == "$ID-a "*" created "*" root" ]]
	[[ "${lines[2]}" == "$ID-b "*" running "*" root" ]]
	run lr list -q
	[ "$output" = "$(printf '%s\n%s' "$ID-a" "$ID-b")" ]
	lr list --format json | json_get '[(c["id"], c["status"], c["owner"]) for c in d]' >"$OUT/l"
	[ "$(cat "$OUT/l")" = "[[\"$ID-a\", \"created\", \"root\"], [\"$ID-b\", \"running\", \"root\"]]" ]
}

@test "the default state root is /run/lazuli-run" {
	existed=no
	[ ! -d /run/lazuli-run ] || existed=yes
	args 'true'
	"$RUNTIME" run -b "$B" "$ID"
	[ ! -e "/run/lazuli-run/$ID" ]
	args 'sleep 30'
	"$RUNTIME" create </dev/null &>"$OUT/c.log" -b "$B" "$ID"
	[ -f "/run/lazuli-run/$ID/state.json" ]
	"$RUNTIME" delete -f "$ID"
	[ ! -e "/run/lazuli-run/$ID" ]
	# The seccomp cache is there too, and no container.
	[ -d /run/lazuli-run/@seccomp-cache ]
	[ -z "$(state_left /run/lazuli-run)" ] || [ "$existed" = yes ]
	# Leave the host as it was.
	if [ "$existed" = no ]; then
		rm -r /run/lazuli-run/@seccomp-cache
		rmdir /run/lazuli-run
	fi
}

@test "pause freezes every process, resume thaws them; ps lists them" {
	with_out
	# The counter is renamed into place, so a read never sees it half written.
	args 'sleep 1000 & i=0; while :; do i=$((i + 1)); echo $i >/out/count.new; mv /out/count.new /out/count; sleep 0.02; done'
	lrd run -d -b "$B" "$ID"
	for _ in $(seq 50); do [ -s "$OUT/count" ] && break; sleep 0.05; done
	pid=$(pid_of "$ID")

	run lr ps --format json "$ID"
	[ "$status" -eq 0 ]
	echo "$output" | json_get 'len(d)' >"$OUT/n"
	[ "$(cat "$OUT/n")" -ge 2 ]
	[ "$(echo "$output" | json_get "$pid in d")" = true ]
	run lr ps "$ID"
	[ "${lines[0]}" = "PID        CMD" ]
	[[ "$output" == *"sleep 1000"* ]]

	lr pause "$ID"
	[ "$(state_of "$ID")" = paused ]
	[ "$(lr list -f json | json_get 'd[0]["status"]')" = paused ]
	if [ -n "$CGV1" ]; then
		[ "$(cat "$(cg_file "$ID" freezer freezer.state)")" = FROZEN ]
	else
		grep -q 'frozen 1' "$CGROOT/$ID/cgroup.events"
	fi
	a=$(cat "$OUT/count")
	sleep 0.3
	[ "$(cat "$OUT/count")" = "$a" ]
	run lr pause "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"container not running or created: paused"* ]]

	lr resume "$ID"
	[ "$(state_of "$ID")" = running ]
	sleep 0.3
	[ "$(cat "$OUT/count")" -gt "$a" ]
	run lr resume "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"container not paused"* ]]

	# A paused container is deleted with --force like any other.
	lr pause "$ID"
	run lr delete "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"that is not stopped: paused"* ]]
	lr delete -f "$ID"
	assert_nothing_left "$ID" "$pid"
}
