# Shared helpers for the lazuli-metrics integration tests: the real binary
# over the fixture root (or a copy of it), on an ephemeral loopback port.

LM="${LAZULI_BUILDDIR:?LAZULI_BUILDDIR is not set}/src/metrics/lazuli-metrics"
ROOT="${LAZULI_SRCDIR:?LAZULI_SRCDIR is not set}/tests/fixtures/metrics/root"

common_setup() {
	T=$(mktemp -d /tmp/lazuli-metrics-it.XXXXXX)
	LM_PID=
	# no system configuration leaks into the tests
	printf '[Metrics]\nRunStateDirectory=\n' >"$T/metrics.conf"
	export LAZULI_METRICS_CONFIG="$T/metrics.conf"
	# the Azure Monitor pusher from this build, not an installed one
	export LAZULI_METRICS_PUSH="$LAZULI_BUILDDIR/src/metrics/lazuli-metrics-push"
}

common_teardown() {
	lm_stop
	[ -n "${T:-}" ] && rm -rf "$T"
}

# A writable copy of the fixture root in $T/root.
copy_root() {
	cp -a "$ROOT" "$T/root"
}

# lm_start [args...]: start the server on 127.0.0.1:0; sets LM_PID and URL.
lm_start() {
	"$LM" --listen 127.0.0.1:0 "$@" 2>"$T/lm.log" &
	LM_PID=$!
	for _ in $(seq 1 100); do
		grep -q 'Serving metrics on' "$T/lm.log" 2>/dev/null && break
		kill -0 "$LM_PID" 2>/dev/null || { cat "$T/lm.log" >&2; LM_PID=; return 1; }
		sleep 0.05
	done
	URL=$(sed -n 's/.*Serving metrics on \(http:[^ ]*\).*/\1/p' "$T/lm.log" | head -n 1)
	[ -n "$URL" ] || { echo "lazuli-metrics did not start" >&2; cat "$T/lm.log" >&2; return 1; }
}

# Stop the server: SIGTERM, then SIGKILL if it has not gone within 5 s.
lm_stop() {
	[ -n "${LM_PID:-}" ] || return 0
	kill -TERM "$LM_PID" 2>/dev/null || true
	for _ in $(seq 1 50); do
		kill -0 "$LM_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$LM_PID" 2>/dev/null; then
		echo "lazuli-metrics ignored SIGTERM; killing it" >&2
		kill -KILL "$LM_PID" 2>/dev/null || true
	fi
	wait "$LM_PID" 2>/dev/null || true
	LM_PID=
}
