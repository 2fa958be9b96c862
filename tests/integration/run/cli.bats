#!/usr/bin/env bats
# The command line that needs no container: --version, --help, features, spec.

load helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

@test "--version and --help" {
	run "$RUNTIME" --version
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^lazuli-run\ version\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	[ "${lines[1]}" = "spec: 1.2.0" ]
	run "$RUNTIME" --help
	[ "$status" -eq 0 ]
	for verb in create start run state kill delete list features spec; do
		[[ "$output" == *"  $verb "* ]]
	done
}

@test "features: the OCI document, listing only what is implemented" {
	run "$RUNTIME" features
	[ "$status" -eq 0 ]
	echo "$output" >"$OUT/f.json"
	[ "$(json_get 'd["ociVersionMin"], d["ociVersionMax"]' <"$OUT/f.json")" = '["1.0.0", "1.2.0"]' ]
	[ "$(json_get 'd["hooks"]' <"$OUT/f.json")" = '["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]' ]
	[ "$(json_get 'sorted(d["linux"]["namespaces"])' <"$OUT/f.json")" = '["cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"]' ]
	[ "$(json_get 'd["linux"]["cgroup"]["v2"], d["linux"]["cgroup"]["v1"], d["linux"]["cgroup"]["systemd"]' <"$OUT/f.json")" = '[true, true, true]' ]
	[ "$(json_get '"SCMP_ACT_NOTIFY" in d["linux"]["seccomp"]["actions"]' <"$OUT/f.json")" = true ]
	[ "$(json_get 'all(o in d["mountOptions"] for o in ("rbind", "rro", "idmap", "tmpcopyup"))' <"$OUT/f.json")" = true ]
	[ "$(json_get 'd["linux"]["mountExtensions"]["idmap"]["enabled"]' <"$OUT/f.json")" = true ]
	[ "$(json_get 'len(d["linux"]["capabilities"])' <"$OUT/f.json")" = 41 ]
}

@test "spec writes a hardened config.json and never overwrites one" {
	rm "$B/config.json"
	run lr spec -b "$B"
	[ "$status" -eq 0 ]
	c="$B/config.json"
	[ "$(json_get 'd["process"]["noNewPrivileges"], d["root"]["readonly"], d["process"]["terminal"]' <"$c")" = '[true, true, false]' ]
	[ "$(json_get 'sorted(d["process"]["capabilities"]["effective"])' <"$c")" = '["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]' ]
	[ "$(json_get '"inheritable" in d["process"]["capabilities"] or "ambient" in d["process"]["capabilities"]' <"$c")" = false ]
	[ "$(json_get 'd["linux"]["seccomp"]["defaultAction"]' <"$c")" = SCMP_ACT_ALLOW ]
	for sc in mount umount2 unshare setns pivot_root ptrace kexec_load init_module bpf keyctl open_by_handle_at; do
		[ "$(json_get "'$sc' in d['linux']['seccomp']['syscalls'][0]['names']" <"$c")" = true ]
	done
	[ "$(json_get '"/proc/kcore" in d["linux"]["maskedPaths"] and "/proc/sys" in d["linux"]["readonlyPaths"]' <"$c")" = true ]
	[ "$(json_get 'sorted(n["type"] for n in d["linux"]["namespaces"])' <"$c")" = '["cgroup", "ipc", "mount", "network", "pid", "uts"]' ]

	cp "$c" "$OUT/before"
	run lr spec -b "$B"
	[ "$status" -eq 1 ]
	[ "$output" = "lazuli-run: spec: file $B/config.json exists, remove it first" ]
	cmp "$c" "$OUT/before"
}

@test "spec --rootless maps the caller to root in a user namespace" {
	rm "$B/config.json"
	lr spec --rootless -b "$B"
	c="$B/config.json"
	[ "$(json_get 'sorted(n["type"] for n in d["linux"]["namespaces"])' <"$c")" = '["ipc", "mount", "pid", "user", "uts"]' ]
	[ "$(json_get 'd["linux"]["uidMappings"]' <"$c")" = "[{\"containerID\": 0, \"hostID\": $(id -u), \"size\": 1}]" ]
	[ "$(json_get 'd["linux"]["gidMappings"]' <"$c")" = "[{\"containerID\": 0, \"hostID\": $(id -g), \"size\": 1}]" ]
	[ "$(json_get '[m["options"] for m in d["mounts"] if m["destination"] == "/sys"][0]' <"$c")" = '["rbind", "nosuid", "noexec", "nodev", "ro"]' ]
	[ "$(json_get '[m for m in d["mounts"] if m["type"] == "cgroup"]' <"$c")" = '[]' ]
	[ "$(json_get '[o for m in d["mounts"] for o in m.get("options", []) if o.startswith("gid=")]' <"$c")" = '[]' ]
}

@test "the default spec runs as it is (only args changed)" {
	args 'echo hello from $(hostname)'
	run lr run -b "$B" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "hello from lazuli" ]
	assert_nothing_left "$ID"
}
