#!/usr/bin/env bats
# linux.intelRdt on a stand-in resctrl tree: LAZULI_RUN_RESCTRL_ROOT points
# lazuli-run at a plain directory, and fake-resctrl.so (LD_PRELOAD) makes a
# new group's files on mkdir and removes them on rmdir, as the kernel does.
# What the runtime writes into schemata and tasks, and which groups it
# makes and removes, is checked there.

load helpers

setup_file() { common_setup_file; }
setup() {
	common_setup
	args 'sleep 300'
	RDT="$BATS_TEST_TMPDIR/resctrl"
	mkdir -p "$RDT/info/L3" "$RDT/info/MB" "$RDT/info/L3_MON" "$RDT/mon_groups"
	: >"$RDT/schemata"
	: >"$RDT/tasks"
	export LAZULI_RUN_RESCTRL_ROOT="$RDT"
	local build shim asan
	build=${LAZULI_BUILDDIR:-$(cd "$BATS_TEST_DIRNAME/../../.." && pwd)/build}
	shim="$build/tests/integration/run/fake-resctrl.so"
	[ -e "$shim" ] || skip "$shim is not built"
	# A sanitizer build needs its runtime first in the preload list.
	asan=$(ldd "$RUNTIME" | awk '/libasan/ {print $3}')
	PRELOAD="${asan:+$asan }$shim"
}
teardown() { common_teardown; }

# Only lazuli-run sees the stand-in kernel; the test's own mkdir is an administrator's.
lr() {
	LD_PRELOAD="$PRELOAD" "$RUNTIME" --root "$STATE" "$@"
}

# A class of service made beforehand, as an administrator would on resctrl.
premade_group() { # name
	mkdir -p "$RDT/$1/mon_groups"
	: >"$RDT/$1/schemata"
	: >"$RDT/$1/tasks"
}

rdt() { # python dict for linux.intelRdt
	cfg "c['linux']['intelRdt'] = $1"
}

# The groups below the root (not info or mon_groups), one per line.
groups() {
	find "$RDT" -mindepth 1 -maxdepth 1 -type d ! -name info ! -name mon_groups -printf '%f\n' | sort
}

@test "a pre-made closID group gets the schemata line by line and the init's pid, and is kept at delete" {
	premade_group gold
	rdt "{'closID': 'gold', 'l3CacheSchema': 'L3:0=f0;1=0f', 'memBwSchema': 'MB:0=70;1=50', 'schemata': ['L3:0=ff', 'MB:0=20']}"
	lrd create -b "$B" "$ID"
	pid=$(pid_of "$ID")
	[ "$(cat "$RDT/gold/tasks")" = "$pid" ]
	[ "$(cat "$RDT/gold/schemata")" = "$(printf 'L3:0=f0;1=0f\nMB:0=70;1=50\nL3:0=ff\nMB:0=20')" ]
	# The root group is left alone.
	[ ! -s "$RDT/tasks" ] && [ ! -s "$RDT/schemata" ]
	lr start "$ID"
	lr kill "$ID" KILL
	wait_status "$ID" stopped
	lr delete "$ID"
	assert_nothing_left "$ID"
	[ -f "$RDT/gold/schemata" ] && [ -f "$RDT/gold/tasks" ]
	[ "$(groups)" = gold ]
}

@test "without closID the group is named after the container, made at create and removed at delete" {
	rdt "{'l3CacheSchema': 'L3:0=3'}"
	lrd run -d -b "$B" "$ID"
	[ "$(groups)" = "$ID" ]
	[ "$(cat "$RDT/$ID/schemata")" = "L3:0=3" ]
	[ "$(cat "$RDT/$ID/tasks")" = "$(pid_of "$ID")" ]
	lr delete --force "$ID"
	assert_nothing_left "$ID"
	[ -z "$(groups)" ]
}

@test "a closID group that does not exist yet is made, and removed at delete" {
	rdt "{'closID': 'silver'}"
	lrd run -d -b "$B" "$ID"
	[ "$(groups)" = silver ]
	[ "$(cat "$RDT/silver/tasks")" = "$(pid_of "$ID")" ]
	# Nothing asked for: schemata is not written.
	[ ! -s "$RDT/silver/schemata" ]
	lr delete --force "$ID"
	[ -z "$(groups)" ]
}

@test "enableMonitoring: a monitoring group of the container's own, removed at delete" {
	premade_group gold
	rdt "{'closID': 'gold', 'enableMonitoring': True}"
	lrd run -d -b "$B" "$ID"
	pid=$(pid_of "$ID")
	[ "$(cat "$RDT/gold/tasks")" = "$pid" ]
	[ "$(cat "$RDT/gold/mon_groups/$ID/tasks")" = "$pid" ]
	lr delete --force "$ID"
	[ ! -e "$RDT/gold/mon_groups/$ID" ]
	[ -d "$RDT/gold/mon_groups" ] && [ -f "$RDT/gold/tasks" ]
	# Without monitoring on the host it is an error, not ignored.
	rmdir "$RDT/info/L3_MON"
	fails_with "linux.intelRdt.enableMonitoring: resctrl monitoring is not enabled: $RDT/info has no L3_MON"
}

@test "exec: the new process goes into the container's group too" {
	premade_group gold
	rdt "{'closID': 'gold', 'enableMonitoring': True}"
	lrd run -d -b "$B" "$ID"
	pid=$(pid_of "$ID")
	# A stand-in file keeps only what was written last: start from empty.
	: >"$RDT/gold/tasks"
	: >"$RDT/gold/mon_groups/$ID/tasks"
	lr exec "$ID" true
	helper=$(cat "$RDT/gold/tasks")
	[[ "$helper" =~ ^[0-9]+$ ]] && [ "$helper" != "$pid" ]
	[ "$(cat "$RDT/gold/mon_groups/$ID/tasks")" = "$helper" ]
	lr delete --force "$ID"
}

