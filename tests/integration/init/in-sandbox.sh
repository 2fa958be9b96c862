#!/usr/bin/env bash
# Runs inside with-sandbox: optional $T/pre.sh, lazuli-init RUNS times
# ($T/between.sh between runs), then a snapshot of what it changed.
set -u
T=$1 INIT=$2 RUNS=$3
[ "${LAZULI_SANDBOX:-}" = 1 ] || { echo "not in a sandbox" >&2; exit 1; }

mkdir -p /etc/ssh/sshd_config.d /run/sshd
cp /etc/passwd "$T/snap/passwd.before"
cp /etc/shadow "$T/snap/shadow.before"
[ -f "$T/pre.sh" ] && bash "$T/pre.sh"
for i in $(seq 1 "$RUNS"); do
	"$INIT" -c "$T/init.conf" >>"$T/init.out" 2>&1
	echo $? >"$T/rc.$i"
	[ "$i" -lt "$RUNS" ] && [ -f "$T/between.sh" ] && bash "$T/between.sh"
done
"$INIT" -c "$T/init.conf" --status >"$T/status.out" 2>&1

cp /etc/passwd /etc/shadow /etc/group /etc/hostname "$T/snap/"
hostname >"$T/snap/uts-hostname"
cp -a /etc/sudoers.d "$T/snap/sudoers.d"
cp -a /etc/ssh/sshd_config.d "$T/snap/sshd_config.d"
for f in /etc/sudoers.d/*; do
	[ -f "$f" ] || continue
	visudo -cf "$f" >/dev/null 2>&1 && echo "ok $f" || echo "bad $f"
done >"$T/snap/visudo"
id azureuser >"$T/snap/id" 2>&1
if [ -d /home/azureuser ]; then
	stat -c '%n %a %U %G %F' /home/azureuser /home/azureuser/.ssh \
		/home/azureuser/.ssh/authorized_keys >"$T/snap/stat" 2>&1
	cp /home/azureuser/.ssh/authorized_keys "$T/snap/authorized_keys" 2>/dev/null
fi
ls -la /etc/ssh >"$T/snap/etc-ssh" 2>&1
[ -f "$T/post.sh" ] && bash "$T/post.sh"
exit 0
