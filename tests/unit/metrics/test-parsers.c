/* SPDX-License-Identifier: MIT */
/*
 * Each /proc and cgroup parser on bytes: well-formed, oddly formatted,
 * truncated, huge and garbage input. What is asserted is the exposition a
 * Prometheus server would read.
 */
#include "metrics-test.h"

#include <errno.h>
#include <unistd.h>

static MetricsConfig cfg;
static Scrape s;

static int setup(void **state)
{
	(void)state;
	test_config(&cfg, fixture_root());
	return scrape_init(&s, &cfg) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	scrape_done(&s);
	metrics_config_done(&cfg);
	return 0;
}

static const char *run(int (*parse)(Scrape *, const char *, size_t), const char *in, int *ret)
{
	expo_reset(&s.out, EXPO_PROMETHEUS);
	*ret = parse(&s, in, strlen(in));
	assert_false(expo_failed(&s.out));
	return s.out.buf ? s.out.buf : "";
}

static void test_stat(void **state)
{
	int r;
	(void)state;
	const char *o = run(parse_stat,
			    "cpu  10 0 10 100 0 0 0 5 0 0\n"
			    "cpu0 150 1 250 1000 7 0 3 42 17 2\n"
			    "cpu1 1 2\n"		   /* truncated: skipped */
			    "cpu2 1 2 3 4\n"		   /* old kernel: 4 modes */
			    "cpu3 x y z w\n"		   /* garbage */
			    "ctxt 18446744073709551615\n" /* largest u64 */
			    "btime 99999999999999999999\n" /* overflow: dropped */
			    "procs_running\n"		   /* no value */
			    "intr 42 1 2 3\n",
			    &r);
	assert_true(r > 0);
	assert_line(o, "node_cpu_seconds_total{cpu=\"0\",mode=\"user\"} 1.5");
	assert_line(o, "node_cpu_seconds_total{cpu=\"0\",mode=\"system\"} 2.5");
	assert_line(o, "node_cpu_seconds_total{cpu=\"0\",mode=\"steal\"} 0.42");
	assert_line(o, "node_cpu_guest_seconds_total{cpu=\"0\",mode=\"user\"} 0.17");
	assert_line(o, "node_cpu_guest_seconds_total{cpu=\"0\",mode=\"nice\"} 0.02");
	assert_line(o, "node_cpu_seconds_total{cpu=\"2\",mode=\"idle\"} 0.04");
	assert_no_substring(o, "cpu=\"1\"");
	assert_no_substring(o, "cpu=\"3\"");
	assert_no_substring(o, "{cpu=\"2\",mode=\"steal\"}");
	assert_line(o, "node_context_switches_total 18446744073709551615");
	assert_line(o, "node_intr_total 42");
	assert_no_substring(o, "node_boot_time_seconds");
	assert_no_substring(o, "node_procs_running");
	/* the total line is kept for Azure Monitor, not exposed */
	assert_true(s.have_cpu_total);
	assert_int_equal(s.cpu_total[7], 5);

	o = run(parse_stat, "", &r);
	assert_int_equal(r, -EBADMSG);
	o = run(parse_stat, "\n\n\x01\x02 garbage\n", &r);
	assert_int_equal(r, -EBADMSG);
}

static void test_loadavg(void **state)
{
	int r;
	(void)state;
	const char *o = run(parse_loadavg, "0.52 1.00 12.25 2/345 6789\n", &r);
	assert_int_equal(r, 3);
	assert_line(o, "node_load1 0.52");
	assert_line(o, "node_load15 12.25");
	assert_true(s.have_threads);
	assert_int_equal(s.threads, 345);
	run(parse_loadavg, "0.52 1.00\n", &r);
	assert_int_equal(r, -EBADMSG);
	o = run(parse_loadavg, "0.52 nan 1\n", &r);
	assert_int_equal(r, -EBADMSG);
	assert_no_substring(o, "node_load1");
}

