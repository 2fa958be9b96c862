#!/usr/bin/env bats
# exec: another process in a running container, checked from inside it.

load helpers

setup_file() { common_setup_file; }
setup() {
	common_setup
	args 'sleep 300'
}
teardown() {
	# exec --cgroup's sub-cgroups (v1): delete removes only the container's own.
	local d
	for d in $(cg_dirs "$ID"); do
		[ ! -d "$d/all" ] || rmdir "$d/all" || true
		[ ! -d "$d/mem" ] || rmdir "$d/mem" || true
	done
	common_teardown
}

start_sleeper() {
	lrd run -d -b "$B" "$ID"
	wait_status "$ID" running
}

@test "exec joins every namespace and the cgroup of the container" {
	start_sleeper
	run lr exec "$ID" sh -c 'for n in mnt pid net ipc uts cgroup; do
		[ "$(readlink /proc/self/ns/$n)" = "$(readlink /proc/1/ns/$n)" ] && echo "same $n"
	done; echo "pid $$"; cat /proc/self/cgroup; hostname'
	echo "$output"
	[ "$status" -eq 0 ]
	for n in mnt pid net ipc uts cgroup; do
		[[ "$output" == *"same $n"* ]]
	done
	# Not the host's pid namespace: pid 1 is the container's init.
	[[ "$output" == *"pid "[0-9]* ]]
	[ "$(echo "$output" | sed -n 's/^pid //p')" -lt 100 ]
	# In the container's cgroup namespace its own cgroup is the root.
	[[ "$output" == *"0::/"* ]]

	# Seen from the host: the exec'd process is in the container's cgroup.
	lr exec -d --pid-file "$OUT/exec.pid" "$ID" sleep 200 </dev/null >/dev/null 2>&1
	pid=$(cat "$OUT/exec.pid")
	if [ -n "$CGV1" ]; then
		grep -qx "[0-9]*:memory:/$ID" "/proc/$pid/cgroup"
	else
		[ "$(grep '^0::' "/proc/$pid/cgroup")" = "0::/$ID" ]
	fi
	grep -qx "$pid" "$(cg_file "$ID" pids cgroup.procs)"
	# Two pids: the host's and the container's.
	[ "$(grep '^NSpid:' "/proc/$pid/status" | wc -w)" -eq 3 ]
	lr ps -f json "$ID" | grep -q "$pid"
}

@test "exec: the exit status of the process is ours; a missing executable is an error" {
	start_sleeper
	run lr exec "$ID" sh -c 'echo out; echo err >&2; exit 7'
	[ "$status" -eq 7 ]
	[[ "$output" == *out*err* ]]
	run lr exec "$ID" sh -c 'kill -9 $$'
	[ "$status" -eq 137 ]
	run lr exec "$ID" /nonexistent
	[ "$status" -eq 1 ]
	[[ "$output" == *'process.args[0]: "/nonexistent" is not an executable file'* ]]
	# Only the init is left in the container.
	[ "$(lr ps -f json "$ID" | json_get 'len(d)')" = 1 ]
}

@test "exec gets the container's capabilities, no_new_privs and seccomp filter" {
	start_sleeper
	run lr exec "$ID" cat /proc/self/status
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | sed -n 's/^CapEff:[[:space:]]*//p')" = 0000000020000420 ]
	[ "$(echo "$output" | sed -n 's/^CapBnd:[[:space:]]*//p')" = 0000000020000420 ]
	[ "$(echo "$output" | sed -n 's/^NoNewPrivs:[[:space:]]*//p')" = 1 ]
	[ "$(echo "$output" | sed -n 's/^Seccomp:[[:space:]]*//p')" = 2 ]
	# The filter is the container's: unshare is denied by the default profile.
	run lr exec "$ID" unshare -U true
	[ "$status" -ne 0 ]
}

