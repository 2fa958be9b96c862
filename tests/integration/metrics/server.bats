#!/usr/bin/env bats
# The HTTP endpoint over the fixture root, on 127.0.0.1 only.

load helpers

setup() { common_setup; FUSE_PID=; }
teardown() {
	[ -n "${FUSE_PID:-}" ] && kill "$FUSE_PID" 2>/dev/null && wait "$FUSE_PID" 2>/dev/null
	# (not mountpoint(1): stat of a FUSE mount whose server is gone fails)
	[ -n "${T:-}" ] && grep -q " $T/root/hang " /proc/self/mounts && umount -l "$T/root/hang"
	common_teardown
}

@test "GET /metrics serves text 0.0.4 scraped on demand" {
	lm_start --root "$ROOT"
	run curl -sS -D "$T/h" "$URL"
	[ "$status" -eq 0 ]
	grep -qi '^Content-Type: text/plain; version=0.0.4; charset=utf-8' "$T/h"
	grep -q '^HTTP/1.1 200' "$T/h"
	[[ "$output" == *'node_load1 1.25'* ]]
	[[ "$output" == *'container_cpu_usage_seconds_total{cgroup="/system.slice/ssh.service"'* ]]
}

@test "Accept: application/openmetrics-text gets OpenMetrics 1.0.0" {
	lm_start --root "$ROOT"
	run curl -sS -D "$T/h" -H 'Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1' "$URL"
	[ "$status" -eq 0 ]
	grep -qi '^Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8' "$T/h"
	[ "$(printf '%s\n' "$output" | tail -n 1)" = "# EOF" ]
	run curl -sS -D "$T/h" -H 'Accept: application/openmetrics-text;q=0.1,text/plain' "$URL"
	grep -qi '^Content-Type: text/plain; version=0.0.4' "$T/h"
}

@test "HEAD, other methods and paths" {
	lm_start --root "$ROOT"
	run curl -sS -o /dev/null -w '%{http_code}' -X POST -d x "$URL"
	[ "$output" = 405 ]
	run curl -sS -o /dev/null -w '%{http_code}' "${URL%/metrics}/nope"
	[ "$output" = 404 ]
	run curl -sS -I "$URL"
	[[ "$output" == *"200 OK"* ]]
	run curl -sS "${URL%/metrics}/"
	[[ "$output" == *"/metrics"* ]]
}

@test "keep-alive: many scrapes on one connection, each fresh" {
	copy_root
	lm_start --root "$T/root"
	urls=()
	for _ in $(seq 1 20); do urls+=("$URL"); done
	run curl -sS "${urls[@]}"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^node_load1 ' <<<"$output")" -eq 20 ]
	printf '7.50 1.18 1.10 3/211 12345\n' >"$T/root/proc/loadavg"
	run curl -sS "$URL"
	[[ "$output" == *'node_load1 7.50'* ]]
}

@test "a file that stops parsing is logged once, not per scrape, and recovery is logged" {
	copy_root
	lm_start --root "$T/root"
	cp "$T/root/proc/meminfo" "$T/meminfo"
	# rewritten in place (the kernel's files never go away; they are kept open)
	printf 'garbage without colons\n' >"$T/root/proc/meminfo"
	for _ in 1 2 3 4; do
		run curl -sS "$URL"
		[[ "$output" == *'node_scrape_collector_success{collector="meminfo"} 0'* ]]
		[[ "$output" != *'node_memory_'* ]]
	done
	[ "$(grep -c 'Collector meminfo failed' "$T/lm.log")" -eq 1 ]
	cat "$T/meminfo" >"$T/root/proc/meminfo"
	run curl -sS "$URL"
	[[ "$output" == *'node_scrape_collector_success{collector="meminfo"} 1'* ]]
	[[ "$output" == *'node_memory_MemTotal_bytes 25276416000'* ]]
	grep -q 'Collector meminfo works again' "$T/lm.log"
}

@test "a cgroup that vanishes between scrapes disappears from the output" {
	copy_root
	lm_start --root "$T/root"
	run curl -sS "$URL"
	[[ "$output" == *'cgroup="/web1"'* ]]
	rm -rf "$T/root/sys/fs/cgroup/web1"
	run curl -sS "$URL"
	[ "$status" -eq 0 ]
	[[ "$output" != *'cgroup="/web1"'* ]]
	[[ "$output" == *'node_scrape_collector_success{collector="cgroups"} 1'* ]]
}

