#!/usr/bin/env bats
# What the process inside sees: capabilities, no_new_privs, seccomp, mounts,
# devices, masked paths, user namespace, ids, rlimits, cwd, fds, cgroup.

load helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

status_field() { # name
	echo "$output" | sed -n "s/^$1:[[:space:]]*//p"
}

@test "the default spec: three capabilities, no_new_privs, seccomp filter, read-only root" {
	inside 'cat /proc/self/status; touch /x 2>&1; echo touch=$?'
	[ "$status" -eq 0 ]
	# CAP_KILL (5), CAP_NET_BIND_SERVICE (10), CAP_AUDIT_WRITE (29)
	[ "$(status_field CapEff)" = 0000000020000420 ]
	[ "$(status_field CapPrm)" = 0000000020000420 ]
	[ "$(status_field CapBnd)" = 0000000020000420 ]
	[ "$(status_field CapInh)" = 0000000000000000 ]
	[ "$(status_field CapAmb)" = 0000000000000000 ]
	[ "$(status_field NoNewPrivs)" = 1 ]
	[ "$(status_field Seccomp)" = 2 ]
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$output" == *"touch=1"* ]]
}

@test "capabilities: all five sets as configured, for a non-root user through ambient" {
	cfg "c['process']['user'] = {'uid': 1000, 'gid': 1000}
c['process']['capabilities'] = {
  'bounding': ['CAP_CHOWN', 'CAP_KILL', 'CAP_SETUID', 'CAP_NET_RAW'],
  'permitted': ['CAP_CHOWN', 'CAP_KILL', 'CAP_SETUID'],
  'effective': ['CAP_KILL'],
  'inheritable': ['CAP_KILL', 'CAP_SETUID'],
  'ambient': ['CAP_KILL']}"
	inside 'cat /proc/self/status'
	[ "$status" -eq 0 ]
	# After execve a non-root process keeps only its ambient set (CAP_KILL, bit 5).
	[ "$(status_field CapBnd)" = 00000000000020a1 ]
	[ "$(status_field CapInh)" = 00000000000000a0 ]
	[ "$(status_field CapAmb)" = 0000000000000020 ]
	[ "$(status_field CapPrm)" = 0000000000000020 ]
	[ "$(status_field CapEff)" = 0000000000000020 ]
	[ "$(status_field Uid)" = "1000	1000	1000	1000" ]

	cfg "c['process']['capabilities'] = {'bounding': ['CAP_KILL'], 'effective': ['CAP_KILL'], 'permitted': []}"
	inside 'true'
	[ "$status" -eq 1 ]
	[[ "$output" == *"process.capabilities: cannot set the effective, permitted and inheritable sets"* ]]
	assert_nothing_left "$ID"
}

@test "noNewPrivileges false and no seccomp section: NoNewPrivs 0, Seccomp 0" {
	cfg "c['process']['noNewPrivileges'] = False; del c['linux']['seccomp']"
	inside 'grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status'
	[ "$status" -eq 0 ]
	[ "$(status_field NoNewPrivs)" = 0 ]
	[ "$(status_field Seccomp)" = 0 ]
}

@test "seccomp without noNewPrivileges for a non-root user: loaded while still privileged" {
	# Loading a filter needs no_new_privs or CAP_SYS_ADMIN; uid 1000 with no capabilities has neither.
	cfg "c['process']['noNewPrivileges'] = False
c['process']['user'] = {'uid': 1000, 'gid': 1000}
c['process']['capabilities'] = {}"
	inside 'grep -E "^(NoNewPrivs|Seccomp|CapEff|Uid):" /proc/self/status; unshare -m true; echo unshare=$?'
	[ "$status" -eq 0 ]
	[ "$(status_field NoNewPrivs)" = 0 ]
	[ "$(status_field Seccomp)" = 2 ]
	[ "$(status_field CapEff)" = 0000000000000000 ]
	[[ "$output" == *"unshare=1"* ]]
}

