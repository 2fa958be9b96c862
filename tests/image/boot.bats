#!/usr/bin/env bats
# The image end to end: build it (cached trees), boot it under OVMF with
# Secure Boot enforced against lazuli-emu, and check what a user and the
# platform see. Needs root (mmdebstrap) and tools/install-deps image.
# LAZULI_IMAGE_TEST_SKIP_BUILD=1 boots out/lazuli-ARCH.raw as it is;
# LAZULI_IMAGE_ARCH=arm64 builds and boots the arm64 image (tools/test-arm64).

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
ARCH=${LAZULI_IMAGE_ARCH:-x86_64}

setup_file() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	if [ "${LAZULI_IMAGE_TEST_SKIP_BUILD:-0}" != 1 ]; then
		"$ROOT/image/build" --arch "$ARCH" >"$BATS_FILE_TMPDIR/build.log" 2>&1 || {
			tail -n 30 "$BATS_FILE_TMPDIR/build.log" >&3
			return 1
		}
	fi
	VM=$BATS_FILE_TMPDIR/vm
	export VM
	"$ROOT/image/boot" --arch "$ARCH" --keep --workdir "$VM" --timeout 900 >"$BATS_FILE_TMPDIR/boot.log" 2>&1 &
	echo $! >"$BATS_FILE_TMPDIR/boot.pid"
	# image/boot writes vm.env once the VM is provisioned and ssh works.
	for _ in $(seq 1 960); do
		[ -s "$VM/vm.env" ] && break
		kill -0 "$(cat "$BATS_FILE_TMPDIR/boot.pid")" 2>/dev/null || break
		sleep 1
	done
	[ -s "$VM/vm.env" ] || {
		tail -n 40 "$BATS_FILE_TMPDIR/boot.log" >&3
		return 1
	}
	# shellcheck disable=SC1091
	. "$VM/vm.env"
	echo "# provisioned: Ready report $READY_SECONDS s, ssh $SSH_SECONDS s after QEMU start" >&3
}

teardown_file() {
	local f pid
	for f in boot.pid boot2.pid; do
		pid=$(cat "$BATS_FILE_TMPDIR/$f" 2>/dev/null) || continue
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
}

setup() {
	VM=$BATS_FILE_TMPDIR/vm
	# shellcheck disable=SC1091
	. "$VM/vm.env"
	setup_ssh
}

setup_ssh() { # after a vm.env was read
	SSH_OPTS=(-p "$SSH_PORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
		-o LogLevel=ERROR -o ConnectTimeout=30 -o BatchMode=yes
		-o ServerAliveInterval=15 -o ServerAliveCountMax=8)
}

vm_ssh() { # run a command in the VM as the provisioned user
	ssh -i "$SSH_KEY" -o IdentitiesOnly=yes "${SSH_OPTS[@]}" "$SSH_USER@127.0.0.1" "$@"
}

vm() { # the same, and when ssh fails, show the VM's console
	local rc=0
	vm_ssh "$@" || rc=$?
	[ "$rc" -ne 255 ] || vm_unreachable
	return "$rc"
}

vm_unreachable() { # once per VM: say what its console said last
	local mark=$BATS_FILE_TMPDIR/unreachable.$SSH_PORT
	[ -e "$mark" ] && return 0
	touch "$mark"
	{
		echo "# ssh to the VM failed; QEMU $(pgrep -f "hostfwd=tcp:127.0.0.1:$SSH_PORT-" >/dev/null &&
			echo is running || echo has stopped); its serial console ends with:"
		tail -n 40 "$SERIAL_LOG" | sed -e 's/\x1b\[[0-9;]*[A-Za-z]//g' -e 's/^/#   /'
		echo "# and image/boot said last:"
		tail -n 5 "$BATS_FILE_TMPDIR"/boot*.log | sed -e 's/^/#   /'
	} >&3
}

reports() { # the health reports the emulator received, as "proto state" lines
	curl -sf --noproxy '*' "$IMDS/_emu/reports" | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    print(r["proto"], r["state"])'
}

