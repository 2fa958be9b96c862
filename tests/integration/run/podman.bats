#!/usr/bin/env bats
# A real client: Debian's podman drives lazuli-run (--runtime) with a local
# rootfs (--rootfs: no image, no registry), through conmon, inside
# run-suite's private mount namespace with cgroup2 at /sys/fs/cgroup.
#
# What podman needs on this v1/v2 hybrid host: --cgroup-manager=cgroupfs
# (no systemd cgroup driver here), --events-backend=file (no journald in
# the namespace), --network none (no netavark/CNI set-up), --pids-limit=-1
# (its default pids.max needs the pids controller, which belongs to cgroup
# v1 here), and rlimits it may set: its default nofile of 1048576 needs
# CAP_SYS_RESOURCE, which this machine's root lacks.

load helpers

setup_file() {
	command -v podman >/dev/null || skip "podman is not installed (tools/install-deps test)"
	common_setup_file
	export PODROOT="$BATS_FILE_TMPDIR/podman"
	mkdir -p "$PODROOT"
}

setup() {
	common_setup
	NAME="lzr-podman-$BATS_TEST_NUMBER-$$"
	# podman runs the runtime with its default state root.
	[ -d /run/lazuli-run ] && RUN_ROOT_EXISTED=yes || RUN_ROOT_EXISTED=
}

teardown() {
	pm rm -f -t 0 "$NAME" >/dev/null 2>&1 || true
	if [ -z "$RUN_ROOT_EXISTED" ]; then
		rm -rf /run/lazuli-run/@seccomp-cache
		rmdir /run/lazuli-run 2>/dev/null || true
	fi
	common_teardown
}

pm() {
	podman --root "$PODROOT/storage" --runroot "$PODROOT/run" --tmpdir "$PODROOT/tmp" \
		--runtime "$RUNTIME" --cgroup-manager=cgroupfs --events-backend=file "$@"
}

OPTS=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --pids-limit=-1 --network none)

# The container's long id, and nothing of it is left once podman removed it.
podman_gone() { # id
	[ ! -e "/run/lazuli-run/$1" ] || { echo "state /run/lazuli-run/$1 left" >&2; return 1; }
	! find "$CGROOT" -maxdepth 3 -name "*$1*" | grep -q . || { echo "cgroup left" >&2; return 1; }
	local p
	for p in /proc/[0-9]*; do
		if tr '\0' '\n' 2>/dev/null <"$p/environ" | grep -qx "LZR_TEST=$NAME"; then
			echo "process ${p#/proc/} left" >&2
			return 1
		fi
	done
}

@test "podman run --rm: output, exit status, the container's view" {
	run pm run --rm "${OPTS[@]}" -e "LZR_TEST=$NAME" --rootfs "$ROOTFS" \
		sh -c 'echo hello; id -u; grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status; echo "pid $$"; exit 3'
	echo "$output"
	[ "$status" -eq 3 ]
	[ "${lines[0]}" = hello ]
	[ "${lines[1]}" = 0 ]
	[[ "$output" == *"Seccomp:	2"* ]]
	[[ "$output" == *"pid 1"* ]]
}

@test "podman run -d, exec, exec -t, stop, rm" {
	id=$(pm run -d --name "$NAME" "${OPTS[@]}" -e "LZR_TEST=$NAME" --rootfs "$ROOTFS" sleep 300)
	[ -n "$id" ]
	[ -f "/run/lazuli-run/$id/state.json" ]
	[ "$(pm inspect -f '{{.State.Status}}' "$NAME")" = running ]

	run pm exec "$NAME" sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; echo "exec pid $$"; exit 4'
	echo "$output"
	[ "$status" -eq 4 ]
	[ "${lines[0]}" = "sleep 300 " ]
	[[ "${lines[1]}" == "exec pid "* ]]
	[ "${lines[1]#exec pid }" -gt 1 ]

	run pm exec -t "$NAME" sh -c 'tty; test -t 0 && echo stdin-tty' </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/"* ]]
	[[ "$output" == *stdin-tty* ]]

	run pm exec -e FOO=bar -w /tmp -u 1000 "$NAME" sh -c 'echo "$FOO $(pwd) $(id -u)"'
	[ "$output" = "bar /tmp 1000" ]

	# sleep as pid 1 ignores SIGTERM: podman kills it after the timeout, as with runc.
	pm stop -t 1 "$NAME"
	[ "$(pm inspect -f '{{.State.Status}}' "$NAME")" = exited ]
	pm rm "$NAME"
	podman_gone "$id"
}

@test "podman run -t: the container's stdio is a pty from its devpts" {
	run pm run --rm -t "${OPTS[@]}" -e "LZR_TEST=$NAME" --rootfs "$ROOTFS" \
		sh -c 'tty; stat -c %t:%T /dev/console; test -t 1 && echo is-tty' </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/0"* ]]
	[[ "$output" == *"88:0"* ]]
	[[ "$output" == *is-tty* ]]
}

@test "podman kill and podman rm -f of a running container leave nothing" {
	id=$(pm run -d --name "$NAME" "${OPTS[@]}" -e "LZR_TEST=$NAME" --rootfs "$ROOTFS" sh -c 'sleep 300 & wait')
	pm exec -d "$NAME" sleep 300
	pm kill -s KILL "$NAME"
	[ "$(pm inspect -f '{{.State.ExitCode}}' "$NAME")" = 137 ]
	pm rm -f "$NAME"
	podman_gone "$id"
}
