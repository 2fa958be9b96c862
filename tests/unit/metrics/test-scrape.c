/* SPDX-License-Identifier: MIT */
/*
 * Whole scrapes over fixture roots: the fixture tree in
 * tests/fixtures/metrics/root, a root with nothing in it, thousands of
 * cgroups, lazuli-run's state, and the configuration file.
 */
#include "metrics-test.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "strutil.h"

static char tmp[64];

static int setup(void **state)
{
	(void)state;
	strcpy(tmp, "/tmp/test-metrics.XXXXXX");
	return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

static void put(const char *path, const char *content)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(mkdir_p(dir, 0755), 0);
	/* plain writes: thousands of fixture files need no fsync */
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	assert_int_equal(fputs(content, f) >= 0 || *content == '\0', 1);
	assert_int_equal(fclose(f), 0);
}

static void test_fixture_root(void **state)
{
	MetricsConfig cfg;
	Scrape s;
	(void)state;

	test_config(&cfg, fixture_root());
	assert_int_equal(scrape_init(&s, &cfg), 0);
	assert_int_equal(scrape_run(&s, EXPO_PROMETHEUS), 0);
	const char *o = s.out.buf;
	assert_line(o, "node_cpu_seconds_total{cpu=\"1\",mode=\"steal\"} 0.6");
	assert_line(o, "node_load5 1.18");
	assert_line(o, "node_memory_MemAvailable_bytes 24903680000");
	assert_line(o, "node_pressure_memory_stalled_seconds_total 0.00025");
	assert_line(o, "node_disk_read_bytes_total{device=\"vda\"} 1978442752");
	assert_line(o, "node_network_receive_bytes_total{device=\"eth0\"} 59305437");
	assert_line(o, "node_netstat_Tcp_CurrEstab 5");
	assert_line(o, "node_filefd_allocated 2048");
	assert_line(o, "node_nf_conntrack_entries_limit 262144");
	assert_line(o, "node_time_clocksource_current_info{clocksource=\"kvm-clock\",device=\"0\"} 1");
	/* the mounts file has no 1/mounts in the fixture: self/mounts is used */
	assert_line(o, "node_filesystem_readonly{device=\"/dev/vdb\",fstype=\"ext4\",mountpoint=\"/data dir\"} 1");
	/* cgroups: services, podman, cgroupfs docker, a plain one; the podman container's inner cgroup is not walked */
	assert_line(o, "container_cpu_usage_seconds_total{cgroup=\"/system.slice/ssh.service\",engine=\"systemd\",name=\"ssh.service\"} 0.0015");
	assert_line(o, "container_memory_usage_bytes{cgroup=\"/machine.slice/libpod-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope\",engine=\"podman\",name=\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"} 1048576");
	assert_line(o, "container_cpu_usage_seconds_total{cgroup=\"/docker/fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210\",engine=\"docker\",name=\"fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210\"} 0.000042");
	assert_line(o, "container_oom_events_total{cgroup=\"/system.slice/ssh.service\",engine=\"systemd\",name=\"ssh.service\"} 1");
	assert_line(o, "container_fs_writes_bytes_total{cgroup=\"/system.slice/ssh.service\",engine=\"systemd\",name=\"ssh.service\",device=\"8:0\"} 8192");
	assert_line(o, "container_pressure_cpu_stalled_seconds_total{cgroup=\"/system.slice/ssh.service\",engine=\"systemd\",name=\"ssh.service\"} 0.0008");
	assert_line(o, "container_cpu_cfs_throttled_periods_total{cgroup=\"/web1\",engine=\"\",name=\"\"} 3");
	assert_no_substring(o, "/container\"");
	assert_no_substring(o, "cgroup=\"/gone\"");
	assert_line(o, "lazuli_metrics_cgroups 7");
	for (int i = 0; i < _COLLECTOR_MAX; i++) {
		char line[128];
		snprintf(line, sizeof(line), "node_scrape_collector_success{collector=\"%s\"} 1",
			 collector_name((CollectorId)i));
		assert_line(o, line);
	}
	/* a second scrape reuses the buffers and says the same */
	size_t len = s.out.len;
	assert_int_equal(scrape_run(&s, EXPO_PROMETHEUS), 0);
	assert_true(s.out.len > len - 200 && s.out.len < len + 200);
	scrape_done(&s);
	metrics_config_done(&cfg);
}

static void test_empty_root(void **state)
{
	MetricsConfig cfg;
	Scrape s;
	char p[256];
	(void)state;

	snprintf(p, sizeof(p), "%s/proc/.keep", tmp);
	put(p, "");
	test_config(&cfg, tmp);
	assert_int_equal(scrape_init(&s, &cfg), 0);
	assert_int_equal(scrape_run(&s, EXPO_OPENMETRICS), 0);
	const char *o = s.out.buf;
	assert_line(o, "node_scrape_collector_success{collector=\"cpu\"} 0");
	assert_line(o, "node_scrape_collector_success{collector=\"meminfo\"} 0");
	assert_line(o, "node_scrape_collector_success{collector=\"cgroups\"} 0");
	/* no conntrack module is not a failure */
	assert_line(o, "node_scrape_collector_success{collector=\"conntrack\"} 1");
	assert_no_substring(o, "node_cpu_seconds_total");
	assert_true(s.out.len > 6 && streq(o + s.out.len - 6, "# EOF\n"));
	scrape_done(&s);
	metrics_config_done(&cfg);
}