static void test_meminfo(void **state)
{
	int r;
	(void)state;
	const char *o = run(parse_meminfo,
			    "MemTotal:       1000 kB\n"
			    "Active(anon):      2 kB\n"
			    "HugePages_Total:       7\n"
			    "NoColon 5 kB\n"
			    "Bad-Name: 5 kB\n"
			    "Unit:   5 MB\n"
			    "Big:  18014398509481983 kB\n" /* just fits once multiplied */
			    "Bigger:  18014398509481984 kB\n" /* overflows when multiplied */
			    "Truncated:",
			    &r);
	assert_int_equal(r, 4);
	assert_line(o, "# HELP node_memory_MemTotal_bytes Memory information field MemTotal_bytes.");
	assert_line(o, "node_memory_MemTotal_bytes 1024000");
	assert_line(o, "node_memory_Active_anon_bytes 2048");
	assert_line(o, "node_memory_HugePages_Total 7");
	assert_line(o, "node_memory_Big_bytes 18446744073709550592");
	assert_no_substring(o, "Bigger");
	assert_no_substring(o, "Unit");
	assert_no_substring(o, "Bad");
	assert_no_substring(o, "Truncated");
	assert_int_equal(s.mem_total, 1024000);
	run(parse_meminfo, "nothing here\n", &r);
	assert_int_equal(r, -EBADMSG);
}

static void test_sockstat(void **state)
{
	int r;
	(void)state;
	const char *o = run(parse_sockstat,
			    "sockets: used 215\n"
			    "TCP: inuse 9 orphan 1 tw 19 alloc 47 mem 22\n"
			    "UDP: inuse 3 mem x\n"	 /* garbage number: skipped */
			    "RAW: inuse\n"		 /* truncated: no value */
			    "FRAG: inuse 2 memory 8192\n"
			    "no colon 5\n"
			    "Bad-Proto: inuse 1\n"
			    "TCP6: inuse 99999999999999999999\n" /* overflow */
			    "UDP6: inuse 4",			/* no newline at the end */
			    &r);
	assert_int_equal(r, 10);
	assert_line(o, "# HELP node_sockstat_sockets_used Number of IPv4 sockets in use.");
	assert_line(o, "node_sockstat_sockets_used 215");
	assert_line(o, "# HELP node_sockstat_TCP_tw Number of TCP sockets in state tw.");
	assert_line(o, "# TYPE node_sockstat_TCP_tw gauge");
	assert_line(o, "node_sockstat_TCP_tw 19");
	assert_line(o, "node_sockstat_TCP_mem 22");
	assert_line(o, "# HELP node_sockstat_TCP_mem_bytes Number of TCP sockets in state mem_bytes.");
	char line[64];
	snprintf(line, sizeof(line), "node_sockstat_TCP_mem_bytes %ld", 22 * sysconf(_SC_PAGESIZE));
	assert_line(o, line);
	assert_line(o, "node_sockstat_UDP_inuse 3");
	assert_no_substring(o, "UDP_mem");
	assert_no_substring(o, "RAW");
	assert_line(o, "node_sockstat_FRAG_memory 8192");
	assert_no_substring(o, "FRAG_memory_bytes");
	assert_no_substring(o, "Bad");
	assert_no_substring(o, "TCP6");
	assert_line(o, "node_sockstat_UDP6_inuse 4");
	run(parse_sockstat, "sockets:\nTCP: inuse\n", &r);
	assert_int_equal(r, -EBADMSG);
	run(parse_sockstat, "", &r);
	assert_int_equal(r, -EBADMSG);
}