@test "the VM booted with UEFI Secure Boot enforced" {
	# SecureBoot variable: 4 bytes of attributes, then 1 when enforced.
	run vm od -An -tu1 -j4 -N1 /sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = 1 ]
	grep -aq 'EFI stub: UEFI Secure Boot is enabled' "$SERIAL_LOG"
	run vm cat /sys/kernel/security/lockdown
	[[ "$output" == *"[integrity]"* || "$output" == *"[confidentiality]"* ]]
}

@test "lazuli-initrd's initramfs found the root and loaded the drivers of the devices there" {
	grep -aq 'lazuli-initrd: root /dev/vda2 (ext4, ro) after' "$SERIAL_LOG"
	run grep -a 'lazuli-initrd: cannot' "$SERIAL_LOG"
	[ "$status" -eq 1 ]
	# Its driver loader went on beside init after the root was mounted, and
	# says what it loaded: the disk's, the NIC's and the CD-ROM's drivers.
	run grep -a 'lazuli-initrd: drivers loaded:' "$SERIAL_LOG"
	[ "$status" -eq 0 ]
	[[ $output == *virtio_blk* && $output == *virtio_net* ]]
	[ "$ARCH" = arm64 ] || [[ $output == *ahci* && $output == *sr_mod* ]]
	# virtio's disk and NIC drivers came from it; Hyper-V's were not tried.
	run vm 'lsmod | cut -d" " -f1'
	[[ $output == *virtio_blk* && $output == *virtio_net* ]]
	[[ $output != *hv_vmbus* && $output != *hv_storvsc* ]]
	run vm 'dpkg -s initramfs-tools'
	[ "$status" -ne 0 ]
	[[ $output == *"'initramfs-tools' is not installed"* ]]
	# The kernel package's hook rebuilds it with the same drivers.
	run vm 'v=$(uname -r) && sudo -n /etc/kernel/postinst.d/lazuli-initrd "$v" "/boot/vmlinuz-$v" 2>&1 &&
		zstd -dc "/boot/initrd.img-$v" | cpio -i --quiet --to-stdout lib/modules/initrd.conf | grep "^load"'
	[ "$status" -eq 0 ]
	[[ $output == *"lazuli-mkinitrd: wrote /boot/initrd.img-"*" drivers)"* ]]
	[[ $output == *"load virtio_blk virtio_blk"* ]]
	[[ $output == *"load hv_storvsc hv_vmbus scsi_common scsi_mod scsi_transport_fc hv_storvsc"* ]]
}

@test "lazuli-init provisioned the host name, the user and its key" {
	[ "$(vm hostname)" = "$VM_NAME" ]
	run vm id -un
	[ "$output" = "$SSH_USER" ]
	run vm cat .ssh/authorized_keys
	[ "$status" -eq 0 ]
	[[ "$output" == *"$(cut -d' ' -f2 "$ROOT/tests/fixtures/emu/test_ed25519.pub")"* ]]
	run vm sudo -n /usr/libexec/lazuli/lazuli-init --status
	[[ "$output" == *"state:   provisioned"* ]]
	# It read ovf-env.xml from the provisioning CD-ROM and kept a copy.
	run vm "sudo -n grep -c '<UserName>' /var/lib/lazuli-init/ovf-env.xml"
	[ "$output" = 1 ]
	# It reached IMDS on a DHCP lease of its own, early in boot, and
	# systemd-networkd took over the same address.
	run vm sudo -n journalctl -b -u lazuli-init.service --no-pager
	[[ "$output" =~ Ephemeral\ DHCP\ lease\ on\ [a-z0-9]+:\ ([0-9.]+)/[0-9]+\ from ]]
	local leased=${BASH_REMATCH[1]}
	run vm ip -4 -o addr show
	[[ "$output" == *" inet $leased/"* ]]
	run vm networkctl status --no-pager -n0
	[[ "$output" == *"State: routable"* ]]
}

@test "exactly one Ready report reached the emulator" {
	run reports
	[ "$status" -eq 0 ]
	[ "$output" = "json Ready" ]
}

@test "ssh with the emulator's key logs in" {
	run vm echo logged-in
	[ "$status" -eq 0 ]
	[ "$output" = logged-in ]
}