@test "update --l3-cache-schema and --mem-bw-schema write the group's schemata live" {
	premade_group gold
	rdt "{'closID': 'gold', 'l3CacheSchema': 'L3:0=f0'}"
	lrd run -d -b "$B" "$ID"
	# The kernel shows the current allocation, not what was written before.
	: >"$RDT/gold/schemata"
	lr update --l3-cache-schema 'L3:0=1;1=2' --mem-bw-schema 'MB:0=10' "$ID"
	[ "$(cat "$RDT/gold/schemata")" = "$(printf 'L3:0=1;1=2\nMB:0=10')" ]
	run lr update --l3-cache-schema 'MB:0=1' "$ID"
	[ "$status" -ne 0 ]
	[ "$output" = "lazuli-run: update: --l3-cache-schema MB:0=1: not a valid value" ]
	run lr update --mem-bw-schema 'L3:0=1' "$ID"
	[ "$output" = "lazuli-run: update: --mem-bw-schema L3:0=1: not a valid value" ]
	lr delete --force "$ID"
	[ "$(groups)" = gold ]
}

@test "update of a container without linux.intelRdt names it" {
	lrd run -d -b "$B" "$ID"
	run lr update --l3-cache-schema 'L3:0=1' "$ID"
	[ "$status" -eq 1 ]
	[ "$output" = "lazuli-run: container $ID has no Intel RDT group (its config.json has no linux.intelRdt)" ]
	lr delete --force "$ID"
}

@test "invalid linux.intelRdt fields are named, and nothing is made" {
	rdt "{'closID': 'a/b'}"
	fails_with 'config.json: linux.intelRdt.closID: "a/b" must be a directory name (not empty, "." or "..", no "/")'
	rdt "{'closID': '..'}"
	fails_with 'config.json: linux.intelRdt.closID: ".." must be a directory name (not empty, "." or "..", no "/")'
	rdt "{'closID': ''}"
	fails_with 'config.json: linux.intelRdt.closID: "" must be a directory name (not empty, "." or "..", no "/")'
	rdt "{'l3CacheSchema': 'MB:0=70'}"
	fails_with 'config.json: linux.intelRdt.l3CacheSchema: "MB:0=70": every line must be L3:, L3CODE: or L3DATA: with a value'
	rdt "{'memBwSchema': 'MB:0=70\nL3:0=f'}"
	fails_with 'config.json: linux.intelRdt.memBwSchema: "L3:0=f": every line must be MB: with a value'
	rdt "{'schemata': ['L3:0=f', '']}"
	fails_with 'config.json: linux.intelRdt.schemata[1]: must be one non-empty line'
	rdt "{'schemata': ['L3:0=f\nMB:0=1']}"
	fails_with 'config.json: linux.intelRdt.schemata[0]: must be one non-empty line'
	rdt "{'enableMonitoring': 'yes'}"
	fails_with 'config.json: linux.intelRdt.enableMonitoring: must be true or false'
	[ -z "$(groups)" ]
	[ -z "$(state_left "$STATE" 2>/dev/null)" ]
}

@test "a feature the host lacks, or a group without its files, fails create and leaves nothing" {
	rmdir "$RDT/info/MB"
	rdt "{'memBwSchema': 'MB:0=70'}"
	fails_with "linux.intelRdt.memBwSchema: memory bandwidth allocation (Intel RDT MBA) is not enabled: $RDT/info has no MB"
	# Not a resctrl group: the missing file is named, the directory (not ours) kept.
	mkdir "$RDT/bare"
	rdt "{'closID': 'bare', 'l3CacheSchema': 'L3:0=f'}"
	fails_with "linux.intelRdt: $RDT/bare/schemata: No such file or directory"
	[ "$(groups)" = bare ]
}

@test "a create that fails after the group exists removes the group it made" {
	rdt "{'l3CacheSchema': 'L3:0=3', 'enableMonitoring': True}"
	cfg "c['hooks'] = {'createRuntime': [{'path': '/bin/false'}]}"
	run lrd create -b "$B" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"hooks.createRuntime[0]"* ]]
	assert_nothing_left "$ID"
	[ -z "$(groups)" ]
}

@test "delete --force after create was SIGKILLed removes the groups create recorded" {
	premade_group gold
	printf '#!/bin/sh\nkill -KILL $PPID\nsleep 5\n' >"$BATS_TEST_TMPDIR/die"
	chmod +x "$BATS_TEST_TMPDIR/die"
	rdt "{'closID': 'gold', 'enableMonitoring': True}"
	cfg "c['hooks'] = {'createRuntime': [{'path': '$BATS_TEST_TMPDIR/die'}]}"
	run lrd create -b "$B" "$ID"
	[ "$status" -eq 137 ]
	[ -d "$RDT/gold/mon_groups/$ID" ]
	lr delete --force "$ID"
	assert_nothing_left "$ID"
	[ ! -e "$RDT/gold/mon_groups/$ID" ]
	[ "$(groups)" = gold ]
}

@test "features says intelRdt is enabled" {
	[ "$(lr features | json_get "d['linux']['intelRdt']['enabled']")" = true ]
}

@test "with no resctrl mounted (and no LAZULI_RUN_RESCTRL_ROOT), create says so and leaves nothing" {
	if grep -q ' - resctrl ' /proc/self/mountinfo; then
		skip "this host has resctrl mounted"
	fi
	unset LAZULI_RUN_RESCTRL_ROOT
	rdt "{'closID': 'gold'}"
	fails_with "linux.intelRdt: the resctrl filesystem is not mounted: Intel RDT is not supported on this host (or resctrl is not mounted at /sys/fs/resctrl)"
}
