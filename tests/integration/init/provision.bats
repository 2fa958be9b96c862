#!/usr/bin/env bats
# lazuli-init against lazuli-emu: the normal first boot, reboots, and what a
# user finds on the VM afterwards.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

netif_fixture() {
	# Tell lazuli-init that systemd-networkd manages the host's first real link.
	local idx name
	read -r idx name < <(ip -o link show | awk -F': ' '$2 != "lo" {print $1, $2; exit}')
	name=${name%%@*}
	cat >"$T/pre.sh" <<-EOF
	mkdir -p /run/systemd/netif/links
	printf 'ADMIN_STATE=configured\nOPER_STATE=routable\n' >/run/systemd/netif/links/$idx
	EOF
	echo "$name"
}

@test "first boot: user, key, hostname, sudoers, sshd, one Ready report, marker" {
	scenario ok
	ifname=$(netif_fixture)
	run_init
	cat "$T/init.out"
	[ "$(rc)" -eq 0 ]

	# Exactly one Ready report, over the JSON protocol.
	[ "$(lib reports "$T/reports.json")" = "json Ready -" ]
	[ "$(lib count-requests "$T/requests.json" wireserver /provisioning/health)" -eq 1 ]
	lib check-imds-requests "$T/requests.json"

	# The admin user, with a locked password and the groups that exist.
	grep -q '^azureuser:' "$T/snap/passwd"
	grep -q '^azureuser:!' "$T/snap/shadow"
	grep -q '^adm:.*azureuser' "$T/snap/group"
	! grep -q nonexistentgroup "$T/snap/group"

	# Passwordless sudo through a fragment visudo accepts.
	grep -q '^ok ' "$T/snap/visudo"
	! grep -q '^bad ' "$T/snap/visudo"
	grep -rqx 'azureuser ALL=(ALL) NOPASSWD: ALL' "$T/snap/sudoers.d"

	# Exactly the metadata key, in a private .ssh owned by the user.
	[ "$(cat "$T/snap/authorized_keys")" = "$(python3 -c 'import sys; sys.path.insert(0, "'"$BATS_TEST_DIRNAME"'"); import lib; print(lib.GOOD_KEY)')" ]
	grep -q '^/home/azureuser/.ssh 700 azureuser azureuser directory' "$T/snap/stat"
	grep -q '^/home/azureuser/.ssh/authorized_keys 600 azureuser azureuser regular file' "$T/snap/stat"

	# Host name set, persisted, and re-announced over DHCP after it was set.
	[ "$(cat "$T/snap/uts-hostname")" = temp-vm ]
	[ "$(cat "$T/snap/hostname")" = temp-vm ]
	grep -q "^reconfigure $ifname hostname=temp-vm" "$T/networkctl.log"

	# Password logins off.
	grep -rqx 'PasswordAuthentication no' "$T/snap/sshd_config.d"

	# KVP: a success report and telemetry, in valid records.
	kvp=$(lib kvp "$T/kvp/.kvp_pool_1" PROVISIONING_REPORT)
	[[ "$kvp" == "result=success|agent=Lazuli-Init/"*"|vm_id=$VMID|timestamp="* ]]
	[ -n "$(lib kvp "$T/kvp/.kvp_pool_1" "lazuli-init|$VMID|telemetry|imds")" ]

	# Marker only now, status shows the timeline, the log is private.
	[ -f "$T/state/$VMID.provisioned" ]
	[ ! -e "$T/state/$VMID.applied" ]
	grep -q '^state: *provisioned' "$T/status.out"
	grep -q '^imds ' "$T/status.out"
	grep -q '^report ' "$T/status.out"
	[ "$(stat -c %a "$T/init.log")" = 600 ]
}

@test "reboot with the same vm_id sends nothing at all" {
	scenario ok
	run_init 2
	[ "$(rc 1)" -eq 0 ]
	[ "$(rc 2)" -eq 0 ]
	[ "$(lib count-requests "$T/requests.json" imds)" -eq 1 ]
	[ "$(lib count-requests "$T/requests.json" wireserver)" -eq 1 ]
	[ "$(lib reports "$T/reports.json" | wc -l)" -eq 1 ]
	grep -q "was provisioned already" "$T/init.out"
}

@test "a changed vm_id provisions again" {
	scenario ok
	cat >"$T/between.sh" <<-EOF
	cat /proc/sys/kernel/random/uuid >"$T/sysroot/sys/class/dmi/id/product_uuid"
	EOF
	run_init 2
	[ "$(rc 1)" -eq 0 ]
	[ "$(rc 2)" -eq 0 ]
	[ "$(lib reports "$T/reports.json")" = "$(printf 'json Ready -\njson Ready -')" ]
	[ "$(ls "$T/state"/*.provisioned | wc -l)" -eq 2 ]
}

@test "Gen1 VM: vm_id is byte-swapped when there is no EFI" {
	scenario ok
	rmdir "$T/sysroot/sys/firmware/efi"
	echo "11223344-5566-7788-99aa-bbccddeeff00" >"$T/sysroot/sys/class/dmi/id/product_uuid"
	run_init
	[ "$(rc)" -eq 0 ]
	[ -f "$T/state/44332211-6655-8877-99aa-bbccddeeff00.provisioned" ]
}