@test "cgroup files stay open between scrapes, yet a cgroup made again under the same name is read afresh" {
	copy_root
	lm_start --root "$T/root"
	run curl -sS "$URL"
	[[ "$output" == *'container_cpu_usage_seconds_total{cgroup="/web1",engine="",name=""} 0.000777'* ]]
	# rewritten in place, as the kernel does: the kept descriptor sees it
	printf 'usage_usec 2000000\n' >"$T/root/sys/fs/cgroup/web1/cpu.stat"
	run curl -sS "$URL"
	[[ "$output" == *'container_cpu_usage_seconds_total{cgroup="/web1",engine="",name=""} 2'* ]]
	# removed and made again: new inodes, new values, no stale descriptor
	cp -a "$T/root/sys/fs/cgroup/web1" "$T/web1"
	rm -rf "$T/root/sys/fs/cgroup/web1"
	run curl -sS "$URL"
	[[ "$output" != *'cgroup="/web1"'* ]]
	cp -a "$T/web1" "$T/root/sys/fs/cgroup/web1"
	printf 'usage_usec 3000000\n' >"$T/root/sys/fs/cgroup/web1/cpu.stat"
	run curl -sS "$URL"
	[[ "$output" == *'container_cpu_usage_seconds_total{cgroup="/web1",engine="",name=""} 3'* ]]
	# between two scrapes (made before the old one goes, so its inode differs)
	cp -a "$T/web1" "$T/root/sys/fs/cgroup/web1.new"
	rm -rf "$T/root/sys/fs/cgroup/web1"
	mv "$T/root/sys/fs/cgroup/web1.new" "$T/root/sys/fs/cgroup/web1"
	printf 'usage_usec 4000000\n' >"$T/root/sys/fs/cgroup/web1/cpu.stat"
	run curl -sS "$URL"
	[[ "$output" == *'container_cpu_usage_seconds_total{cgroup="/web1",engine="",name=""} 4'* ]]
}

@test "interface files stay open between scrapes; a removed interface closes them, a new one under the same name is read afresh" {
	copy_root
	lm_start --root "$T/root"
	net=$T/root/sys/class/net
	run curl -sS "$URL"
	[[ "$output" == *$'\nnode_network_mtu_bytes{device="eth0"} 1500\n'* ]]
	# rewritten in place, as the kernel does: the open file shows the new value
	printf '9000\n' >"$net/eth0/mtu"
	run curl -sS "$URL"
	[[ "$output" == *$'\nnode_network_mtu_bytes{device="eth0"} 9000\n'* ]]
	fds=$(ls "/proc/$LM_PID/fd" | wc -l)
	# veth0 goes away: its series go, and so do its descriptors
	rm -r "$net/veth0"
	run curl -sS "$URL"
	[[ "$output" != *'device="veth0"'* ]]
	[ "$(ls "/proc/$LM_PID/fd" | wc -l)" -lt "$fds" ]
	# eth0 is another device now (the old one's files still exist elsewhere)
	mv "$net/eth0" "$T/old-eth0"
	mkdir "$net/eth0"
	printf '1280\n' >"$net/eth0/mtu"
	printf 'up\n' >"$net/eth0/operstate"
	run curl -sS "$URL"
	[[ "$output" == *$'\nnode_network_mtu_bytes{device="eth0"} 1280\n'* ]]
	[[ "$output" != *'node_network_speed_bytes{device="eth0"}'* ]]
	[[ "$output" == *$'\nnode_scrape_collector_success{collector="netclass"} 1\n'* ]]
}

mkcg() { # dir usage_usec: a cgroup with no controllers, only cpu.stat
	mkdir "$1"
	printf '\n' >"$1/cgroup.controllers"
	printf 'usage_usec %s\n' "$2" >"$1/cpu.stat"
}

