# Shared setup for the lazuli-init integration tests: a scratch directory,
# a VM id fixture, lazuli-emu on ephemeral loopback ports, a configuration
# pointing lazuli-init at it, and a run inside tests/lib/with-sandbox.

EMU="$LAZULI_BUILDDIR/src/emu/lazuli-emu"
INIT="$LAZULI_BUILDDIR/src/init/lazuli-init"
SANDBOX="$LAZULI_SRCDIR/tests/lib/with-sandbox"
LIB="$BATS_TEST_DIRNAME/lib.py"

lib() { python3 "$LIB" "$@"; }

common_setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root for the sandbox"
	T=$(mktemp -d /tmp/lazuli-it.XXXXXX)
	VMID=$(cat /proc/sys/kernel/random/uuid)
	mkdir -p "$T/sysroot/sys/class/dmi/id" "$T/sysroot/sys/firmware/efi" "$T/snap"
	# Upper case, as some hypervisors report it: lazuli-init must lower-case it.
	echo "${VMID^^}" >"$T/sysroot/sys/class/dmi/id/product_uuid"
	cat >"$T/networkctl" <<-NC
	#!/bin/sh
	echo "\$@ hostname=\$(hostname)" >>"$T/networkctl.log"
	NC
	chmod +x "$T/networkctl"
	EMU_PID=
}

common_teardown() {
	if [ -n "${EMU_PID:-}" ]; then
		kill "$EMU_PID" 2>/dev/null || true
		wait "$EMU_PID" 2>/dev/null || true
	fi
	[ -n "${T:-}" ] && rm -rf "$T"
}

# In the named network namespaces when set (dhcp.bats): the emulator and
# what talks to it in SRV_NETNS, lazuli-init in INIT_NETNS.
in_srv() { if [ -n "${SRV_NETNS:-}" ]; then ip netns exec "$SRV_NETNS" "$@"; else "$@"; fi; }
in_cli() { if [ -n "${INIT_NETNS:-}" ]; then ip netns exec "$INIT_NETNS" "$@"; else "$@"; fi; }

# start_emu SCENARIO-FILE [extra emu args]
start_emu() {
	rm -f "$T/ready.json"
	# A simple command, so that EMU_PID is the emulator's (ip netns exec execs it).
	${SRV_NETNS:+ip netns exec "$SRV_NETNS"} "$EMU" --imds-port 0 --wireserver-port 0 --arm-port 0 --ready-file "$T/ready.json" \
		--scenario "$1" "${@:2}" 2>"$T/emu.log" &
	EMU_PID=$!
	for _ in $(seq 1 100); do
		[ -s "$T/ready.json" ] && break
		kill -0 "$EMU_PID" 2>/dev/null || { cat "$T/emu.log" >&2; return 1; }
		sleep 0.1
	done
	[ -s "$T/ready.json" ] || { echo "lazuli-emu did not become ready" >&2; return 1; }
	IMDS_URL=$(lib json-get "$T/ready.json" imds)
	WS_URL=$(lib json-get "$T/ready.json" wireserver)
}

# scenario NAME [lib.py scenario options...] -> writes $T/NAME.json and starts the emulator
scenario() {
	local name=$1
	shift
	lib scenario "$T/$name.json" "$VMID" "$@"
	start_emu "$T/$name.json"
}

# write_config [extra "Section.Key=Value"...]
write_config() {
	{
		echo "[Imds]"
		echo "Url=$IMDS_URL"
		echo "RequestTimeout=2s"
		echo "Budget=${IMDS_BUDGET:-8s}"
		echo "[Wireserver]"
		echo "Url=$WS_URL"
		echo "RequestTimeout=2s"
		echo "Budget=${WS_BUDGET:-8s}"
		echo "[Provisioning]"
		echo "StateDirectory=$T/state"
		echo "KvpPool=$T/kvp/.kvp_pool_1"
		echo "SysRoot=$T/sysroot"
		echo "Ovf=${OVF:-no}"
		[ -n "${OVF_PATH:-}" ] && echo "OvfPath=$OVF_PATH"
		echo "LogFile=$T/init.log"
		echo "Groups=adm,nonexistentgroup"
		echo "[Network]"
		# Only dhcp.bats takes leases, in namespaces of its own: never on the host's NIC.
		echo "EphemeralDhcp=${EPHEMERAL_DHCP:-no}"
		[ -n "${DHCP_INTERFACE:-}" ] && echo "Interface=$DHCP_INTERFACE"
		[ -n "${DHCP_TIMEOUT:-}" ] && echo "DhcpTimeout=$DHCP_TIMEOUT"
		echo "[Hostname]"
		echo "Networkctl=$T/networkctl"
	} >"$T/init.conf"
}

# run_init [RUNS] : run lazuli-init RUNS times (default 1) in one throw-away root,
# then snapshot what it did into $T/snap. Exit codes land in $T/rc.N.
run_init() {
	write_config
	in_cli "$SANDBOX" bash "$BATS_TEST_DIRNAME/in-sandbox.sh" "$T" "$INIT" "${1:-1}"
	fetch_emu
}

fetch_emu() {
	in_srv curl -sf "$IMDS_URL/_emu/requests" >"$T/requests.json"
	in_srv curl -sf "$IMDS_URL/_emu/reports" >"$T/reports.json"
}

rc() { cat "$T/rc.${1:-1}"; }
