#!/usr/bin/env bats
# Fault modes of spec 8.4, as a client sees them on the wire (curl exit codes).

bats_require_minimum_version 1.5.0

load helpers

setup() {
	common_setup
	emu_scenario '{"rate_limit_rps":0,"imds":{
	 "/metadata/instance":[{"status":500,"body_json":{"error":"Internal server error."}},
	                       {"status":429,"headers":{"Retry-After":"3"},"body_json":{"error":"Too many requests"}},
	                       {"default":true}],
	 "/metadata/close-mid-body":[{"status":200,"body":"{\"compute\":{\"name\":\"x\"}}","fault":"close_mid_body"}],
	 "/metadata/close-mid-body-arg":[{"status":200,"body":"0123456789","fault":"close_mid_body","fault_arg":3}],
	 "/metadata/hang":[{"fault":"hang"},{"status":200,"body":"after"}],
	 "/metadata/garbage":[{"fault":"garbage"}],
	 "/metadata/reset":[{"fault":"reset"}],
	 "/metadata/close":[{"fault":"close_before_response"}],
	 "/metadata/truncate":[{"status":200,"body":"{\"compute\":{\"name\":\"x\"}}","fault":"truncate","fault_arg":11}],
	 "/metadata/slow-body":[{"status":200,"body":"abcdef","fault":"slow_body","fault_arg":100}],
	 "/metadata/slow-body-long":[{"status":200,"body":"abcdefghij","fault":"slow_body","fault_arg":1000}],
	 "/metadata/slow-headers":[{"status":201,"body":"ok","fault":"slow_headers","fault_arg":5}],
	 "/metadata/slow-headers-long":[{"status":201,"body":"ok","fault":"slow_headers","fault_arg":1000}],
	 "/metadata/delay":[{"status":200,"body":"late","delay_ms":2000}],
	 "/metadata/html":[{"status":200,"headers":{"Content-Type":"text/html"},"body":"<html>error</html>"}]},
	 "wireserver":{"/provisioning/health":[{"status":503,"headers":{"Retry-After":"1"}},{"status":201}]}}'
}
teardown() { common_teardown; }

V=api-version=2023-11-15

@test "scripted statuses are served in order and the last one repeats" {
	run imds "/metadata/instance?$V"
	[ "${lines[0]}" = '{"error":"Internal server error."}' ]
	[ "${lines[1]}" = 500 ]
	run curl -sS -i -H 'Metadata: true' "$IMDS/metadata/instance?$V"
	[[ "${lines[0]}" == "HTTP/1.1 429"* ]]
	[[ "$output" == *$'Retry-After: 3\r'* ]]
	for _ in 1 2; do
		run imds "/metadata/instance?$V"
		[ "${lines[1]}" = 200 ]
		[ "$(jget 'd["compute"]["osProfile"]["computerName"]' <<<"${lines[0]}")" = temp-vm ]
	done
	run imds "/metadata/html?$V" -i
	[[ "$output" == *$'Content-Type: text/html\r'* ]]
	[[ "$output" == *"<html>error</html>"* ]]
}

@test "validation still applies before the queue" {
	run curl -sS -w '\n%{http_code}' "$IMDS/metadata/hang?$V"
	[ "${lines[1]}" = 400 ]
	run curl -sS "$IMDS/_emu/scenario"
	[ "$(jget 'd["imds"]["/metadata/hang"]["next"]' <<<"$output")" = 0 ]
}

@test "close_mid_body: fewer bytes than Content-Length, then close (curl 18)" {
	run curl -sS -H 'Metadata: true' "$IMDS/metadata/close-mid-body?$V"
	[ "$status" -eq 18 ]
	run --separate-stderr curl -sS -H 'Metadata: true' "$IMDS/metadata/close-mid-body-arg?$V"
	[ "$status" -eq 18 ]
	[ "$output" = 012 ]
	[ "$stderr" = "curl: (18) transfer closed with 7 bytes remaining to read" ]
}

@test "hang: no answer until the client gives up (curl 28); other clients are served meanwhile" {
	curl -sS -H 'Metadata: true' --max-time 30 "$IMDS/metadata/hang?$V" >"$T/hang.out" 2>&1 &
	local hung=$!
	# The hanging connection blocks neither IMDS nor the wireserver.
	for _ in $(seq 50); do
		[ "$(curl -sS "$IMDS/_emu/requests?path=/metadata/hang" | jget 'len(d)')" = 1 ] && break
		sleep 0.1
	done
	[ "$(status "$IMDS/metadata/versions" -H 'Metadata: true')" = 200 ]
	[ "$(status "$WS/?comp=versions")" = 200 ]
	kill -0 "$hung"
	kill "$hung"
	wait "$hung" || true

	# The next request gets the next entry.
	run imds "/metadata/hang?$V"
	[ "${lines[0]}" = after ]

	curl -sf -X POST "$IMDS/_emu/reset" >/dev/null
	run curl -sS -H 'Metadata: true' --max-time 1 "$IMDS/metadata/hang?$V"
	[ "$status" -eq 28 ]
}