@test "a leaf cgroup is not listed, yet a child made below it later is found, and one made below a listed cgroup too" {
	copy_root
	lm_start --root "$T/root"
	cg=$T/root/sys/fs/cgroup
	run curl -sS "$URL"
	[[ "$output" == *'cgroup="/web1"'* ]]
	[[ "$output" != *'cgroup="/web1/inner"'* ]]
	# web1 was a leaf (link count 2, so not listed); now it has a child
	mkcg "$cg/web1/inner" 5000000
	run curl -sS "$URL"
	[[ "$output" == *'container_cpu_usage_seconds_total{cgroup="/web1/inner",engine="",name=""} 5'* ]]
	# system.slice was listed by every scrape (its descriptor is rewound)
	mkcg "$cg/system.slice/new.service" 6000000
	run curl -sS "$URL"
	[[ "$output" == *'container_cpu_usage_seconds_total{cgroup="/system.slice/new.service",engine="systemd",name="new.service"} 6'* ]]
	[[ "$output" == *'cgroup="/system.slice/ssh.service"'* ]]
	[[ "$output" == *'cgroup="/web1/inner"'* ]]
}

@test "a cgroup's controllers are read from its parent's cgroup.subtree_control, when there is one" {
	copy_root
	cg=$T/root/sys/fs/cgroup
	mkcg "$cg/pool" 1
	printf 'cpu memory\n' >"$cg/pool/cgroup.subtree_control"
	# its own cgroup.controllers is empty, the parent's word counts
	mkcg "$cg/pool/a" 2
	printf '4096\n' >"$cg/pool/a/memory.current"
	# no subtree_control above: its own (empty) list counts, no memory
	mkcg "$cg/lone" 3
	mkcg "$cg/lone/b" 4
	printf '8192\n' >"$cg/lone/b/memory.current"
	lm_start --root "$T/root"
	run curl -sS "$URL"
	[[ "$output" == *'container_memory_usage_bytes{cgroup="/pool/a",engine="",name=""} 4096'* ]]
	[[ "$output" == *'container_cpu_usage_seconds_total{cgroup="/lone/b",engine="",name=""} 0.000004'* ]]
	[[ "$output" != *'container_memory_usage_bytes{cgroup="/lone/b"'* ]]
}

setxattr() { python3 -c 'import os, sys; os.setxattr(sys.argv[1], sys.argv[2], sys.argv[3].encode())' "$@"; }

@test "a cgroup lazuli-run marked with user.lazuli-run.id is labelled without reading its state directory" {
	copy_root
	cg=$T/root/sys/fs/cgroup
	setxattr "$cg/web1" user.lazuli-run.id web-1
	mkcg "$cg/system.slice/lazuli-run-db.scope" 1000000
	setxattr "$cg/system.slice/lazuli-run-db.scope" user.lazuli-run.id db
	# a service is a service, whatever it carries
	setxattr "$cg/system.slice/ssh.service" user.lazuli-run.id nope
	# the state directory is unreadable to the daemon's unit: here, none at all
	lm_start --root "$T/root"
	run curl -sS "$URL"
	[[ "$output" == *'container_cpu_usage_seconds_total{cgroup="/web1",engine="lazuli-run",name="web-1"} 0.000777'* ]]
	[[ "$output" == *'container_cpu_usage_seconds_total{cgroup="/system.slice/lazuli-run-db.scope",engine="lazuli-run",name="db"} 1'* ]]
	[[ "$output" == *'cgroup="/system.slice/ssh.service",engine="systemd",name="ssh.service"'* ]]
	# marked after the daemon first saw it (lazuli-run marks right after mkdir)
	mkcg "$cg/late" 1
	run curl -sS "$URL"
	[[ "$output" == *'cgroup="/late",engine="",name=""'* ]]
	setxattr "$cg/late" user.lazuli-run.id late-1
	# a young cgroup's mark is looked for again at most once a second
	sleep 1.1
	run curl -sS "$URL"
	[[ "$output" == *'cgroup="/late",engine="lazuli-run",name="late-1"'* ]]
	# a mark that is not an id is ignored
	mkcg "$cg/odd" 1
	setxattr "$cg/odd" user.lazuli-run.id 'a/b c'
	run curl -sS "$URL"
	[[ "$output" == *'cgroup="/odd",engine="",name=""'* ]]
}