static void test_missing_proc_root(void **state)
{
	MetricsConfig cfg;
	Scrape s;
	char p[256];
	(void)state;
	snprintf(p, sizeof(p), "%s/nothing-here", tmp);
	test_config(&cfg, p);
	assert_int_equal(scrape_init(&s, &cfg), -ENOENT);
	metrics_config_done(&cfg);
}

/* Many cgroups: output is bounded by MaxCgroups, and says how many were left out. */
static void test_many_cgroups(void **state)
{
	MetricsConfig cfg;
	Scrape s;
	char p[512];
	(void)state;

	snprintf(p, sizeof(p), "%s/sys/fs/cgroup/cgroup.controllers", tmp);
	put(p, "cpu memory\n");
	snprintf(p, sizeof(p), "%s/proc/.keep", tmp);
	put(p, "");
	for (int i = 0; i < 3000; i++) {
		snprintf(p, sizeof(p), "%s/sys/fs/cgroup/c%d/cgroup.controllers", tmp, i);
		put(p, "cpu memory");
		snprintf(p, sizeof(p), "%s/sys/fs/cgroup/c%d/cpu.stat", tmp, i);
		put(p, "usage_usec 5\n");
	}
	test_config(&cfg, tmp);
	cfg.max_cgroups = 500;
	assert_int_equal(scrape_init(&s, &cfg), 0);
	assert_int_equal(scrape_run(&s, EXPO_PROMETHEUS), 0);
	assert_line(s.out.buf, "lazuli_metrics_cgroups 500");
	assert_line(s.out.buf, "lazuli_metrics_cgroups_skipped 2500");
	assert_true(s.out.len < 200 * 1024);
	scrape_done(&s);
	metrics_config_done(&cfg);
}

/* lazuli-run's state.json names the container's cgroup. */
static void test_lazuli_run_state(void **state)
{
	MetricsConfig cfg;
	Scrape s;
	char p[512], json[8192];
	(void)state;

	test_config(&cfg, fixture_root());
	snprintf(p, sizeof(p), "%s/run/web1/state.json", tmp);
	snprintf(json, sizeof(json),
		 "{\"ociVersion\":\"1.0.2\",\"id\":\"web1\",\"status\":\"running\","
		 "\"cgroupPath\":\"%s/sys/fs/cgroup/web1\"}",
		 fixture_root());
	put(p, json);
	snprintf(p, sizeof(p), "%s/run/broken/state.json", tmp);
	put(p, "{not json");
	free(cfg.run_state_dir);
	snprintf(p, sizeof(p), "%s/run", tmp);
	cfg.run_state_dir = strdup(p);
	assert_int_equal(scrape_init(&s, &cfg), 0);
	assert_int_equal(scrape_run(&s, EXPO_PROMETHEUS), 0);
	assert_line(s.out.buf, "container_cpu_usage_seconds_total{cgroup=\"/web1\",engine=\"lazuli-run\",name=\"web1\"} 0.000777");
	scrape_done(&s);
	metrics_config_done(&cfg);
}

static void test_config_file(void **state)
{
	MetricsConfig cfg;
	char p[256], err[512];
	(void)state;

	snprintf(p, sizeof(p), "%s/metrics.conf", tmp);
	put(p, "[Metrics]\nListen=[::1]:9555\nCollectors=cpu, meminfo\nMaxCgroups=10\n"
	       "[Monitor]\nEnabled=yes\nInterval=2min\n");
	assert_int_equal(metrics_config_load(&cfg, p, err, sizeof(err)), 0);
	assert_string_equal(cfg.listen, "[::1]:9555");
	assert_true(cfg.enabled[COLLECTOR_CPU]);
	assert_true(cfg.enabled[COLLECTOR_MEMINFO]);
	assert_false(cfg.enabled[COLLECTOR_DISKSTATS]);
	assert_int_equal(cfg.max_cgroups, 10);
	assert_true(cfg.monitor);
	assert_int_equal(cfg.push_interval, 120 * USEC_PER_SEC);
	metrics_config_done(&cfg);

	put(p, "[Metrics]\nDisableCollectors=timex cgroups\n");
	assert_int_equal(metrics_config_load(&cfg, p, err, sizeof(err)), 0);
	assert_false(cfg.enabled[COLLECTOR_TIMEX]);
	assert_false(cfg.enabled[COLLECTOR_CGROUPS]);
	assert_true(cfg.enabled[COLLECTOR_CPU]);
	metrics_config_done(&cfg);

	static const struct {
		const char *conf, *err;
	} bad[] = {
	    {"[Metrics]\nListen=localhost:9100\n", "not a numeric IP address"},
	    {"[Metrics]\nListen=127.0.0.1\n", "expected address:port"},
	    {"[Metrics]\nListen=127.0.0.1:65536\n", "port must be 0-65535"},
	    {"[Metrics]\nListen=::1:9100\n", "IPv6 in brackets"},
	    {"[Metrics]\nCollectors=cpu,bogus\n", "unknown collector \"bogus\""},
	    {"[Metrics]\nMaxCgroups=lots\n", "MaxCgroups"},
	    {"[Metrics]\nListenn=1\n", "Listenn"},
	    {"[Monitor]\nSampleInterval=5min\n", "SampleInterval"},
	    {"[Monitor]\nMaxAttempts=0\n", "MaxAttempts"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put(p, bad[i].conf);
		err[0] = '\0';
		assert_int_equal(metrics_config_load(&cfg, p, err, sizeof(err)), -EINVAL);
		if (!strstr(err, bad[i].err))
			fail_msg("config %zu: \"%s\" does not mention \"%s\"", i, err, bad[i].err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixture_root),
	    cmocka_unit_test_setup_teardown(test_empty_root, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_proc_root, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_cgroups, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lazuli_run_state, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
