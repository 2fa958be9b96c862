#!/usr/bin/env bats
# lazuli-init's ephemeral DHCP lease, early in boot before any network
# manager: two network namespaces of the test's own joined by a veth pair.
# The "platform" side has dnsmasq and lazuli-emu on 10.77.0.1; lazuli-init's
# side starts with the link down and no address, so IMDS and the wireserver
# are reachable only through the lease it takes itself.

load helpers

setup() {
	common_setup
	command -v dnsmasq >/dev/null || skip "dnsmasq is not installed"
	local n=$$$RANDOM
	n=${n: -6}
	SRV_NETNS=lzsrv$n INIT_NETNS=lzcli$n VS=lzs$n VC=lzc$n
	ip netns add "$SRV_NETNS"
	ip netns add "$INIT_NETNS"
	ip link add "$VS" type veth peer name "$VC"
	ip link set "$VS" netns "$SRV_NETNS"
	ip link set "$VC" netns "$INIT_NETNS"
	ip -n "$SRV_NETNS" addr add 10.77.0.1/24 dev "$VS"
	ip -n "$SRV_NETNS" link set "$VS" up
	ip -n "$SRV_NETNS" link set lo up
	ip -n "$INIT_NETNS" link set lo up
	EPHEMERAL_DHCP=yes DHCP_INTERFACE=$VC
	DNSMASQ_PID=
}

teardown() {
	if [ -n "${DNSMASQ_PID:-}" ]; then
		kill "$DNSMASQ_PID" 2>/dev/null || true
		wait "$DNSMASQ_PID" 2>/dev/null || true
	fi
	common_teardown
	[ -n "${SRV_NETNS:-}" ] && ip netns del "$SRV_NETNS" 2>/dev/null
	[ -n "${INIT_NETNS:-}" ] && ip netns del "$INIT_NETNS" 2>/dev/null
	true
}

# start_dnsmasq [dnsmasq options...]: the platform's DHCP server on $VS. It
# answers at once (by default it pings an address before offering it, and
# holds the offer back for seconds).
start_dnsmasq() {
	ip netns exec "$SRV_NETNS" dnsmasq --keep-in-foreground --conf-file=/dev/null \
		--user=root --port=0 --no-resolv --no-hosts --bind-interfaces \
		--interface="$VS" --dhcp-authoritative --no-ping \
		--dhcp-range=10.77.0.50,10.77.0.59,255.255.255.0,1h \
		--dhcp-leasefile="$T/leases" --pid-file="$T/dnsmasq.pid" \
		--log-dhcp --log-facility="$T/dnsmasq.log" "$@" &
	DNSMASQ_PID=$!
	for _ in $(seq 1 50); do
		[ -s "$T/dnsmasq.pid" ] && return 0
		kill -0 "$DNSMASQ_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$T/dnsmasq.log" >&2 || true
	return 1
}

