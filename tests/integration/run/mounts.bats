#!/usr/bin/env bats
# Mount options beyond flags: recursive attributes (rro, rnosuid, ...),
# nosymfollow, idmapped mounts, tmpcopyup, remount, and the symlink options
# (src-nofollow, dest-nofollow, copy-symlink); refusals leave nothing.

load helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

# mount_opts MOUNTPOINT: the per-mount options field of its /proc/self/mountinfo line in $output.
mount_opts() {
	echo "$output" | awk -v m="$1" '$5 == m { print $6 }'
}

# A user namespace mapping container 0.. to host 200000.. (no cgroup mount: not ours to see).
with_userns() {
	cfg "c['linux']['namespaces'].append({'type': 'user'})
c['linux']['uidMappings'] = [{'containerID': 0, 'hostID': 200000, 'size': 65536}]
c['linux']['gidMappings'] = [{'containerID': 0, 'hostID': 200000, 'size': 65536}]
c['mounts'] = [m for m in c['mounts'] if m['destination'] != '/sys/fs/cgroup']"
}

@test "rro: the bind mount and the submount under it are read-only; ro alone leaves the submount writable" {
	mkdir -p "$OUT/data/sub"
	echo top >"$OUT/data/file"
	mount -t tmpfs sub "$OUT/data/sub"
	echo insub >"$OUT/data/sub/f"
	cfg "c['mounts'] += [
  {'destination': '/r', 'type': 'bind', 'source': '$OUT/data', 'options': ['rbind', 'rro']},
  {'destination': '/o', 'type': 'bind', 'source': '$OUT/data', 'options': ['rbind', 'ro']}]"
	inside 'cat /r/file /r/sub/f; echo x >/r/file; echo top=$?; echo x >/r/sub/f; echo sub=$?; echo y >/o/sub/g; echo osub=$?; cat /proc/self/mountinfo'
	host_opts=$(findmnt -rn -o OPTIONS "$OUT/data/sub")
	umount "$OUT/data/sub"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = top ]
	[ "${lines[1]}" = insub ]
	[[ "$output" == *"top=1"* ]]
	[[ "$output" == *"sub=1"* ]]
	[ "$(mount_opts /r)" = ro ] || [[ "$(mount_opts /r)" == ro,* ]]
	[[ "$(mount_opts /r/sub)" == ro,* ]]
	# Plain ro is for the top mount only.
	[[ "$(mount_opts /o)" == ro,* ]]
	[[ "$(mount_opts /o/sub)" == rw,* ]]
	[[ "$output" == *"osub=0"* ]]
	# The host's mounts are untouched: only the container's copy changed.
	[[ "$host_opts" == rw,* ]]
}

@test "rnosuid, rnodev, rnoexec, rnoatime on a tree; rrw and rexec undo them; a tmpfs too" {
	mkdir -p "$OUT/data/sub"
	mount -t tmpfs sub "$OUT/data/sub"
	cfg "c['mounts'] += [
  {'destination': '/a', 'type': 'bind', 'source': '$OUT/data', 'options': ['rbind', 'rnosuid', 'rnodev', 'rnoexec', 'rnoatime']},
  {'destination': '/b', 'type': 'bind', 'source': '$OUT/data', 'options': ['rbind', 'rro', 'rnoexec', 'rrw', 'rexec', 'rnodiratime']},
  {'destination': '/t', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['rnoexec', 'rnosuid']}]"
	inside 'cat /proc/self/mountinfo'
	umount "$OUT/data/sub"
	[ "$status" -eq 0 ]
	for m in /a /a/sub; do
		[[ "$(mount_opts $m)" == rw,nosuid,nodev,noexec,noatime* ]]
	done
	for m in /b /b/sub; do
		[[ "$(mount_opts $m)" == rw,* ]]
		[[ "$(mount_opts $m)" != *noexec* ]]
		[[ "$(mount_opts $m)" == *nodiratime* ]]
	done
	[[ "$(mount_opts /t)" == rw,nosuid,noexec* ]]
}

