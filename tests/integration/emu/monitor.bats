#!/usr/bin/env bats
# The Azure Monitor custom-metrics endpoint: schema checks, error codes, the record.

load helpers

setup() {
	common_setup
	RID=/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1
	NOW=$(date -u +%Y-%m-%dT%H:%M:00Z)
}
teardown() { common_teardown; }

doc() { # TIME [extra baseData json]
	printf '{"time":"%s","data":{"baseData":{"metric":"cpu_usage_percent","namespace":"lazuli-metrics","dimNames":["host"],"series":[{"dimValues":["vm1"],"min":1,"max":2.5,"sum":3.5,"count":2}]%s}}}\n' "$1" "${2:-}"
}

# token [RESOURCE]: a managed-identity token from the emulator's IMDS (default: Azure Monitor's)
token() {
	curl -sS -H 'Metadata: true' -G "$IMDS/metadata/identity/oauth2/token" \
		--data-urlencode api-version=2018-02-01 \
		--data-urlencode "resource=${1:-https://monitoring.azure.com/}" | jget 'd["access_token"]'
}

post() { # CONTENT-TYPE BODY-FILE [AUTH]
	curl -sS -o "$T/out" -w '%{http_code}' -H "Content-Type: $1" ${3:+-H "Authorization: $3"} \
		--data-binary "@$2" "$IMDS$RID/metrics"
}

@test "an NDJSON body of valid documents is accepted and recorded" {
	emu_start
	{ doc "$NOW"; doc "$NOW"; } >"$T/body"
	run post application/x-ndjson "$T/body" "Bearer $(token)"
	[ "$output" = 200 ]
	run curl -sS "$IMDS/_emu/monitor"
	[ "$(jget 'len(d)' <<<"$output")" = 1 ]
	[ "$(jget 'd[0]["resource_id"]' <<<"$output")" = "$RID" ]
	[ "$(jget 'len(d[0]["documents"])' <<<"$output")" = 2 ]
	[ "$(jget 'd[0]["documents"][0]["data"]["baseData"]["series"][0]["max"]' <<<"$output")" = 2.5 ]
	[ "$(jget 'd[0]["code"]' <<<"$output")" = null ]
}

@test "no bearer token: 401 AuthenticationFailed" {
	emu_start
	doc "$NOW" >"$T/body"
	run post application/json "$T/body"
	[ "$output" = 401 ]
	grep -q '"code":"AuthenticationFailed"' "$T/out"
}

@test "a token for another audience, an expired one or garbage: 401 with ARM's codes" {
	emu_start
	doc "$NOW" >"$T/body"
	run post application/json "$T/body" "Bearer $(token https://management.azure.com/)"
	[ "$output" = 401 ]
	grep -q '"code":"InvalidAuthenticationTokenAudience"' "$T/out"
	run post application/json "$T/body" "Bearer not-a-jwt"
	[ "$output" = 401 ]
	grep -q '"code":"InvalidAuthenticationToken"' "$T/out"
	curl -sS -X PUT --data '{"identity":{"expires_in":1}}' "$IMDS/_emu/scenario" >/dev/null
	old=$(token)
	sleep 2.2
	run post application/json "$T/body" "Bearer $old"
	[ "$output" = 401 ]
	grep -q '"code":"ExpiredAuthenticationToken"' "$T/out"
	# The record says why, and nothing was taken.
	run curl -sS "$IMDS/_emu/monitor"
	[ "$(jget '[r["code"] for r in d]' <<<"$output")" = \
		'["InvalidAuthenticationTokenAudience","InvalidAuthenticationToken","ExpiredAuthenticationToken"]' ]
	[ "$(jget 'sum(len(r["documents"]) for r in d)' <<<"$output")" = 0 ]
}

@test "a time outside the window: 400 InvalidTimeRange, the whole body refused" {
	emu_start
	{ doc "$NOW"; doc "2020-01-01T00:00:00Z"; } >"$T/body"
	run post application/x-ndjson "$T/body" "Bearer $(token)"
	[ "$output" = 400 ]
	grep -q '"code":"InvalidTimeRange"' "$T/out"
	grep -q 'line 2' "$T/out"
	run curl -sS "$IMDS/_emu/monitor"
	[ "$(jget 'd[0]["status"]' <<<"$output")" = 400 ]
	[ "$(jget 'len(d[0]["documents"])' <<<"$output")" = 0 ]
}

