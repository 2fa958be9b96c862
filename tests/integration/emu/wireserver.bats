#!/usr/bin/env bats
# Wireserver on the wire (spec 8.2 W1-W4): versions, goal state, health reports.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

XMLH=(-H 'x-ms-version: 2012-11-30' -H 'x-ms-agent-name: bats' -H 'Content-Type: text/xml;charset=utf-8')
JSONH=(-H 'x-ms-guest-agent-name: bats/1' -H 'Content-Type: application/json')

health_xml() { # INCARNATION CONTAINER INSTANCE HEALTH-INNER
	printf '<?xml version="1.0" encoding="utf-8"?><Health><GoalStateIncarnation>%s</GoalStateIncarnation><Container><ContainerId>%s</ContainerId><RoleInstanceList><Role><InstanceId>%s</InstanceId><Health>%s</Health></Role></RoleInstanceList></Container></Health>' "$@"
}

@test "versions list 2012-11-30 as preferred and supported" {
	emu_start
	run curl -sS -i "$WS/?comp=versions"
	[[ "${lines[0]}" == "HTTP/1.1 200 OK"* ]]
	[[ "$output" == *$'Content-Type: text/xml; charset=utf-8\r'* ]]
	[[ "$output" == *"<Preferred>"*"<Version>2012-11-30</Version>"*"<Supported>"*"<Version>2012-11-30</Version>"* ]]
}

@test "goal state carries the scenario's ids under both path spellings" {
	emu_scenario '{"incarnation":"42","container_id":"cont-1","instance_id":"inst-1"}'
	for p in '/machine/?comp=goalstate' '/machine?comp=goalstate'; do
		run curl -sS -H 'x-ms-version: 2012-11-30' "$WS$p"
		[[ "$output" == *"<Incarnation>42</Incarnation>"* ]]
		[[ "$output" == *"<ContainerId>cont-1</ContainerId>"* ]]
		[[ "$output" == *"<InstanceId>inst-1</InstanceId>"* ]]
		[[ "$output" == *"<Certificates>$WS/machine/cont-1/inst-1?comp=certificates&amp;incarnation=42</Certificates>"* ]]
	done
	[ "$(status "$WS/machine/?comp=goalstate")" = 400 ]
}

@test "XML health: Ready is 200 with an empty body and is recorded" {
	emu_scenario '{"incarnation":"3","container_id":"c","instance_id":"i"}'
	run curl -sS -i "${XMLH[@]}" --data-binary "$(health_xml 3 c i '<State>Ready</State>')" "$WS/machine?comp=health"
	[[ "${lines[0]}" == "HTTP/1.1 200 OK"* ]]
	[[ "$output" == *$'Content-Length: 0\r'* ]]
	run curl -sS "$IMDS/_emu/reports"
	[ "$(jget 'len(d)' <<<"$output")" = 1 ]
	[ "$(jget 'd[0]["proto"] + " " + d[0]["state"] + " " + d[0]["incarnation"] + " " + d[0]["container_id"] + " " + d[0]["instance_id"]' <<<"$output")" = "xml Ready 3 c i" ]
	[ "$(jget 'd[0]["status_returned"]' <<<"$output")" = 200 ]
}

@test "XML health: stale ids are 400 InvalidContainerConfiguration, or 410 with stale_goalstate" {
	emu_scenario '{"incarnation":"3","container_id":"c","instance_id":"i"}'
	run curl -sS -w '\n%{http_code}' "${XMLH[@]}" --data-binary "$(health_xml 2 c i '<State>Ready</State>')" "$WS/machine/?comp=health"
	[ "${lines[0]}" = InvalidContainerConfiguration ]
	[ "${lines[1]}" = 400 ]
	curl -sf -X PUT --data '{"incarnation":"3","container_id":"c","instance_id":"i","stale_goalstate":true}' "$IMDS/_emu/scenario" >/dev/null
	[ "$(status "$WS/machine?comp=health" "${XMLH[@]}" --data-binary "$(health_xml 3 other i '<State>Ready</State>')")" = 410 ]
}