@test "seccomp: defaultAction SCMP_ACT_ERRNO with defaultErrnoRet, an allow list, the LOG flag" {
	# Everything busybox needs here is allowed; chmod is not, and fails with defaultErrnoRet.
	cfg "c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ERRNO', 'defaultErrnoRet': 38,
  'flags': ['SECCOMP_FILTER_FLAG_LOG'],
  'syscalls': [{'names': ['read', 'write', 'open', 'openat', 'close', 'fstat', 'newfstatat', 'stat', 'lstat',
    'execve', 'exit', 'exit_group', 'brk', 'mmap', 'munmap', 'mprotect', 'arch_prctl', 'set_tid_address',
    'rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'getpid', 'getppid', 'getuid', 'geteuid', 'getgid',
    'getegid', 'ioctl', 'fcntl', 'dup2', 'dup3', 'wait4', 'clone', 'fork', 'vfork', 'uname', 'getcwd',
    'prlimit64', 'statx', 'readlink', 'access', 'faccessat', 'faccessat2', 'pipe', 'pipe2', 'lseek'],
    'action': 'SCMP_ACT_ALLOW'}]}
c['process']['capabilities']['bounding'].append('CAP_FOWNER')"
	inside 'echo allowed; chmod 700 /tmp 2>&1; echo chmod=$?'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = allowed ]
	[[ "$output" == *"Function not implemented"* ]]
	[[ "$output" == *"chmod=1"* ]]
}

@test "seccomp: the default profile refuses unshare, mount and namespace flags to clone" {
	inside 'unshare -m true; echo unshare=$?; mkdir /tmp/m 2>/dev/null; mount -t tmpfs none /tmp 2>&1; echo mount=$?'
	[ "$status" -eq 0 ]
	[[ "$output" == *"unshare=1"* ]]
	[[ "$output" == *"Operation not permitted"* ]]
	[[ "$output" == *"mount=255"* || "$output" == *"mount=1"* ]]
	# The same commands work without the filter (the capabilities would still stop
	# mount, so check unshare with CAP_SYS_ADMIN granted).
	cfg "del c['linux']['seccomp']
for s in ('bounding','effective','permitted'): c['process']['capabilities'][s].append('CAP_SYS_ADMIN')"
	inside 'unshare -m true; echo unshare=$?'
	[[ "$output" == *"unshare=0"* ]]
}

@test "seccomp: compiled programs are cached in the state root, one per profile" {
	inside 'unshare -m true; echo unshare=$?'
	[ "$status" -eq 0 ]
	[[ "$output" == *"unshare=1"* ]]
	[ "$(ls "$STATE/@seccomp-cache" | wc -l)" -eq 1 ]
	[ "$(stat -c %a "$STATE/@seccomp-cache")" = 700 ]
	# The second run takes the program from the cache, and it still filters.
	inside 'unshare -m true; echo unshare=$?'
	[[ "$output" == *"unshare=1"* ]]
	[ "$(ls "$STATE/@seccomp-cache" | wc -l)" -eq 1 ]
	# A changed profile is another program at once, never the cached one.
	cfg "c['linux']['seccomp']['syscalls'].append({'names': ['mkdir', 'mkdirat'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 13})"
	inside 'mkdir /tmp/d 2>&1; echo mkdir=$?'
	[[ "$output" == *"Permission denied"* ]]
	[[ "$output" == *"mkdir=1"* ]]
	[ "$(ls "$STATE/@seccomp-cache" | wc -l)" -eq 2 ]
	cfg "c['linux']['seccomp']['syscalls'][-1]['errnoRet'] = 38"
	inside 'mkdir /tmp/d 2>&1; echo mkdir=$?'
	[[ "$output" == *"Function not implemented"* ]]
	[ "$(ls "$STATE/@seccomp-cache" | wc -l)" -eq 3 ]
	# Not a container.
	[ -z "$(lr list -q)" ]
}

@test "seccomp: errnoRet, argument filters, kill action, architectures" {
	cfg "c['linux']['seccomp'] = {
  'defaultAction': 'SCMP_ACT_ALLOW',
  'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_AARCH64'],
  'syscalls': [
    {'names': ['mkdir', 'mkdirat'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 13},
    {'names': ['kill'], 'action': 'SCMP_ACT_ERRNO',
     'args': [{'index': 1, 'value': 10, 'op': 'SCMP_CMP_EQ'}]},
    {'names': ['no_such_syscall_at_all'], 'action': 'SCMP_ACT_KILL'}]}
