# Entry points for the Lazuli VM image. The C programs build with meson
# (see README); this file only drives image/ and tests/image/.
#
#   make image [ARCH=x86_64|arm64]   out/lazuli-ARCH.{raw,vhd,sha256,manifest}
#   make debs  [ARCH=...]            out/debs/ARCH/*.deb, built in a trixie tree
#   make vm                          tools/vm: build the x86_64 image and boot it until Ctrl-C
#   make boot                        boot out/lazuli-x86_64.raw against lazuli-emu until Ctrl-C
#   make test-image                  tests/image/*.bats (builds and boots the image)
#   make clean-image                 remove out/ (the cache in /var/tmp/lazuli-image stays)

ARCH ?= x86_64

.PHONY: image debs vm boot test-image clean-image

image:
	image/build --arch "$(ARCH)"

debs:
	image/build-debs --arch "$(ARCH)"

vm:
	tools/vm

boot:
	image/boot --arch "$(ARCH)" --keep

test-image:
	bats tests/image

clean-image:
	rm -rf out/
