#!/usr/bin/env bats
# The Azure Monitor push against lazuli-emu on 127.0.0.1: what arrives, faults,
# the spool across restarts and its bound. Periods are 2 s here (Interval=2s)
# so that tests do not wait for whole minutes.

load helpers

EMU="${LAZULI_BUILDDIR}/src/emu/lazuli-emu"

setup() {
	common_setup
	EMU_PID=
	"$EMU" --imds-port 0 --wireserver-port 0 --ready-file "$T/emu.json" 2>"$T/emu.log" &
	EMU_PID=$!
	for _ in $(seq 1 100); do [ -s "$T/emu.json" ] && break; sleep 0.05; done
	IMDS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["imds"])' "$T/emu.json")
	RID=$(curl -sS -H 'Metadata: true' "$IMDS/metadata/instance?api-version=2021-02-01" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["compute"]["resourceId"])')
	SPOOL="$T/spool"
}

teardown() {
	lm_stop
	[ -n "${EMU_PID:-}" ] && kill "$EMU_PID" 2>/dev/null && wait "$EMU_PID" 2>/dev/null
	common_teardown
}

monitor_conf() { # extra lines...
	{
		printf '[Metrics]\nRunStateDirectory=\n[Monitor]\nEnabled=yes\n'
		printf 'Endpoint=%s\nImdsUrl=%s\nSpoolDirectory=%s\n' "$IMDS" "$IMDS" "$SPOOL"
		printf 'Interval=2s\nSampleInterval=1s\nRequestTimeout=5s\n'
		for l in "$@"; do printf '%s\n' "$l"; done
	} >"$T/metrics.conf"
}

posts() { curl -sS "$IMDS/_emu/monitor"; }

# wait_for PYTHON-EXPR over the list of posts "d", up to 30 s
wait_for() {
	for _ in $(seq 1 150); do
		posts | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if eval(sys.argv[1]) else 1)' "$1" && return 0
		sleep 0.2
	done
	echo "timed out waiting for: $1" >&2
	posts >&2
	cat "$T/lm.log" >&2
	return 1
}

pyq() { posts | python3 -c 'import json,sys; d=json.load(sys.stdin); v=eval(sys.argv[1]); print(v if isinstance(v,str) else json.dumps(v))' "$1"; }