@test "nosymfollow and rnosymfollow: following a symlink there fails with ELOOP, readlink works" {
	mkdir -p "$OUT/data/sub"
	mount -t tmpfs sub "$OUT/data/sub"
	echo hi >"$OUT/data/sub/f"
	ln -s f "$OUT/data/sub/l"
	cfg "c['mounts'] += [
  {'destination': '/n', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['nosymfollow']},
  {'destination': '/r', 'type': 'bind', 'source': '$OUT/data', 'options': ['rbind', 'rnosymfollow']},
  {'destination': '/f', 'type': 'bind', 'source': '$OUT/data', 'options': ['rbind', 'rnosymfollow', 'rsymfollow']}]"
	inside 'echo x >/n/f; ln -s f /n/l; cat /n/l; echo n=$?; readlink /n/l; cat /r/sub/l; echo r=$?; readlink /r/sub/l; cat /f/sub/l; cat /proc/self/mountinfo'
	umount "$OUT/data/sub"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Symbolic link loop"* || "$output" == *"Too many levels of symbolic links"* ]]
	[[ "$output" == *"n=1"* ]]
	[[ "$output" == *"r=1"* ]]
	[ "$(echo "$output" | grep -cx f)" -eq 2 ] # readlink, twice
	[ "$(echo "$output" | grep -cx hi)" -eq 1 ] # through /f only
	[[ "$(mount_opts /n)" == *nosymfollow* ]]
	[[ "$(mount_opts /r/sub)" == *nosymfollow* ]]
	[[ "$(mount_opts /f/sub)" != *nosymfollow* ]]
}

@test "idmap with the mount's own mappings: host owners are shown through them, the host's files keep theirs" {
	mkdir -p "$OUT/idm"
	touch "$OUT/idm/by-root" "$OUT/idm/by-1000"
	chown 0:0 "$OUT/idm/by-root"
	chown 1000:1000 "$OUT/idm/by-1000"
	# A mount mapping reads like a user namespace's: an owner containerID on disk is hostID through the mount.
	cfg "c['mounts'].append({'destination': '/m', 'type': 'bind', 'source': '$OUT/idm', 'options': ['bind', 'idmap'],
  'uidMappings': [{'containerID': 0, 'hostID': 1000, 'size': 1}],
  'gidMappings': [{'containerID': 0, 'hostID': 1000, 'size': 1}]})"
	inside 'stat -c "%n %u:%g" /m/by-root /m/by-1000; grep " /m " /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "/m/by-root 1000:1000" ]
	[ "${lines[1]}" = "/m/by-1000 65534:65534" ]
	[[ "$(mount_opts /m)" == *idmapped* ]]
	[ "$(stat -c %u:%g "$OUT/idm/by-root")" = 0:0 ]
	[ "$(stat -c %u:%g "$OUT/idm/by-1000")" = 1000:1000 ]
	# The child that held the mapping's user namespace is gone.
	! grep -lx ' *0 *1000 *1' /proc/[0-9]*/uid_map 2>/dev/null
}

@test "ridmap without mappings of its own uses the container's user namespace, submounts included" {
	mkdir -p "$OUT/idm/sub"
	mount -t tmpfs sub "$OUT/idm/sub"
	touch "$OUT/idm/by-root" "$OUT/idm/sub/by-root"
	# The user namespace's root may not create mount points in a rootfs of the host's root.
	own_rootfs
	mkdir -p "$B/rootfs/m" "$B/rootfs/plain"
	with_userns
	cfg "c['mounts'] += [
  {'destination': '/m', 'type': 'bind', 'source': '$OUT/idm', 'options': ['rbind', 'ridmap']},
  {'destination': '/plain', 'type': 'bind', 'source': '$OUT/idm', 'options': ['rbind']}]"
	inside 'stat -c %u /m/by-root /m/sub/by-root /plain/by-root; touch /m/new /m/sub/new; echo new=$?'
	[ "$status" -eq 0 ]
	# Host root's files are the container root's; without idmap they belong to nobody.
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
	[ "${lines[2]}" = 65534 ]
	[[ "$output" == *"new=0"* ]]
	# What the container's root writes belongs to the host's root.
	[ "$(stat -c %u:%g "$OUT/idm/new")" = 0:0 ]
	[ "$(stat -c %u:%g "$OUT/idm/sub/new")" = 0:0 ]
	umount "$OUT/idm/sub"
}

