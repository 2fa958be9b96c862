#!/usr/bin/env bats
# Many cycles and many containers at once leave nothing behind.
# LAZULI_RUN_SOAK_CYCLES (default 100) and LAZULI_RUN_SOAK_PARALLEL (default 50).

load helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

mounts_now() { findmnt -rn | wc -l; }
cgroups_now() { find "$CGROOT" -mindepth 1 -maxdepth 1 -type d | wc -l; }

@test "create/start/delete cycles leave no mount, cgroup, state or process" {
	cycles=${LAZULI_RUN_SOAK_CYCLES:-100}
	args 'true'
	m0=$(mounts_now)
	c0=$(cgroups_now)
	for i in $(seq "$cycles"); do
		lr create -b "$B" "$ID" </dev/null >/dev/null 2>"$OUT/err" || { cat "$OUT/err"; false; }
		lr start "$ID"
		lr delete -f "$ID"
	done
	echo "# $cycles cycles"
	[ "$(mounts_now)" -eq "$m0" ]
	[ "$(cgroups_now)" -eq "$c0" ]
	[ -z "$(state_left "$STATE")" ]
	assert_nothing_left "$ID"
}

@test "containers at once, then deleted: nothing left" {
	n=${LAZULI_RUN_SOAK_PARALLEL:-50}
	args 'sleep 60'
	m0=$(mounts_now)
	c0=$(cgroups_now)
	for i in $(seq "$n"); do
		lr run -d -b "$B" "$ID-$i" </dev/null >/dev/null 2>"$OUT/err.$i" &
	done
	wait
	[ "$(lr list -q | wc -l)" -eq "$n" ]
	[ "$(lr list -f json | json_get 'sorted(set(c["status"] for c in d))')" = '["running"]' ]
	[ "$(cgroups_now)" -eq $((c0 + n)) ]
	for i in $(seq "$n"); do
		lr delete -f "$ID-$i" &
	done
	wait
	[ "$(mounts_now)" -eq "$m0" ]
	[ "$(cgroups_now)" -eq "$c0" ]
	[ -z "$(state_left "$STATE")" ]
	for i in $(seq "$n"); do assert_nothing_left "$ID-$i"; done
	assert_nothing_left "$ID"
}