c['process']['capabilities']['bounding'].append('CAP_DAC_OVERRIDE')"
	cfg "c['root']['readonly'] = False"
	own_rootfs
	inside 'mkdir /newdir 2>&1; echo mkdir=$?; kill -USR1 $$ 2>&1; echo usr1=$?; kill -0 $$; echo zero=$?'
	[ "$status" -eq 0 ]
	[[ "$output" == *"Permission denied"* ]]
	[[ "$output" == *"mkdir=1"* ]]
	[[ "$output" == *"usr1=1"* ]]
	[[ "$output" == *"zero=0"* ]]
	[ ! -e "$B/rootfs/newdir" ]

	# SCMP_ACT_KILL_PROCESS: the shell is killed by SIGSYS when sync(2) runs.
	cfg "c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [
  {'names': ['sync'], 'action': 'SCMP_ACT_KILL_PROCESS'}]}"
	inside 'echo before; exec sync'
	[ "$status" -eq 159 ] # 128 + SIGSYS
	[ "$output" = before ]

	# Another errnoRet: chdir fails with ENOSYS.
	cfg "c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [
  {'names': ['chdir'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 38}]}"
	inside 'cd /tmp 2>&1; echo cd=$?'
	[[ "$output" == *"Function not implemented"* ]]
	[[ "$output" == *"cd=2"* || "$output" == *"cd=1"* ]]
}

@test "mounts: proc, sysfs, tmpfs with options, devpts, mqueue, cgroup2 as configured" {
	inside 'cat /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	echo "$output" | grep -E '^[0-9]+ [0-9]+ [^ ]+ / /proc rw,nosuid,nodev,noexec[^ ]* .*- proc '
	echo "$output" | grep -E ' /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755'
	echo "$output" | grep -E ' /dev/pts rw,nosuid,noexec[^ ]* .*- devpts devpts .*gid=5,mode=620,ptmxmode=666'
	echo "$output" | grep -E ' /dev/shm rw,nosuid,nodev,noexec[^ ]* .*- tmpfs shm rw,size=65536k'
	echo "$output" | grep -E ' /dev/mqueue rw,nosuid,nodev,noexec[^ ]* .*- mqueue '
	echo "$output" | grep -E ' /sys ro,nosuid,nodev,noexec[^ ]* .*- sysfs '
	echo "$output" | grep -E ' /sys/fs/cgroup ro,nosuid,nodev,noexec[^ ]* .*- cgroup2 '
	echo "$output" | grep -E '^[0-9]+ [0-9]+ [^ ]+ [^ ]+ / ro,'
}

@test "bind mounts: ro, rw, rbind, file targets, propagation" {
	mkdir -p "$OUT/data/sub" "$BATS_TEST_TMPDIR/host-shared"
	echo hostfile >"$OUT/data/file"
	echo single >"$OUT/single"
	mount -t tmpfs sub "$OUT/data/sub"
	echo insub >"$OUT/data/sub/f"
	cfg "c['mounts'] += [
  {'destination': '/ro', 'type': 'bind', 'source': '$OUT/data', 'options': ['rbind', 'ro']},
  {'destination': '/rw', 'type': 'bind', 'source': '$OUT/data', 'options': ['bind', 'rw']},
  {'destination': '/etc/single', 'type': 'bind', 'source': '$OUT/single', 'options': ['bind', 'ro']},
  {'destination': '/shared', 'type': 'bind', 'source': '$BATS_TEST_TMPDIR/host-shared', 'options': ['rbind', 'rshared']},
  {'destination': '/tmp', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['nosuid', 'nodev', 'mode=1777', 'size=1m']}]"
	inside 'cat /ro/file /ro/sub/f /etc/single; echo x >/ro/file 2>&1; echo ro=$?; echo y >/rw/new; echo rw=$?; echo rwsub=$(ls /rw/sub | wc -l); grep -E " /(ro|rw|shared|tmp|etc/single) " /proc/self/mountinfo; stat -c %a /tmp'
	umount "$OUT/data/sub"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = hostfile ]
	[ "${lines[1]}" = insub ] # rbind takes the submount along
	[ "${lines[2]}" = single ]
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$output" == *"ro=1"* ]]
	[[ "$output" == *"rw=0"* ]]
	[ "$(cat "$OUT/data/new")" = y ]
	echo "$output" | grep -E ' /ro ro,'
	echo "$output" | grep -E ' /rw rw,'
	echo "$output" | grep -E ' /etc/single ro,'
	echo "$output" | grep -E ' /shared rw,[^ ]* shared:[0-9]+'
	echo "$output" | grep -E ' /tmp rw,nosuid,nodev[^ ]* .*- tmpfs tmpfs rw,size=1024k'
	[ "${lines[-1]}" = 1777 ]
	# bind (not rbind) does not take the submount along.
	[[ "$output" == *"rwsub=0"* ]]
}

