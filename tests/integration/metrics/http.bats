#!/usr/bin/env bats
# The endpoint's own HTTP/1.1 server, byte by byte with a raw client:
# keep-alive, pipelining, limits, slow clients, gzip, bad methods.

load helpers

setup() {
	common_setup
	RAW="$BATS_TEST_DIRNAME/rawhttp.py"
}
teardown() { common_teardown; }

port() { local p=${URL##*:}; echo "${p%%/*}"; }
raw() { python3 "$RAW" 127.0.0.1 "$(port)" "$@"; }

GET='GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n'

@test "keep-alive: several requests on one connection, then Connection: close" {
	lm_start --root "$ROOT"
	run raw "send:$GET" read:1 "send:$GET" read:1 \
		'send:GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' read:1 eof
	[ "$status" -eq 0 ]
	[ "${lines[0]%% *}" = 200 ]
	[[ "${lines[0]}" == *"content-type=text/plain;version=0.0.4;charset=utf-8"* ]]
	[[ "${lines[0]}" == *"load1=yes"* ]]
	[[ "${lines[0]}" != *"connection="* ]]
	[[ "${lines[1]}" == 200*"load1=yes"* ]]
	[[ "${lines[2]}" == 200*"connection=close"* ]]
	[ "${lines[3]}" = closed ]
}

@test "pipelined requests are answered in order, on one connection" {
	lm_start --root "$ROOT"
	run raw "send:${GET}HEAD /metrics HTTP/1.1\r\nHost: t\r\n\r\nGET /nope HTTP/1.1\r\nHost: t\r\n\r\n${GET}" \
		read:1 head:1 read:2
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == 200*"load1=yes"* ]]
	[[ "${lines[1]}" == 200*"body=0" ]]
	len=$(sed -n 's/.*content-length=\([0-9]*\).*/\1/p' <<<"${lines[1]}")
	[ "$len" -gt 1000 ]
	[[ "${lines[2]}" == 404* ]]
	[[ "${lines[3]}" == 200*"load1=yes"* ]]
}

@test "HTTP/1.0 closes after the response unless it asks for keep-alive" {
	lm_start --root "$ROOT"
	run raw 'send:GET /metrics HTTP/1.0\r\n\r\n' read:1 eof
	[[ "${lines[0]}" == 200*"connection=close"*"load1=yes"* ]]
	[ "${lines[1]}" = closed ]
	run raw 'send:GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' read:1 \
		'send:GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' read:1
	[[ "${lines[0]}" == 200*"connection=keep-alive"* ]]
	[[ "${lines[1]}" == 200*"connection=keep-alive"* ]]
}

@test "a header over 8 KiB gets 431 and the connection closes" {
	lm_start --root "$ROOT"
	big=$(head -c 9000 /dev/zero | tr '\0' a)
	run raw "send:GET /metrics HTTP/1.1\r\nHost: t\r\nX-Big: $big\r\n\r\n" read:1 eof
	[[ "${lines[0]}" == 431*"connection=close"* ]]
	[ "${lines[1]}" = closed ]
	# logged once, not per request
	run raw "send:GET /metrics HTTP/1.1\r\nHost: t\r\nX-Big: $big\r\n\r\n" read:1
	[[ "${lines[0]}" == 431* ]]
	[ "$(grep -c 'over 8 KiB' "$T/lm.log")" -eq 1 ]
	# the server still works
	run curl -sS "$URL"
	[[ "$output" == *'node_load1 1.25'* ]]
}

@test "a client that sends half a request and stalls does not hold up another" {
	lm_start --root "$ROOT"
	python3 "$RAW" 127.0.0.1 "$(port)" 'send:GET /metrics HTTP/1.1\r\nHo' sleep:4 \
		'send:st: t\r\n\r\n' read:1 >"$T/slow.out" &
	slow=$!
	sleep 0.5
	start=$(date +%s%N)
	run curl -sS -m 3 "$URL"
	end=$(date +%s%N)
	[ "$status" -eq 0 ]
	[[ "$output" == *'node_load1 1.25'* ]]
	wait "$slow"
	# the slow one is served too, once it completes its head
	[[ "$(cat "$T/slow.out")" == 200*"load1=yes"* ]]
	[ $(((end - start) / 1000000)) -lt 3000 ]
}