@test "tmpcopyup: the tmpfs starts with a copy of the directory it covers; the rootfs is not written" {
	own_rootfs
	mkdir -p "$B/rootfs/srv/d/sub"
	echo f >"$B/rootfs/srv/d/f"
	echo g >"$B/rootfs/srv/d/sub/g"
	ln -s f "$B/rootfs/srv/d/link"
	chown 1000:100 "$B/rootfs/srv/d/f"
	chmod 0604 "$B/rootfs/srv/d/f"
	cfg "c['mounts'] += [
  {'destination': '/srv/d', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['tmpcopyup', 'mode=755']},
  {'destination': '/srv/e', 'type': 'tmpfs', 'source': 'tmpfs'}]"
	inside 'cat /srv/d/f /srv/d/sub/g; readlink /srv/d/link; stat -c "%u:%g %a" /srv/d/f; ls -A /srv/e | wc -l; echo new >/srv/d/new; grep " /srv/d " /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = f ]
	[ "${lines[1]}" = g ]
	[ "${lines[2]}" = f ]
	[ "${lines[3]}" = "1000:100 604" ]
	[ "${lines[4]}" = 0 ] # without tmpcopyup: empty
	echo "${lines[5]}" | grep -E ' - tmpfs '
	[ ! -e "$B/rootfs/srv/d/new" ]
}

@test "tmpcopyup in a user namespace: the copy has the owners the container sees" {
	own_rootfs
	mkdir -p "$B/rootfs/srv/u"
	echo mapped >"$B/rootfs/srv/u/mapped"
	echo unmapped >"$B/rootfs/srv/u/unmapped"
	chown 201000:201000 "$B/rootfs/srv/u/mapped"
	chown 7:7 "$B/rootfs/srv/u/unmapped"
	with_userns
	cfg "c['mounts'].append({'destination': '/srv/u', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['tmpcopyup']})"
	inside 'stat -c "%n %u:%g" /srv/u/mapped /srv/u/unmapped; cat /srv/u/unmapped'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "/srv/u/mapped 1000:1000" ]
	[ "${lines[1]}" = "/srv/u/unmapped 65534:65534" ] # the overflow id, as for the original
	[ "${lines[2]}" = unmapped ]
}

@test "remount: a mount made before changes its flags" {
	mkdir -p "$OUT/data"
	cfg "c['mounts'] += [
  {'destination': '/t', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['size=1m']},
  {'destination': '/t', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['remount', 'ro', 'size=2m']},
  {'destination': '/b', 'type': 'bind', 'source': '$OUT/data', 'options': ['rbind']},
  {'destination': '/b', 'type': 'bind', 'source': '$OUT/data', 'options': ['bind', 'remount', 'ro', 'noexec']}]"
	inside 'touch /t/x; echo t=$?; touch /b/x; echo b=$?; grep -E " /(t|b) " /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[[ "$output" == *"t=1"* ]]
	[[ "$output" == *"b=1"* ]]
	[ "$(echo "$output" | grep -c ' /t ')" -eq 1 ] # remounted, not stacked
	[[ "$(mount_opts /t)" == ro,* ]]
	echo "$output" | grep -E ' /t .* - tmpfs tmpfs ro,size=2048k'
	[[ "$(mount_opts /b)" == ro,*noexec* ]]
	[ ! -e "$OUT/data/x" ]
}