@test "mount targets are resolved inside the rootfs: symlinks cannot point a mount at the host" {
	own_rootfs
	hostdir="$BATS_TEST_TMPDIR/hostdir"
	mkdir -p "$hostdir" "$B/rootfs/$hostdir"
	ln -s "$hostdir" "$B/rootfs/abs-escape"
	ln -s ../../../../../../../../../../"$hostdir" "$B/rootfs/rel-escape"
	ln -s /etc "$B/rootfs/etc-link"
	cfg "c['root']['readonly'] = False
c['mounts'] += [
  {'destination': '/abs-escape/m1', 'type': 'tmpfs', 'source': 'tmpfs'},
  {'destination': '/rel-escape/m2', 'type': 'tmpfs', 'source': 'tmpfs'},
  {'destination': '/etc-link/m3', 'type': 'tmpfs', 'source': 'tmpfs'}]"
	inside 'grep -oE " /[^ ]*/m[123] " /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = " $hostdir/m1 " ]
	[ "${lines[1]}" = " $hostdir/m2 " ]
	[ "${lines[2]}" = " /etc/m3 " ]
	# Created and mounted in the rootfs, never on the host.
	[ -d "$B/rootfs/$hostdir/m1" ]
	[ -d "$B/rootfs/etc/m3" ]
	[ ! -e "$hostdir/m1" ]
	[ ! -e "$hostdir/m2" ]
	[ ! -e /etc/m3 ]
	! findmnt -rn -o TARGET | grep -E "/m[123]$"
}

@test "devices: the default set, configured devices, /dev links" {
	cfg "c['linux']['devices'] = [{'path': '/dev/fuse', 'type': 'c', 'major': 10, 'minor': 229, 'fileMode': 0o640, 'uid': 0, 'gid': 0},
  {'path': '/dev/sub/thing', 'type': 'c', 'major': 1, 'minor': 3}]"
	inside 'for d in null zero full random urandom tty fuse sub/thing; do stat -c "%n %F %t:%T %a" /dev/$d; done; for l in fd stdin ptmx; do readlink /dev/$l; done; head -c 4 /dev/zero | od -An -tx1'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "/dev/null character special file 1:3 666" ]
	[ "${lines[1]}" = "/dev/zero character special file 1:5 666" ]
	[ "${lines[5]}" = "/dev/tty character special file 5:0 666" ]
	[ "${lines[6]}" = "/dev/fuse character special file a:e5 640" ]
	[ "${lines[7]}" = "/dev/sub/thing character special file 1:3 666" ]
	[ "${lines[8]}" = "/proc/self/fd" ]
	[ "${lines[9]}" = "/proc/self/fd/0" ]
	[ "${lines[10]}" = "pts/ptmx" ]
	[ "$(echo ${lines[11]})" = "00 00 00 00" ]
}

@test "maskedPaths and readonlyPaths" {
	inside 'wc -c </proc/timer_list; ls -A /sys/firmware | wc -l; echo 1 >/proc/sys/kernel/domainname 2>&1; echo sys=$?; grep -E " /proc/(timer_list|sys) | /sys/firmware " /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$output" == *"sys=1"* ]]
	echo "$output" | grep -E ' /proc/timer_list rw,.*- tmpfs ' # /dev/null bound over it
	echo "$output" | grep -E ' /proc/sys ro,'
	echo "$output" | grep -E ' /sys/firmware ro,.*- tmpfs '
}

@test "hostname, domainname and sysctl in their namespaces" {
	cfg "c['hostname'] = 'inner-host'; c['domainname'] = 'inner.example'
c['linux']['sysctl'] = {'net.ipv4.ip_unprivileged_port_start': '123', 'kernel.msgmax': '4096'}"
	inside 'hostname; cat /proc/sys/kernel/domainname /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/msgmax'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = inner-host ]
	[ "${lines[1]}" = inner.example ]
	[ "${lines[2]}" = 123 ]
	[ "${lines[3]}" = 4096 ]
	# The host's are untouched.
	[ "$(hostname)" != inner-host ]
	[ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" != 123 ]

	cfg "c['linux']['sysctl'] = {'kernel.no_such_knob': '1'}"
	inside 'true'
	[ "$status" -eq 1 ]
	[[ "$output" == *"linux.sysctl.kernel.no_such_knob: No such file or directory"* ]]
	assert_nothing_left "$ID"
}