threads_of() { awk '/^Threads:/ { print $2 }' "/proc/$1/status"; }

@test "a mount whose statfs hangs is a device error after MountTimeout, and is not asked again until the call returns" {
	[ -c /dev/fuse ] || skip "no /dev/fuse on this host"
	copy_root
	mkdir "$T/root/hang"
	# a FUSE mount that never answers stands for an NFS server that went away
	"$BATS_TEST_DIRNAME/fuse-hang.py" "$T/root/hang" >"$T/fuse.out" 2>&1 &
	FUSE_PID=$!
	for _ in $(seq 1 100); do grep -q mounted "$T/fuse.out" && break; sleep 0.05; done
	grep -q mounted "$T/fuse.out"
	printf 'lazuli-test /hang fuse.lazuli-test rw,relatime 0 0\n' >>"$T/root/proc/self/mounts"
	printf '[Metrics]\nRunStateDirectory=\nMountTimeout=1s\n' >"$T/metrics.conf"
	lm_start --root "$T/root"
	err='node_filesystem_device_error{device="lazuli-test",fstype="fuse.lazuli-test",mountpoint="/hang"} 1'
	run curl -sS --max-time 20 "$URL"
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\n'"$err"$'\n'* ]]
	# the other mounts are there as before
	[[ "$output" == *$'\nnode_filesystem_readonly{device="/dev/vdb",fstype="ext4",mountpoint="/data dir"} 1\n'* ]]
	[ "$(grep -c 'statfs of .*/hang did not return within 1s' "$T/lm.log")" -eq 1 ]
	[ "$(threads_of "$LM_PID")" -eq 2 ]
	# the next scrape does not ask again: no second thread, no second wait
	run curl -sS --max-time 20 "$URL"
	[[ "$output" == *$'\n'"$err"$'\n'* ]]
	[ "$(threads_of "$LM_PID")" -eq 2 ]
	[ "$(grep -c 'did not return within' "$T/lm.log")" -eq 1 ]
	# the server goes away: the call returns (ENOTCONN), its thread ends
	kill "$FUSE_PID"
	wait "$FUSE_PID" || true
	FUSE_PID=
	for _ in $(seq 1 100); do [ "$(threads_of "$LM_PID")" -eq 1 ] && break; sleep 0.05; done
	[ "$(threads_of "$LM_PID")" -eq 1 ]
	run curl -sS --max-time 20 "$URL"
	[[ "$output" == *$'\n'"$err"$'\n'* ]]
	grep -q 'statfs of .*/hang returned again' "$T/lm.log"
	umount "$T/root/hang"
}

@test "SIGTERM stops it with status 0; a busy port is a clear error" {
	lm_start --root "$ROOT"
	port=${URL##*:}
	port=${port%%/*}
	run "$LM" --root "$ROOT" --listen "127.0.0.1:$port"
	[ "$status" -eq 1 ]
	[[ "$output" == *"Cannot listen on 127.0.0.1:$port"* ]]
	kill -TERM "$LM_PID"
	wait "$LM_PID"
	status=$?
	LM_PID=
	[ "$status" -eq 0 ]
}

@test "IPv6 loopback" {
	[ -e /proc/net/if_inet6 ] || skip "no IPv6"
	"$LM" --listen '[::1]:0' --root "$ROOT" 2>"$T/lm.log" &
	LM_PID=$!
	for _ in $(seq 1 100); do grep -q 'Serving' "$T/lm.log" && break; sleep 0.05; done
	URL=$(sed -n 's/.*Serving metrics on \(http:[^ ]*\).*/\1/p' "$T/lm.log")
	[[ "$URL" == http://\[::1\]:* ]]
	run curl -sS -g "$URL"
	[[ "$output" == *'node_load1 1.25'* ]]
}

@test "no TLS stack in the process: neither libmicrohttpd nor GnuTLS is linked" {
	# they were 2.1 MB of a 4.8 MB RSS for an endpoint that never serves TLS
	run ldd "$LM"
	[ "$status" -eq 0 ]
	[[ "$output" != *libmicrohttpd* ]]
	[[ "$output" != *libgnutls* ]]
}
