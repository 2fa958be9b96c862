#!/usr/bin/env bats
# Fault modes of spec section 8.4 on the IMDS and wireserver side: each ends
# in a provisioned VM or a clean, well-formed failure report.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

assert_failed_cleanly() {
	[ "$(rc)" -eq 1 ]
	desc=$(lib check-failure "$T/reports.json")
	echo "$desc"
	[ ! -e "$T/state/$VMID.provisioned" ]
	[ ! -e "$T/state/$VMID.applied" ]
	cmp -s "$T/snap/passwd.before" "$T/snap/passwd"
	[ -z "$(ls -A "$T/snap/sudoers.d" | grep lazuli || true)" ]
	kvp=$(lib kvp "$T/kvp/.kvp_pool_1" PROVISIONING_REPORT)
	[ "$kvp" = "$desc" ]
}

@test "IMDS 500, 500, then 200: provisioned after retries" {
	scenario s --imds-queue '[{"status":500,"body_json":{"error":"Internal server error."}},{"status":500,"body_json":{"error":"Internal server error."}},"OK"]'
	run_init
	[ "$(rc)" -eq 0 ]
	[ "$(lib count-requests "$T/requests.json" imds /metadata/instance)" -eq 3 ]
	lib check-imds-requests "$T/requests.json"
	[ "$(lib reports "$T/reports.json")" = "json Ready -" ]
}

@test "IMDS 410 and 404 are retried" {
	scenario s --imds-queue '[{"status":410},{"status":404,"body_json":{"error":"Not found"}},"OK"]'
	run_init
	[ "$(rc)" -eq 0 ]
	[ "$(lib count-requests "$T/requests.json" imds /metadata/instance)" -eq 3 ]
}

@test "IMDS 429 with Retry-After is honoured, in seconds and as an HTTP date" {
	scenario s --imds-queue '[{"status":429,"headers":{"Retry-After":"2"},"body_json":{"error":"Too many requests"}},"OK"]'
	run_init
	[ "$(rc)" -eq 0 ]
	gap=$(lib min-gap "$T/requests.json" imds /metadata/instance)
	echo "gap ${gap} ms"
	[ "$gap" -ge 1950 ]

	common_teardown
	common_setup
	# The date names a moment; what must be waited is what remained of it
	# when the 429 was served (a loaded machine may take seconds to get there).
	epoch=$(($(date +%s) + 15))
	date=$(date -u -d "@$epoch" '+%a, %d %b %Y %H:%M:%S GMT')
	scenario s --imds-queue '[{"status":429,"headers":{"Retry-After":"'"$date"'"}},"OK"]'
	IMDS_BUDGET=40s run_init
	[ "$(rc)" -eq 0 ]
	gap=$(lib min-gap "$T/requests.json" imds /metadata/instance)
	served=$(lib first-ts-real "$T/requests.json" imds /metadata/instance)
	remaining=$(((epoch - served - 1) * 1000))
	echo "gap ${gap} ms, at least ${remaining} ms remained when the 429 was served"
	[ "$remaining" -ge 1000 ] || skip "the machine took too long to serve the 429"
	[ "$gap" -ge "$remaining" ]
}

@test "malformed JSON and garbage are retried with back-off, not in a tight loop" {
	scenario s --imds-queue '[{"status":200,"body":"{\"compute\": {"},{"status":200,"body":"<html>error</html>"},"OK"]'
	run_init
	[ "$(rc)" -eq 0 ]
	[ "$(lib count-requests "$T/requests.json" imds /metadata/instance)" -eq 3 ]
	gap=$(lib min-gap "$T/requests.json" imds /metadata/instance)
	[ "$gap" -ge 200 ]
}

@test "IMDS that never recovers: failure report within the budget, bounded requests" {
	IMDS_BUDGET=4s
	scenario s --imds-queue '[{"status":503}]'
	run_init
	assert_failed_cleanly
	[[ "$desc" == *"step=imds"* ]]
	[[ "$desc" == *"503"* ]]
	n=$(lib count-requests "$T/requests.json" imds /metadata/instance)
	[ "$n" -ge 2 ]
	[ "$n" -le 20 ]
}