@test "password and keyboard-interactive login are refused" {
	run ssh "${SSH_OPTS[@]}" -o PubkeyAuthentication=no \
		-o PreferredAuthentications=password,keyboard-interactive "$SSH_USER@127.0.0.1" true
	[ "$status" -eq 255 ]
	[[ "$output" == *"Permission denied (publickey)"* ]]
	run vm sudo -n sshd -T
	[[ "$output" == *"passwordauthentication no"* ]]
	[[ "$output" == *"kbdinteractiveauthentication no"* ]]
	[[ "$output" == *"permitrootlogin no"* ]]
}

@test "no unit failed and nothing but sshd listens beyond loopback" {
	run vm systemctl is-system-running --wait
	[ "$output" = running ]
	run vm sudo -n ss -Htlnu
	[ "$status" -eq 0 ]
	local listeners
	listeners=$(echo "$output" | awk '{print $5}' | grep -v -E '^(127\.|\[::1\]|.*%lo:)' |
		grep -v -E ':68$' | sort -u | tr '\n' ' ')
	[ "$listeners" = "0.0.0.0:22 [::]:22 " ]
}

@test "hardened by default: root locked, kernel sysctls, nftables, no compilers" {
	run vm sudo -n passwd -S root
	[[ "$output" == "root L "* ]]
	run vm 'for k in kernel/kptr_restrict kernel/dmesg_restrict kernel/unprivileged_bpf_disabled \
		kernel/kexec_load_disabled kernel/yama/ptrace_scope fs/protected_symlinks; do
		printf "%s=%s\n" "$k" "$(cat /proc/sys/$k)"; done'
	[ "$status" -eq 0 ]
	[[ "$output" == *"kernel/kptr_restrict=2"* ]]
	[[ "$output" == *"kernel/dmesg_restrict=1"* ]]
	[[ "$output" == *"kernel/unprivileged_bpf_disabled=1"* ]]
	[[ "$output" == *"kernel/kexec_load_disabled=1"* ]]
	[[ "$output" == *"kernel/yama/ptrace_scope=1"* ]]
	[[ "$output" == *"fs/protected_symlinks=1"* ]]
	run vm sudo -n nft list chain inet filter input
	[ "$status" -eq 0 ]
	[[ "$output" == *"policy drop;"* ]]
	[[ "$output" == *"tcp dport 22 accept"* ]]
	# setuid/setgid: only what a keys-only cloud VM uses.
	run vm 'sudo -n find / -xdev -type f -perm /6000 | sort'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '%s\n' /usr/bin/passwd /usr/bin/ssh-agent /usr/bin/su /usr/bin/sudo \
		/usr/lib/dbus-1.0/dbus-daemon-launch-helper /usr/sbin/unix_chkpwd)" ]
	run vm sudo -n dpkg-statoverride --list /usr/bin/chsh
	[ "$output" = "root root 755 /usr/bin/chsh" ]
	# No C compiler, assembler or linker, whatever it is called.
	run vm 'for c in cc gcc c++ g++ clang tcc as ld; do command -v $c; done; ls /usr/bin | grep -E "^(gcc|g\+\+|clang)-" || true'
	[ -z "$output" ]
}

@test "first-boot settings: udevd runs niced, sshd starts without a separate sshd -t or the network" {
	# image/rootfs/etc/systemd/system/ (image/README).
	run vm systemctl show -p Nice --value systemd-udevd.service
	[ "$status" -eq 0 ]
	[ "$output" = 10 ]
	run vm 'ps -o ni= -p "$(systemctl show -p MainPID --value systemd-udevd.service)"'
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | tr -d ' ')" = 10 ]
	run vm systemctl show -p ExecStartPre --value ssh.service
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# A reload still checks the configuration first.
	run vm systemctl show -p ExecReload --value ssh.service
	[[ "$output" == *"sshd ; argv[]=/usr/sbin/sshd -t"* ]]
	run vm systemctl show -p After --value ssh.service
	[ "$status" -eq 0 ]
	[[ "$output" != *network.target* ]]
	[[ "$output" == *lazuli-ssh-keygen.service* ]]
	# The alias still names the same unit.
	run vm systemctl show -p Id --value sshd.service
	[ "$output" = ssh.service ]
}