static void test_uname_line(void **state)
{
	char out[16];
	(void)state;
	assert_int_equal(parse_uname_line("Linux\n", 6, out, sizeof(out)), 0);
	assert_string_equal(out, "Linux");
	assert_int_equal(parse_uname_line("#1 SMP x\nmore\n", 14, out, sizeof(out)), 0);
	assert_string_equal(out, "#1 SMP x");
	assert_int_equal(parse_uname_line("x86_64", 6, out, sizeof(out)), 0);
	assert_string_equal(out, "x86_64");
	assert_int_equal(parse_uname_line("", 0, out, sizeof(out)), -EBADMSG);
	assert_int_equal(parse_uname_line("\nLinux\n", 7, out, sizeof(out)), -EBADMSG);
	assert_int_equal(parse_uname_line("a\0b\n", 4, out, sizeof(out)), -EBADMSG);
	assert_int_equal(parse_uname_line("0123456789abcdef\n", 17, out, sizeof(out)),
			 -ENAMETOOLONG);
	assert_int_equal(parse_uname_line("0123456789abcde\n", 16, out, sizeof(out)), 0);
}

static void test_netclass_attrs(void **state)
{
	char out[8];
	uint64_t v;
	(void)state;
	assert_int_equal(parse_netclass_u64("1500\n", 5, &v), 0);
	assert_int_equal(v, 1500);
	assert_int_equal(parse_netclass_u64("40000", 5, &v), 0);
	assert_int_equal(v, 40000);
	/* speed of a link that is down */
	assert_int_equal(parse_netclass_u64("-1\n", 3, &v), -ERANGE);
	assert_int_equal(parse_netclass_u64("garbage\n", 8, &v), -EBADMSG);
	assert_int_equal(parse_netclass_u64("1x\n", 3, &v), -EBADMSG);
	assert_int_equal(parse_netclass_u64("", 0, &v), -EBADMSG);
	assert_int_equal(parse_netclass_u64("\n", 1, &v), -EBADMSG);
	assert_int_equal(parse_netclass_u64("99999999999999999999\n", 21, &v), -EBADMSG);
	/* dev_id and flags are hexadecimal */
	assert_int_equal(parse_netclass_u64("0x1003\n", 7, &v), 0);
	assert_int_equal(v, 0x1003);
	assert_int_equal(parse_netclass_u64("0xFFFFFFFFFFFFFFFF", 18, &v), 0);
	assert_int_equal(v, UINT64_MAX);
	assert_int_equal(parse_netclass_u64("0x10000000000000000", 19, &v), -EBADMSG);
	assert_int_equal(parse_netclass_u64("0xZZ\n", 5, &v), -EBADMSG);
	assert_int_equal(parse_netclass_u64("0x\n", 3, &v), -EBADMSG);
	assert_int_equal(parse_netclass_str("up\n", 3, out, sizeof(out)), 0);
	assert_string_equal(out, "up");
	/* an empty ifalias is an empty label */
	assert_int_equal(parse_netclass_str("\n", 1, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(parse_netclass_str("a\0b\n", 4, out, sizeof(out)), -EBADMSG);
	assert_int_equal(parse_netclass_str("01234567\n", 9, out, sizeof(out)), -ENAMETOOLONG);
}

static void test_udev_data(void **state)
{
	DiskUdev u;
	(void)state;
	const char *in = "S:disk/by-id/x\nI:12\nE:ID_MODEL=Virtual_Disk\nE:ID_SERIAL=long-serial\n"
			 "E:ID_SERIAL_SHORT=short\nE:ID_WWN=0x6002\nE:NOT_OURS=1\nE:ID_PATH\nG:systemd\n"
			 "E:ID_FS_TYPE=ext4\nV:1";
	assert_int_equal(parse_udev_data(in, strlen(in), &u), 5);
	assert_string_equal(u.v[UDEV_ID_MODEL], "Virtual_Disk");
	/* ID_SERIAL_SHORT is preferred to ID_SERIAL, whatever the order */
	assert_string_equal(u.v[UDEV_SERIAL], "short");
	assert_string_equal(u.v[UDEV_ID_WWN], "0x6002");
	assert_string_equal(u.v[UDEV_ID_FS_TYPE], "ext4");
	assert_string_equal(u.v[UDEV_ID_PATH], "");
	in = "E:SCSI_IDENT_SERIAL=label\nE:ID_SERIAL_SHORT=short\n";
	assert_int_equal(parse_udev_data(in, strlen(in), &u), 1);
	assert_string_equal(u.v[UDEV_SERIAL], "label");
	/* a value too long for a label, or with a NUL, is left out */
	char big[UDEV_VALUE_MAX + 32];
	int n = snprintf(big, sizeof(big), "E:ID_MODEL=%0*d\nE:ID_REVISION=1.0\n", UDEV_VALUE_MAX, 0);
	assert_int_equal(parse_udev_data(big, (size_t)n, &u), 1);
	assert_string_equal(u.v[UDEV_ID_MODEL], "");
	assert_int_equal(parse_udev_data("E:ID_MODEL=a\0b\n", 15, &u), 0);
	/* not a udev database */
	assert_int_equal(parse_udev_data("garbage\n", 8, &u), -EBADMSG);
	assert_int_equal(parse_udev_data("E:ID_MODEL=x\n\n", 15, &u), -EBADMSG);
	assert_int_equal(parse_udev_data("", 0, &u), 0);
}

static void test_vmstat(void **state)
{
	int r;
	(void)state;
	const char *o = run(parse_vmstat,
			    "nr_free_pages 1\npgfault 10\npgmajfault 2\npgpgin 3\npswpout 4\n"
			    "oom_kill 5\npgfree 6\nthp_fault_alloc 7\npgfault -1\n",
			    &r);
	assert_true(r > 0);
	assert_line(o, "# TYPE node_vmstat_pgfault untyped");
	assert_line(o, "node_vmstat_pgfault 10");
	assert_line(o, "node_vmstat_pgmajfault 2");
	assert_line(o, "node_vmstat_oom_kill 5");
	assert_no_substring(o, "pgfree");
	assert_no_substring(o, "thp_fault_alloc");
	assert_no_substring(o, "nr_free_pages");
	assert_no_substring(o, "pgfault -1");
}

static void test_pressure(void **state)
{
	uint64_t some = 0, full = 0;
	bool has_full;
	(void)state;
	const char *in = "some avg10=0.00 avg60=0.00 avg300=0.00 total=123\n"
			 "full avg10=0.00 avg60=0.00 avg300=0.00 total=45\n";
	assert_int_equal(parse_pressure(in, strlen(in), &some, &full, &has_full), 0);
	assert_int_equal(some, 123);
	assert_int_equal(full, 45);
	assert_true(has_full);
	/* cpu on kernels before 5.13 has no full line */
	in = "some avg10=1.00 avg60=0.00 avg300=0.00 total=9\n";
	assert_int_equal(parse_pressure(in, strlen(in), &some, &full, &has_full), 0);
	assert_false(has_full);
	in = "some avg10=1.00 avg60=0.00 avg300=0.00\n";
	assert_int_equal(parse_pressure(in, strlen(in), &some, &full, &has_full), -EBADMSG);
	in = "some total=x\n";
	assert_int_equal(parse_pressure(in, strlen(in), &some, &full, &has_full), -EBADMSG);
	assert_int_equal(parse_pressure("", 0, &some, &full, &has_full), -EBADMSG);
}

static void test_diskstats(void **state)
{
	int r;
	(void)state;
	const char *o = run(parse_diskstats,
			    "   8       0 sda 1 2 3 4 5 6 7 8 9 10 11\n"	    /* 4.17 */
			    "   8       1 sda1 1 2 3 4 5 6 7 8 9 10 11\n" /* partition: ignored */
			    " 259 0 nvme0n1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n"
			    " 259 1 nvme0n1p1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n"
			    "   7 0 loop0 1 2 3 4 5 6 7 8 9 10 11\n"
			    " 253 0 dm-0 1 2 36028797018963968 4 5 6 7 8 9 10 11\n"
			    "   8 16 sdb 1 2 3\n"	  /* truncated */
			    "   8 32 sdc 1 2 x 4 5 6 7 8 9 10 11\n" /* garbage */
			    "bogus\n",
			    &r);
	assert_int_equal(r, 3);
	assert_line(o, "node_disk_reads_completed_total{device=\"sda\"} 1");
	assert_line(o, "node_disk_read_bytes_total{device=\"sda\"} 1536");
	assert_line(o, "node_disk_read_time_seconds_total{device=\"sda\"} 0.004");
	assert_line(o, "node_disk_io_now{device=\"sda\"} 9");
	assert_line(o, "node_disk_io_time_weighted_seconds_total{device=\"sda\"} 0.011");
	assert_line(o, "node_disk_flush_requests_total{device=\"nvme0n1\"} 16");
	assert_line(o, "# HELP node_disk_info Info of /sys/block/<block_device>.");
	assert_line(o, "node_disk_info{device=\"nvme0n1\",major=\"259\",minor=\"0\",model=\"\","
		       "path=\"\",revision=\"\",serial=\"\",wwn=\"\"} 1");
	assert_line(o, "node_disk_info{device=\"dm-0\",major=\"253\",minor=\"0\",model=\"\","
		       "path=\"\",revision=\"\",serial=\"\",wwn=\"\"} 1");
	assert_line(o, "node_disk_flush_requests_time_seconds_total{device=\"nvme0n1\"} 0.017");
	/* sectors * 512 overflows 64 bits: written as a float, not wrapped */
	assert_line(o, "node_disk_read_bytes_total{device=\"dm-0\"} 1.8446744073709552e+19");
	assert_no_substring(o, "sda1");
	assert_no_substring(o, "nvme0n1p1");
	assert_no_substring(o, "loop0");
	assert_no_substring(o, "sdb");
	assert_no_substring(o, "sdc");
	assert_no_substring(o, "node_disk_discards_completed_total{device=\"sda\"}");
}

static void test_diskstats_ignore_rule(void **state)
{
	(void)state;
#define IGN(x) diskstats_device_ignored((x), strlen(x))
	assert_true(IGN("ram0"));
	assert_true(IGN("loop12"));
	assert_true(IGN("sda1"));
	assert_true(IGN("vdb15"));
	assert_true(IGN("xvda1"));
	assert_true(IGN("hdc3"));
	assert_true(IGN("nvme10n1p2"));
	assert_false(IGN("sda"));
	assert_false(IGN("nvme0n1"));
	assert_false(IGN("dm-0"));
	assert_false(IGN("md0"));
	assert_false(IGN("loop"));
	assert_false(IGN("sd1"));
	assert_false(IGN("zram0"));
#undef IGN
}

static void test_netdev(void **state)
{
	int r;
	(void)state;
	const char *o = run(parse_netdev,
			    "Inter-|   Receive |  Transmit\n"
			    " face |bytes packets|bytes\n"
			    "    lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
			    "  eth0: 100 2 3 4 5 6 7 8 900 10 11 12 13 14 15 16\n"
			    "eth1:18446744073709551615 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
			    "veth-a@if2: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
			    "  bad0: 1 2 3\n"
			    "  bad1: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 99999999999999999999\n",
			    &r);
	assert_int_equal(r, 3);
	assert_line(o, "# HELP node_network_receive_bytes_total Network device statistic receive_bytes.");
	assert_line(o, "node_network_receive_bytes_total{device=\"eth0\"} 100");
	assert_line(o, "node_network_transmit_bytes_total{device=\"eth0\"} 900");
	assert_line(o, "node_network_transmit_compressed_total{device=\"eth0\"} 16");
	assert_line(o, "node_network_receive_bytes_total{device=\"eth1\"} 18446744073709551615");
	assert_line(o, "node_network_receive_bytes_total{device=\"veth-a@if2\"} 1");
	assert_no_substring(o, "device=\"lo\"");
	assert_no_substring(o, "bad0");
	assert_no_substring(o, "bad1");
	run(parse_netdev, "Inter-|\n face |\n", &r);
	assert_int_equal(r, -EBADMSG);
}

static void test_netstat(void **state)
{
	int r;
	(void)state;
	const char *o = run(parse_netstat_pairs,
			    "Tcp: MaxConn ActiveOpens CurrEstab InErrs\n"
			    "Tcp: -1 84 5 0\n"
			    "Udp: InDatagrams NoPorts\n"
			    "Udp: 1\n" /* one value short: pair refused */
			    "TcpExt: ListenDrops TCPTimeouts PruneCalled\n"
			    "IpExt: InOctets OutOctets\n" /* out of step: resynchronised */
			    "IpExt: 10 20\n",
			    &r);
	assert_int_equal(r, 2);
	assert_line(o, "# HELP node_netstat_Tcp_ActiveOpens Statistic TcpActiveOpens.");
	assert_line(o, "# TYPE node_netstat_Tcp_ActiveOpens untyped");
	assert_line(o, "node_netstat_Tcp_ActiveOpens 84");
	assert_line(o, "node_netstat_Tcp_CurrEstab 5");
	assert_line(o, "node_netstat_Tcp_InErrs 0");
	assert_line(o, "node_netstat_IpExt_InOctets 10");
	assert_no_substring(o, "MaxConn");
	assert_no_substring(o, "Udp_");
	assert_no_substring(o, "TcpExt");

	o = run(parse_snmp6, "Ip6InOctets 5\nUdp6InDatagrams\t7\nIcmp6OutMsgs 2\nIp6InReceives 1\n6 1\n",
		&r);
	assert_line(o, "node_netstat_Ip6_InOctets 5");
	assert_line(o, "node_netstat_Udp6_InDatagrams 7");
	assert_line(o, "node_netstat_Icmp6_OutMsgs 2");
	assert_no_substring(o, "InReceives");
}

static void test_filefd(void **state)
{
	int r;
	(void)state;
	const char *o = run(parse_filefd, "1024\t0\t9223372036854775807\n", &r);
	assert_int_equal(r, 2);
	assert_line(o, "node_filefd_allocated 1024");
	assert_line(o, "node_filefd_maximum 9223372036854775807");
	run(parse_filefd, "1024\t0\n", &r);
	assert_int_equal(r, -EBADMSG);
}

static void test_mounts(void **state)
{
	int r;
	char mounts[1024];
	(void)state;
	snprintf(mounts, sizeof(mounts),
		 "/dev/vda / ext4 rw,relatime 0 0\n"
		 "tmpfs /run tmpfs rw 0 0\n"
		 "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n"
		 "/dev/vdb /data\\040dir ext4 ro,noatime 0 0\n"
		 "/dev/vdb /data\\040dir ext4 ro,noatime 0 0\n" /* twice: one series */
		 "/dev/vdc /gone xfs rw 0 0\n"
		 "/dev/vdd /var/lib/docker/overlay2/x ext4 rw 0 0\n"
		 "/dev/vde /var/lib/docker ext4 rw 0 0\n"
		 "/dev/vdf /runner ext4 rw 0 0\n" /* not /run */
		 "short line\n");
	expo_reset(&s.out, EXPO_PROMETHEUS);
	r = parse_mounts(&s, mounts, strlen(mounts));
	assert_int_equal(r, 5);
	const char *o = s.out.buf;
	assert_line(o, "node_filesystem_device_error{device=\"/dev/vda\",fstype=\"ext4\",mountpoint=\"/\"} 0");
	assert_line(o, "node_filesystem_readonly{device=\"/dev/vdb\",fstype=\"ext4\",mountpoint=\"/data dir\"} 1");
	assert_line(o, "node_filesystem_device_error{device=\"/dev/vdc\",fstype=\"xfs\",mountpoint=\"/gone\"} 1");
	assert_no_substring(o, "node_filesystem_size_bytes{device=\"/dev/vdc\"");
	assert_no_substring(o, "mountpoint=\"/run\"");
	assert_no_substring(o, "cgroup2");
	assert_no_substring(o, "overlay2");
	assert_line(o, "node_filesystem_device_error{device=\"/dev/vde\",fstype=\"ext4\",mountpoint=\"/var/lib/docker\"} 1");
	assert_line(o, "node_filesystem_device_error{device=\"/dev/vdf\",fstype=\"ext4\",mountpoint=\"/runner\"} 1");
	/* duplicates collapse: one readonly line for /data dir */
	const char *first = strstr(o, "node_filesystem_readonly{device=\"/dev/vdb\"");
	assert_non_null(first);
	assert_null(strstr(first + 1, "node_filesystem_readonly{device=\"/dev/vdb\""));
}

static void test_cgroup_files(void **state)
{
	uint64_t v[6] = {0};
	(void)state;
	const char *in = "usage_usec 100\nuser_usec 60\nsystem_usec 40\nnr_periods\n"
			 "throttled_usec 18446744073709551616\nnr_throttled 2\n";
	int f = parse_cpu_stat_cgroup(in, strlen(in), v);
	assert_int_equal(f, 1 | 2 | 4 | 16);
	assert_int_equal(v[0], 100);
	assert_int_equal(v[4], 2);
	assert_int_equal(parse_cpu_stat_cgroup("", 0, v), 0);
}

static void test_classify(void **state)
{
	const char *name;
	size_t n;
	(void)state;
	const char *id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	char path[256];

	snprintf(path, sizeof(path), "/machine.slice/libpod-%s.scope", id);
	assert_int_equal(cgroup_classify(path, &name, &n), 2);
	assert_int_equal(n, 64);
	assert_memory_equal(name, id, 64);
	snprintf(path, sizeof(path), "/system.slice/docker-%s.scope", id);
	assert_int_equal(cgroup_classify(path, &name, &n), 3);
	snprintf(path, sizeof(path), "/kubepods.slice/kubepods-pod1.slice/cri-containerd-%s.scope", id);
	assert_int_equal(cgroup_classify(path, &name, &n), 4);
	snprintf(path, sizeof(path), "/kubepods.slice/crio-%s.scope", id);
	assert_int_equal(cgroup_classify(path, &name, &n), 5);
	snprintf(path, sizeof(path), "/docker/%s", id);
	assert_int_equal(cgroup_classify(path, &name, &n), 3);
	snprintf(path, sizeof(path), "/libpod_parent/libpod-%s", id);
	assert_int_equal(cgroup_classify(path, &name, &n), 2);
	assert_int_equal(cgroup_classify("/system.slice/ssh.service", &name, &n), 1);
	assert_int_equal(n, 11);
	assert_memory_equal(name, "ssh.service", 11);
	/* not quite an id: plain */
	assert_int_equal(cgroup_classify("/machine.slice/libpod-0123.scope", &name, &n), 1);
	assert_int_equal(cgroup_classify("/docker/abc", &name, &n), 0);
	assert_int_equal(cgroup_classify("/web1", &name, &n), 0);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stat),
	    cmocka_unit_test(test_loadavg),
	    cmocka_unit_test(test_meminfo),
	    cmocka_unit_test(test_udev_data),
	    cmocka_unit_test(test_vmstat),
	    cmocka_unit_test(test_pressure),
	    cmocka_unit_test(test_diskstats),
	    cmocka_unit_test(test_diskstats_ignore_rule),
	    cmocka_unit_test(test_netdev),
	    cmocka_unit_test(test_netstat),
	    cmocka_unit_test(test_filefd),
	    cmocka_unit_test(test_sockstat),
	    cmocka_unit_test(test_uname_line),
	    cmocka_unit_test(test_netclass_attrs),
	    cmocka_unit_test(test_mounts),
	    cmocka_unit_test(test_cgroup_files),
	    cmocka_unit_test(test_classify),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
