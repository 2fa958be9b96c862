# The lazuli CLI against lazuli-emu on loopback: a private config dir per test.

LAZULI="${LAZULI_BUILDDIR:?LAZULI_BUILDDIR is not set}/src/cli/lazuli"
EMU="$LAZULI_BUILDDIR/src/emu/lazuli-emu"
TENANT=00000000-0000-0000-0000-0000000e4a7e
CLIENT=00000000-0000-0000-0000-0000000e4ac1
SECRET=lazuli-emu-client-secret

common_setup() {
	T=$(mktemp -d /tmp/lazuli-cli-it.XXXXXX)
	EMU_PID=
	export LAZULI_CONFIG_DIR="$T/config"
	export HOME="$T/home"
	unset AZURE_CLIENT_SECRET REQUESTS_CA_BUNDLE CURL_CA_BUNDLE SSL_CERT_FILE
}

common_teardown() {
	if [ -n "${EMU_PID:-}" ]; then
		kill -TERM "$EMU_PID" 2>/dev/null || true
		wait "$EMU_PID" 2>/dev/null || true
	fi
	[ -n "${T:-}" ] && rm -rf "$T"
}

# emu_start [scenario-json [lazuli-emu args...]]: start lazuli-emu, point the CLI at it
emu_start() {
	local args=()
	if [ -n "${1:-}" ]; then
		printf '%s\n' "$1" >"$T/scenario.json"
		args=(--scenario "$T/scenario.json")
	fi
	[ $# -le 1 ] || args+=("${@:2}")
	"$EMU" --imds-port 0 --wireserver-port 0 --arm-port 0 --ready-file "$T/ready.json" \
		"${args[@]}" 2>"$T/emu.log" &
	EMU_PID=$!
	for _ in $(seq 1 100); do
		[ -s "$T/ready.json" ] && break
		kill -0 "$EMU_PID" 2>/dev/null || { cat "$T/emu.log" >&2; return 1; }
		sleep 0.05
	done
	ARM=$(jget 'd["arm"]' <"$T/ready.json")
	IMDS=$(jget 'd["imds"]' <"$T/ready.json")
	export LAZULI_ARM_URL=$ARM LAZULI_AUTHORITY_URL=$ARM LAZULI_IMDS_URL=$IMDS
}

jget() {
	python3 -c '
import json, sys
d = json.load(sys.stdin)
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))
' "$1"
}

# requests [path-prefix]: what ARM received, as JSON
requests() {
	curl -sS ${REQUESTS_CA_BUNDLE:+--cacert "$REQUESTS_CA_BUNDLE"} "$ARM/_emu/requests?port=arm"
}
