#!/usr/bin/env bats
# The /_emu/ control API: scenario, reset, request log, reports, listeners.

load helpers

setup() {
	common_setup
	emu_scenario '{"name":"first","rate_limit_rps":0,"imds":{"/metadata/instance":[{"status":503},{"status":200,"body":"second"}]}}'
}
teardown() { common_teardown; }

V=api-version=2023-11-15

@test "PUT /_emu/scenario replaces the scenario and rewinds the queues" {
	[ "$(imds "/metadata/instance?$V" | tail -n 1)" = 503 ]
	run curl -sS -X PUT --data-binary '{"name":"new","rate_limit_rps":0,"imds":{"/metadata/instance":[{"status":410}]}}' "$IMDS/_emu/scenario"
	[ "$output" = '{"name":"new","status":"ok"}' ]
	[ "$(imds "/metadata/instance?$V" | tail -n 1)" = 410 ]
	[ "$(curl -sS "$IMDS/_emu/scenario" | jget 'd["name"]')" = new ]
}

@test "a bad PUT is 400 naming the key, and the old scenario stays" {
	run curl -sS -w '\n%{http_code}' -X PUT --data-binary '{"imds":{"/metadata/instance":[{"status":"500"}]}}' "$IMDS/_emu/scenario"
	[ "${lines[0]}" = '{"error":"imds./metadata/instance[0].status: expected a non-negative integer"}' ]
	[ "${lines[1]}" = 400 ]
	run curl -sS -w '\n%{http_code}' -X PUT --data-binary '{"wat":1' "$IMDS/_emu/scenario"
	[ "${lines[1]}" = 400 ]
	[[ "${lines[0]}" == *"unexpected end of JSON"* ]]
	[ "$(curl -sS "$IMDS/_emu/scenario" | jget 'd["name"]')" = first ]
	[ "$(imds "/metadata/instance?$V" | tail -n 1)" = 503 ]
}

@test "PUT resolves body_file against ?dir= or the --scenario directory, never outside" {
	echo '{"from":"scenario dir"}' >"$T/body.json"
	mkdir "$T/other"
	echo '{"from":"other dir"}' >"$T/other/body.json"
	curl -sf -X PUT --data '{"rate_limit_rps":0,"imds":{"/metadata/x":[{"body_file":"body.json"}]}}' "$IMDS/_emu/scenario" >/dev/null
	[ "$(imds "/metadata/x?$V" | head -n 1)" = '{"from":"scenario dir"}' ]
	curl -sf -X PUT --data '{"rate_limit_rps":0,"imds":{"/metadata/x":[{"body_file":"body.json"}]}}' "$IMDS/_emu/scenario?dir=$T/other" >/dev/null
	[ "$(imds "/metadata/x?$V" | head -n 1)" = '{"from":"other dir"}' ]
	run curl -sS -X PUT --data '{"imds":{"/metadata/x":[{"body_file":"../body.json"}]}}' "$IMDS/_emu/scenario?dir=$T/other"
	[[ "$output" == *"'../body.json' escapes the scenario directory"* ]]
	run curl -sS -X PUT --data '{}' "$IMDS/_emu/scenario?dir=relative"
	[ "$output" = '{"error":"dir: must be an absolute directory"}' ]
}

@test "GET /_emu/requests records traffic, not control calls" {
	curl -sS -o /dev/null -H 'Metadata: true' -H 'X-Test: one' "$IMDS/metadata/instance?$V&extended=true"
	curl -sS -o /dev/null -X POST -H 'Content-Type: application/json' -H 'x-ms-guest-agent-name: a' --data-binary '{"state":"Ready"}' "$WS/provisioning/health"
	curl -sS -o /dev/null "$IMDS/_emu/info"
	run curl -sS "$IMDS/_emu/requests"
	[ "$(jget 'len(d)' <<<"$output")" = 2 ]
	[ "$(jget '[r["port"] for r in d]' <<<"$output")" = '["imds","wireserver"]' ]
	[ "$(jget 'd[0]["method"] + " " + d[0]["path"] + " " + d[0]["query"]' <<<"$output")" = "GET /metadata/instance $V&extended=true" ]
	[ "$(jget 'd[0]["headers"]["X-Test"]' <<<"$output")" = one ]
	[ "$(jget 'd[0]["status"]' <<<"$output")" = 503 ]
	[ "$(jget 'd[0]["queue"]' <<<"$output")" = /metadata/instance ]
	[ "$(jget 'd[1]["body_b64"]' <<<"$output" | base64 -d)" = '{"state":"Ready"}' ]
	[ "$(jget 'd[1]["ts_mono"] >= d[0]["ts_mono"]' <<<"$output")" = true ]

	# Filters.
	[ "$(curl -sS "$IMDS/_emu/requests?port=wireserver" | jget '[r["path"] for r in d]')" = '["/provisioning/health"]' ]
	[ "$(curl -sS "$IMDS/_emu/requests?path=/metadata/instance" | jget 'len(d)')" = 1 ]
	local first=$(jget 'd[0]["seq"]' <<<"$output")
	[ "$(curl -sS "$IMDS/_emu/requests?since=$first" | jget '[r["port"] for r in d]')" = '["wireserver"]' ]
	[ "$(status "$IMDS/_emu/requests?port=ftp")" = 400 ]

	curl -sf -X DELETE "$IMDS/_emu/requests" >/dev/null
	[ "$(curl -sS "$IMDS/_emu/requests" | jget 'len(d)')" = 0 ]
}

