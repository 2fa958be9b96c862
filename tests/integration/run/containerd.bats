#!/usr/bin/env bats
# A real client: containerd's runc shim (containerd-shim-runc-v2) drives
# lazuli-run as its BinaryName (ctr run --runc-binary sets the same runc
# option that CRI's `BinaryName` does), with a local rootfs (ctr run
# --rootfs: no image, no registry). containerd runs for this file only, with
# its root, state and sockets in the file's temporary directory and without
# the CRI plugin, inside run-suite's private mount namespace.

load helpers

setup_file() {
	command -v containerd >/dev/null && command -v ctr >/dev/null ||
		skip "containerd is not installed (tools/install-deps test)"
	common_setup_file
	export CTD="$BATS_FILE_TMPDIR/containerd"
	export CTD_NS="lzr-$$"
	mkdir -p "$CTD"
	cat >"$CTD/config.toml" <<EOF
version = 2
root = "$CTD/root"
state = "$CTD/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CTD/containerd.sock"
[ttrpc]
  address = "$CTD/containerd.sock.ttrpc"
EOF
	containerd --config "$CTD/config.toml" >"$CTD/log" 2>&1 3>&- &
	echo $! >"$CTD/pid"
	local i
	for i in $(seq 1 100); do
		[ -S "$CTD/containerd.sock" ] && return 0
		sleep 0.1
	done
	echo "containerd did not start:" >&2
	cat "$CTD/log" >&2
	return 1
}

teardown_file() {
	[ -n "${CTD:-}" ] || return 0
	[ ! -f "$CTD/pid" ] || kill "$(cat "$CTD/pid")" 2>/dev/null || true
	# The shim's state root for our namespace (it is not below containerd's state).
	rmdir "/run/containerd/runc/$CTD_NS" 2>/dev/null || true
	# The parent cgroup of ctr's /NAMESPACE/ID (made by create, kept like runc does).
	rmdir "$CGROOT/$CTD_NS" 2>/dev/null || true
}

setup() {
	common_setup
	NAME="lzr-ctd-$BATS_TEST_NUMBER-$$"
}

teardown() {
	c task kill -s KILL "$NAME" >/dev/null 2>&1 || true
	c task delete "$NAME" >/dev/null 2>&1 || true
	c container delete "$NAME" >/dev/null 2>&1 || true
	common_teardown
}

c() {
	timeout 60 ctr -a "$CTD/containerd.sock" -n "$CTD_NS" "$@"
}

# Nothing of the container is left: the shim's lazuli-run state, the cgroup, a process.
ctd_gone() {
	[ ! -e "/run/containerd/runc/$CTD_NS/$NAME" ] ||
		{ echo "state /run/containerd/runc/$CTD_NS/$NAME left" >&2; return 1; }
	[ ! -e "$CGROOT/$CTD_NS/$NAME" ] || { echo "cgroup $CGROOT/$CTD_NS/$NAME left" >&2; return 1; }
	local p
	for p in /proc/[0-9]*; do
		if tr '\0' '\n' 2>/dev/null <"$p/environ" | grep -qx "LZR_TEST=$NAME"; then
			echo "process ${p#/proc/} left" >&2
			return 1
		fi
	done
}

@test "containerd's runc shim runs a container with lazuli-run: output, exit status" {
	run c run --rm --runc-binary "$RUNTIME" --env "LZR_TEST=$NAME" --rootfs "$ROOTFS" "$NAME" \
		sh -c 'echo hello; grep "^NoNewPrivs:" /proc/self/status; echo "pid $$"; exit 3'
	echo "$output"
	[ "$status" -eq 3 ]
	[ "${lines[0]}" = hello ]
	[[ "${lines[1]}" =~ ^NoNewPrivs:[[:space:]]1$ ]]
	[ "${lines[2]}" = "pid 1" ]
	ctd_gone
}

@test "containerd: run -d, exec, pause and resume, kill, delete, with lazuli-run's state" {
	c run -d --runc-binary "$RUNTIME" --env "LZR_TEST=$NAME" --rootfs "$ROOTFS" "$NAME" \
		sh -c 'trap "exit 0" TERM; while :; do sleep 1; done'
	# The shim keeps lazuli-run's state below its own root: lazuli-run reads it back.
	run "$RUNTIME" --root "/run/containerd/runc/$CTD_NS" state "$NAME"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | json_get 'd["status"]')" = running ]
	pid=$(echo "$output" | json_get 'd["pid"]')
	grep -qx "LZR_TEST=$NAME" < <(tr '\0' '\n' <"/proc/$pid/environ")

	run c task exec --exec-id e1 "$NAME" sh -c 'echo from-exec; exit 4'
	[ "$status" -eq 4 ]
	[ "$output" = from-exec ]

	c task pause "$NAME"
	run c task ls
	echo "$output"
	[[ "$output" =~ $NAME[[:space:]]+$pid[[:space:]]+PAUSED ]]
	# ctr's cgroupsPath is /NAMESPACE/ID: lazuli-run froze that cgroup.
	grep -qx 'frozen 1' "$CGROOT/$CTD_NS/$NAME/cgroup.events"
	c task resume "$NAME"
	run c task ls
	[[ "$output" =~ $NAME[[:space:]]+$pid[[:space:]]+RUNNING ]]
	grep -qx 'frozen 0' "$CGROOT/$CTD_NS/$NAME/cgroup.events"

	c task kill -s TERM "$NAME"
	for _ in $(seq 1 100); do
		c task ls | grep -q "$NAME.*STOPPED" && break
		sleep 0.1
	done
	run c task ls
	[[ "$output" =~ $NAME[[:space:]]+$pid[[:space:]]+STOPPED ]]
	c task delete "$NAME"
	c container delete "$NAME"
	ctd_gone
}