# The emulator on the platform side of the veth, not on loopback.
platform_emu() {
	lib scenario "$T/ok.json" "$VMID"
	start_emu "$T/ok.json" --listen 10.77.0.1 --allow-nonloopback
	[[ $IMDS_URL == http://10.77.0.1:* ]]
}

@test "no route to IMDS: lazuli-init takes a lease with option 121's routes and provisions" {
	start_dnsmasq --dhcp-option=121,169.254.169.254/32,10.77.0.1,10.99.0.0/16,10.77.0.1,0.0.0.0/0,10.77.0.1
	platform_emu
	run_init
	cat "$T/init.out"
	[ "$(rc)" -eq 0 ]
	[ "$(lib reports "$T/reports.json")" = "json Ready -" ]
	grep -q '^azureuser:' "$T/snap/passwd"

	# What it said, and what the server saw: one client, the lease it handed out.
	grep -Eq "Ephemeral DHCP lease on $VC: 10\.77\.0\.5[0-9]/24 from 10\.77\.0\.1 for 3600 s, 3 classless route" "$T/init.out"
	mac=$(ip -n "$INIT_NETNS" -br link show "$VC" | awk '{print $3}')
	grep -q "DHCPDISCOVER($VS) $mac" "$T/dnsmasq.log"
	grep -Eq "DHCPACK\($VS\) 10\.77\.0\.5[0-9] $mac" "$T/dnsmasq.log"
	leased=$(awk -v m="$mac" '$2 == m {print $3}' "$T/leases")
	[ -n "$leased" ]

	# The lease stays for the network manager: the address with the lease's
	# lifetime (not "forever"), the routes as protocol dhcp.
	addr=$(ip -n "$INIT_NETNS" -4 addr show dev "$VC")
	echo "$addr"
	[[ $addr == *"inet $leased/24 brd 10.77.0.255"* ]]
	[[ $addr =~ valid_lft\ 3[0-9]{3}sec ]]
	routes=$(ip -n "$INIT_NETNS" -4 route show dev "$VC")
	echo "$routes"
	grep -qx "default via 10.77.0.1 proto dhcp src $leased *" <<<"$routes"
	grep -qx "10.99.0.0/16 via 10.77.0.1 proto dhcp src $leased *" <<<"$routes"
	grep -qx "169.254.169.254 via 10.77.0.1 proto dhcp src $leased *" <<<"$routes"
	# --status shows the step with its time.
	grep -Eq '^dhcp +[0-9.]+ s' "$T/status.out"
}

@test "a server without option 121: the default route through its router" {
	start_dnsmasq
	platform_emu
	run_init
	cat "$T/init.out"
	[ "$(rc)" -eq 0 ]
	grep -q "Ephemeral DHCP lease on $VC: 10\.77\.0\.5[0-9]/24 from 10\.77\.0\.1 for 3600 s, 1 default route" "$T/init.out"
	routes=$(ip -n "$INIT_NETNS" -4 route show dev "$VC")
	echo "$routes"
	grep -q "^default via 10.77.0.1 proto dhcp " <<<"$routes"
	[ "$(grep -c . <<<"$routes")" -eq 2 ] # and the kernel's subnet route
}

@test "a route to IMDS already: no DHCP at all" {
	start_dnsmasq
	platform_emu
	ip -n "$INIT_NETNS" addr add 10.77.0.9/24 dev "$VC"
	ip -n "$INIT_NETNS" link set "$VC" up
	run_init
	cat "$T/init.out"
	[ "$(rc)" -eq 0 ]
	! grep -q "Ephemeral DHCP" "$T/init.out"
	! grep -q DHCPDISCOVER "$T/dnsmasq.log"
	[ "$(ip -n "$INIT_NETNS" -4 -o addr show dev "$VC" | wc -l)" -eq 1 ]
}

@test "no DHCP server: a warning that says so, no address, the report cannot go out" {
	platform_emu
	DHCP_TIMEOUT=3s IMDS_BUDGET=2s WS_BUDGET=2s run_init
	cat "$T/init.out"
	grep -q "No ephemeral DHCP lease: no DHCP offer on $VC after [0-9]* messages; waiting for the network manager's" "$T/init.out"
	# Provisioning failed for want of IMDS, and that report had no route either.
	[ "$(rc)" -eq 3 ]
	[ -z "$(ip -n "$INIT_NETNS" -4 -o addr show dev "$VC")" ]
	[ "$(lib count-requests "$T/requests.json" wireserver /provisioning/health)" -eq 0 ]
}

@test "an interface that never appears: named in the warning" {
	platform_emu
	DHCP_INTERFACE=lznosuch0 DHCP_TIMEOUT=1s IMDS_BUDGET=1s WS_BUDGET=1s run_init
	cat "$T/init.out"
	grep -q "No ephemeral DHCP lease: interface lznosuch0 did not appear" "$T/init.out"
	[ "$(rc)" -eq 3 ]
}
