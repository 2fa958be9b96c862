#!/usr/bin/env bats
# --preserve-fds and LISTEN_FDS: the fds asked for reach the container, no other does.

load helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

# The container lists its fds (ls of /proc/self/fd, without the one ls itself opens).
list_fds='for f in /proc/self/fd/*; do n=${f##*/}; [ -e "$f" ] && echo "$n $(readlink "$f")"; done; true'

@test "run --preserve-fds 2: fds 3 and 4 reach the container, fd 5 does not" {
	echo three >"$OUT/three"
	echo four >"$OUT/four"
	args "$list_fds; cat <&3; cat <&4"
	run lr run --preserve-fds 2 -b "$B" "$ID" 3<"$OUT/three" 4<"$OUT/four" 5<"$OUT/four"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"3 $OUT/three"* ]]
	[[ "$output" == *"4 $OUT/four"* ]]
	[[ "$output" != *"5 "* ]]
	[[ "$output" == *three*four* ]]

	# Without it, only stdio.
	args "$list_fds"
	run lr run -b "$B" "$ID" 3<"$OUT/three"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *"3 $OUT/three"* ]]
	[[ "$output" != *"three"* ]]
}

@test "--preserve-fds with an fd that is not open is an error that leaves nothing" {
	# bats keeps some low fds of its own open: ask for more than it has.
	run lrd create --preserve-fds 60 -b "$B" "$ID" 3</dev/null
	[ "$status" -eq 1 ]
	[[ "$output" =~ "--preserve-fds 60: fd "[0-9]+" is not open" ]]
	assert_nothing_left "$ID"
	run lrd create --preserve-fds many -b "$B" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--preserve-fds many: must be a number"* ]]
}

@test "LISTEN_FDS for the runtime's pid: passed on as fds 3.., with LISTEN_FDS and LISTEN_PID=1" {
	echo sock >"$OUT/sock"
	args "$list_fds; echo LISTEN_FDS=\$LISTEN_FDS LISTEN_PID=\$LISTEN_PID"
	# exec keeps the shell's pid, which is what LISTEN_PID names.
	run sh -c 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$@"' sh "$RUNTIME" --root "$STATE" run -b "$B" "$ID" 3<"$OUT/sock"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"3 $OUT/sock"* ]]
	[[ "$output" == *"LISTEN_FDS=1 LISTEN_PID=1"* ]]

	# For another pid they are not ours: nothing is passed.
	run env LISTEN_PID=1 LISTEN_FDS=1 "$RUNTIME" --root "$STATE" run -b "$B" "$ID" 3<"$OUT/sock"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *"3 $OUT/sock"* ]]
	[[ "$output" == *"LISTEN_FDS= LISTEN_PID="* ]]
}

@test "exec --preserve-fds 1: fd 3 reaches the process, nothing else of ours" {
	args 'sleep 300'
	lrd run -d -b "$B" "$ID"
	echo exec >"$OUT/exec"
	run lr exec --preserve-fds 1 "$ID" sh -c "$list_fds; cat <&3" 3<"$OUT/exec" 4<"$OUT/exec"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"3 $OUT/exec"* ]]
	[[ "$output" != *"4 "* ]]
	[ "${lines[-1]}" = exec ]
}
