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
