#!/usr/bin/env bats
# IMDS on the wire (spec 8.2 I1-I8): validation bodies, headers, routes.

load helpers

setup() {
	common_setup
	emu_scenario '{"rate_limit_rps":0}'
}
teardown() { common_teardown; }

V=api-version=2023-11-15

@test "missing Metadata header: 400 with the documented body and JSON headers" {
	run curl -sS -i "$IMDS/metadata/instance?$V"
	[[ "${lines[0]}" == "HTTP/1.1 400 Bad Request"* ]]
	[[ "$output" == *$'Content-Type: application/json; charset=utf-8\r'* ]]
	[[ "$output" == *$'Content-Length: 63\r'* ]]
	[ "${lines[-1]}" = '{"error":"Bad request. Required metadata header not specified"}' ]
}

@test "X-Forwarded-For, duplicate query keys, bad api-version, method and path are refused in order" {
	run imds "/metadata/instance?$V" -H 'X-Forwarded-For: 10.0.0.1'
	[ "${lines[0]}" = '{"error":"Bad request. X-Forwarded-For header is not allowed"}' ]
	[ "${lines[1]}" = 400 ]

	run imds "/metadata/instance?$V&format=json&format=text"
	[ "${lines[0]}" = "{\"error\":\"Bad request. Query parameter 'format' is specified more than once\"}" ]
	[ "${lines[1]}" = 400 ]

	run imds "/metadata/instance?api-version=2099-01-01"
	[ "${lines[0]}" = '{"error":"Bad request. api-version is invalid or was not specified in the request. For more information refer to aka.ms/azureimds","newest-versions":["2025-04-07","2024-07-17","2024-03-15"]}' ]
	[ "${lines[1]}" = 400 ]

	run imds "/metadata/instance?$V" -X DELETE
	[ "${lines[0]}" = '{"error":"Method not allowed"}' ]
	[ "${lines[1]}" = 405 ]

	run imds "/metadata/nothing?$V"
	[ "${lines[0]}" = '{"error":"Not found"}' ]
	[ "${lines[1]}" = 404 ]
}

@test "instance document with and without extended" {
	run imds "/metadata/instance?$V&extended=true"
	[ "${lines[1]}" = 200 ]
	[ "$(jget 'd["compute"]["osProfile"]["adminUsername"]' <<<"${lines[0]}")" = azureuser ]
	[ "$(jget 'd["compute"]["vmId"]' <<<"${lines[0]}")" = 8d1b1ad5-2f54-4d8c-9a0e-3c6f2b7e4a91 ]
	[ "$(jget 'd["extended"]["compute"]["ppsType"]' <<<"${lines[0]}")" = None ]
	[ "$(jget 'd["network"]["interface"][0]["macAddress"]' <<<"${lines[0]}")" = 000D3A123456 ]

	run imds "/metadata/instance?$V"
	[ "$(jget '"extended" in d' <<<"${lines[0]}")" = false ]

	run imds "/metadata/instance?api-version=2019-06-01&extended=true"
	[ "${lines[1]}" = 400 ]
	run imds "/metadata/instance?api-version=2019-06-01"
	[ "${lines[1]}" = 200 ]
	[ "$(jget '"osProfile" in d["compute"]' <<<"${lines[0]}")" = false ]
}

@test "route filtering: leaves need format=text, objects are JSON, missing keys 404" {
	run imds "/metadata/instance/compute/osProfile/computerName?$V&format=text" -i
	[[ "$output" == *$'Content-Type: text/plain; charset=utf-8\r'* ]]
	[ "${lines[-2]}" = temp-vm ]
	run imds "/metadata/instance/compute/osProfile/computerName?$V"
	[ "${lines[0]}" = '{"error":"Bad request. Leaf nodes require format=text"}' ]
	[ "${lines[1]}" = 400 ]
	run imds "/metadata/instance/network/interface/0/ipv4/ipAddress/0?$V"
	[ "${lines[0]}" = '{"privateIpAddress":"10.0.0.4","publicIpAddress":""}' ]
	run imds "/metadata/instance/compute/nothing?$V"
	[ "${lines[1]}" = 404 ]
	run imds "/metadata/instance/compute/publicKeys/3?$V"
	[ "${lines[1]}" = 404 ]
}