@test "a hanging IMDS times out and is retried" {
	scenario s --imds-queue '[{"status":200,"fault":"hang"},"OK"]'
	run_init
	[ "$(rc)" -eq 0 ]
	[ "$(lib count-requests "$T/requests.json" imds /metadata/instance)" -eq 2 ]
}

@test "a body cut short is a transport error and is retried" {
	scenario s --imds-queue '[{"status":200,"fault":"close_mid_body","body":"{\"compute\":{\"name\":\"x\"}}"},"OK"]'
	run_init
	[ "$(rc)" -eq 0 ]
	[ "$(lib count-requests "$T/requests.json" imds /metadata/instance)" -eq 2 ]
}

@test "a 10 MB metadata document is refused with a clear reason" {
	IMDS_BUDGET=3s
	python3 -c 'import json; print(json.dumps({"compute": {"pad": "x" * (10 * 1024 * 1024)}}))' >"$T/huge.json"
	scenario s --imds-queue '[{"status":200,"body_file":"huge.json"}]'
	run_init
	assert_failed_cleanly
	[[ "$desc" == *"response larger than 1048576 bytes"* ]]
}

@test "an old platform answering 400 to extended=true gets the fallback api-version" {
	scenario s --imds-queue '[{"status":400,"body_json":{"error":"Bad request. api-version is invalid"}},"OK"]'
	run_init
	[ "$(rc)" -eq 0 ]
	python3 - "$T/requests.json" <<-'PY'
	import json, sys
	q = [r["query"] for r in json.load(open(sys.argv[1])) if r["path"] == "/metadata/instance"]
	assert len(q) == 2, q
	assert "extended=true" in q[0] and "2021-02-01" in q[1] and "extended" not in q[1], q
	PY
}

@test "JSON health endpoint missing: falls back to goal state and XML health report" {
	scenario s --global 'json_health="not_supported"'
	run_init
	[ "$(rc)" -eq 0 ]
	[ "$(lib reports "$T/reports.json")" = "xml Ready -" ]
	[ "$(lib count-requests "$T/requests.json" wireserver /machine)" -ge 2 ]
	[ -f "$T/state/$VMID.provisioned" ]
}

@test "health report 503 with Retry-After, then accepted once" {
	scenario s --ws '/provisioning/health=[{"status":503,"headers":{"Retry-After":"1"}},{"status":201}]'
	run_init
	[ "$(rc)" -eq 0 ]
	[ "$(lib count-requests "$T/requests.json" wireserver /provisioning/health)" -eq 2 ]
	[ "$(lib min-gap "$T/requests.json" wireserver /provisioning/health)" -ge 950 ]
}

@test "any 2xx from the health endpoint is success" {
	scenario s --ws '/provisioning/health=[{"status":200}]'
	run_init
	[ "$(rc)" -eq 0 ]
	[ -f "$T/state/$VMID.provisioned" ]
}

@test "stale goal state: XML report 410 makes it fetch the goal state again" {
	scenario s --global 'json_health="not_supported"' --ws '/machine?comp=health=[{"status":410},{"status":200}]'
	run_init
	[ "$(rc)" -eq 0 ]
	[ "$(lib count-requests "$T/requests.json" wireserver /machine/)" -ge 2 ]
}

@test "goal state without ContainerId: the report fails with a reason naming it" {
	WS_BUDGET=3s
	scenario s --global 'json_health="not_supported"' \
		--ws '/machine/?comp=goalstate=[{"status":200,"body":"<?xml version=\"1.0\"?><GoalState><Version>2012-11-30</Version><Incarnation>1</Incarnation><Container><RoleInstanceList><RoleInstance><InstanceId>i</InstanceId></RoleInstance></RoleInstanceList></Container></GoalState>"}]'
	run_init
	[ "$(rc)" -eq 3 ]
	grep -q ContainerId "$T/init.out"
	[ ! -e "$T/state/$VMID.provisioned" ]
}