@test "garbage: bytes that are not HTTP (curl 1 or 8)" {
	run curl -sS -H 'Metadata: true' "$IMDS/metadata/garbage?$V"
	[ "$status" -eq 1 ] || [ "$status" -eq 8 ]
}

@test "reset: the connection is reset (curl 56)" {
	run curl -sS -H 'Metadata: true' "$IMDS/metadata/reset?$V"
	[ "$status" -eq 56 ]
	[[ "$output" == *"Connection reset by peer"* ]]
	# The log says what was done; no status line was sent.
	run curl -sS "$IMDS/_emu/requests?path=/metadata/reset"
	[ "$(jget '[d[0]["fault"], d[0]["status"], d[0]["queue"]]' <<<"$output")" = '["reset",0,"/metadata/reset"]' ]
}

@test "close_before_response: connection closed without a byte (curl 52)" {
	run curl -sS -H 'Metadata: true' "$IMDS/metadata/close?$V"
	[ "$status" -eq 52 ]
}

@test "truncate: a complete response whose body is cut short" {
	run curl -sS -i -H 'Metadata: true' "$IMDS/metadata/truncate?$V"
	[ "$status" -eq 0 ]
	[[ "$output" == *$'Content-Length: 11\r'* ]]
	[ "${lines[-1]}" = '{"compute":' ]
}

@test "slow_body: the body trickles in; a short timeout gives curl 28" {
	run curl -sS -H 'Metadata: true' "$IMDS/metadata/slow-body?$V"
	[ "$status" -eq 0 ]
	[ "$output" = abcdef ]
	run curl -sS -H 'Metadata: true' --max-time 1 "$IMDS/metadata/slow-body-long?$V"
	[ "$status" -eq 28 ]
}

@test "slow_headers: the head trickles in; a short timeout gives curl 28 before the body" {
	run curl -sS -H 'Metadata: true' -w '\n%{http_code}' "$IMDS/metadata/slow-headers?$V"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = ok ]
	[ "${lines[1]}" = 201 ]
	run --separate-stderr curl -sS -H 'Metadata: true' --max-time 1 "$IMDS/metadata/slow-headers-long?$V"
	[ "$status" -eq 28 ]
	[ "$output" = "" ]
	[[ "$stderr" == *"with 0 bytes received"* ]]
}

@test "delay_ms: the answer comes late (a short timeout fails, a patient client gets it)" {
	run curl -sS -H 'Metadata: true' --max-time 0.5 "$IMDS/metadata/delay?$V"
	[ "$status" -eq 28 ]
	run curl -sS -H 'Metadata: true' "$IMDS/metadata/delay?$V"
	[ "$status" -eq 0 ]
	[ "$output" = late ]
}

@test "refuse: a listener taken down refuses connections until it is up again" {
	run curl -sS -X POST "$IMDS/_emu/listener?name=wireserver&state=down"
	[ "$(jget 'd["status"]' <<<"$output")" = ok ]
	run curl -sS "$WS/?comp=versions"
	[ "$status" -eq 7 ]
	curl -sf -X POST "$IMDS/_emu/listener?name=wireserver&state=up" >/dev/null
	[ "$(status "$WS/?comp=versions")" = 200 ]

	# IMDS too, restored automatically after duration_ms (control API stays on the wireserver port).
	curl -sf -X POST "$IMDS/_emu/listener?name=imds&state=down&duration_ms=700" >/dev/null
	run curl -sS "$IMDS/_emu/info"
	[ "$status" -eq 7 ]
	[ "$(curl -sS "$WS/_emu/info" | jget 'd["imds_up"]')" = false ]
	for _ in $(seq 100); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$IMDS/_emu/info")" = 200 ] && break
		sleep 0.1
	done
	[ "$(status "$IMDS/_emu/info")" = 200 ]
}

@test "wireserver queue: 503 with Retry-After, then 201" {
	run curl -sS -i -X POST -H 'x-ms-guest-agent-name: a' -H 'Content-Type: application/json' --data '{"state":"Ready"}' "$WS/provisioning/health"
	[[ "${lines[0]}" == "HTTP/1.1 503"* ]]
	[[ "$output" == *$'Retry-After: 1\r'* ]]
	[ "$(status "$WS/provisioning/health" -H 'x-ms-guest-agent-name: a' -H 'Content-Type: application/json' --data '{"state":"Ready"}')" = 201 ]
	run curl -sS "$IMDS/_emu/reports"
	[ "$(jget '[r["status_returned"] for r in d]' <<<"$output")" = "[503,201]" ]
}

@test "SIGTERM releases a hung request and the emulator exits" {
	curl -sS -H 'Metadata: true' "$IMDS/metadata/hang?$V" >"$T/hang.out" 2>&1 &
	local hung=$!
	for _ in $(seq 50); do
		[ "$(curl -sS "$IMDS/_emu/requests?path=/metadata/hang" | jget 'len(d)')" = 1 ] && break
		sleep 0.1
	done
	kill -TERM "$EMU_PID"
	local rc=0
	wait "$EMU_PID" || rc=$?
	EMU_PID=
	[ "$rc" -eq 0 ]
	rc=0
	wait "$hung" || rc=$?
	[ "$rc" -eq 52 ]
}