@test "POST /_emu/reset forgets requests and reports and rewinds queues, keeping the scenario" {
	[ "$(imds "/metadata/instance?$V" | tail -n 1)" = 503 ]
	[ "$(imds "/metadata/instance?$V" | head -n 1)" = second ]
	curl -sS -o /dev/null -X POST -H 'Content-Type: application/json' -H 'x-ms-guest-agent-name: a' --data '{"state":"Ready"}' "$WS/provisioning/health"
	[ "$(curl -sS "$IMDS/_emu/reports" | jget 'len(d)')" = 1 ]
	curl -sS -X POST "$IMDS/_emu/listener?name=wireserver&state=down" >/dev/null

	run curl -sS -X POST "$IMDS/_emu/reset"
	[ "$output" = '{"status":"ok"}' ]
	[ "$(curl -sS "$IMDS/_emu/reports")" = '[]' ]
	[ "$(curl -sS "$IMDS/_emu/requests")" = '[]' ]
	[ "$(imds "/metadata/instance?$V" | tail -n 1)" = 503 ]
	[ "$(curl -sS "$IMDS/_emu/scenario" | jget 'd["name"]')" = first ]
	# Listeners come back up.
	[ "$(status "$WS/?comp=versions")" = 200 ]
}

@test "control API errors: unknown endpoint, wrong method, bad listener arguments" {
	run curl -sS -w '\n%{http_code}' "$IMDS/_emu/nothing"
	[ "${lines[0]}" = '{"error":"Unknown control endpoint"}' ]
	[ "${lines[1]}" = 404 ]
	run curl -sS -i -X GET "$IMDS/_emu/reset"
	[[ "${lines[0]}" == "HTTP/1.1 405"* ]]
	[[ "$output" == *$'Allow: POST\r'* ]]
	run curl -sS -X POST "$IMDS/_emu/listener?name=ftp&state=down"
	[ "$output" = '{"error":"name: must be imds, wireserver or arm"}' ]
	run curl -sS -X POST "$IMDS/_emu/listener?name=imds&state=sideways"
	[ "$output" = '{"error":"state: must be up or down"}' ]
	run curl -sS -X POST "$IMDS/_emu/listener?name=imds&state=up&duration_ms=5"
	[ "$output" = '{"error":"duration_ms: only valid with state=down"}' ]
}

@test "GET /_emu/info and /_emu/ovf describe the running emulator" {
	run curl -sS "$IMDS/_emu/info"
	[ "$(jget 'd["imds"] + " " + d["wireserver"]' <<<"$output")" = "$IMDS $WS" ]
	[ "$(jget 'd["pid"]' <<<"$output")" = "$EMU_PID" ]
	[ "$(jget 'd["imds_up"] and d["wireserver_up"]' <<<"$output")" = true ]
	run curl -sS "$IMDS/_emu/ovf"
	[[ "$output" == *"<HostName>temp-vm</HostName>"* ]]
	[[ "$output" == *"<UserName>azureuser</UserName>"* ]]
}

@test "the IMDS queue example of spec 8.5 plays out: 500, 500, then the document after a delay" {
	cp "$FIXTURES/imds-two-500-then-ok.json" "$FIXTURES/imds_instance_extended.json" "$T/"
	emu_stop
	emu_start --scenario "$T/imds-two-500-then-ok.json"
	[ "$(imds "/metadata/instance?$V" | tail -n 1)" = 500 ]
	[ "$(imds "/metadata/instance?$V" | tail -n 1)" = 500 ]
	run curl -sS -H 'Metadata: true' -o "$T/doc.json" -w '%{http_code}' "$IMDS/metadata/instance?$V&extended=true"
	[ "$output" = 200 ]
	cmp "$T/doc.json" "$FIXTURES/imds_instance_extended.json"
	[ "$(curl -sS "$IMDS/_emu/requests" | jget 'd[2]["delay_ms"]')" = 1500 ]
}
