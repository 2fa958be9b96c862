#!/usr/bin/env bats
# process.terminal: the pty comes from the container's devpts, is its
# /dev/console and stdio, and its master goes to --console-socket (or is
# relayed by run and exec in the foreground).

load helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() {
	[ -z "${LISTENER:-}" ] || kill "$LISTENER" 2>/dev/null || true
	common_teardown
}

# listen: the console socket at $OUT/console.sock; the pty's output lands in $OUT/tty.
listen() {
	python3 "$BATS_TEST_DIRNAME/console-socket" "$OUT/console.sock" "$OUT/tty" "$@" &
	LISTENER=$!
	for _ in $(seq 100); do [ -e "$OUT/tty.ready" ] && return 0; sleep 0.05; done
	return 1
}

wait_listener() {
	for _ in $(seq 200); do kill -0 "$LISTENER" 2>/dev/null || return 0; sleep 0.05; done
	return 1
}

@test "create --console-socket: the pty is the container's /dev/console and stdio" {
	cfg "c['process']['terminal'] = True"
	args 'tty; for f in 0 1 2; do readlink /proc/self/fd/$f; done; stat -c "%t:%T" /dev/console "$(tty)"; test -t 0 && echo stdin-is-tty; ps -o pid,tty | sed -n 2p'
	listen
	lrd create -b "$B" --console-socket "$OUT/console.sock" "$ID"
	lr start "$ID"
	wait_listener
	cat "$OUT/tty"
	# The name runc sends with the fd: the pty's path in the container.
	[ "$(cat "$OUT/tty.name")" = /dev/pts/0 ]
	tr -d '\r' <"$OUT/tty" >"$OUT/tty.txt"
	grep -Eqx '/dev/(pts/0|console)' "$OUT/tty.txt"
	[ "$(grep -c '^/dev/pts/0$' "$OUT/tty.txt")" -ge 3 ]
	# /dev/console is the same device as the pty (major 0x88 = 136, pts; minor 0).
	[ "$(sed -n 5p "$OUT/tty.txt")" = "$(sed -n 6p "$OUT/tty.txt")" ]
	[ "$(sed -n 5p "$OUT/tty.txt")" = 88:0 ]
	grep -qx stdin-is-tty "$OUT/tty.txt"
	wait_status "$ID" stopped
	lr delete "$ID"
	assert_nothing_left "$ID"
}

@test "the pty carries input to the container" {
	cfg "c['process']['terminal'] = True"
	args 'read line; echo "got:$line"'
	listen 'hello
'
	lrd run -d -b "$B" --console-socket "$OUT/console.sock" "$ID"
	wait_listener
	tr -d '\r' <"$OUT/tty" | grep -qx 'got:hello'
}

@test "run in the foreground relays the terminal and exits with the status" {
	cfg "c['process']['terminal'] = True"
	args 'tty; echo "out"; exit 5'
	run lr run -b "$B" "$ID" </dev/null
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == *"/dev/pts/0"* ]]
	[[ "$output" == *"out"* ]]
	assert_nothing_left "$ID"
}

@test "exec --tty: a pty of the container's devpts, through a console socket or relayed" {
	args 'sleep 300'
	lrd run -d -b "$B" "$ID"
	run lr exec -t "$ID" sh -c 'tty; test -t 1 && echo is-tty; exit 4' </dev/null
	echo "$output"
	[ "$status" -eq 4 ]
	[[ "$output" == *"/dev/pts/"* ]]
	[[ "$output" == *"is-tty"* ]]
	# Without -t it is not a terminal.
	run lr exec "$ID" sh -c 'test -t 1 && echo is-tty || echo no-tty'
	[ "$output" = no-tty ]

	listen
	lr exec -d -t --console-socket "$OUT/console.sock" "$ID" sh -c 'tty; echo done' </dev/null >/dev/null 2>&1
	wait_listener
	tr -d '\r' <"$OUT/tty" | grep -Eqx '/dev/pts/[0-9]+'
	tr -d '\r' <"$OUT/tty" | grep -qx done
	grep -Eqx '/dev/pts/[0-9]+' "$OUT/tty.name"
}

@test "terminal without a console socket when detached is refused; a bad socket path is named" {
	cfg "c['process']['terminal'] = True"
	run lrd create -b "$B" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"process.terminal: a terminal needs --console-socket"* ]]
	assert_nothing_left "$ID"
	run lrd create -b "$B" --console-socket "$OUT/nonexistent.sock" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--console-socket $OUT/nonexistent.sock: No such file or directory"* ]]
	assert_nothing_left "$ID"
}