@test "every Lazuli unit is sandboxed: OK or better in systemd-analyze security" {
	run vm systemctl list-unit-files --no-legend 'lazuli*.service'
	[ "$status" -eq 0 ]
	local units
	units=$(echo "$output" | awk '{print $1}')
	[[ "$units" == *lazuli-init.service* ]]
	[[ "$units" == *lazuli-ssh-keygen.service* ]]
	local unit level
	for unit in $units; do
		level=$(vm sudo -n systemd-analyze security --no-pager "$unit" | grep 'Overall exposure level')
		echo "# $level" >&3
		[[ "$level" =~ ${unit}:\ [0-9.]+\ (PERFECT|SAFE|OK) ]]
	done
}

@test "the root file system grew to fill the disk" {
	# image/boot gives the VM a 4 GiB disk; the image's root is 1.9 GiB.
	run vm df --output=size -B1M /
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | tail -n 1)" -gt 3500 ]
}

@test "a container runs with podman's default runtime, lazuli-run, from a local root" {
	# dash and the libraries ldd names (libc, the dynamic loader), any ARCH.
	vm 'set -e; r=$(mktemp -d); mkdir -p $r/usr/bin $r/usr/lib $r/usr/lib64
		ln -s usr/bin $r/bin; ln -s usr/lib $r/lib; ln -s usr/lib64 $r/lib64
		cp /usr/bin/dash $r/usr/bin/sh
		for l in $(ldd /usr/bin/dash | grep -o "/[^ ]*"); do cp --parents "$l" $r/; done
		echo $r >/tmp/rootfs-dir'
	run vm sudo -n podman info --format '{{.Host.OCIRuntime.Name}}'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = lazuli-run ]
	run vm 'sudo -n podman run --rm --network none --rootfs "$(cat /tmp/rootfs-dir)" /usr/bin/sh -c "echo in-container"'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = in-container ]
}

@test "podman --runtime lazuli-run: a systemd scope with the limits, gone after rm" {
	# The rootfs of the test before; podman's cgroup manager is systemd, so
	# lazuli-run gets --systemd-cgroup and machine.slice:libpod:ID.
	run vm 'sudo -n podman --runtime lazuli-run run -d -i --network none --memory 64m --pids-limit 50 \
		--rootfs "$(cat /tmp/rootfs-dir)" /usr/bin/sh -c "read x"'
	echo "$output"
	[ "$status" -eq 0 ]
	id=${lines[-1]}
	run vm sudo -n podman inspect --format '{{.OCIRuntime}}' "$id"
	[ "$output" = lazuli-run ]
	run vm systemctl show -p ActiveState -p MemoryMax -p TasksMax "libpod-$id.scope"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *ActiveState=active* ]]
	[[ "$output" == *MemoryMax=67108864* ]]
	[[ "$output" == *TasksMax=50* ]]
	# The container sees the same limits in its own cgroup.
	# (The root holds only dash: shell builtins.)
	run vm sudo -n podman exec "$id" /usr/bin/sh -c "'read m </sys/fs/cgroup/memory.max; read p </sys/fs/cgroup/pids.max; echo \$m \$p'"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "67108864 50" ]
	run vm sudo -n podman rm -f -t 0 "$id"
	[ "$status" -eq 0 ]
	# lazuli-run delete stops the scope (StopUnit) and waits for it, as runc does
	run vm "systemctl show -P ActiveState libpod-$id.scope; sudo -n ls /run/lazuli-run; test -e /sys/fs/cgroup/machine.slice/libpod-$id.scope && echo cgroup-left"
	echo "$output"
	[ "${lines[0]}" = inactive ]
	[[ "$output" != *"$id"* ]]
	[[ "$output" != *cgroup-left* ]]
}