@test "src-nofollow binds a symlink source itself; copy-symlink copies it; a plain bind follows it" {
	mkdir -p "$OUT/target"
	echo inside-target >"$OUT/target/file"
	ln -s target "$OUT/link"
	cfg "c['mounts'] += [
  {'destination': '/follow', 'type': 'bind', 'source': '$OUT/link', 'options': ['bind']},
  {'destination': '/nofollow', 'type': 'bind', 'source': '$OUT/link', 'options': ['bind', 'src-nofollow']},
  {'destination': '/copied', 'type': 'bind', 'source': '$OUT/link', 'options': ['bind', 'copy-symlink']},
  {'destination': '/dircopy', 'type': 'bind', 'source': '$OUT/target', 'options': ['bind', 'copy-symlink']}]"
	own_rootfs
	inside 'cat /follow/file; readlink /nofollow; readlink /copied; cat /dircopy/file; grep -cE " /(nofollow|copied|dircopy) " /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = inside-target ]
	[ "${lines[1]}" = target ] # the host's link, mounted
	[ "${lines[2]}" = target ] # a new link in the rootfs
	[ "${lines[3]}" = inside-target ] # copy-symlink of a directory binds it
	[ "${lines[4]}" = 2 ] # /nofollow and /dircopy are mounts, /copied is not
	[ "$(readlink "$B/rootfs/copied")" = target ]
}

@test "dest-nofollow mounts on a symlink in the rootfs itself, not where it points" {
	own_rootfs
	ln -s /etc/passwd "$B/rootfs/pw"
	echo host-file >"$OUT/file"
	cfg "c['mounts'] += [
  {'destination': '/pw', 'type': 'bind', 'source': '$OUT/file', 'options': ['bind', 'dest-nofollow']}]"
	inside 'cat /pw; head -1 /etc/passwd; grep -cE " /pw " /proc/self/mountinfo; grep -c " /etc/passwd " /proc/self/mountinfo; true'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = host-file ]
	[ "${lines[1]}" = "root:x:0:0:root:/:/bin/sh" ]
	[ "${lines[2]}" = 1 ]
	[ "${lines[3]}" = 0 ]
	[ "$(readlink "$B/rootfs/pw")" = /etc/passwd ]
}

@test "bad option combinations are refused before anything runs, naming the mount and option" {
	mkdir -p "$OUT/data"
	cfg "c['mounts'].append({'destination': '/t', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['idmap']})"
	fails_with 'config.json: mounts[7].options: "idmap" needs a bind mount'
	cfg "c['mounts'][7] = {'destination': '/d', 'type': 'bind', 'source': '$OUT/data', 'options': ['bind'], 'uidMappings': [{'containerID': 0, 'hostID': 1000, 'size': 1}]}"
	fails_with 'config.json: mounts[7].uidMappings: needs the "idmap" or "ridmap" option'
	cfg "c['mounts'][7]['options'] = ['bind', 'idmap']"
	fails_with 'config.json: mounts[7].gidMappings: is required with the other mapping'
	cfg "del c['mounts'][7]['uidMappings']"
	fails_with 'config.json: mounts[7].options: "idmap" without uidMappings and gidMappings needs a new user namespace in linux.namespaces'
	cfg "c['mounts'][7]['options'] = ['bind', 'tmpcopyup']"
	fails_with 'config.json: mounts[7].options: "tmpcopyup" needs a tmpfs mount'
	cfg "c['mounts'][7]['options'] = ['bind', 'ridmap', 'remount']"
	fails_with 'config.json: mounts[7].options: "remount" cannot be combined with "ridmap"'
}

@test "options the kernel refuses: the error names the mount and option, and nothing is left" {
	# proc cannot be idmapped: refused by mount_setattr in the runtime.
	cfg "c['mounts'].append({'destination': '/p', 'type': 'bind', 'source': '/proc', 'options': ['rbind', 'ridmap'],
  'uidMappings': [{'containerID': 0, 'hostID': 1000, 'size': 1}],
  'gidMappings': [{'containerID': 0, 'hostID': 1000, 'size': 1}]})"
	fails_with 'mounts[7].options: "ridmap": cannot idmap /proc for /p: Invalid argument'
	# Without its own network namespace, a user namespace gets the host's /sys bound in
	# (see the init): its atime setting (relatime) is locked, and rnoatime is refused in the init.
	with_userns
	cfg "c['mounts'].pop()
c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'network']
for m in c['mounts']:
    if m['destination'] == '/sys':
        m['options'] += ['rnoatime']"
	n=$(python3 -c "import json; print([m['destination'] for m in json.load(open('$B/config.json'))['mounts']].index('/sys'))")
	fails_with "mounts[$n].options: cannot set \"rnoatime\" on /sys: Operation not permitted"
}
