#!/usr/bin/env bats
# lazuli-metrics --once and the command line: what a user running it by hand sees.

load helpers
bats_require_minimum_version 1.5.0

setup() { common_setup; }
teardown() { common_teardown; }

@test "--version and --help" {
	run "$LM" --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^lazuli-metrics\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	run "$LM" --help
	[ "$status" -eq 0 ]
	for opt in --config --root --listen --once --openmetrics --log-level; do
		[[ "$output" == *"$opt"* ]]
	done
	[[ "$output" == *"127.0.0.1:9179"* ]]
}

@test "usage and configuration errors exit 2 and say what was wrong" {
	run "$LM" --no-such-option
	[ "$status" -eq 2 ]
	run "$LM" --once extra
	[ "$status" -eq 2 ]
	[[ "$output" == *"Unexpected argument 'extra'"* ]]
	run "$LM" --openmetrics
	[ "$status" -eq 2 ]
	[[ "$output" == *"--openmetrics only applies to --once"* ]]
	run "$LM" --listen localhost:80 --once
	[ "$status" -eq 2 ]
	[[ "$output" == *"not a numeric IP address"* ]]
	run "$LM" --root "$T/does-not-exist" --once
	[ "$status" -eq 2 ]
	[[ "$output" == *"does-not-exist"* ]]
	printf '[Metrics]\nCollectors=cpu,gpu\n' >"$T/bad.conf"
	run "$LM" --config "$T/bad.conf" --once
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown collector \"gpu\""* ]]
	printf '[Metrics]\nSpeed=11\n' >"$T/bad.conf"
	run "$LM" --config "$T/bad.conf" --once
	[ "$status" -eq 2 ]
	[[ "$output" == *"Metrics.Speed"* ]]
	[[ "$output" == *"bad.conf:2"* ]]
}