@test "lazuli-run puts the container under config.json's AppArmor profile; one not loaded is named" {
	# The kernel's AppArmor is on. Without apparmor_parser in the image no
	# profile is loaded, but a policy namespace made through securityfs
	# brings its own "unconfined": a label that differs from the host's.
	run vm cat /sys/module/apparmor/parameters/enabled
	[ "$output" = Y ]
	run vm 'sudo -n sh -s' <<'EOF'
set -e
ns=/sys/kernel/security/apparmor/policy/namespaces/lzr
[ -d $ns ] || mkdir $ns
r=$(cat /tmp/rootfs-dir)
# lazuli-run's default config keeps no CAP_DAC_OVERRIDE: root in the
# container must be able to search the (mktemp, 0700) root.
chmod 755 "$r"
rm -f "$r/lzr-fifo"
mkfifo "$r/lzr-fifo"
b=$(mktemp -d)
cd "$b"
lazuli-run spec
mv config.json spec.json
# conf PROFILE: the default config, the dash root, a process that waits on the fifo
conf() {
	sed -e "s|\"path\": \"rootfs\"|\"path\": \"$r\"|" \
	    -e "s|\"cwd\": \"/\",|\"cwd\": \"/\", \"apparmorProfile\": \"$1\",|" \
	    -e 's|^\( *\)"sh"$|\1"sh", "-c", "read x </lzr-fifo"|' spec.json >config.json
}
conf :lzr:unconfined
lazuli-run run -d -b . lzr-aa </dev/null >/dev/null 2>run.err || { cat run.err; exit 1; }
pid=$(lazuli-run state lzr-aa | sed -n 's/^ *"pid": \([0-9]*\),*$/\1/p')
echo "container=$(cat /proc/$pid/attr/current)"
echo "host=$(cat /proc/self/attr/current)"
echo >"$r/lzr-fifo"
lazuli-run delete -f lzr-aa
conf lzr-not-loaded
if lazuli-run run -b . lzr-aa2 </dev/null 2>err; then echo ran; fi
cat err
echo "left=$(lazuli-run list -q | tr '\n' ' ')"
rmdir $ns
EOF
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"container=:lzr:unconfined"$'\n'* ]]
	[[ "$output" == *$'\nhost=unconfined'* ]]
	[[ "$output" != *$'\nran'* ]]
	[[ "$output" == *$'\nlazuli-run: process.apparmorProfile lzr-not-loaded: no such AppArmor profile is loaded'* ]]
	[[ "$output" == *$'\nleft=' ]]
}

@test "rootless lazuli-run --systemd-cgroup: the user's own systemd manager makes the scope, with the limits" {
	# As the provisioned user, whose ssh login (pam_systemd) started a user
	# manager; the dash root of the podman test, owned by that user.
	run vm 'sh -s' <<'EOF'
set -e
r=$(cat /tmp/rootfs-dir)
b=$(mktemp -d)
cd "$b"
lazuli-run spec --rootless
mv config.json spec.json
sed -e "s|\"path\": \"rootfs\"|\"path\": \"$r\"|" \
    -e 's|^\( *\)"sh"$|\1"sh", "-c", "read c </proc/self/cgroup; echo cgroup=$c; read p </sys/fs/cgroup${c#0::}/pids.max; echo pids=$p"|' \
    -e 's|^\( *\)"linux": {$|\1"linux": {"cgroupsPath": "user.slice:lzr:rl1", "resources": {"pids": {"limit": 42}},|' \
    spec.json >config.json
lazuli-run --systemd-cgroup run -b . rl1 </dev/null
echo "uid=$(id -u)"
# run ends with delete, which stops the scope through the user manager
# (StopUnit) and waits for it, as runc does.
echo "after=$(systemctl --user show -P ActiveState lzr-rl1.scope)"
echo "left=$(lazuli-run list -q | tr '\n' ' ')"
EOF
	echo "$output"
	[ "$status" -eq 0 ]
	local uid
	uid=$(echo "$output" | sed -n 's/^uid=//p')
	[[ "$output" == *"cgroup=0::/user.slice/user-$uid.slice/user@$uid.service/user.slice/lzr-rl1.scope"$'\n'* ]]
	[[ "$output" == *$'\npids=42\n'* ]]
	[[ "$output" == *$'\nafter=inactive\n'* ]]
	[[ "$output" == *$'\nleft=' ]]
}

