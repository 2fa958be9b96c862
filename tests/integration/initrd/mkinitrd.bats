#!/usr/bin/env bats
# lazuli-mkinitrd against a kernel module tree made here: depmod's indexes
# of a kernel with built-in drivers only (the drivers of a real kernel are
# exercised by the image suite, which boots through the initramfs).

MKINITRD=$LAZULI_SRCDIR/src/initrd/lazuli-mkinitrd

setup() {
	for t in modprobe depmod cpio zstd; do
		command -v "$t" >/dev/null || PATH=$PATH:/usr/sbin:/sbin
		command -v "$t" >/dev/null || skip "needs $t (tools/install-deps test)"
	done
	T=$BATS_TEST_TMPDIR
	KVER=6.12.0-test
	mkdir -p "$T/lib/modules/$KVER/kernel" "$T/boot"
	echo "kernel/drivers/nvme/host/nvme.ko" >"$T/lib/modules/$KVER/modules.builtin"
	: >"$T/lib/modules/$KVER/modules.order"
	depmod -b "$T" "$KVER"
	# Any executable stands in for the static /init here.
	INIT=$LAZULI_BUILDDIR/src/initrd/initrd-init
	[ -x "$INIT" ] || INIT=/bin/true
	export LAZULI_INITRD_INIT=$INIT
	printf '# test list\nnvme   virtio_blk\n\nhv_storvsc # Azure\n' >"$T/modules"
}

list() { # the files in an initramfs
	zstd -dc "$1" | cpio -it --quiet | LC_ALL=C sort
}

@test "writes an initramfs with /init and the module table; missing drivers are named" {
	run "$MKINITRD" -b "$T" -m "$T/modules" "$KVER"
	[ "$status" -eq 0 ]
	[[ $output == *"virtio_blk is not a module of kernel $KVER: left out"* ]]
	[[ $output == *"hv_storvsc is not a module of kernel $KVER: left out"* ]]
	[[ $output != *nvme* ]] # built in: nothing to say
	[[ $output == *"wrote $T/boot/initrd.img-$KVER (0 drivers)"* ]]
	run list "$T/boot/initrd.img-$KVER"
	[ "$output" = "$(printf '%s\n' dev init lib lib/modules lib/modules/initrd.conf proc root sys)" ]
	zstd -dc "$T/boot/initrd.img-$KVER" | (cd "$T" && mkdir x && cd x && cpio -i --quiet)
	cmp "$INIT" "$T/x/init"
	[ "$(stat -c %a "$T/x/init")" = 755 ]
	grep -q "^# lazuli-initrd module table for $KVER" "$T/x/lib/modules/initrd.conf"
	run grep '^load' "$T/x/lib/modules/initrd.conf"
	[ "$status" -eq 1 ]
	# Only the image is left behind.
	[ "$(ls -A "$T/boot")" = "initrd.img-$KVER" ]
}

@test "the same inputs and SOURCE_DATE_EPOCH give the same bytes" {
	SOURCE_DATE_EPOCH=1700000000 "$MKINITRD" -b "$T" -m "$T/modules" -o "$T/one" "$KVER" 2>/dev/null
	sleep 1.1
	SOURCE_DATE_EPOCH=1700000000 "$MKINITRD" -b "$T" -m "$T/modules" -o "$T/two" "$KVER" 2>/dev/null
	cmp "$T/one" "$T/two"
}

@test "usage errors exit 2" {
	run "$MKINITRD"
	[ "$status" -eq 2 ]
	[[ $output == *"expected one kernel version"* ]]
	run "$MKINITRD" -x "$KVER"
	[ "$status" -eq 2 ]
	run "$MKINITRD" "$KVER" "$KVER"
	[ "$status" -eq 2 ]
	run "$MKINITRD" -h
	[ "$status" -eq 0 ]
	[[ $output == *"usage: lazuli-mkinitrd"* ]]
}

@test "bad input: a clear error, exit 1 and the old image untouched" {
	echo old >"$T/boot/initrd.img-$KVER"
	run "$MKINITRD" -b "$T" -m "$T/modules" 9.9.9-none
	[ "$status" -eq 1 ]
	[[ $output == *"no modules for kernel 9.9.9-none ($T/lib/modules/9.9.9-none does not exist)"* ]]
	run "$MKINITRD" -b "$T" -m "$T/modules" ../../etc
	[ "$status" -eq 1 ]
	[[ $output == *"'../../etc' is not a kernel version"* ]]
	run "$MKINITRD" -b "$T" -m "$T/no-such-list" "$KVER"
	[ "$status" -eq 1 ]
	[[ $output == *"cannot read the list of drivers, $T/no-such-list"* ]]
	printf 'virtio_blk ../../x\n' >"$T/bad"
	run "$MKINITRD" -b "$T" -m "$T/bad" "$KVER"
	[ "$status" -eq 1 ]
	[[ $output == *"$T/bad: '../../x' is not a module name"* ]]
	run "$MKINITRD" -b "$T" -m "$T/modules" -o "$T/nodir/initrd.img" "$KVER"
	[ "$status" -eq 1 ]
	[[ $output == *"the directory of $T/nodir/initrd.img does not exist"* ]]
	LAZULI_INITRD_INIT=$T/none run "$MKINITRD" -b "$T" -m "$T/modules" "$KVER"
	[ "$status" -eq 1 ]
	[[ $output == *"the initramfs's init, $T/none, is missing"* ]]
	rm "$T/lib/modules/$KVER/modules.alias"
	run "$MKINITRD" -b "$T" -m "$T/modules" "$KVER"
	[ "$status" -eq 1 ]
	[[ $output == *"has no modules.dep or modules.alias (run depmod $KVER)"* ]]
	[ "$(cat "$T/boot/initrd.img-$KVER")" = old ]
	[ "$(ls -A "$T/boot")" = "initrd.img-$KVER" ]
	[ -z "$(find "${TMPDIR:-/var/tmp}" -maxdepth 1 -name 'lazuli-mkinitrd.*' -newer "$T/modules")" ]
}

@test "a full disk: exit 1, no partial image, the old one kept" {
	[ "$(id -u)" -eq 0 ] || skip "needs root (a small tmpfs)"
	mkdir "$T/small"
	mount -t tmpfs -o size=8k tmpfs "$T/small" || skip "cannot mount a tmpfs here"
	head -c 4096 /dev/zero >"$T/small/initrd.img"
	# A list, the init and the output that cannot all fit in 8 KiB.
	big=$T/big-init
	head -c 200000 /dev/urandom >"$big"
	chmod +x "$big"
	LAZULI_INITRD_INIT=$big run "$MKINITRD" -b "$T" -m "$T/modules" -o "$T/small/initrd.img" "$KVER"
	ls -A "$T/small" >"$T/left"
	cmp -s <(head -c 4096 /dev/zero) "$T/small/initrd.img" && same=yes || same=no
	umount "$T/small"
	[ "$status" -eq 1 ]
	[[ $output == *"cannot write"* ]]
	[ "$(cat "$T/left")" = initrd.img ]
	[ "$same" = yes ]
}