@test "--once prints node_exporter's series for the fixture root" {
	run --separate-stderr "$LM" --root "$ROOT" --once
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\nnode_cpu_seconds_total{cpu="0",mode="steal"} 0.6\n'* ]]
	[[ "$output" == *$'\n# TYPE node_cpu_seconds_total counter\n'* ]]
	[[ "$output" == *$'\nnode_memory_MemTotal_bytes 25276416000\n'* ]]
	[[ "$output" == *$'\nnode_disk_written_bytes_total{device="vda"} 658558976\n'* ]]
	[[ "$output" == *$'\nnode_filesystem_readonly{device="/dev/vdb",fstype="ext4",mountpoint="/data dir"} 1\n'* ]]
	[[ "$output" == *$'\nnode_network_transmit_packets_total{device="eth0"} 30204\n'* ]]
	[[ "$output" == *$'\nnode_netstat_Tcp_RetransSegs 7\n'* ]]
	[[ "$output" == *$'\nnode_pressure_io_stalled_seconds_total 0.000003\n'* ]]
	[[ "$output" == *$'\nnode_uname_info{domainname="(none)",machine="x86_64",nodename="fixture-vm",release="6.1.0-28-cloud-amd64",sysname="Linux",version="#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)"} 1\n'* ]]
	[[ "$output" == *$'\nnode_sockstat_sockets_used 215\n'* ]]
	[[ "$output" == *$'\nnode_sockstat_TCP_tw 19\n'* ]]
	[[ "$output" == *$'\nnode_sockstat_TCP_mem_bytes '"$((22 * $(getconf PAGESIZE)))"$'\n'* ]]
	[[ "$output" == *$'\nnode_sockstat_FRAG_memory 8192\n'* ]]
	[[ "$output" == *$'\nnode_sockstat_TCP6_inuse 5\n'* ]]
	[[ "$output" == *$'\nnode_memory_Active_anon_bytes 71680000\n'* ]]
	[[ "$output" == *$'\nnode_memory_HugePages_Total 0\n'* ]]
	[[ "$output" == *$'\nnode_network_info{address="60:45:bd:12:34:56",broadcast="ff:ff:ff:ff:ff:ff",device="eth0",duplex="full",ifalias="uplink \\"A\\"",operstate="up"} 1\n'* ]]
	[[ "$output" == *$'\nnode_network_info{address="8a:11:22:33:44:55",broadcast="ff:ff:ff:ff:ff:ff",device="veth0",duplex="",ifalias="",operstate="lowerlayerdown"} 1\n'* ]]
	[[ "$output" == *$'\nnode_network_speed_bytes{device="eth0"} 5000000000\n'* ]]
	[[ "$output" == *$'\nnode_network_mtu_bytes{device="eth0"} 1500\n'* ]]
	[[ "$output" == *$'\nnode_network_carrier{device="eth0"} 1\n'* ]]
	[[ "$output" == *$'\nnode_network_transmit_queue_length{device="eth0"} 1000\n'* ]]
	[[ "$output" == *$'\nnode_network_up{device="eth0"} 1\n'* ]]
	[[ "$output" == *$'\nnode_network_up{device="veth0"} 0\n'* ]]
	[[ "$output" == *$'\nnode_network_flags{device="eth0"} 4099\n'* ]]
	[[ "$output" == *$'\nnode_network_device_id{device="eth0"} 0\n'* ]]
	[[ "$output" == *$'\nnode_network_iface_id{device="veth0"} 7\n'* ]]
	[[ "$output" == *$'\nnode_network_iface_link{device="veth0"} 6\n'* ]]
	[[ "$output" == *$'\nnode_network_address_assign_type{device="veth0"} 3\n'* ]]
	[[ "$output" == *$'\nnode_network_name_assign_type{device="eth0"} 4\n'* ]]
	[[ "$output" == *$'\nnode_network_protocol_type{device="eth0"} 1\n'* ]]
	[[ "$output" == *$'\n# TYPE node_network_carrier_changes_total counter\nnode_network_carrier_changes_total{device="eth0"} 4\n'* ]]
	[[ "$output" == *$'\nnode_network_carrier_up_changes_total{device="eth0"} 2\n'* ]]
	# speed -1 (no link) is -1 Mbit/s, as node_exporter reports it
	[[ "$output" == *$'\nnode_network_speed_bytes{device="veth0"} -125000\n'* ]]
	# veth0: no carrier file, garbage mtu, tx_queue_len and dev_id are left out
	[[ "$output" != *'mtu_bytes{device="veth0"}'* ]]
	[[ "$output" != *'device_id{device="veth0"}'* ]]
	[[ "$output" != *'carrier{device="veth0"}'* ]]
	[[ "$output" != *'queue_length{device="veth0"}'* ]]
	[[ "$output" == *$'\nnode_scrape_collector_success{collector="netclass"} 1\n'* ]]
	# labels from udev's database (ROOT/run/udev/data): SCSI_IDENT_SERIAL wins over ID_SERIAL_SHORT
	[[ "$output" == *$'\nnode_disk_info{device="vda",major="254",minor="0",model="WDC_WD40EFRX-68N32N0",path="pci-0000:00:1f.2-ata-1",revision="82.00A82",serial="WD-WCC7K1234567-S",wwn="0x50014ee2b5c1a2b3"} 1\n'* ]]
	[[ "$output" == *$'\nnode_disk_info{device="sda",major="8",minor="0",model="Virtual_Disk",path="acpi-VMBUS:01-vmbus-f8b3781b1e824818a1c363d806ec15bb-lun-0",revision="1.0",serial="600224800b1c2d3e4f5a6b7c8d9e0f1a",wwn="0x600224800b1c2d3e"} 1\n'* ]]
	# a model too long to be a label is left out; a file that is not a udev database gives no labels
	[[ "$output" == *$'\nnode_disk_info{device="zram0",major="253",minor="0",model="",path="",revision="",serial="",wwn=""} 1\n'* ]]
	[[ "$output" == *$'\nnode_disk_info{device="nvme0n1",major="259",minor="0",model="",path="",revision="",serial="",wwn=""} 1\n'* ]]
	[[ "$output" == *$'\nnode_disk_ata_rotation_rate_rpm{device="vda"} 5400\n'* ]]
	[[ "$output" == *$'\nnode_disk_ata_write_cache_enabled{device="vda"} 0\n'* ]]
	[[ "$output" == *$'\nnode_disk_filesystem_info{device="zram0",type="swap",usage="other",uuid="3f6a2c1e-0000-4b7e-9d3c-7c2f0e1a5b6d",version="1"} 1\n'* ]]
	[[ "$output" == *$'\nnode_disk_device_mapper_info{device="dm-0",lv_layer="",lv_name="",name="root-crypt",uuid="CRYPT-LUKS2-0a1b2c3d4e5f60718293a4b5c6d7e8f9-root-crypt",vg_name=""} 1\n'* ]]
	[[ "$output" != *'node_disk_ata_write_cache{device="sda"}'* ]]
	[[ "$output" == *$'\ncontainer_threads{cgroup="/system.slice/ssh.service",engine="systemd",name="ssh.service"} 3\n'* ]]
	[[ "$output" != *'device="lo"'* ]]
	[[ "$output" != *'mountpoint="/run"'* ]]
	# one family header per family
	dups=$(printf '%s\n' "$output" | grep '^# TYPE ' | sort | uniq -d)
	[ -z "$dups" ]
	# every sample line is "name[{...}] number"
	bad=$(printf '%s\n' "$output" | grep -v '^#' | grep -Ev '^[a-zA-Z_][a-zA-Z0-9_]*(\{.*\})? -?[0-9.e+]+$' || true)
	[ -z "$bad" ]
}