@test "containerd's runc shim runs lazuli-run (CRI's BinaryName); containerd waits to be started" {
	run vm systemctl is-enabled containerd.service
	[ "$output" = disabled ]
	run vm 'sudo -n systemctl start containerd.service && sudo -n containerd config dump'
	[ "$status" -eq 0 ]
	[[ "$output" == *'BinaryName = "/usr/bin/lazuli-run"'* ]]
	[[ "$output" == *'SystemdCgroup = true'* ]]
	# The same runc option through ctr, with the root of the podman test.
	run vm 'sudo -n ctr run --rm --runc-binary /usr/bin/lazuli-run --rootfs "$(cat /tmp/rootfs-dir)" lzr-ctd /usr/bin/sh -c "echo in-containerd"'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = in-containerd ]
	vm sudo -n systemctl stop containerd.service
}

@test "lazuli-metrics runs sandboxed and serves the VM's metrics on loopback" {
	run vm systemctl is-active lazuli-metrics.service
	[ "$output" = active ]
	run vm 'bash -c "exec 3<>/dev/tcp/127.0.0.1/9179 && printf \"GET /metrics HTTP/1.0\\r\\n\\r\\n\" >&3 && cat <&3"'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "HTTP/1.0 200"* || "${lines[0]}" == "HTTP/1.1 200"* ]]
	[[ "$output" == *'node_cpu_seconds_total{cpu="0",mode="idle"}'* ]]
	[[ "$output" == *node_memory_MemTotal_bytes* ]]
	# Its own user, not root.
	# A DynamicUser= uid (61184-65519), not root.
	run vm 'stat -c %u /proc/$(systemctl show -P MainPID lazuli-metrics.service)'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" -ge 61184 ]
	[ "$output" -le 65519 ]
}

@test "the ARM CLI is in the image: lazuli logs in with the VM's identity and finds the VM" {
	[ -n "$ARM_IN_VM" ]
	run vm lazuli --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^lazuli\ [0-9] ]]
	run vm "LAZULI_ARM_URL=$ARM_IN_VM lazuli login --identity --query '[0].user.name' -o tsv"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = systemAssignedIdentity ]
	# The VM as ARM describes it is the VM IMDS describes.
	compute=$(curl -sf --noproxy '*' -H Metadata:true "$IMDS/metadata/instance/compute?api-version=2021-02-01")
	vmid=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["vmId"])' "$compute")
	rg=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["resourceGroupName"])' "$compute")
	name=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["name"])' "$compute")
	run vm "lazuli vm show -g '$rg' -n '$name' --query vmId -o tsv"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$vmid" ]
}

@test "the SBOM and the manifest list exactly the packages installed in the VM" {
	# ssh hands the remote shell one string: quote the format for it.
	vm "dpkg-query -W -f '\${Package}\t\${Version}\t\${Architecture}\n'" | sort >"$BATS_TEST_TMPDIR/vm"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/vm")" -gt 100 ]
	grep -q '^lazuli-init	' "$BATS_TEST_TMPDIR/vm"
	diff -u "$BATS_TEST_TMPDIR/vm" "$ROOT/out/lazuli-$ARCH.manifest"
	python3 - "$ROOT/out/lazuli-$ARCH.spdx.json" "$BATS_TEST_TMPDIR/vm" "$ROOT/out/lazuli-$ARCH.sha256" "$ARCH" <<'PY'
import json, re, sys
doc = json.load(open(sys.argv[1]))
assert doc["spdxVersion"] == "SPDX-2.3" and doc["SPDXID"] == "SPDXRef-DOCUMENT"
ids = [p["SPDXID"] for p in doc["packages"]]
assert len(ids) == len(set(ids)), "duplicate SPDXIDs"
assert all(re.fullmatch(r"SPDXRef-[A-Za-z0-9.-]+", i) for i in ids), "invalid SPDXID"
for r in doc["relationships"]:
    assert r["relatedSpdxElement"] in ids, r
    assert r["spdxElementId"] in ids or r["spdxElementId"] == "SPDXRef-DOCUMENT", r
image = [p for p in doc["packages"] if p["SPDXID"].startswith("SPDXRef-image-")]
assert len(image) == 1
raw_sum = [l.split()[0] for l in open(sys.argv[3]) if l.split()[1] == "lazuli-%s.raw" % sys.argv[4]]
assert image[0]["checksums"] == [{"algorithm": "SHA256", "checksumValue": raw_sum[0]}]
debs = sorted("%s\t%s\t%s" % (p["name"], p["versionInfo"],
              re.search(r"arch=([^&]+)", p["externalRefs"][0]["referenceLocator"]).group(1))
              for p in doc["packages"] if p not in image)