@test "bad methods get 405 with Allow; malformed requests 400; HTTP/2 505" {
	lm_start --root "$ROOT"
	run raw 'send:POST /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello' read:1 "send:$GET" read:1
	[[ "${lines[0]}" == 405*"allow=GET,HEAD"* ]]
	[[ "${lines[1]}" == 200*"load1=yes"* ]] # the body was skipped, the connection kept
	run raw 'send:DELETE / HTTP/1.1\r\nHost: t\r\n\r\n' read:1
	[[ "${lines[0]}" == 405*"allow=GET,HEAD"* ]]
	run raw 'send:GET /metrics HTTP/1.1\r\n\r\n' read:1 eof
	[[ "${lines[0]}" == 400*"connection=close"* ]]
	[ "${lines[1]}" = closed ]
	run raw 'send:GET  /metrics HTTP/1.1\r\nHost: t\r\n\r\n' read:1
	[[ "${lines[0]}" == 400* ]]
	run raw 'send:GET /metrics HTTP/2.0\r\nHost: t\r\n\r\n' read:1
	[[ "${lines[0]}" == 505* ]]
	run raw 'send:POST /metrics HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n' read:1 eof
	[[ "${lines[0]}" == 405*"connection=close"* ]]
	[ "${lines[1]}" = closed ]
	[ "$(grep -c 'malformed request' "$T/lm.log")" -eq 1 ]
}

@test "Accept-Encoding: gzip gets a gzip body that decompresses to the scrape; identity otherwise" {
	lm_start --root "$ROOT"
	run raw 'send:GET /metrics HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n' read:1 \
		'send:HEAD /metrics HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n' head:1 \
		"send:$GET" read:1
	[[ "${lines[0]}" == 200*"content-encoding=gzip"*"vary=Accept,Accept-Encoding"*"load1=yes"* ]]
	[[ "${lines[1]}" == 200*"content-encoding=gzip"*"body=0" ]]
	[[ "${lines[2]}" != *"content-encoding"* ]]
	gz=$(sed -n 's/.*body=\([0-9]*\).*/\1/p' <<<"${lines[0]}")
	plain=$(sed -n 's/.*gunzip=\([0-9]*\).*/\1/p' <<<"${lines[0]}")
	[ "$gz" -lt $((plain / 3)) ]
	# curl decompresses it to the same series as an identity scrape (values such as
	# durations, the time and free space on the real disk change between scrapes)
	curl -sS --compressed "$URL" | sed 's/ [^ ]*$//' >"$T/a"
	curl -sS "$URL" | sed 's/ [^ ]*$//' >"$T/b"
	[ "$(grep -c . "$T/a")" -gt 300 ]
	cmp "$T/a" "$T/b"
}

@test "over 64 connections: the least recently active goes, a new client is still served" {
	lm_start --root "$ROOT"
	# 70 connections at once: the server keeps at most 64 and still answers a new one
	python3 - "$(port)" <<'PY'
import socket, sys
port = int(sys.argv[1])
socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(70)]
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
s.settimeout(5)
assert s.recv(100).startswith(b"HTTP/1.1 200"), "no answer with 70 others open"
PY
	grep -q 'More than 64 connections' "$T/lm.log"
}

@test "15 s timeouts: an idle connection is closed; a head trickled byte by byte gets 408 (slowloris)" {
	lm_start --root "$ROOT"
	python3 "$RAW" 127.0.0.1 "$(port)" eof:19 >"$T/idle.out" &
	idle=$!
	# a byte of its head every 2 s: still unfinished when its 15 s are up
	python3 "$RAW" 127.0.0.1 "$(port)" 'trickle:GET /metrics HTTP/1.1\r\n' read:1 >"$T/slow.out" &
	slow=$!
	sleep 5
	run curl -sS -m 3 "$URL" # others are served meanwhile
	[[ "$output" == *'node_load1 1.25'* ]]
	wait "$idle"
	wait "$slow"
	[ "$(cat "$T/idle.out")" = closed ]
	[[ "$(cat "$T/slow.out")" == 408*"connection=close"* ]]
	grep -q 'did not complete its request within 15 s' "$T/lm.log"
}
