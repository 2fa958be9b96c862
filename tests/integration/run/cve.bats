#!/usr/bin/env bats
# CVE-2019-5736: a container must not be able to overwrite the runtime's
# binary through /proc/PID/exe of a process that runs it. The container's
# program is a script whose interpreter is "/proc/self/exe": executing it
# from the runtime runs the runtime's binary inside the container. The
# container holds that binary open through /proc/PID/exe, lets the
# runtime exit, and then tries to open it for writing.

load helpers

setup_file() { common_setup_file; }
setup() {
	common_setup
	with_out
	# A copy: if the protection failed, the build's binary stays intact.
	LR="$BATS_TEST_TMPDIR/lazuli-run-copy"
	cp "$RUNTIME" "$LR"
	cp "$LR" "$BATS_TEST_TMPDIR/lazuli-run-orig"
	own_rootfs
	# The runtime is dynamically linked: its loader and libraries must be in the rootfs to run there.
	local lib
	for lib in $(ldd "$RUNTIME" | grep -o '/[^ ]*'); do
		mkdir -p "$B/rootfs$(dirname "$lib")"
		cp -L "$lib" "$B/rootfs$lib"
	done
	mkfifo "$B/rootfs/fifo"
	# The runtime, started through this script, blocks opening the fifo as its --log.
	printf '#!/proc/self/exe --log=/fifo\n' >"$B/rootfs/evil"
	chmod 755 "$B/rootfs/evil"
}
teardown() { common_teardown; }

# The attacker: another process in the container, detached so that no
# runtime process is left running the binary (which would only make the
# write fail with ETXTBSY).
attack='exec >/out/result 2>&1
for i in $(seq 200); do
	for p in /proc/[0-9]*; do grep -q -- --log=/fifo $p/cmdline 2>/dev/null && pid=${p#/proc/} && break 2; done
	sleep 0.05
done
[ -n "$pid" ] || { echo no-runtime-process; exit 0; }
exec 3</proc/$pid/exe || { echo cannot-open-exe; exit 0; }
echo "holding $(readlink /proc/self/fd/3)"
cat /fifo >/dev/null
# It exits once it could open its log; then nothing runs the binary (no ETXTBSY).
while [ -e /proc/$pid ]; do sleep 0.05; done
if printf PWNED 1<>/proc/self/fd/3; then echo overwritten; else echo refused; fi'

check_refused() {
	for _ in $(seq 200); do grep -qE 'refused|overwritten|no-runtime|cannot-open' "$OUT/result" 2>/dev/null && break; sleep 0.05; done
	output=$(cat "$OUT/result")
	echo "$output"
	[[ "$output" == *holding* ]]
	[[ "$output" == *refused* ]]
	[[ "$output" == *"Read-only file system"* ]]
	cmp "$LR" "$BATS_TEST_TMPDIR/lazuli-run-orig"
}

@test "create/start: the container's program cannot overwrite the runtime through /proc/PID/exe" {
	# Its first process execs /evil, so it runs the runtime's binary; an exec'd sh is the
	# attacker. No pid namespace: the attacker must outlive the first process.
	cfg "c['process']['args'] = ['/evil']
c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'pid']"
	"$LR" --root "$STATE" create -b "$B" "$ID" </dev/null >/dev/null 2>&1
	"$LR" --root "$STATE" start "$ID"
	"$LR" --root "$STATE" exec -d "$ID" sh -c "$attack" </dev/null >/dev/null 2>&1
	check_refused
}

@test "exec: a process exec'd into the container cannot overwrite the runtime through /proc/PID/exe" {
	args 'sleep 300'
	"$LR" --root "$STATE" run -d -b "$B" "$ID" </dev/null >/dev/null 2>&1
	"$LR" --root "$STATE" exec -d "$ID" /evil </dev/null >/dev/null 2>&1
	"$LR" --root "$STATE" exec -d "$ID" sh -c "$attack" </dev/null >/dev/null 2>&1
	check_refused
}

@test "the runtime runs from a read-only mount of its own binary" {
	args 'sleep 300'
	"$LR" --root "$STATE" create -b "$B" "$ID" </dev/null >/dev/null 2>&1
	pid=$(pid_of "$ID")
	# Still the runtime (waiting for start), and the same file as the binary...
	[ "$(stat -L -c %d:%i "/proc/$pid/exe")" = "$(stat -c %d:%i "$LR")" ]
	# ...but on a read-only mount: once it no longer runs (no ETXTBSY), no write gets through.
	python3 -c 'import os, sys; sys.exit(0 if os.statvfs(sys.argv[1]).f_flag & os.ST_RDONLY else 1)' "/proc/$pid/exe"
	# The build's own binary is not on one.
	! python3 -c 'import os, sys; sys.exit(0 if os.statvfs(sys.argv[1]).f_flag & os.ST_RDONLY else 1)' "$LR"
}