@test "an unreachable wireserver: exit 3, applied but not provisioned; next boot only reports" {
	WS_BUDGET=3s
	scenario down --ws '/provisioning/health=[{"status":500}]' \
		--ws '/machine/?comp=goalstate=[{"status":500}]'
	run_init
	[ "$(rc)" -eq 3 ]
	[ -f "$T/state/$VMID.applied" ]
	[ ! -e "$T/state/$VMID.provisioned" ]
	grep -q '^state: *report-failed' "$T/status.out"

	# The platform comes back: the next boot sends the report and nothing else.
	curl -sf -X POST "$IMDS_URL/_emu/reset" >/dev/null
	lib scenario "$T/ok.json" "$VMID"
	curl -sf -X PUT --data-binary @"$T/ok.json" "$IMDS_URL/_emu/scenario" >/dev/null
	run_init
	[ "$(rc)" -eq 0 ]
	[ "$(lib count-requests "$T/requests.json" imds)" -eq 0 ]
	[ "$(lib reports "$T/reports.json")" = "json Ready -" ]
	[ -f "$T/state/$VMID.provisioned" ]
	[ ! -e "$T/state/$VMID.applied" ]
}

@test "OVF password: hashed, never logged or reported, saved copy redacted" {
	secret='S3cret-Passw0rd-!x'
	mkdir -p "$T/media"
	cat >"$T/media/ovf-env.xml" <<-EOF
	<?xml version="1.0" encoding="utf-8"?>
	<Environment xmlns="http://schemas.dmtf.org/ovf/environment/1" xmlns:oe="http://schemas.dmtf.org/ovf/environment/1" xmlns:wa="http://schemas.microsoft.com/windowsazure" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
	 <wa:ProvisioningSection><wa:Version>1.0</wa:Version>
	  <LinuxProvisioningConfigurationSet xmlns="http://schemas.microsoft.com/windowsazure" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
	   <ConfigurationSetType>LinuxProvisioningConfiguration</ConfigurationSetType>
	   <HostName>temp-vm</HostName><UserName>azureuser</UserName>
	   <UserPassword>$secret</UserPassword>
	   <DisableSshPasswordAuthentication>false</DisableSshPasswordAuthentication>
	   <CustomData>Y3VzdG9tLWRhdGEtc2VjcmV0</CustomData>
	  </LinuxProvisioningConfigurationSet>
	 </wa:ProvisioningSection>
	 <wa:PlatformSettingsSection><wa:Version>1.0</wa:Version><wa:PlatformSettings>
	  <wa:ProvisionGuestAgent>true</wa:ProvisionGuestAgent>
	  <wa:PreprovisionedVm>false</wa:PreprovisionedVm><wa:PreprovisionedVMType>None</wa:PreprovisionedVMType>
	 </wa:PlatformSettings></wa:PlatformSettingsSection>
	</Environment>
	EOF
	OVF=yes OVF_PATH="$T/media"
	scenario ok --set 'compute.osProfile.disablePasswordAuthentication="false"'
	run_init
	cat "$T/init.out"
	[ "$(rc)" -eq 0 ]
	grep -q '^azureuser:\$6\$' "$T/snap/shadow"
	grep -rqx 'PasswordAuthentication yes' "$T/snap/sshd_config.d"
	# With a password, sudo asks for it.
	grep -rqx 'azureuser ALL=(ALL) ALL' "$T/snap/sudoers.d"
	# The secret is nowhere: log, output, KVP, requests seen by the platform, saved files.
	! grep -rqF "$secret" "$T/init.log" "$T/init.out" "$T/kvp" "$T/requests.json" \
		"$T/reports.json" "$T/state"
	grep -q 'REDACTED' "$T/state/ovf-env.xml"
	[ "$(stat -c %a "$T/state/ovf-env.xml")" = 600 ]
	[ "$(cat "$T/state/custom_data")" = custom-data-secret ]
	[ "$(stat -c %a "$T/state/custom_data")" = 600 ]
}

@test "requests bypass a configured proxy" {
	scenario ok
	write_config
	http_proxy=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 ALL_PROXY=http://127.0.0.1:9 \
		"$SANDBOX" bash "$BATS_TEST_DIRNAME/in-sandbox.sh" "$T" "$INIT" 1
	fetch_emu
	[ "$(rc)" -eq 0 ]
	[ "$(lib reports "$T/reports.json")" = "json Ready -" ]
}

@test "--status before any run, --help, --version, bad options" {
	run "$INIT" --version
	[ "$status" -eq 0 ]
	[[ "$output" == "lazuli-init "* ]]
	run "$INIT" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--status"* ]]
	run "$INIT" --bogus
	[ "$status" -eq 2 ]
	printf '[Provisioning]\nStateDirectory=%s/none\n' "$T" >"$T/c.conf"
	run "$INIT" -c "$T/c.conf" --status
	[ "$status" -eq 0 ]
	[[ "$output" == *"has not run"* ]]
	printf '[Provisioning]\nStateDirektory=/x\n' >"$T/bad.conf"
	run "$INIT" -c "$T/bad.conf"
	[ "$status" -eq 2 ]
	[[ "$output" == *"StateDirektory"* ]]
	printf '[Imds]\nBudget=soon\n' >"$T/bad2.conf"
	run "$INIT" -c "$T/bad2.conf"
	[ "$status" -eq 2 ]
	[[ "$output" == *"Budget"* ]]
}