@test "user namespace: uid/gid maps, root inside, an unprivileged uid outside" {
	with_out
	cfg "c['linux']['namespaces'].append({'type': 'user'})
c['linux']['uidMappings'] = [{'containerID': 0, 'hostID': 200000, 'size': 65536}]
c['linux']['gidMappings'] = [{'containerID': 0, 'hostID': 200000, 'size': 65536}]
c['mounts'] = [m for m in c['mounts'] if m['destination'] != '/sys/fs/cgroup']"
	args 'cat /proc/self/uid_map /proc/self/gid_map; id -u; stat -c %u /dev/null; sleep 30'
	lrd run -d -b "$B" "$ID"
	pid=$(pid_of "$ID")
	for _ in $(seq 50); do [ -s "$OUT/lrd.out" ] && [ "$(wc -l <"$OUT/lrd.out")" -ge 4 ] && break; sleep 0.05; done
	run cat "$OUT/lrd.out"
	[ "$(echo ${lines[0]})" = "0 200000 65536" ]
	[ "$(echo ${lines[1]})" = "0 200000 65536" ]
	[ "${lines[2]}" = 0 ]
	# The host's /dev/null is bound in (mknod is not allowed in a user namespace); host root is unmapped.
	[ "${lines[3]}" = 65534 ]
	[ "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" = 200000 ]
	[ "$(awk '/^CapEff:/ {print $2}' "/proc/$pid/status")" = 0000000020000420 ]
}

@test "rlimits, user, additional groups, umask, cwd, env, oomScoreAdj" {
	cfg "c['process']['rlimits'] = [{'type': 'RLIMIT_NOFILE', 'soft': 123, 'hard': 456}, {'type': 'RLIMIT_CORE', 'soft': 0, 'hard': 0}]
c['process']['user'] = {'uid': 1234, 'gid': 2345, 'additionalGids': [5, 7], 'umask': 0o027}
c['process']['cwd'] = '/work/dir'
c['process']['env'] += ['GREETING=hello world']
c['process']['oomScoreAdj'] = 567"
	inside 'ulimit -n; ulimit -Hn; ulimit -c; id -u; id -g; grep ^Groups: /proc/self/status; umask; pwd; echo "$GREETING"; cat /proc/self/oom_score_adj'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 123 ]
	[ "${lines[1]}" = 456 ]
	[ "${lines[2]}" = 0 ]
	[ "${lines[3]}" = 1234 ]
	[ "${lines[4]}" = 2345 ]
	[ "$(echo ${lines[5]})" = "Groups: 5 7" ]
	[ "${lines[6]}" = 0027 ]
	[ "${lines[7]}" = /work/dir ]
	[ "${lines[8]}" = "hello world" ]
	[ "${lines[9]}" = 567 ]
}

@test "no host fd reaches the container, and cwd stays inside the rootfs" {
	# Open fds of the caller (a host directory among them) must not be inherited.
	exec 7</etc 8>"$OUT/leak"
	inside 'echo $(ls /proc/self/fd); readlink /proc/self/cwd'
	exec 7<&- 8>&-
	[ "$status" -eq 0 ]
	# 0, 1, 2 and the directory ls itself opened.
	[ "${lines[0]}" = "0 1 2 3" ]
	[ "${lines[1]}" = / ]

	# A cwd through a fd of the runtime (CVE-2024-21626) does not resolve inside the container.
	cfg "c['process']['cwd'] = '/proc/self/fd/7'"
	exec 7</etc
	inside 'pwd'
	exec 7<&-
	[ "$status" -eq 1 ]
	[[ "$output" == *"process.cwd"* ]]
	assert_nothing_left "$ID"
}