@test "exec --cwd, --env, --user, --cap, --no-new-privs" {
	cfg "c['process']['noNewPrivileges'] = False; c['process']['env'].append('KEEP=1'); c['process']['env'].append('FOO=old')"
	start_sleeper
	run lr exec "$ID" grep NoNewPrivs /proc/self/status
	[[ "$output" == *"NoNewPrivs:	0"* ]]
	run lr exec --cwd /tmp --env FOO=new -e BAR=2 --user 1000:1001 --cap CAP_SYS_ADMIN --no-new-privs "$ID" \
		sh -c 'pwd; echo "FOO=$FOO BAR=$BAR KEEP=$KEEP"; id -u; id -g; grep -E "^(CapBnd|NoNewPrivs)" /proc/self/status'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /tmp ]
	[ "${lines[1]}" = "FOO=new BAR=2 KEEP=1" ]
	[ "${lines[2]}" = 1000 ]
	[ "${lines[3]}" = 1001 ]
	# CAP_SYS_ADMIN (21) added to the bounding set of the default three.
	[ "${lines[4]}" = "CapBnd:	0000000020200420" ]
	[ "${lines[5]}" = "NoNewPrivs:	1" ]
	run lr exec --user 1000 "$ID" id -g
	[ "$output" = 0 ]
}

