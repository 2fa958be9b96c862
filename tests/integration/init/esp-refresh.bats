#!/usr/bin/env bats
# src/init/esp-refresh, which lazuli-init's dpkg trigger runs when a signed
# shim or GRUB is installed: on a fake ESP and a fake /usr/lib, as a user
# (and a VM, in tests/image) would see it.

bats_require_minimum_version 1.5.0

setup() {
	T=$(mktemp -d /tmp/lazuli-esp.XXXXXX)
	SCRIPT="$BATS_TEST_DIRNAME/../../../src/init/esp-refresh"
	export ESP=$T/esp USRLIB=$T/lib FSTAB=$T/fstab
	: >"$FSTAB"
	mkdir -p "$ESP/EFI/BOOT" "$USRLIB/shim" "$USRLIB/grub/x86_64-efi-signed" "$USRLIB/grub/arm64-efi-signed"
	case $(dpkg --print-architecture) in
	amd64) efi=x64 up=X64 grub=x86_64-efi-signed ;;
	arm64) efi=aa64 up=AA64 grub=arm64-efi-signed ;;
	*) skip "no signed boot chain for $(dpkg --print-architecture)" ;;
	esac
	for f in shim mm; do echo "old $f" >"$USRLIB/shim/$f$efi.efi.signed"; done
	echo "old grub" >"$USRLIB/grub/$grub/grub$efi.efi.signed"
	cp "$USRLIB/shim/shim$efi.efi.signed" "$ESP/EFI/BOOT/BOOT$up.EFI"
	cp "$USRLIB/shim/mm$efi.efi.signed" "$ESP/EFI/BOOT/mm$efi.efi"
	cp "$USRLIB/grub/$grub/grub$efi.efi.signed" "$ESP/EFI/BOOT/grub$efi.efi"
}

teardown() {
	chmod -R u+w "$T" 2>/dev/null || true
	rm -rf "$T"
}

@test "an ESP that matches is left alone" {
	touch -d @1000 "$ESP/EFI/BOOT/"*
	run "$SCRIPT"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(stat -c %Y "$ESP/EFI/BOOT/BOOT$up.EFI")" -eq 1000 ]
}

@test "new signed binaries reach the ESP's removable path, GRUB before shim" {
	echo "new grub" >"$USRLIB/grub/$grub/grub$efi.efi.signed"
	echo "new shim" >"$USRLIB/shim/shim$efi.efi.signed"
	run "$SCRIPT"
	[ "$status" -eq 0 ]
	[ "$(cat "$ESP/EFI/BOOT/grub$efi.efi")" = "new grub" ]
	[ "$(cat "$ESP/EFI/BOOT/BOOT$up.EFI")" = "new shim" ]
	[ "$(cat "$ESP/EFI/BOOT/mm$efi.efi")" = "old mm" ]
	[ "${lines[0]}" = "esp-refresh: $ESP/EFI/BOOT/grub$efi.efi updated from $USRLIB/grub/$grub/grub$efi.efi.signed" ]
	[[ "${lines[1]}" == *"BOOT$up.EFI updated"* ]]
	[ -z "$(find "$ESP" -name '*.new')" ]
}

@test "when GRUB cannot be written (a full ESP), shim is not updated either and the old pair stays" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to mount a small file system"
	echo "new grub" >"$USRLIB/grub/$grub/grub$efi.efi.signed"
	echo "new shim" >"$USRLIB/shim/shim$efi.efi.signed"
	run unshare -m sh -c '
		mount -t tmpfs -o size=16k esp "$ESP" &&
		mkdir -p "$ESP/EFI/BOOT" &&
		echo "old grub" >"$ESP/EFI/BOOT/grub'"$efi"'.efi" &&
		echo "old shim" >"$ESP/EFI/BOOT/BOOT'"$up"'.EFI" &&
		echo "old mm" >"$ESP/EFI/BOOT/mm'"$efi"'.efi" &&
		head -c 2M /dev/zero >"$ESP/filler" 2>/dev/null; "$1"; echo "rc=$?";
		cat "$ESP/EFI/BOOT/grub'"$efi"'.efi" "$ESP/EFI/BOOT/BOOT'"$up"'.EFI";
		echo "files: $(ls "$ESP/EFI/BOOT" | tr "\n" " ")"' sh "$SCRIPT"
	[[ "$output" == *"could not update $ESP/EFI/BOOT/grub$efi.efi"* ]]
	[[ "$output" == *"shim not updated"* ]]
	[[ "$output" == *"rc=1"* ]]
	[[ "$output" == *$'old grub\nold shim'* ]]
	files=$(grep '^files: ' <<<"$output")
	[ "$files" = "files: BOOT$up.EFI grub$efi.efi mm$efi.efi " ]
}

@test "no ESP mounted (an image tree being built): nothing to do, exit 0" {
	rm -rf "$ESP"
	run "$SCRIPT"
	[ "$status" -eq 0 ]
	[[ "$output" == *"no $ESP/EFI/BOOT"*"nothing refreshed"* ]]
}

@test "an ESP listed in fstab that cannot be read (it did not mount) is an error" {
	rm -rf "$ESP"
	printf '# %s\nUUID=ECE9-BBAD\t%s\tvfat\tumask=0077,nofail,x-systemd.automount\t0\t2\n' "$ESP" "$ESP" >"$FSTAB"
	run "$SCRIPT"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$ESP is in $FSTAB but $ESP/EFI/BOOT cannot be read"* ]]
	# only a commented-out line: no ESP meant
	printf '#UUID=ECE9-BBAD\t%s\tvfat\tdefaults\t0\t2\n' "$ESP" >"$FSTAB"
	run "$SCRIPT"
	[ "$status" -eq 0 ]
}