@test "joining namespaces by path; a path of the wrong type is refused" {
	with_out
	args 'sleep 30'
	lrd run -d -b "$B" "$ID-a"
	apid=$(pid_of "$ID-a")
	cfg "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] not in ('network', 'uts')]
c['linux']['namespaces'] += [{'type': 'network', 'path': '/proc/$apid/ns/net'}, {'type': 'uts', 'path': '/proc/$apid/ns/uts'}]
c['hostname'] = None"
	inside 'for n in net uts pid; do readlink /proc/self/ns/$n; done'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(readlink /proc/$apid/ns/net)" ]
	[ "${lines[1]}" = "$(readlink /proc/$apid/ns/uts)" ]
	[ "${lines[2]}" != "$(readlink /proc/$apid/ns/pid)" ]

	cfg "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'network']
c['linux']['namespaces'].append({'type': 'network', 'path': '/proc/$apid/ns/uts'})"
	inside 'true'
	[ "$status" -eq 1 ]
	[[ "$output" == *"linux.namespaces[5].path: /proc/$apid/ns/uts is not a network namespace"* ]]
	[ ! -e "$STATE/$ID" ]
	lr delete -f "$ID-a"
	assert_nothing_left "$ID" "$apid"
}

@test "cgroup v2: the container's own cgroup, a cgroup namespace, removed on delete" {
	cfg "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'cgroup']"
	inside 'grep ^0:: /proc/self/cgroup'
	[ "$status" -eq 0 ]
	[ "$output" = "0::/$ID" ]
	[ ! -e "$CGROOT/$ID" ]

	cfg "c['linux']['namespaces'].append({'type': 'cgroup'}); c['linux']['cgroupsPath'] = '/$ID-custom'"
	args 'grep ^0:: /proc/self/cgroup; sleep 30'
	lrd run -d -b "$B" "$ID"
	pid=$(pid_of "$ID")
	[ "$(cat "$CGROOT/$ID-custom/cgroup.procs")" = "$pid" ]
	for _ in $(seq 50); do [ -s "$OUT/lrd.out" ] && break; sleep 0.05; done
	[ "$(cat "$OUT/lrd.out")" = "0::/" ]
	lr delete -f "$ID"
	[ ! -e "$CGROOT/$ID-custom" ]
	assert_nothing_left "$ID" "$pid"
}

@test "cgroup v2 resources: memory.max, pids.max and cpu.max, or a clear error when a controller is missing" {
	cfg "c['linux']['resources'] = {'memory': {'limit': 67108864}, 'pids': {'limit': 32}, 'cpu': {'quota': 25000, 'period': 100000}}"
	args 'sleep 30'
	if grep -qw memory "$CGROOT/cgroup.controllers" && grep -qw pids "$CGROOT/cgroup.controllers" &&
		grep -qw cpu "$CGROOT/cgroup.controllers"; then
		lrd run -d -b "$B" "$ID"
		[ "$(cat "$CGROOT/$ID/memory.max")" = 67108864 ]
		[ "$(cat "$CGROOT/$ID/pids.max")" = 32 ]
		[ "$(cat "$CGROOT/$ID/cpu.max")" = "25000 100000" ]
		lr delete -f "$ID"
	else
		# This host binds the controllers to cgroup v1: the runtime must say so, not ignore the limits.
		run lrd run -d -b "$B" "$ID"
		[ "$status" -eq 1 ]
		[[ "$output" == *"linux.resources."*"controller is not available in the cgroup v2 hierarchy at /sys/fs/cgroup"* ]]
	fi
	assert_nothing_left "$ID"
}

@test "without a cgroup hierarchy at /sys/fs/cgroup the container runs without a cgroup, and limits are refused" {
	args 'cat /proc/self/cgroup'
	run unshare -m --propagation private sh -c 'mount -t tmpfs none /sys/fs/cgroup && exec "$@"' sh "$RUNTIME" --root "$STATE" run -b "$B" "$ID"
	[ "$status" -eq 0 ]
	assert_nothing_left "$ID"
	cfg "c['linux']['resources'] = {'pids': {'limit': 10}}"
	run unshare -m --propagation private sh -c 'mount -t tmpfs none /sys/fs/cgroup && exec "$@"' sh "$RUNTIME" --root "$STATE" run -b "$B" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"linux.resources: limits need a cgroup hierarchy, and /sys/fs/cgroup is neither a cgroup2 mount nor a tmpfs of cgroup v1 hierarchies"* ]]
	assert_nothing_left "$ID"
}