@test "versions, attested document and scheduled events" {
	run imds /metadata/versions
	[ "${lines[1]}" = 200 ]
	[ "$(jget 'len(d["apiVersions"])' <<<"${lines[0]}")" = 35 ]

	run imds "/metadata/attested/document?$V&nonce=0123456789"
	[ "${lines[1]}" = 200 ]
	[ "$(jget 'd["encoding"]' <<<"${lines[0]}")" = pkcs7 ]
	jget 'd["signature"]' <<<"${lines[0]}" | base64 -d | grep -q '"nonce":"0123456789"'
	run imds "/metadata/attested/document?$V&nonce=12ab"
	[ "${lines[1]}" = 400 ]

	run imds "/metadata/scheduledevents?api-version=2020-07-01"
	[ "${lines[0]}" = '{"DocumentIncarnation":1,"Events":[]}' ]
	run imds "/metadata/scheduledevents?api-version=2020-07-01" -X POST -d '{"StartRequests":[{"EventId":"x"}]}'
	[ "$output" = $'\n200' ]
	run imds "/metadata/scheduledevents?api-version=2020-07-01" -X POST -d '{"Start":1}'
	[ "${lines[1]}" = 400 ]
}

@test "identity token: fake JWT, expiry an hour ahead, errors in the identity format" {
	local before=$(date +%s)
	run imds "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F"
	[ "${lines[1]}" = 200 ]
	local body=${lines[0]}
	[ "$(jget 'd["resource"]' <<<"$body")" = https://management.azure.com/ ]
	[ "$(jget 'd["expires_in"]' <<<"$body")" = 3599 ]
	local exp=$(jget 'd["expires_on"]' <<<"$body")
	[ "$exp" -ge $((before + 3599)) ]
	[ "$exp" -le $(($(date +%s) + 3599)) ]
	[[ "$(jget 'd["access_token"]' <<<"$body")" =~ ^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$ ]]

	run curl -sS "$IMDS/metadata/identity/oauth2/token?api-version=2018-02-01&resource=x"
	[ "$output" = '{"error":"bad_request_102","error_description":"Required metadata header not specified"}' ]

	curl -sf -X PUT --data '{"identity":{"enabled":false}}' "$IMDS/_emu/scenario" >/dev/null
	run imds "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=x"
	[ "${lines[0]}" = '{"error":"invalid_request","error_description":"Identity not found"}' ]
	[ "${lines[1]}" = 400 ]
}

@test "reprovisiondata: 404 until armed, then the OVF once" {
	run imds "/metadata/reprovisiondata?api-version=2019-06-01"
	[ "${lines[-1]}" = 404 ]
	curl -sf -X POST "$IMDS/_emu/reprovision" >/dev/null
	run imds "/metadata/reprovisiondata?api-version=2019-06-01" -i
	[[ "${lines[0]}" == "HTTP/1.1 200 OK"* ]]
	[[ "$output" == *$'Content-Type: text/xml\r'* ]]
	[[ "$output" == *"<UserName>azureuser</UserName>"* ]]
	run imds "/metadata/reprovisiondata?api-version=2019-06-01"
	[ "${lines[-1]}" = 404 ]
}

@test "default rate limit: 5 per second, then 429 with Retry-After: 1" {
	curl -sf -X PUT --data '{}' "$IMDS/_emu/scenario" >/dev/null
	local args=()
	for _ in $(seq 30); do args+=(-o /dev/null "$IMDS/metadata/versions"); done
	# All at once (curl -Z), so that a slow machine cannot spread them over seconds.
	run curl -sS -Z --parallel-max 30 -H 'Metadata: true' -D "$T/headers" -w '%{http_code}\n' "${args[@]}"
	# The bucket starts full: five pass (and what it refills meanwhile), the rest are refused.
	[ "$(grep -cx 200 <<<"$output")" -ge 5 ]
	grep -qx 429 <<<"$output"
	# Each 429 says when to come back.
	[ "$(grep -c '^HTTP/1.1 429' "$T/headers")" -eq "$(grep -c 'Retry-After: 1' "$T/headers")" ]
}
