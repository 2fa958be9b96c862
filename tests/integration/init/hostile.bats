#!/usr/bin/env bats
# Hostile metadata (spec 8.4): every case ends in a clean failure report or a
# sanitized success, never a corrupted passwd, sudoers or authorized_keys and
# never a write outside the user's home.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

assert_failed_cleanly() {
	[ "$(rc)" -eq 1 ]
	desc=$(lib check-failure "$T/reports.json")
	echo "$desc"
	[ ! -e "$T/state/$VMID.provisioned" ]
	[ -z "$(ls -A "$T/snap/sudoers.d" | grep lazuli || true)" ]
	kvp=$(lib kvp "$T/kvp/.kvp_pool_1" PROVISIONING_REPORT)
	[ "$kvp" = "$desc" ]
}

# with_value PATH JSON: a fresh emulator and sandbox run with one field replaced
with_value() {
	common_teardown
	common_setup
	scenario s --set "$1=$2"
	run_init
}

@test "hostile admin user names are refused and passwd is untouched" {
	for name in '"-oops"' '"root"' '"a\nb"' '"../x"' '"Admin"' \
		'"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"' '""' '"daemon"'; do
		echo "name $name"
		with_value compute.osProfile.adminUsername "$name"
		assert_failed_cleanly
		[[ "$desc" == *"step=user"* ]]
		cmp -s "$T/snap/passwd.before" "$T/snap/passwd"
		cmp -s "$T/snap/shadow.before" "$T/snap/shadow"
	done
}

@test "hostile computer names are refused and the hostname is untouched" {
	long=$(printf 'a%.0s' $(seq 1 255))
	for name in '"bad_host!"' "\"$long\"" '"-lead"' '"a..b"' '"tab\there"'; do
		echo "name $name"
		with_value compute.osProfile.computerName "$name"
		assert_failed_cleanly
		[[ "$desc" == *"step=hostname"* ]]
		[ "$(cat "$T/snap/uts-hostname")" = sandbox ]
		[ "$(cat "$T/snap/hostname")" = sandbox ]
	done
}

@test "keys with embedded newlines or options are dropped, good keys kept" {
	good=$(python3 -c 'import sys; sys.path.insert(0, "'"$BATS_TEST_DIRNAME"'"); import lib; print(lib.GOOD_KEY)')
	other=$(python3 -c 'import sys; sys.path.insert(0, "'"$BATS_TEST_DIRNAME"'"); import lib; print(lib.OTHER_KEY)')
	keys=$(python3 - "$good" "$other" <<-'PY'
	import json, sys
	good, other = sys.argv[1], sys.argv[2]
	print(json.dumps([
	    {"keyData": good, "path": "/home/azureuser/.ssh/authorized_keys"},
	    {"keyData": other + "\n" + 'command="/bin/sh" ' + good, "path": "/x"},
	    {"keyData": 'command="curl evil" ' + other, "path": "/x"},
	    {"keyData": "", "path": "/x"},
	    {"keyData": "ssh-ed25519 " + "A" * 16384, "path": "/x"},
	    {"keyData": other + "\r\n", "path": "/etc/passwd"},
	]))
	PY
	)
	scenario s --set "compute.publicKeys=$keys"
	run_init
	[ "$(rc)" -eq 0 ]
	# Exactly the two valid keys, each once, no options, no injected lines.
	[ "$(wc -l <"$T/snap/authorized_keys")" -eq 2 ]
	grep -qxF "$good" "$T/snap/authorized_keys"
	grep -qxF "$other" "$T/snap/authorized_keys"
	! grep -q command= "$T/snap/authorized_keys"
	# The metadata path /etc/passwd was not written to.
	! grep -q ssh-ed25519 "$T/snap/passwd"
}

@test "no valid key and no password: nobody could log in, so it fails" {
	scenario s --set 'compute.publicKeys=[{"keyData":"no-such-type AAAA","path":"/x"}]'
	run_init
	assert_failed_cleanly
	[[ "$desc" == *"step=ssh-keys"* ]]
}

@test "wrong types in metadata are rejected with the field named" {
	with_value compute.osProfile.disablePasswordAuthentication 42
	assert_failed_cleanly
	[[ "$desc" == *"disablePasswordAuthentication"* ]]

	with_value compute.publicKeys '{}'
	assert_failed_cleanly
	[[ "$desc" == *"publicKeys"* ]]

	with_value compute.osProfile.adminUsername '["azureuser"]'
	assert_failed_cleanly
	[[ "$desc" == *"adminUsername"* ]]
}

@test "missing osProfile: a reportable failure" {
	with_value compute.osProfile '"__DELETE__"'
	assert_failed_cleanly
	[[ "$desc" == *"user name"* || "$desc" == *"computer name"* ]]
}

@test "invalid UTF-8 and duplicate keys make the document unusable" {
	IMDS_BUDGET=3s
	python3 - "$T/bad-utf8.json" "$T/dup.json" "$BATS_TEST_DIRNAME/instance.json" <<-'PY'
	import sys
	doc = open(sys.argv[3], "rb").read()
	open(sys.argv[1], "wb").write(doc.replace(b'"temp-vm"', b'"temp-\xff\xfe"', 1))
	open(sys.argv[2], "wb").write(doc.replace(b'"adminUsername": "azureuser"',
	                                          b'"adminUsername": "azureuser", "adminUsername": "root"', 1))
	PY
	scenario s --raw-instance "$T/bad-utf8.json"
	run_init
	assert_failed_cleanly
	[[ "$desc" == *"step=imds"* ]]

	kill "$EMU_PID"; wait "$EMU_PID" 2>/dev/null || true; EMU_PID=
	rm -rf "$T/state" "$T/kvp"
	scenario s2 --raw-instance "$T/dup.json"
	run_init
	assert_failed_cleanly
	[[ "$desc" == *"adminUsername"* || "$desc" == *"duplicate"* ]]
}

@test "a home that is a symlink is refused" {
	echo 'ln -s /etc /home/azureuser' >"$T/pre.sh"
	scenario s
	run_init
	assert_failed_cleanly
	[ ! -e "$T/snap/sudoers.d/authorized_keys" ]
	! grep -q authorized_keys "$T/snap/etc-ssh"
}

@test ".ssh or authorized_keys as symlinks out of the home are not followed" {
	# An existing user (a re-provisioned image) whose .ssh points out of the home.
	printf 'useradd -m azureuser\nln -s /etc/ssh /home/azureuser/.ssh\n' >"$T/pre.sh"
	scenario s
	run_init
	assert_failed_cleanly
	[[ "$desc" == *"step=ssh-keys"* ]]
	! grep -q authorized_keys "$T/snap/etc-ssh"

	common_teardown
	common_setup
	printf 'useradd -m azureuser\nmkdir -p /home/azureuser/.ssh\nln -s /etc/shadow /home/azureuser/.ssh/authorized_keys\n' >"$T/pre.sh"
	scenario s
	run_init
	assert_failed_cleanly
	[[ "$desc" == *"step=ssh-keys"* ]]
	! grep -q ssh-ed25519 "$T/snap/shadow"
}