@test "exec --process FILE runs that process and ignores the container's args" {
	start_sleeper
	cat >"$OUT/process.json" <<'JSON'
{"args": ["sh", "-c", "echo $WHO; pwd; id -u; ulimit -n"], "env": ["WHO=proc", "PATH=/bin"],
 "cwd": "/etc", "user": {"uid": 2000, "gid": 2000},
 "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 77, "hard": 77}]}
JSON
	run lr exec --process "$OUT/process.json" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "proc
/etc
2000
77" ]

	echo '{"args": [], "cwd": "/"}' >"$OUT/bad.json"
	run lr exec -p "$OUT/bad.json" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--process $OUT/bad.json: process.args: must be a non-empty array"* ]]
	echo '{"args": ["true"], "cwd": "/", "apparmorProfile": 7}' >"$OUT/bad.json"
	run lr exec -p "$OUT/bad.json" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--process $OUT/bad.json: process.apparmorProfile: must be a string"* ]]
}

@test "exec refuses a stopped or paused container, and bad options, naming them" {
	start_sleeper
	lr pause "$ID"
	run lr exec "$ID" true
	[ "$status" -eq 1 ]
	[ "$output" = "lazuli-run: cannot exec in a paused container \"$ID\" (--ignore-paused to exec anyway)" ]
	lr resume "$ID"

	run lr exec --cap CAP_NOPE "$ID" true
	[ "$status" -eq 1 ]
	[[ "$output" == *"--cap CAP_NOPE: unknown capability"* ]]
	run lr exec --user alice "$ID" true
	[ "$status" -eq 1 ]
	[[ "$output" == *"--user alice"* ]]
	run lr exec --cwd tmp "$ID" true
	[[ "$output" == *"--cwd: must be an absolute path"* ]]
	run lr exec "$ID"
	[[ "$output" == *"a command is required"* ]]
	run lr exec --cwd /nonexistent "$ID" true
	[ "$status" -eq 1 ]
	[[ "$output" == *"process.cwd: /nonexistent"* ]]
	run lr exec -t -d "$ID" true
	[ "$status" -eq 1 ]
	[[ "$output" == *"--tty needs --console-socket"* ]]
	[ "$(lr ps -f json "$ID" | json_get 'len(d)')" = 1 ]

	lr kill "$ID" KILL
	wait_status "$ID" stopped
	run lr exec "$ID" true
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot exec in a stopped container"* ]]
	run lr exec nosuch true
	[ "$status" -eq 1 ]
	[[ "$output" == *'container "nosuch" does not exist'* ]] || [[ "$output" == *nosuch* ]]
}

@test "exec --ignore-paused: the process joins the paused container and runs once it is resumed" {
	start_sleeper
	lr pause "$ID"
	lr exec --ignore-paused "$ID" sh -c 'echo ran' >"$OUT/exec.out" 2>&1 &
	local ex=$!
	# Frozen with the rest of the container: nothing printed, not finished.
	sleep 2
	[ ! -s "$OUT/exec.out" ]
	kill -0 "$ex"
	[ "$(state_of "$ID")" = paused ]
	lr resume "$ID"
	local rc=0
	wait "$ex" || rc=$?
	cat "$OUT/exec.out"
	[ "$rc" -eq 0 ]
	[ "$(cat "$OUT/exec.out")" = ran ]
}

@test "exec into a container with a user namespace maps the user" {
	cfg "c['linux']['namespaces'].append({'type': 'user'})
c['linux']['uidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 65536}]
c['linux']['gidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 65536}]"
	start_sleeper
	run lr exec -u 1000 "$ID" sh -c 'id -u; cat /proc/self/uid_map'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[[ "${lines[1]}" == *"0     100000      65536"* ]]
	lr exec -d -u 1000 --pid-file "$OUT/exec.pid" "$ID" sleep 100 </dev/null >/dev/null 2>&1
	# Seen from the host, uid 1000 of the container is 101000.
	grep -q "^Uid:	101000" "/proc/$(cat "$OUT/exec.pid")/status"
}

@test "exec --cgroup on cgroup v1: one path for every hierarchy, or per controller" {
	[ -n "$CGV1" ] || skip "cgroup v1 only (runc-flags.bats has --cgroup on v2)"
	start_sleeper
	local d
	for d in $(cg_dirs "$ID"); do
		mkdir "$d/all"
		# A new cpuset cgroup has no CPUs and no memory nodes until it is given some.
		if [ -e "$d/cpuset.cpus" ]; then
			cat "$d/cpuset.cpus" >"$d/all/cpuset.cpus"
			cat "$d/cpuset.mems" >"$d/all/cpuset.mems"
		fi
	done
	mkdir "$CGROOT/memory/$ID/mem"
	run lr exec --cgroup all --cgroup memory:/mem "$ID" cat /proc/self/cgroup
	echo "$output"
	[ "$status" -eq 0 ]
	# In the container's cgroup namespace, its own cgroup is /.
	[[ "$output" == *":memory:/mem"* ]]
	[[ "$output" == *":pids:/all"* ]]
	[ -z "$(echo "$output" | grep -v -e '^0::' -e ':memory:/mem$' -e ':/all$')" ]
	lr exec -d --cgroup all --cgroup memory:mem --pid-file "$OUT/exec.pid" "$ID" sleep 100 </dev/null >/dev/null 2>&1
	local pid
	pid=$(cat "$OUT/exec.pid")
	grep -qx "$pid" "$CGROOT/memory/$ID/mem/cgroup.procs"
	grep -qx "$pid" "$CGROOT/pids/$ID/all/cgroup.procs"
	kill "$pid"

	run lr exec --cgroup nosuch:all "$ID" true
	[ "$status" -eq 1 ]
	[[ "$output" == *"--cgroup nosuch:all: no cgroup v1 hierarchy has the controller nosuch" ]]
	run lr exec --cgroup memory:gone "$ID" true
	[ "$status" -eq 1 ]
	[[ "$output" == *"--cgroup memory:gone: $CGROOT/memory/$ID/gone: No such file or directory" ]]
	run lr exec --cgroup pids:../.. "$ID" true
	[ "$status" -eq 1 ]
	[[ "$output" == *"--cgroup pids:../..: must name a sub-cgroup of the container's cgroup" ]]
	if [ -d "$CGROOT/cpu,cpuacct" ]; then
		run lr exec --cgroup cpu:all --cgroup cpuacct:mem "$ID" true
		[ "$status" -eq 1 ]
		[[ "$output" == *"--cgroup cpu:all and --cgroup cpuacct:mem: one hierarchy (cpu,cpuacct) cannot have two paths" ]]
	fi
	for _ in $(seq 50); do
		[ -z "$(cat "$CGROOT/pids/$ID/all/cgroup.procs")" ] && break
		sleep 0.1
	done
}