@test "--once --openmetrics: counters named without _total in TYPE, # EOF at the end" {
	run --separate-stderr "$LM" --root "$ROOT" --once --openmetrics
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\n# TYPE node_cpu_seconds counter\n'* ]]
	[[ "$output" == *$'\n# TYPE node_netstat_Tcp_CurrEstab unknown\n'* ]]
	[[ "$output" == *$'\nnode_cpu_seconds_total{cpu="0",mode="idle"} 1334.34\n'* ]]
	[ "$(printf '%s\n' "$output" | tail -n 1)" = "# EOF" ]
}

@test "Collectors= limits the scrape to those collectors" {
	printf '[Metrics]\nCollectors=loadavg meminfo\n' >"$T/m.conf"
	run --separate-stderr "$LM" --config "$T/m.conf" --root "$ROOT" --once
	[ "$status" -eq 0 ]
	[[ "$output" == *"node_load1 1.25"* ]]
	[[ "$output" == *"node_memory_MemFree_bytes"* ]]
	[[ "$output" != *"node_cpu_seconds_total"* ]]
	[[ "$output" != *"container_"* ]]
	[[ "$output" == *'node_scrape_collector_success{collector="meminfo"} 1'* ]]
	[[ "$output" != *'collector="cpu"'* ]]
}

@test "an empty root: every collector says it failed, once each, and the scrape still works" {
	mkdir -p "$T/empty/proc"
	run --separate-stderr "$LM" --root "$T/empty" --once
	[ "$status" -eq 0 ]
	[[ "$output" == *'node_scrape_collector_success{collector="meminfo"} 0'* ]]
	[[ "$output" == *'node_scrape_collector_success{collector="diskstats"} 0'* ]]
	[[ "$output" != *"node_memory_"* ]]
	[ "$(grep -c 'Collector meminfo failed' <<<"$stderr")" -eq 1 ]
}

@test "a root without proc/ is an error naming ProcRoot" {
	mkdir -p "$T/noproc"
	run "$LM" --root "$T/noproc" --once
	[ "$status" -eq 1 ]
	[[ "$output" == *"Cannot open ProcRoot=$T/noproc/proc"* ]]
}