@test "schema violations are 400 BadRequest naming the rule" {
	emu_start
	printf '{"time":"%s","data":{"baseData":{"metric":"m","namespace":"n","dimNames":["a","b"],"series":[{"dimValues":["x"],"min":1,"max":1,"sum":1,"count":1}]}}}\n' "$NOW" >"$T/b1"
	run post application/json "$T/b1" "Bearer $(token)"
	[ "$output" = 400 ]
	grep -q '1 dimValues for 2 dimNames' "$T/out"
	printf '{"time":"%s","data":{"baseData":{"metric":"m","namespace":"n","series":[{"min":3,"max":1,"sum":1,"count":1}]}}}\n' "$NOW" >"$T/b2"
	run post application/json "$T/b2" "Bearer $(token)"
	[ "$output" = 400 ]
	grep -q 'min is greater than max' "$T/out"
	printf '{"time":"%s","data":{"baseData":{"metric":"m","namespace":"n","series":[{"min":1,"max":1,"sum":1,"count":0}]}}}\n' "$NOW" >"$T/b3"
	run post application/json "$T/b3" "Bearer $(token)"
	[ "$output" = 400 ]
	printf 'not json\n' >"$T/b4"
	run post application/json "$T/b4" "Bearer $(token)"
	[ "$output" = 400 ]
	grep -q 'not JSON' "$T/out"
	doc "$NOW" ',"unit":"s"' >"$T/b5"
	run post application/json "$T/b5" "Bearer $(token)"
	[ "$output" = 400 ]
	grep -q "unknown property 'unit'" "$T/out"
	doc "$NOW" >"$T/b6"
	run post text/plain "$T/b6" "Bearer $(token)"
	[ "$output" = 415 ]
}

post_enc() { # CONTENT-ENCODING BODY-FILE: as post, ndjson with a token
	curl -sS -o "$T/out" -w '%{http_code}' -H "Content-Type: application/x-ndjson" \
		-H "Content-Encoding: $1" -H "Authorization: Bearer $(token)" \
		--data-binary "@$2" "$IMDS$RID/metrics"
}

@test "a gzip body is decompressed and checked; corrupt, oversized or other encodings are refused" {
	emu_start
	{ doc "$NOW"; doc "$NOW"; } | gzip -c >"$T/body.gz"
	run post_enc gzip "$T/body.gz"
	[ "$output" = 200 ]
	run curl -sS "$IMDS/_emu/monitor"
	[ "$(jget 'd[0]["content_encoding"]' <<<"$output")" = gzip ]
	[ "$(jget 'len(d[0]["documents"])' <<<"$output")" = 2 ]
	[ "$(jget 'd[0]["body_bytes"]' <<<"$output")" = "$(stat -c %s "$T/body.gz")" ]
	# the documents are checked after decompressing: a bad one is still named
	doc 2001-01-01T00:00:00Z | gzip -c >"$T/old.gz"
	run post_enc gzip "$T/old.gz"
	[ "$output" = 400 ]
	grep -q '"code":"InvalidTimeRange"' "$T/out"
	# truncated gzip data
	head -c 30 "$T/body.gz" >"$T/cut.gz"
	run post_enc gzip "$T/cut.gz"
	[ "$output" = 400 ]
	grep -q 'does not decompress' "$T/out"
	# not gzip at all
	doc "$NOW" >"$T/plain"
	run post_enc gzip "$T/plain"
	[ "$output" = 400 ]
	grep -q 'not gzip data' "$T/out"
	# 5 MiB of blank lines once decompressed: over the service's 4 MiB
	head -c 5242880 /dev/zero | tr '\0' '\n' | gzip -c >"$T/big.gz"
	run post_enc gzip "$T/big.gz"
	[ "$output" = 413 ]
	grep -q '"code":"RequestEntityTooLarge"' "$T/out"
	grep -q 'the decompressed body is over the limit of 4194304 bytes' "$T/out"
	run post_enc br "$T/body.gz"
	[ "$output" = 415 ]
	grep -q "Content-Encoding 'br' is not supported (gzip is)" "$T/out"
	run curl -sS "$IMDS/_emu/monitor"
	[ "$(jget '[r["status"] for r in d]' <<<"$output")" = '[200,400,400,400,413,415]' ]
}

@test "scripted faults come from the scenario's queue for the path" {
	emu_scenario "{\"imds\":{\"$RID/metrics\":[{\"status\":503,\"headers\":{\"Retry-After\":\"1\"},\"body_json\":{\"error\":{\"code\":\"ServiceUnavailable\",\"message\":\"busy\"}}},{\"default\":true}]}}"
	doc "$NOW" >"$T/body"
	run post application/json "$T/body" "Bearer $(token)"
	[ "$output" = 503 ]
	run post application/json "$T/body" "Bearer $(token)"
	[ "$output" = 200 ]
	run curl -sS "$IMDS/_emu/monitor"
	[ "$(jget '[r["status"] for r in d]' <<<"$output")" = "[503,200]" ]
	curl -sS -X POST "$IMDS/_emu/reset" >/dev/null
	run curl -sS "$IMDS/_emu/monitor"
	[ "$output" = "[]" ]
}