vm = sorted(l.rstrip("\n") for l in open(sys.argv[2]))
assert debs == vm, set(debs) ^ set(vm)
contains = {r["relatedSpdxElement"] for r in doc["relationships"] if r["relationshipType"] == "CONTAINS"}
assert contains == set(ids) - {image[0]["SPDXID"]}
lz = [p for p in doc["packages"] if p["name"] == "lazuli-init"][0]
assert lz["supplier"] == "Organization: Lazuli developers", lz
# Licences from the copyright files, as valid SPDX expressions; every
# LicenseRef used is defined (with its text) and every one defined is used.
assert lz["licenseDeclared"] == "MIT", lz["licenseDeclared"]
dash = [p for p in doc["packages"] if p["name"] == "dash"][0]
assert "GPL-2.0-or-later" in dash["licenseDeclared"].split(), dash["licenseDeclared"]
known = [p for p in doc["packages"] if p not in image and p["licenseDeclared"] != "NOASSERTION"]
assert len(known) >= 0.8 * (len(doc["packages"]) - 1), len(known)
used = set()
for p in known:
    e = p["licenseDeclared"]
    assert e.count("(") == e.count(")"), e
    for tok in re.findall(r"[()]|[^\s()]+", e):
        assert tok in ("(", ")", "AND", "OR") or re.fullmatch(r"[A-Za-z0-9.+-]+", tok), (e, tok)
    used |= set(re.findall(r"LicenseRef-[A-Za-z0-9.-]+", e))
defined = {x["licenseId"]: x for x in doc.get("hasExtractedLicensingInfos", [])}
assert used == set(defined), used ^ set(defined)
assert all(x["extractedText"] for x in defined.values())
PY
}

@test "a new signed GRUB reaches the ESP through lazuli-init's dpkg trigger, and the VM reboots with it" {
	local efi=x64 grub=x86_64-efi-signed
	[ "$ARCH" = arm64 ] && efi=aa64 grub=arm64-efi-signed
	local src=/usr/lib/grub/$grub/grub$efi.efi.signed dst=/boot/efi/EFI/BOOT/grub$efi.efi
	# as built, the ESP holds what the packages hold (opening it mounts it)
	run vm "sudo -n cmp $src $dst"
	[ "$status" -eq 0 ]
	run vm "findmnt -n -t vfat -o TARGET /boot/efi"
	[ "$output" = /boot/efi ]
	# an ESP copy older than the package's, as after an upgrade nothing copied
	run vm "sudo -n sh -c 'echo stale >$dst'"
	[ "$status" -eq 0 ]
	# what dpkg does when a package installs files below that directory
	run vm "sudo -n dpkg-trigger --no-await /usr/lib/grub/$grub && sudo -n dpkg --triggers-only --pending"
	[ "$status" -eq 0 ]
	[[ "$output" == *"esp-refresh: $dst updated from $src"* ]]
	run vm "sudo -n cmp $src $dst"
	[ "$status" -eq 0 ]
	# (the next test reboots through this GRUB, with Secure Boot enforced)
}

@test "rebooting the VM sends no second report" {
	local boot_id
	boot_id=$(vm cat /proc/sys/kernel/random/boot_id)
	local panics
	panics=$(grep -ac 'Kernel panic' "$SERIAL_LOG" || true)
	vm_ssh sudo -n systemctl reboot || true
	# At most 10 minutes of wall time (each ssh try may take its 30 s
	# connect timeout; a boot takes 1-3 minutes under TCG), and none at
	# all once the guest kernel panicked.
	local new= deadline=$((SECONDS + 600))
	while [ "$SECONDS" -lt "$deadline" ]; do
		sleep 5
		if [ "$(grep -ac 'Kernel panic' "$SERIAL_LOG" || true)" -gt "$panics" ]; then
			echo "the guest kernel panicked while rebooting:"
			grep -a -B12 'Kernel panic' "$SERIAL_LOG" | tail -n 14 | sed 's/^/#   /'
			return 1
		fi
		new=$(vm_ssh cat /proc/sys/kernel/random/boot_id 2>/dev/null) || continue
		[ "$new" != "$boot_id" ] && break
	done
	if [ -z "$new" ] || [ "$new" = "$boot_id" ]; then
		echo "the VM did not come back within 10 minutes of 'systemctl reboot'"
		return 1
	fi
	run vm systemctl is-active lazuli-init.service
	[ "$output" = active ]
	run reports
	[ "$output" = "json Ready" ]
	run vm sudo -n journalctl -b -u lazuli-init.service --no-pager
	[[ "$output" == *"was provisioned already"* ]]
}

