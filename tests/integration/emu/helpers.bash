# Shared helpers for the lazuli-emu integration tests: start the real binary
# on ephemeral loopback ports, wait for its ready file, and always stop it.

EMU="${LAZULI_BUILDDIR:?LAZULI_BUILDDIR is not set}/src/emu/lazuli-emu"
FIXTURES="${LAZULI_SRCDIR:?LAZULI_SRCDIR is not set}/tests/fixtures/emu"

common_setup() {
	T=$(mktemp -d /tmp/lazuli-emu-it.XXXXXX)
	EMU_PID=
}

common_teardown() {
	emu_stop
	[ -n "${T:-}" ] && rm -rf "$T"
}

# emu_start [lazuli-emu args...]: sets IMDS, WS, ARM, EMU_PID
emu_start() {
	rm -f "$T/ready.json"
	"$EMU" --imds-port 0 --wireserver-port 0 --arm-port 0 --ready-file "$T/ready.json" "$@" 2>"$T/emu.log" &
	EMU_PID=$!
	for _ in $(seq 1 100); do
		[ -s "$T/ready.json" ] && break
		kill -0 "$EMU_PID" 2>/dev/null || { cat "$T/emu.log" >&2; EMU_PID=; return 1; }
		sleep 0.05
	done
	[ -s "$T/ready.json" ] || { echo "lazuli-emu did not become ready" >&2; return 1; }
	IMDS=$(jget 'd["imds"]' <"$T/ready.json")
	WS=$(jget 'd["wireserver"]' <"$T/ready.json")
	ARM=$(jget 'd["arm"]' <"$T/ready.json")
}

# jget PYTHON-EXPR <JSON: evaluate an expression over the parsed input "d";
# strings print raw, anything else as compact JSON.
jget() {
	python3 -c '
import json, sys
d = json.load(sys.stdin)
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))
' "$1"
}

# emu_scenario JSON [args...]: write JSON to $T/scenario.json and start with it
emu_scenario() {
	printf '%s\n' "$1" >"$T/scenario.json"
	shift
	emu_start --scenario "$T/scenario.json" "$@"
}

# Stop the emulator: SIGTERM, then SIGKILL if it has not gone within 5 s.
emu_stop() {
	[ -n "${EMU_PID:-}" ] || return 0
	kill -TERM "$EMU_PID" 2>/dev/null || true
	for _ in $(seq 1 50); do
		kill -0 "$EMU_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$EMU_PID" 2>/dev/null; then
		echo "lazuli-emu ignored SIGTERM; killing it" >&2
		kill -KILL "$EMU_PID" 2>/dev/null || true
	fi
	wait "$EMU_PID" 2>/dev/null || true
	EMU_PID=
}

# imds PATH [curl args...]: GET with Metadata: true; prints the body, then "\n<status>"
imds() {
	local path=$1
	shift
	curl -sS -H 'Metadata: true' -w '\n%{http_code}' "$@" "$IMDS$path"
}

# status URL [curl args...]: prints only the HTTP status
status() {
	local url=$1
	shift
	curl -sS -o /dev/null -w '%{http_code}' "$@" "$url"
}
