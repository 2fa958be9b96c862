#!/usr/bin/env bats
# lazuli-emu's command line: options, exit codes, ready file, signals.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

@test "--version prints the program name and version" {
	run "$EMU" --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^lazuli-emu\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "--help lists the options and exits 0" {
	run "$EMU" --help
	[ "$status" -eq 0 ]
	for opt in --scenario --vm --imds-port --wireserver-port --arm-port --listen --ready-file --log-requests; do
		[[ "$output" == *"$opt"* ]]
	done
}

@test "usage errors exit 2 with a message" {
	run "$EMU" --no-such-option
	[ "$status" -eq 2 ]
	run "$EMU" --imds-port 70000
	[ "$status" -eq 2 ]
	[[ "$output" == *"--imds-port: '70000' is not a port number"* ]]
	run "$EMU" extra-argument
	[ "$status" -eq 2 ]
	[[ "$output" == *"Unexpected argument 'extra-argument'"* ]]
}

@test "only loopback addresses are accepted" {
	run "$EMU" --imds-port 0 --wireserver-port 0 --arm-port 0 --listen 0.0.0.0
	[ "$status" -eq 2 ]
	[[ "$output" == *"--listen 0.0.0.0: not a loopback address (use --allow-nonloopback)"* ]]
	run "$EMU" --imds-port 0 --wireserver-port 0 --arm-port 0 --listen localhost
	[ "$status" -eq 2 ]
	[[ "$output" == *"--listen localhost: not a numeric IPv4 or IPv6 address"* ]]
}

@test "a bad scenario exits 2 naming the key, and nothing is served" {
	echo '{"imds":{"/metadata/instance":[{"status":200,"fault":"explode"}]}}' >"$T/bad.json"
	run "$EMU" --imds-port 0 --wireserver-port 0 --arm-port 0 --ready-file "$T/ready.json" --scenario "$T/bad.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *"$T/bad.json: imds./metadata/instance[0].fault: expected one of none"* ]]
	[ ! -e "$T/ready.json" ]

	echo '{"rate_limit_rps":5,"strict":true}' >"$T/bad.json"
	run "$EMU" --imds-port 0 --wireserver-port 0 --arm-port 0 --scenario "$T/bad.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown key 'strict'"* ]]

	echo '{"imds":' >"$T/bad.json"
	run "$EMU" --imds-port 0 --wireserver-port 0 --arm-port 0 --scenario "$T/bad.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *"unexpected end of JSON"* ]]

	run "$EMU" --imds-port 0 --wireserver-port 0 --arm-port 0 --scenario "$T/missing.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *"$T/missing.json: No such file or directory"* ]]

	mkdir "$T/s"
	echo '{"imds":{"/x":[{"body_file":"../secret"}]}}' >"$T/s/escape.json"
	echo secret >"$T/secret"
	run "$EMU" --imds-port 0 --wireserver-port 0 --arm-port 0 --scenario "$T/s/escape.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *"imds./x[0].body_file: '../secret' escapes the scenario directory"* ]]

	echo '{"compute":{},"extra":1}' >"$T/vm.json"
	run "$EMU" --imds-port 0 --wireserver-port 0 --arm-port 0 --vm "$T/vm.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *"$T/vm.json: vm: unknown key 'extra'"* ]]
}

@test "a port in use is a runtime error (exit 1)" {
	emu_start
	local port=${IMDS##*:}
	run "$EMU" --imds-port "$port" --wireserver-port 0 --arm-port 0
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot listen on 127.0.0.1:$port for imds: Address already in use"* ]]
}

@test "ready file names both loopback URLs and the pid; SIGTERM and SIGINT stop cleanly" {
	emu_start
	[[ "$IMDS" =~ ^http://127\.0\.0\.1:[0-9]+$ ]]
	[[ "$WS" =~ ^http://127\.0\.0\.1:[0-9]+$ ]]
	[ "$IMDS" != "$WS" ]
	[ "$(jget 'd["pid"]' <"$T/ready.json")" = "$EMU_PID" ]
	[ "$(status "$WS/?comp=versions")" = 200 ]

	kill -TERM "$EMU_PID"
	local rc=0
	wait "$EMU_PID" || rc=$?
	EMU_PID=
	[ "$rc" -eq 0 ]
	[ ! -e "$T/ready.json" ]
	run curl -sS "$IMDS/_emu/info"
	[ "$status" -eq 7 ]

	emu_start
	kill -INT "$EMU_PID"
	rc=0
	wait "$EMU_PID" || rc=$?
	EMU_PID=
	[ "$rc" -eq 0 ]
	grep -q "shutting down" "$T/emu.log"
}

@test "fixed ports are used as given" {
	# Ask the kernel for two free ports, then use them explicitly.
	emu_start
	local p1=${IMDS##*:} p2=${WS##*:}
	emu_stop
	emu_start --imds-port "$p1" --wireserver-port "$p2" --arm-port 0
	[ "$IMDS" = "http://127.0.0.1:$p1" ]
	[ "$WS" = "http://127.0.0.1:$p2" ]
	[ "$(status "$IMDS/_emu/info")" = 200 ]
}

@test "--log-requests writes one line per request to stderr" {
	emu_start --log-requests
	curl -s -o /dev/null -H 'Metadata: true' "$IMDS/metadata/instance?api-version=2021-02-01"
	curl -s -o /dev/null "$WS/?comp=versions"
	curl -s -o /dev/null "$IMDS/_emu/requests"
	emu_stop
	grep -q "imds GET /metadata/instance?api-version=2021-02-01 -> 200" "$T/emu.log"
	grep -q "wireserver GET /?comp=versions -> 200" "$T/emu.log"
	# Control requests are not request traffic.
	! grep -q "_emu" "$T/emu.log"
}

@test "--vm serves the fixture's VM; its OVF carries the password and custom data" {
	emu_start --vm "$FIXTURES/vm-password-customdata.json"
	run imds "/metadata/instance/compute/osProfile/disablePasswordAuthentication?api-version=2023-11-15&format=text"
	[ "${lines[0]}" = "false" ]
	[ "${lines[1]}" = 200 ]
	run imds "/metadata/instance?api-version=2023-11-15&extended=true"
	[ "$(head -n 1 <<<"$output" | jget 'd["extended"]["compute"]["hasCustomData"]')" = true ]
	# The secrets are only in the OVF, never in the IMDS document.
	[[ "$output" != *"Emu-Test-Passw0rd!"* ]]
	run curl -sS "$IMDS/_emu/ovf"
	[[ "$output" == *"<UserPassword>Emu-Test-Passw0rd!</UserPassword>"* ]]
	[[ "$output" == *"<CustomData>$(printf '#cloud-config\nruncmd: [echo hello]\n' | base64 -w0)</CustomData>"* ]]
}

@test "--listen ::1 serves on IPv6 loopback" {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null ||
		skip "no IPv6 loopback"
	emu_start --listen ::1
	[[ "$IMDS" =~ ^http://\[::1\]:[0-9]+$ ]]
	[ "$(status "$WS/?comp=versions")" = 200 ]
	run curl -sS "http://127.0.0.1:${IMDS##*:}/_emu/info"
	[ "$status" -eq 7 ]
}

@test "--listen twice serves both addresses on the same ports" {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null ||
		skip "no IPv6 loopback"
	emu_start --listen 127.0.0.1 --listen ::1
	local port=${IMDS##*:}
	[ "$(status "http://127.0.0.1:$port/_emu/info")" = 200 ]
	[ "$(status "http://[::1]:$port/_emu/info")" = 200 ]
}