@test "XML health: malformed XML, DOCTYPE, bad State, oversize Description are 400" {
	emu_start
	run curl -sS -w '\n%{http_code}' "${XMLH[@]}" --data-binary '<Health><Container>' "$WS/machine?comp=health"
	[[ "${lines[0]}" == "XML not well-formed"* ]]
	[ "${lines[1]}" = 400 ]
	run curl -sS -w '\n%{http_code}' "${XMLH[@]}" --data-binary '<!DOCTYPE Health [<!ENTITY x SYSTEM "file:///etc/passwd">]><Health>&x;</Health>' "$WS/machine?comp=health"
	[ "${lines[0]}" = "DOCTYPE/ENTITY declarations are not allowed" ]
	[ "${lines[1]}" = 400 ]

	local g cid iid
	g=$(curl -sS -H 'x-ms-version: 2012-11-30' "$WS/machine/?comp=goalstate")
	cid=$(sed -n 's:.*<ContainerId>\(.*\)</ContainerId>.*:\1:p' <<<"$g")
	iid=$(sed -n 's:.*<InstanceId>\(.*\)</InstanceId>.*:\1:p' <<<"$g")
	run curl -sS -w '\n%{http_code}' "${XMLH[@]}" --data-binary "$(health_xml 1 "$cid" "$iid" '<State>Running</State>')" "$WS/machine?comp=health"
	[ "${lines[0]}" = "State must be Ready or NotReady, not 'Running'" ]
	local long=$(head -c 4097 /dev/zero | tr '\0' x)
	run curl -sS -w '\n%{http_code}' "${XMLH[@]}" --data-binary "$(health_xml 1 "$cid" "$iid" "<State>NotReady</State><Details><SubStatus>ProvisioningFailed</SubStatus><Description>$long</Description></Details>")" "$WS/machine?comp=health"
	[ "${lines[0]}" = "Description is 4097 bytes, more than 4096" ]
	[ "${lines[1]}" = 400 ]
	run curl -sS "$IMDS/_emu/reports"
	[ "$(jget '[r["status_returned"] for r in d]' <<<"$output")" = "[400,400,400,400]" ]
}

@test "JSON health: 201 for Ready and NotReady, 400 for invalid, 404 when not supported" {
	emu_start
	run curl -sS -i "${JSONH[@]}" --data '{"state":"Ready"}' "$WS/provisioning/health"
	[[ "${lines[0]}" == "HTTP/1.1 201 Created"* ]]
	[[ "$output" == *$'Content-Length: 0\r'* ]]
	[ "$(status "$WS/provisioning/health?api-version=2015-01-01" "${JSONH[@]}" --data '{"state":"NotReady","details":{"subStatus":"ProvisioningFailed","description":"result=error"}}')" = 201 ]
	run curl -sS -w '\n%{http_code}' "${JSONH[@]}" --data '{"state":"NotReady"}' "$WS/provisioning/health"
	[ "${lines[0]}" = "NotReady requires details" ]
	[ "${lines[1]}" = 400 ]
	run curl -sS -w '\n%{http_code}' -H 'Content-Type: application/json' --data '{"state":"Ready"}' "$WS/provisioning/health"
	[ "${lines[0]}" = "Missing x-ms-guest-agent-name header" ]
	run curl -sS "$IMDS/_emu/reports"
	[ "$(jget '[(r["proto"], r["state"], r["substatus"], r["status_returned"]) for r in d]' <<<"$output")" = '[["json","Ready",null,201],["json","NotReady","ProvisioningFailed",201],["json","NotReady",null,400],["json","Ready",null,400]]' ]
	[ "$(jget 'd[1]["description"] + "|" + d[1]["agent_name"]' <<<"$output")" = "result=error|bats/1" ]

	curl -sf -X PUT --data '{"json_health":"not_supported"}' "$IMDS/_emu/scenario" >/dev/null
	[ "$(status "$WS/provisioning/health" "${JSONH[@]}" --data '{"state":"Ready"}')" = 404 ]
}

@test "spec 8.5 scenario: JSON health unsupported, XML fallback after a 503" {
	cp "$FIXTURES/json-health-unsupported-fallback-xml.json" "$FIXTURES/goalstate.xml" "$T/"
	emu_start --scenario "$T/json-health-unsupported-fallback-xml.json"
	[ "$(status "$WS/provisioning/health" "${JSONH[@]}" --data '{"state":"Ready"}')" = 404 ]
	local g cid iid inc
	g=$(curl -sS -H 'x-ms-version: 2012-11-30' "$WS/machine/?comp=goalstate")
	inc=$(sed -n 's:.*<Incarnation>\(.*\)</Incarnation>.*:\1:p' <<<"$g")
	cid=$(sed -n 's:.*<ContainerId>\(.*\)</ContainerId>.*:\1:p' <<<"$g")
	iid=$(sed -n 's:.*<InstanceId>\(.*\)</InstanceId>.*:\1:p' <<<"$g")
	[ "$inc" = 1 ]
	[ -n "$cid" ]
	[ -n "$iid" ]
	[[ "$g" == *"<Certificates>$WS/machine/"* ]]
	run curl -sS -i "${XMLH[@]}" --data-binary "$(health_xml "$inc" "$cid" "$iid" '<State>Ready</State>')" "$WS/machine?comp=health"
	[[ "${lines[0]}" == "HTTP/1.1 503"* ]]
	[[ "$output" == *$'Retry-After: 2\r'* ]]
	[ "$(status "$WS/machine?comp=health" "${XMLH[@]}" --data-binary "$(health_xml "$inc" "$cid" "$iid" '<State>Ready</State>')")" = 200 ]
	run curl -sS "$IMDS/_emu/reports"
	[ "$(jget '[(r["proto"], r["status_returned"]) for r in d]' <<<"$output")" = '[["json",404],["xml",503],["xml",200]]' ]
}
