#!/usr/bin/env bats
# The shipped systemd unit: sandboxed well enough for systemd-analyze.

load helpers

UNIT="$LAZULI_SRCDIR/units/lazuli-metrics.service"

@test "systemd-analyze security rates lazuli-metrics.service OK or better" {
	command -v systemd-analyze >/dev/null || skip "no systemd-analyze"
	systemd-analyze security --help 2>/dev/null | grep -q -- '--offline' || skip "systemd-analyze has no --offline"
	run systemd-analyze security --offline=true --no-pager "$UNIT"
	[ "$status" -eq 0 ]
	line=$(grep 'Overall exposure level' <<<"$output")
	echo "$line"
	[[ "$line" =~ (SAFE|OK) ]]
	[[ "$output" == *"✓ User=/DynamicUser="* ]]
	# the timex collector's read-only adjtimex() must get through the filter
	[[ "$output" == *"adjtimex is allowed"* ]]
}

@test "the unit runs the installed binary with no capabilities" {
	grep -qx 'ExecStart=/usr/bin/lazuli-metrics' "$UNIT"
	grep -qx 'DynamicUser=yes' "$UNIT"
	grep -qx 'CapabilityBoundingSet=' "$UNIT"
	grep -qx 'NoNewPrivileges=yes' "$UNIT"
}