@test "the same disk booted as a new VM (another vm_id) is provisioned again" {
	# Power the first VM off cleanly; image/boot --keep ends with QEMU.
	local pid off=0
	pid=$(cat "$BATS_FILE_TMPDIR/boot.pid")
	vm_ssh sudo -n systemctl poweroff || off=$?
	for _ in $(seq 1 180); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 1
	done
	if kill -0 "$pid" 2>/dev/null; then
		# A VM that ssh could not reach (an earlier test failed for that)
		# is switched off instead; one that accepted poweroff must stop.
		[ "$off" -eq 255 ] || { echo "the VM did not power off"; false; }
		kill -TERM "$pid"
		for _ in $(seq 1 60); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 1
		done
	fi
	# The built-in VM with another vmId and computer name, and a password
	# with password login allowed: sshd, which starts beside lazuli-init with
	# the first boot's "PasswordAuthentication no", has to be reloaded.
	local fixture=$BATS_FILE_TMPDIR/vm2.json password=LazuliSecondBoot42
	python3 - "$ROOT/tests/fixtures/emu/imds_instance_extended.json" "$fixture" "$password" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
j["compute"]["vmId"] = "5f0c7e3a-91b2-4c6d-8e4f-a1b2c3d4e5f6"
j["compute"]["name"] = j["compute"]["osProfile"]["computerName"] = "second-vm"
j["compute"]["osProfile"]["disablePasswordAuthentication"] = "false"
j["password"] = sys.argv[3]
json.dump(j, open(sys.argv[2], "w"))
PY
	local vm2=$BATS_FILE_TMPDIR/vm2
	"$ROOT/image/boot" --arch "$ARCH" --keep --workdir "$vm2" --timeout 900 --disk "$VM/disk.qcow2" \
		--vm "$fixture" --key "$ROOT/tests/fixtures/emu/test_ed25519" \
		>"$BATS_FILE_TMPDIR/boot2.log" 2>&1 &
	echo $! >"$BATS_FILE_TMPDIR/boot2.pid"
	for _ in $(seq 1 960); do
		[ -s "$vm2/vm.env" ] && break
		kill -0 "$(cat "$BATS_FILE_TMPDIR/boot2.pid")" 2>/dev/null || break
		sleep 1
	done
	[ -s "$vm2/vm.env" ] || {
		tail -n 40 "$BATS_FILE_TMPDIR/boot2.log" >&3
		false
	}
	# shellcheck disable=SC1091
	. "$vm2/vm.env"
	setup_ssh
	[ "$VM_ID" = 5f0c7e3a-91b2-4c6d-8e4f-a1b2c3d4e5f6 ]
	[ "$(vm hostname)" = second-vm ]
	run reports
	[ "$output" = "json Ready" ]
	# The running sshd offers password login now (BatchMode: no prompt).
	run ssh "${SSH_OPTS[@]}" -o PubkeyAuthentication=no -o PreferredAuthentications=password \
		"$SSH_USER@127.0.0.1" true
	[ "$status" -eq 255 ]
	[[ "$output" == *"Permission denied (publickey,password)"* ]]
	# With a password, sudo asks for it.
	run vm "printf '%s\n' '$password' | sudo -S -p '' /usr/libexec/lazuli/lazuli-init --status"
	[[ "$output" == *"5f0c7e3a-91b2-4c6d-8e4f-a1b2c3d4e5f6"* ]]
	[[ "$output" == *"state:   provisioned"* ]]
}