@test "periods arrive as min/max/sum/count documents for the VM's resource id, with a token" {
	monitor_conf
	lm_start --root "$ROOT"
	wait_for 'any(r["status"] == 200 for r in d)'
	[ "$(pyq 'd[0]["resource_id"]')" = "$RID" ]
	[ "$(pyq 'd[0]["bearer"]')" = true ]
	[ "$(pyq 'd[0]["content_type"]')" = "application/x-ndjson" ]
	# gzip-compressed, as Telegraf sends it; the emulator checked it decompressed
	[ "$(pyq 'd[0]["content_encoding"]')" = gzip ]
	names=$(pyq 'sorted(x["data"]["baseData"]["metric"] for x in d[0]["documents"])')
	[[ "$names" == *'"memory_available_bytes"'* ]]
	[[ "$names" == *'"load1"'* ]]
	[[ "$names" == *'"root_filesystem_used_percent"'* ]]
	# the fixture's numbers: load1 1.25, MemAvailable 24903680000 bytes
	[ "$(pyq '[x for x in d[0]["documents"] if x["data"]["baseData"]["metric"] == "load1"][0]["data"]["baseData"]["series"][0]["max"]')" = 1.25 ]
	[ "$(pyq '[x for x in d[0]["documents"] if x["data"]["baseData"]["metric"] == "memory_available_bytes"][0]["data"]["baseData"]["series"][0]["min"]')" = 24903680000 ]
	[ "$(pyq 'd[0]["documents"][0]["data"]["baseData"]["namespace"]')" = lazuli-metrics ]
	# containers: one series each, with the container id and engine as dimensions
	mem='[x for x in d[0]["documents"] if x["data"]["baseData"]["metric"] == "container_memory_bytes"][0]["data"]["baseData"]'
	[ "$(pyq "$mem[\"dimNames\"]")" = '["container", "engine"]' ]
	[ "$(pyq "sorted(s[\"dimValues\"][1] for s in $mem[\"series\"])")" = '["docker", "podman"]' ]
	[ "$(pyq "[s[\"max\"] for s in $mem[\"series\"] if s[\"dimValues\"][1] == \"podman\"][0]")" = 1048576 ]
	# the VM's identity is a series of the scrape
	run curl -sS "$URL"
	[[ "$output" == *"lazuli_azure_vm_info{vm_id=\""*"\",vm_size=\""*"\",region=\""*"\",resource_id=\"$RID\"} 1"* ]]
	# accepted periods leave the spool
	wait_for 'len(d) >= 2'
	lm_stop
	[ "$(ls "$SPOOL" | wc -l)" -le 1 ]
}

@test "503 with Retry-After is retried within the push and then accepted" {
	monitor_conf
	curl -sS -X PUT --data "{\"imds\":{\"$RID/metrics\":[{\"status\":503,\"headers\":{\"Retry-After\":\"1\"},\"body_json\":{\"error\":{\"code\":\"ServiceUnavailable\",\"message\":\"try later\"}}},{\"default\":true}]}}" "$IMDS/_emu/scenario" >/dev/null
	lm_start --root "$ROOT"
	wait_for 'any(r["status"] == 200 for r in d)'
	[ "$(pyq 'd[0]["status"]')" = 503 ]
	[ "$(pyq 'd[1]["status"]')" = 200 ]
	! grep -q 'failed' "$T/lm.log"
}

@test "persistent 500s: one log line per failed push with status and code; data kept and sent later" {
	monitor_conf MaxAttempts=2
	q='{"status":500,"body_json":{"error":{"code":"InternalServerError","message":"boom"}}}'
	curl -sS -X PUT --data "{\"imds\":{\"$RID/metrics\":[$q,$q,$q,$q,{\"default\":true}]}}" "$IMDS/_emu/scenario" >/dev/null
	lm_start --root "$ROOT"
	wait_for 'any(r["status"] == 200 for r in d)'
	grep -q 'failed after 2 attempt(s): HTTP 500 InternalServerError: boom (1 period(s) kept in the spool)' "$T/lm.log"
	[ "$(grep -c 'HTTP 500 InternalServerError' "$T/lm.log")" -eq 2 ]
	# the accepted batch carries the periods kept from the failed pushes
	[ "$(pyq '[r for r in d if r["status"] == 200][0]["body_bytes"] > 0')" = true ]
	grep -q 'pushing works again' "$T/lm.log"
}

@test "a token the endpoint refuses (401, expired early): a new one is fetched and the same batch accepted" {
	monitor_conf
	q='{"status":401,"body_json":{"error":{"code":"ExpiredAuthenticationToken","message":"The access token expiry UTC time is earlier than current UTC time."}}}'
	curl -sS -X PUT --data "{\"imds\":{\"$RID/metrics\":[$q,{\"default\":true}]}}" "$IMDS/_emu/scenario" >/dev/null
	lm_start --root "$ROOT"
	wait_for 'any(r["status"] == 200 for r in d)'
	# The refused batch went again at once with another token, and was taken.
	[ "$(pyq '[r["status"] for r in d][:2]')" = "[401, 200]" ]
	[ "$(pyq 'd[0]["body_bytes"] == d[1]["body_bytes"]')" = true ]
	grep -q 'Azure Monitor refused the token (HTTP 401 ExpiredAuthenticationToken: .*); getting a new one' "$T/lm.log"
	! grep -q 'kept in the spool' "$T/lm.log"
	tokens=$(curl -sS "$IMDS/_emu/requests?port=imds&path=/metadata/identity/oauth2/token" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
	[ "$tokens" -eq 2 ]
}

@test "a token refused twice running: the batch stays in the spool, one line each time" {
	monitor_conf MaxAttempts=1
	q='{"status":401,"body_json":{"error":{"code":"InvalidAuthenticationToken","message":"The access token is invalid."}}}'
	curl -sS -X PUT --data "{\"imds\":{\"$RID/metrics\":[$q,$q,{\"default\":true}]}}" "$IMDS/_emu/scenario" >/dev/null
	lm_start --root "$ROOT"
	wait_for 'any(r["status"] == 200 for r in d)'
	[ "$(pyq '[r["status"] for r in d][:3]')" = "[401, 401, 200]" ]
	grep -q 'HTTP 401 InvalidAuthenticationToken: The access token is invalid. (1 period(s) kept in the spool)' "$T/lm.log"
	# What was kept went with the next push.
	[ "$(pyq 'd[2]["body_bytes"] > d[0]["body_bytes"]')" = true ]
}

@test "400 is not retried: the period is dropped with a line naming the code" {
	monitor_conf
	curl -sS -X PUT --data "{\"imds\":{\"$RID/metrics\":[{\"status\":400,\"body_json\":{\"error\":{\"code\":\"InvalidTimeRange\",\"message\":\"too old\"}}},{\"default\":true}]}}" "$IMDS/_emu/scenario" >/dev/null
	lm_start --root "$ROOT"
	wait_for 'any(r["status"] == 200 for r in d)'
	[ "$(pyq '[r["status"] for r in d][:2]')" = "[400, 200]" ]
	grep -q 'HTTP 400 InvalidTimeRange: too old (1 period(s) dropped)' "$T/lm.log"
}

@test "a restart loses nothing: the spool is sent by the next run" {
	monitor_conf MaxAttempts=1
	q='{"status":503}'
	entries=$q; for _ in $(seq 1 30); do entries="$entries,$q"; done
	curl -sS -X PUT --data "{\"imds\":{\"$RID/metrics\":[$entries]}}" "$IMDS/_emu/scenario" >/dev/null
	lm_start --root "$ROOT"
	wait_for 'len(d) >= 3'
	lm_stop
	[ "$(ls "$SPOOL" | wc -l)" -ge 2 ]
	oldest=$(ls "$SPOOL" | sort -n | head -n 1)
	curl -sS -X PUT --data '{}' "$IMDS/_emu/scenario" >/dev/null
	curl -sS -X POST "$IMDS/_emu/reset" >/dev/null
	lm_start --root "$ROOT"
	wait_for 'any(r["status"] == 200 for r in d)'
	want=$(python3 -c 'import sys,time; print(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(sys.argv[1].split(".")[0]))))' "$oldest")
	[ "$(pyq 'd[0]["documents"][0]["time"]')" = "$want" ]
}

@test "the spool is bounded: with the endpoint down it keeps at most SpoolMaxBytes" {
	monitor_conf SpoolMaxBytes=4096 MaxAttempts=1
	q='{"status":503}'
	entries=$q; for _ in $(seq 1 60); do entries="$entries,$q"; done
	curl -sS -X PUT --data "{\"imds\":{\"$RID/metrics\":[$entries]}}" "$IMDS/_emu/scenario" >/dev/null
	lm_start --root "$ROOT"
	wait_for 'len(d) >= 5'
	total=$(cat "$SPOOL"/*.ndjson | wc -c)
	[ "$total" -le 4096 ]
	grep -q 'is full (SpoolMaxBytes=4096): dropped the oldest' "$T/lm.log"
}

@test "a full disk under the spool: periods are held in memory, logged once, and sent once there is room" {
	[ "$(id -u)" -eq 0 ] || skip "needs root for a small tmpfs in a mount namespace of its own"
	monitor_conf
	mkdir -p "$SPOOL"
	# The spool on a 32 MiB tmpfs that only this lazuli-metrics (and its pusher) sees.
	unshare --mount --propagation private -- bash -c \
		'mount -t tmpfs -o size=32m lm-spool "$1" && exec "$2" --listen 127.0.0.1:0 --root "$3"' \
		_ "$SPOOL" "$LM" "$ROOT" 2>"$T/lm.log" &
	LM_PID=$!
	for _ in $(seq 1 100); do grep -q 'Serving metrics on' "$T/lm.log" && break; sleep 0.05; done
	wait_for 'any(r["status"] == 200 for r in d)'
	# Leave less free than the 16 MiB the spool keeps for the rest of the system.
	nsenter -t "$LM_PID" -m dd if=/dev/zero of="$SPOOL/filler" bs=1M count=20 status=none
	for _ in $(seq 1 100); do grep -q 'Cannot spool' "$T/lm.log" && break; sleep 0.1; done
	first=$(sed -n 's/.*Cannot spool the period starting \([0-9]*\)\.ndjson.*/\1/p' "$T/lm.log")
	[ -n "$first" ]
	grep -q "Cannot spool the period starting $first.ndjson to $SPOOL: No space left on device (periods are held in memory" "$T/lm.log"
	sleep 5 # two more periods go to memory
	[ "$(grep -c 'Cannot spool' "$T/lm.log")" -eq 1 ]
	# The held periods never reached the endpoint while the disk was full.
	want=$(python3 -c 'import sys,time; print(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(sys.argv[1]))))' "$first")
	[ "$(pyq "any(x['time'] == '$want' for r in d for x in r['documents'])")" = false ]
	nsenter -t "$LM_PID" -m rm "$SPOOL/filler"
	for _ in $(seq 1 100); do grep -q 'works again' "$T/lm.log" && break; sleep 0.1; done
	grep -Eq "Spooling to $SPOOL works again: wrote ([3-9]|[1-9][0-9]+) held period\(s\), none lost" "$T/lm.log"
	# The first period the disk refused arrives after all.
	wait_for "any(x['time'] == '$want' for r in d if r['status'] == 200 for x in r['documents'])"
}

@test "no identity: the failure names the token audience, nothing is posted, the data stays" {
	monitor_conf
	curl -sS -X PUT --data '{"identity":{"enabled":false}}' "$IMDS/_emu/scenario" >/dev/null
	lm_start --root "$ROOT"
	for _ in $(seq 1 150); do grep -q 'no token' "$T/lm.log" && break; sleep 0.2; done
	grep -q 'Azure Monitor: no token for https://monitoring.azure.com/' "$T/lm.log"
	[ "$(posts)" = "[]" ]
	[ "$(ls "$SPOOL" | wc -l)" -ge 1 ]
}

@test "Monitor settings are checked" {
	printf '[Monitor]\nSampleInterval=0\n' >"$T/bad.conf"
	run "$LM" --config "$T/bad.conf" --once
	[ "$status" -eq 2 ]
	[[ "$output" == *"SampleInterval"* ]]
}

@test "a hung endpoint: the request times out, the failure is logged, scrapes are not blocked" {
	monitor_conf RequestTimeout=1s MaxAttempts=1
	curl -sS -X PUT --data "{\"imds\":{\"$RID/metrics\":[{\"status\":200,\"delay_ms\":4000},{\"default\":true}]}}" "$IMDS/_emu/scenario" >/dev/null
	lm_start --root "$ROOT"
	for _ in $(seq 1 150); do grep -q 'Azure Monitor POST .* failed' "$T/lm.log" && break; sleep 0.2; done
	grep -q 'Azure Monitor POST .* failed after 1 attempt(s): .*(1 period(s) kept in the spool)' "$T/lm.log"
	# the push runs in its own thread: a scrape answers meanwhile
	run curl -sS -m 2 "$URL"
	[ "$status" -eq 0 ]
	[[ "$output" == *'node_load1 1.25'* ]]
	wait_for 'any(r["status"] == 200 for r in d)'
}

@test "the pusher is a separate process: the server has no libcurl; a killed pusher is restarted" {
	! ldd "$LM" | grep -q libcurl
	monitor_conf
	lm_start --root "$ROOT"
	pusher=
	for _ in $(seq 1 50); do pusher=$(pgrep -P "$LM_PID" -f lazuli-metrics-push || true); [ -n "$pusher" ] && break; sleep 0.1; done
	[ -n "$pusher" ]
	kill -KILL "$pusher"
	for _ in $(seq 1 100); do grep -q 'exited (signal 9); restarting it' "$T/lm.log" && break; sleep 0.1; done
	grep -q 'exited (signal 9); restarting it' "$T/lm.log"
	wait_for 'any(r["status"] == 200 for r in d)'
	# stopping the server stops the pusher too
	lm_stop
	for _ in $(seq 1 50); do pgrep -f "lazuli-metrics-push --config $T/metrics.conf" >/dev/null || break; sleep 0.1; done
	! pgrep -f "lazuli-metrics-push --config $T/metrics.conf"
}
