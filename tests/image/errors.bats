#!/usr/bin/env bats
# The image build stops on bad input with a message naming the cause and
# leaves no image under the output name. Needs root; runs after boot.bats,
# whose build fills the cache (the full-disk case reuses it).

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	OUTDIR=$BATS_TEST_TMPDIR/out
	mkdir -p "$OUTDIR"
}

no_image_left() { # nothing under the output names, no temporary directory
	[ -z "$(find "$OUTDIR" -maxdepth 1 -name 'lazuli-*' -o -maxdepth 1 -name '.lazuli-*')" ]
}

@test "an unknown ARCH is refused before anything is built" {
	LAZULI_OUT=$OUTDIR run "$ROOT/image/build" --arch sparc64
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown ARCH 'sparc64' (expected x86_64 or arm64)"* ]]
	no_image_left
	run make -C "$ROOT" image ARCH=riscv LAZULI_OUT="$OUTDIR"
	[ "$status" -ne 0 ]
	[[ "$output" == *"unknown ARCH 'riscv'"* ]]
}

@test "a missing host tool is named with its Debian package" {
	# A PATH holding everything but qemu-img.
	local bin=$BATS_TEST_TMPDIR/bin t
	mkdir -p "$bin"
	# image/build adds /usr/sbin to PATH: the missing tool is one from /usr/bin.
	for t in bash env mmdebstrap python3 sfdisk mkfs.vfat mmd mcopy sha256sum dpkg-deb git \
		unshare flock id dirname basename cat sed; do
		ln -s "$(command -v "$t")" "$bin/$t"
	done
	LAZULI_OUT=$OUTDIR PATH=$bin run "$bin/bash" "$ROOT/image/build"
	[ "$status" -eq 1 ]
	[[ "$output" == *"missing host tool 'qemu-img' (Debian package qemu-utils"* ]]
	no_image_left
}

@test "a failed package download stops the build and names it" {
	# A mirror that refuses connections, and an empty cache so that
	# mmdebstrap has to download.
	LAZULI_OUT=$OUTDIR LAZULI_IMAGE_CACHE=$BATS_TEST_TMPDIR/cache \
		LAZULI_MIRROR=http://127.0.0.1:9/debian LAZULI_SECURITY_MIRROR=http://127.0.0.1:9/debian-security \
		run "$ROOT/image/build"
	[ "$status" -eq 1 ]
	[[ "$output" == *"bootstrapping the build tree failed"* ]]
	[[ "$output" == *"building the Lazuli packages failed"* ]]
	no_image_left
	# No half-bootstrapped tree stays in the cache as if it were complete.
	[ ! -e "$BATS_TEST_TMPDIR/cache/buildd-trixie-amd64" ]
	[ ! -e "$BATS_TEST_TMPDIR/cache/buildd-trixie-amd64.key" ]
	[ ! -e "$BATS_TEST_TMPDIR/cache/buildd-trixie-amd64.tmp" ]
}

@test "a full output disk stops the build and leaves no partial image" {
	[ -d /var/tmp/lazuli-image/base-trixie-amd64 ] && [ -d "$ROOT/out/debs/x86_64" ] ||
		skip "needs the cache and packages of boot.bats"
	# Room for the packages (a few MiB) but not for the image (about 450 MiB).
	run unshare --mount -- bash -c '
		mount --make-rprivate / && mount -t tmpfs -o size=64m lazuli-full "$1" &&
		cp -r "$2/out/debs" "$1/" &&
		LAZULI_OUT=$1 "$2/image/build" --arch x86_64 --skip-debs; rc=$?
		echo "left: $(ls -A "$1" | tr "\n" " ")"; exit $rc' full "$OUTDIR" "$ROOT"
	[ "$status" -eq 1 ]
	[[ "$output" == *"No space left on device"* ]]
	[[ "$output" == *"assembling the disk failed"* ]]
	# What the tmpfs held at the end: the packages, no image, no temporary.
	[ "${lines[-1]}" = "left: debs " ]
}

@test "a full host disk under a running VM stops image/boot with a message naming it" {
	[ -f "$ROOT/out/lazuli-x86_64.raw" ] || skip "needs the image of boot.bats"
	# The VM's overlay on a 320 MiB tmpfs: room to boot, not to write 512 MiB.
	mkdir -p "$BATS_TEST_TMPDIR/small"
	run unshare --mount -- bash -c '
		mount --make-rprivate / && mount -t tmpfs -o size=320m lazuli-full "$1" || exit 9
		"$2/image/boot" --keep --workdir "$1/vm" --timeout 900 >"$3" 2>&1 &
		boot=$!
		for _ in $(seq 1 900); do
			[ -s "$1/vm/vm.env" ] && break
			kill -0 $boot 2>/dev/null || break
			sleep 1
		done
		[ -s "$1/vm/vm.env" ] || { echo "the VM did not come up"; kill $boot; exit 8; }
		. "$1/vm/vm.env"
		timeout 300 ssh -i "$SSH_KEY" -p "$SSH_PORT" -o StrictHostKeyChecking=no \
			-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes "$SSH_USER@127.0.0.1" \
			"dd if=/dev/zero of=/var/tmp/fill bs=1M count=512 oflag=direct" >/dev/null 2>&1 &
		for _ in $(seq 1 300); do
			kill -0 $boot 2>/dev/null || break
			sleep 1
		done
		if kill -0 $boot 2>/dev/null; then echo "image/boot still runs"; kill $boot; fi
		wait $boot; echo "boot exit $?"
		pgrep -f "hostfwd=tcp:127.0.0.1:$SSH_PORT-" >/dev/null && echo "QEMU still runs"
		exit 0' full "$BATS_TEST_TMPDIR/small" "$ROOT" "$BATS_TEST_TMPDIR/boot.log"
	cat "$BATS_TEST_TMPDIR/boot.log"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "boot exit 1" ]
	grep -q "QEMU paused the VM: writing $BATS_TEST_TMPDIR/small/vm/disk.qcow2 failed (is $BATS_TEST_TMPDIR/small/vm full?" \
		"$BATS_TEST_TMPDIR/boot.log"
}
