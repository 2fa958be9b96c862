/* SPDX-License-Identifier: MIT */
/* config.json parser: every field's type and value checks, with the field named in the error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <json-c/json.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "oci-config.h"
#include "spec.h"

static const char *base =
    "{\"ociVersion\":\"1.2.0\","
    " \"root\":{\"path\":\"rootfs\",\"readonly\":true},"
    " \"hostname\":\"box\","
    " \"process\":{\"terminal\":false,\"user\":{\"uid\":1000,\"gid\":100,\"umask\":18,"
    "    \"additionalGids\":[5,6]},"
    "  \"args\":[\"sh\",\"-c\",\"true\"],\"env\":[\"PATH=/bin\",\"A=b=c\"],\"cwd\":\"/work\","
    "  \"capabilities\":{\"bounding\":[\"CAP_KILL\",\"CAP_CHOWN\"],\"effective\":[\"CAP_KILL\"],"
    "    \"permitted\":[\"CAP_KILL\"],\"inheritable\":[],\"ambient\":[\"CAP_KILL\"]},"
    "  \"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1024,\"hard\":4096},"
    "    {\"type\":\"RLIMIT_CORE\",\"soft\":18446744073709551615,\"hard\":18446744073709551615}],"
    "  \"noNewPrivileges\":true,\"oomScoreAdj\":-500},"
    " \"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
    "   {\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
    "    \"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
    "   {\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"/srv\","
    "    \"options\":[\"rbind\",\"ro\",\"rw\",\"ro\",\"nodev\",\"rslave\"]}],"
    " \"annotations\":{\"a\":\"b\"},"
    " \"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"uts\"},"
    "   {\"type\":\"network\",\"path\":\"/proc/1/ns/net\"},{\"type\":\"user\"}],"
    "  \"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"
    "  \"gidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"
    "  \"devices\":[{\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,\"minor\":229,"
    "    \"fileMode\":438,\"uid\":0,\"gid\":0}],"
    "  \"maskedPaths\":[\"/proc/kcore\"],\"readonlyPaths\":[\"/proc/sys\"],"
    "  \"rootfsPropagation\":\"slave\",\"cgroupsPath\":\"/lazuli/box\","
    "  \"resources\":{\"memory\":{\"limit\":67108864},\"pids\":{\"limit\":64},"
    "    \"cpu\":{\"quota\":50000,\"period\":100000},"
    "    \"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},"
    "  \"sysctl\":{\"net.ipv4.ip_forward\":\"1\"},"
    "  \"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,"
    "    \"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_AARCH64\"],"
    "    \"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],"
    "    \"syscalls\":[{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"},"
    "      {\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\","
    "       \"args\":[{\"index\":0,\"value\":8,\"op\":\"SCMP_CMP_EQ\"}]},"
    "      {\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13}]}}}";

/* Parse base with the JSON value at a dotted path replaced (NULL: removed). */
static int parse_with(const char *path, const char *value, RunConfig **ret, char *err,
		      size_t errlen)
{
	json_object *root = json_tokener_parse(base);
	assert_non_null(root);
	if (path) {
		char *copy = strdup(path), *save = NULL;
		json_object *cur = root;
		char *tok = strtok_r(copy, ".", &save), *next;
		for (; (next = strtok_r(NULL, ".", &save)); tok = next) {
			json_object *child = NULL;
			if (json_object_is_type(cur, json_type_array))
				child = json_object_array_get_idx(cur, (size_t)atoi(tok));
			else if (!json_object_object_get_ex(cur, tok, &child)) {
				child = json_object_new_object();
				json_object_object_add(cur, tok, child);
			}
			cur = child;
			assert_non_null(cur);
		}
		if (!value)
			json_object_object_del(cur, tok);
		else {
			json_object *v = json_tokener_parse(value);
			assert_true(v || strcmp(value, "null") == 0);
			if (json_object_is_type(cur, json_type_array))
				json_object_array_put_idx(cur, (size_t)atoi(tok), v);
			else
				json_object_object_add(cur, tok, v);
		}
		free(copy);
	}
	const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
	RunConfig *c = NULL;
	int r = run_config_parse(text, strlen(text), &c, err, errlen);
	json_object_put(root);
	if (ret)
		*ret = c;
	else
		run_config_free(c);
	return r;
}

static void expect_error(const char *path, const char *value, const char *message)
{
	char err[1024] = "";
	int r = parse_with(path, value, NULL, err, sizeof(err));
	if (r != -EINVAL || !strstr(err, message))
		fail_msg("%s=%s: got %d \"%s\", want \"%s\"", path, value ? value : "(removed)", r,
			 err, message);
}

static void test_valid(void **state)
{
	RunConfig *c = NULL;
	char err[512];

	assert_int_equal(parse_with(NULL, NULL, &c, err, sizeof(err)), 0);
	assert_string_equal(c->oci_version, "1.2.0");
	assert_string_equal(c->root_path, "rootfs");
	assert_true(c->root_readonly);
	assert_string_equal(c->hostname, "box");
	assert_int_equal(c->uid, 1000);
	assert_int_equal(c->gid, 100);
	assert_true(c->has_umask);
	assert_int_equal(c->umask, 022);
	assert_int_equal(c->n_additional_gids, 2);
	assert_int_equal(c->additional_gids[1], 6);
	assert_string_equal(c->args[2], "true");
	assert_null(c->args[3]);
	assert_string_equal(c->env[1], "A=b=c");
	assert_string_equal(c->cwd, "/work");
	assert_int_equal(c->caps[CAP_SET_BOUNDING], (1u << 5) | (1u << 0));
	assert_int_equal(c->caps[CAP_SET_EFFECTIVE], 1u << 5);
	assert_int_equal(c->caps[CAP_SET_INHERITABLE], 0);
	assert_int_equal(c->caps[CAP_SET_AMBIENT], 1u << 5);
	assert_int_equal(c->n_rlimits, 2);
	assert_int_equal(c->rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(c->rlimits[0].hard, 4096);
	assert_true(c->rlimits[1].soft == UINT64_MAX);
	assert_true(c->no_new_privileges);
	assert_true(c->has_oom_score_adj);
	assert_int_equal(c->oom_score_adj, -500);

	assert_int_equal(c->n_mounts, 3);
	assert_null(c->mounts[0].data);
	assert_int_equal(c->mounts[1].flags, MS_NOSUID | MS_STRICTATIME);
	assert_string_equal(c->mounts[1].data, "mode=755,size=65536k");
	/* later options win: ro, rw, ro -> ro */
	assert_true(c->mounts[2].bind);
	assert_int_equal(c->mounts[2].flags, MS_BIND | MS_REC | MS_RDONLY | MS_NODEV);
	assert_int_equal(c->mounts[2].propagation, MS_SLAVE | MS_REC);
	assert_string_equal(c->annotations_json, "{\"a\":\"b\"}");

	assert_int_equal(c->n_namespaces, 5);
	assert_non_null(run_config_namespace(c, CLONE_NEWPID));
	assert_null(run_config_namespace(c, CLONE_NEWIPC));
	assert_string_equal(run_config_namespace(c, CLONE_NEWNET)->path, "/proc/1/ns/net");
	assert_int_equal(c->n_uid_mappings, 1);
	assert_int_equal(c->uid_mappings[0].host_id, 100000);
	assert_int_equal(c->gid_mappings[0].size, 65536);
	assert_int_equal(c->n_devices, 1);
	assert_int_equal(c->devices[0].type, 'c');
	assert_int_equal(c->devices[0].minor, 229);
	assert_int_equal(c->devices[0].mode, 0666);
	assert_string_equal(c->masked_paths[0], "/proc/kcore");
	assert_string_equal(c->readonly_paths[0], "/proc/sys");
	assert_int_equal(c->rootfs_propagation, MS_SLAVE | MS_REC);
	assert_string_equal(c->cgroups_path, "/lazuli/box");
	assert_true(c->resources.has_memory_limit);
	assert_int_equal(c->resources.memory_limit, 64 << 20);
	assert_int_equal(c->resources.pids_limit, 64);
	assert_int_equal(c->resources.cpu_quota, 50000);
	assert_int_equal(c->resources.cpu_period, 100000);
	assert_string_equal(c->sysctl[0], "net.ipv4.ip_forward");
	assert_string_equal(c->sysctl[1], "1");

	RunSeccomp *s = c->seccomp;
	assert_non_null(s);
	assert_int_equal(s->default_action, SCMP_ACT_ERRNO(0));
	assert_true(s->has_default_errno_ret);
	assert_int_equal(s->default_errno_ret, 38);
	assert_int_equal(s->n_archs, 2);
	assert_int_equal(s->archs[1], SCMP_ARCH_AARCH64);
	assert_int_equal(s->flags, 1u << 1);
	assert_int_equal(s->n_rules, 3);
	assert_string_equal(s->rules[0].names[1], "write");
	assert_int_equal(s->rules[1].n_args, 1);
	assert_int_equal(s->rules[1].args[0].op, SCMP_CMP_EQ);
	assert_int_equal(s->rules[1].args[0].value, 8);
	assert_true(s->rules[2].has_errno_ret);
	assert_int_equal(s->rules[2].errno_ret, 13);
	run_config_free(c);
}

static void test_minimal(void **state)
{
	const char *min = "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"/r\"},"
			  "\"process\":{\"args\":[\"/x\"],\"cwd\":\"/\"},"
			  "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}]}}";
	RunConfig *c = NULL;
	char err[256];
	assert_int_equal(run_config_parse(min, strlen(min), &c, err, sizeof(err)), 0);
	assert_int_equal(c->uid, 0);
	assert_false(c->has_capabilities);
	assert_int_equal(c->caps[CAP_SET_BOUNDING], 0);
	assert_null(c->env);
	assert_null(c->seccomp);
	assert_int_equal(c->n_mounts, 0);
	run_config_free(c);
}

static void test_top_level_errors(void **state)
{
	char err[256];
	RunConfig *c = NULL;

	assert_int_equal(run_config_parse("{", 1, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "config.json: not valid JSON"));
	assert_int_equal(run_config_parse("[]", 2, &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "config.json: must be a JSON object");
	const char *dup = "{\"ociVersion\":\"1.0.0\",\"ociVersion\":\"1.0.0\"}";
	assert_int_equal(run_config_parse(dup, strlen(dup), &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "duplicate key \"ociVersion\""));
	assert_null(c);

	expect_error("ociVersion", NULL, "ociVersion: is required");
	expect_error("ociVersion", "2", "ociVersion: must be a string");
	expect_error("ociVersion", "\"2.0.0\"", "ociVersion: version \"2.0.0\" is not supported");
	expect_error("root", NULL, "root: is required");
	expect_error("root", "[]", "root: must be an object");
	expect_error("root.path", NULL, "root.path: is required");
	expect_error("root.path", "\"\"", "root.path: is required");
	expect_error("root.readonly", "\"yes\"", "root.readonly: must be true or false");
	expect_error("hostname",
		     "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
		     "hostname: longer than 64");
	expect_error("process", NULL, "process: is required");
	expect_error("annotations.x", "1", "annotations.x: must be a string");
	expect_error("hooks.prestart", "[{\"path\":\"true\"}]",
		     "hooks.prestart[0].path: must be an absolute path");
	expect_error("hooks.poststop", "[{\"path\":\"/x\",\"timeout\":0}]",
		     "hooks.poststop[0].timeout: must be between 1");
	expect_error("hooks.createRuntime", "[{\"path\":\"/x\",\"env\":[\"NOEQ\"]}]",
		     "hooks.createRuntime[0].env[0]: must have the form KEY=value");
	expect_error("hooks.startContainer", "{}", "hooks.startContainer: must be an array");
	expect_error("process.apparmorProfile", "7", "process.apparmorProfile: must be a string");
	expect_error("process.apparmorProfile", "\"a\\nb\"",
		     "process.apparmorProfile: must not contain control characters");
	expect_error("process.selinuxLabel", "\"a\\u0001\"",
		     "process.selinuxLabel: must not contain control characters");
	expect_error("linux.mountLabel", "\"a\\\"b\"",
		     "linux.mountLabel: must not contain quotes or backslashes");
	/* Empty labels are what managers send when there is no profile: none. */
	c = NULL;
	assert_int_equal(parse_with("process.selinuxLabel", "\"\"", &c, err, sizeof(err)), 0);
	assert_null(c->selinux_label);
	assert_null(c->apparmor_profile);
	run_config_free(c);
	c = NULL;
	assert_int_equal(
	    parse_with("process.apparmorProfile", "\"containers-default-0.62\"", &c, err, sizeof(err)),
	    0);
	assert_string_equal(c->apparmor_profile, "containers-default-0.62");
	run_config_free(c);
	c = NULL;
	assert_int_equal(parse_with("linux.mountLabel", "\"system_u:object_r:container_file_t:s0:c1,c2\"",
				    &c, err, sizeof(err)),
			 0);
	assert_string_equal(c->mount_label, "system_u:object_r:container_file_t:s0:c1,c2");
	run_config_free(c);
}

static void test_process_errors(void **state)
{
	expect_error("process.args", NULL, "process.args: must be a non-empty array of strings");
	expect_error("process.args", "[]", "process.args: must be a non-empty array of strings");
	expect_error("process.args", "\"sh\"", "process.args: must be an array");
	expect_error("process.args", "[1]", "process.args: must be a non-empty array of strings");
	expect_error("process.args", "[\"\"]",
		     "process.args: must be a non-empty array of strings");
	expect_error("process.env", "[\"NOEQUALS\"]",
		     "process.env[0]: must have the form KEY=value");
	expect_error("process.env", "[\"A=1\",\"=x\"]", "process.env[1]: must have the form");
	expect_error("process.cwd", NULL, "process.cwd: is required");
	expect_error("process.cwd", "\"work\"", "process.cwd: must be an absolute path");
	expect_error("process.terminal", "1", "process.terminal: must be true or false");
	expect_error("process.user.uid", "-1",
		     "process.user.uid: must be between 0 and 4294967295");
	expect_error("process.user.uid", "4294967296", "process.user.uid: must be between");
	expect_error("process.user.uid", "1.5", "process.user.uid: must be an integer");
	expect_error("process.user.gid", "\"0\"", "process.user.gid: must be an integer");
	expect_error("process.user.umask", "512", "process.user.umask: must be between 0 and 511");
	expect_error("process.user.additionalGids", "[-1]",
		     "process.user.additionalGids: must be an array of group ids");
	expect_error("process.capabilities.bounding", "[\"CAP_NOPE\"]",
		     "process.capabilities.bounding[0]: unknown capability \"CAP_NOPE\"");
	expect_error("process.capabilities.ambient", "[\"CAP_KILL\",\"kill\"]",
		     "process.capabilities.ambient[1]: unknown capability");
	expect_error("process.capabilities", "[]", "process.capabilities: must be an object");
	expect_error("process.rlimits.0.type", "\"RLIMIT_NOPE\"",
		     "process.rlimits[0].type: unknown resource \"RLIMIT_NOPE\"");
	expect_error("process.rlimits.1.type", "\"RLIMIT_NOFILE\"",
		     "process.rlimits[1].type: \"RLIMIT_NOFILE\" is given twice");
	expect_error("process.rlimits.0.soft", "-1",
		     "process.rlimits[0].soft: must be a non-negative integer");
	expect_error("process.rlimits.0.soft", "5000",
		     "process.rlimits[0]: soft limit is above the hard limit");
	expect_error("process.rlimits.0.hard", NULL, "process.rlimits[0].hard: is required");
	expect_error("process.noNewPrivileges", "\"true\"",
		     "process.noNewPrivileges: must be true or false");
	expect_error("process.oomScoreAdj", "1001",
		     "process.oomScoreAdj: must be between -1000 and 1000");
}

static void test_scheduler(void **state)
{
	RunConfig *c = NULL;
	char err[512];

	assert_int_equal(
	    parse_with("process.scheduler",
		       "{\"policy\":\"SCHED_FIFO\",\"priority\":10,\"nice\":-5,"
		       "\"flags\":[\"SCHED_FLAG_RESET_ON_FORK\",\"SCHED_FLAG_KEEP_PARAMS\"]}",
		       &c, err, sizeof(err)),
	    0);
	assert_true(c->has_scheduler);
	assert_int_equal(c->scheduler.policy, SCHED_FIFO);
	assert_int_equal(c->scheduler.priority, 10);
	assert_int_equal(c->scheduler.nice, -5);
	assert_int_equal(c->scheduler.flags, 0x01 | 0x10);
	run_config_free(c);

	assert_int_equal(parse_with("process.scheduler",
				    "{\"policy\":\"SCHED_DEADLINE\",\"runtime\":10000000,"
				    "\"deadline\":30000000,\"period\":100000000}",
				    &c, err, sizeof(err)),
			 0);
	assert_int_equal(c->scheduler.policy, 6);
	assert_int_equal(c->scheduler.runtime, 10000000);
	assert_int_equal(c->scheduler.deadline, 30000000);
	assert_int_equal(c->scheduler.period, 100000000);
	run_config_free(c);

	/* Absent: nothing to apply. */
	assert_int_equal(parse_with(NULL, NULL, &c, err, sizeof(err)), 0);
	assert_false(c->has_scheduler);
	run_config_free(c);

	expect_error("process.scheduler", "[]", "process.scheduler: must be an object");
	expect_error("process.scheduler", "{}", "process.scheduler.policy: is required");
	expect_error("process.scheduler", "{\"policy\":\"X\"}",
		     "process.scheduler.policy: unknown policy \"X\"");
	expect_error("process.scheduler", "{\"policy\":\"SCHED_ISO\"}",
		     "process.scheduler.policy: \"SCHED_ISO\" is reserved");
	expect_error("process.scheduler", "{\"policy\":\"SCHED_OTHER\",\"nice\":20}",
		     "process.scheduler.nice: must be between -20 and 19");
	expect_error("process.scheduler", "{\"policy\":\"SCHED_OTHER\",\"nice\":\"1\"}",
		     "process.scheduler.nice: must be an integer");
	expect_error("process.scheduler", "{\"policy\":\"SCHED_RR\"}",
		     "process.scheduler.priority: must be between 1 and 99");
	expect_error("process.scheduler", "{\"policy\":\"SCHED_FIFO\",\"priority\":100}",
		     "process.scheduler.priority: must be between 1 and 99");
	expect_error("process.scheduler", "{\"policy\":\"SCHED_BATCH\",\"priority\":1}",
		     "process.scheduler.priority: must be 0 unless");
	expect_error("process.scheduler", "{\"policy\":\"SCHED_OTHER\",\"flags\":[\"NOPE\"]}",
		     "process.scheduler.flags[0]: unknown flag \"NOPE\"");
	expect_error("process.scheduler",
		     "{\"policy\":\"SCHED_OTHER\",\"flags\":[\"SCHED_FLAG_UTIL_CLAMP_MAX\"]}",
		     "process.scheduler.flags[0]: \"SCHED_FLAG_UTIL_CLAMP_MAX\" is not supported");
	expect_error("process.scheduler", "{\"policy\":\"SCHED_OTHER\",\"runtime\":5}",
		     "process.scheduler.runtime: only applies to SCHED_DEADLINE");
	expect_error("process.scheduler", "{\"policy\":\"SCHED_DEADLINE\",\"runtime\":-1}",
		     "process.scheduler.runtime: must be a non-negative integer");
	expect_error("process.scheduler", "{\"policy\":\"SCHED_DEADLINE\",\"deadline\":5000}",
		     "process.scheduler.runtime: must be at least 1024 nanoseconds");
	expect_error("process.scheduler",
		     "{\"policy\":\"SCHED_DEADLINE\",\"runtime\":5000,\"deadline\":4000}",
		     "process.scheduler.deadline: must not be below the runtime");
	expect_error("process.scheduler",
		     "{\"policy\":\"SCHED_DEADLINE\",\"runtime\":5000,\"deadline\":9000,"
		     "\"period\":8000}",
		     "process.scheduler.period: must be 0 or not below the deadline");
}

static void test_io_priority_and_affinity(void **state)
{
	RunConfig *c = NULL;
	char err[512];

	assert_int_equal(parse_with("process.ioPriority",
				    "{\"class\":\"IOPRIO_CLASS_IDLE\",\"priority\":7}", &c, err,
				    sizeof(err)),
			 0);
	assert_true(c->has_io_priority);
	assert_int_equal(c->io_priority, (3 << 13) | 7);
	run_config_free(c);
	expect_error("process.ioPriority", "{\"priority\":1}",
		     "process.ioPriority.class: is required");
	expect_error("process.ioPriority", "{\"class\":\"IOPRIO_CLASS_NONE\",\"priority\":1}",
		     "process.ioPriority.class: unknown class \"IOPRIO_CLASS_NONE\"");
	expect_error("process.ioPriority", "{\"class\":\"IOPRIO_CLASS_BE\"}",
		     "process.ioPriority.priority: is required");
	expect_error("process.ioPriority", "{\"class\":\"IOPRIO_CLASS_BE\",\"priority\":8}",
		     "process.ioPriority.priority: must be between 0 and 7");

	assert_int_equal(parse_with("process.execCPUAffinity",
				    "{\"initial\":\"7\",\"final\":\"0-3,7,1023\"}", &c, err,
				    sizeof(err)),
			 0);
	assert_true(c->has_cpus_initial);
	assert_int_equal(CPU_COUNT(&c->cpus_initial), 1);
	assert_true(CPU_ISSET(7, &c->cpus_initial));
	assert_true(c->has_cpus_final);
	assert_int_equal(CPU_COUNT(&c->cpus_final), 6);
	assert_true(CPU_ISSET(3, &c->cpus_final) && CPU_ISSET(1023, &c->cpus_final));
	assert_false(CPU_ISSET(4, &c->cpus_final));
	run_config_free(c);
	/* Empty is absent. */
	assert_int_equal(
	    parse_with("process.execCPUAffinity", "{\"final\":\"\"}", &c, err, sizeof(err)), 0);
	assert_false(c->has_cpus_initial || c->has_cpus_final);
	run_config_free(c);
	expect_error("process.execCPUAffinity", "{\"initial\":\"0-\"}",
		     "process.execCPUAffinity.initial: invalid CPU list \"0-\"");
	expect_error("process.execCPUAffinity", "{\"final\":\"3-1\"}",
		     "process.execCPUAffinity.final: invalid CPU list \"3-1\"");
	expect_error("process.execCPUAffinity", "{\"final\":\"1024\"}",
		     "process.execCPUAffinity.final: CPU numbers must be below 1024");
	expect_error("process.execCPUAffinity", "{\"initial\":7}",
		     "process.execCPUAffinity.initial: must be a string");
}

static void test_cpu_list(void **state)
{
	cpu_set_t set;
	assert_int_equal(parse_cpu_list("0", &set), 0);
	assert_int_equal(CPU_COUNT(&set), 1);
	assert_int_equal(parse_cpu_list("2-4,9,11-11", &set), 0);
	assert_int_equal(CPU_COUNT(&set), 5);
	assert_true(CPU_ISSET(9, &set) && CPU_ISSET(11, &set) && !CPU_ISSET(10, &set));
	static const char *const bad[] = {"",	",",	"1,", ",1",   "a",   "1-",
					  "-1", "1 ,2", "+1", "1--2", "0x1", "1-2-3"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse_cpu_list(bad[i], &set) != -EINVAL)
			fail_msg("\"%s\" was accepted", bad[i]);
	assert_int_equal(parse_cpu_list("99999999999999999999999", &set), -ERANGE);
	assert_int_equal(parse_cpu_list("0-1024", &set), -ERANGE);
}

static void test_personality(void **state)
{
	RunConfig *c = NULL;
	char err[512];

	assert_int_equal(parse_with("linux.personality", "{\"domain\":\"LINUX32\",\"flags\":[]}",
				    &c, err, sizeof(err)),
			 0);
	assert_true(c->has_personality);
	assert_int_equal(c->personality, 8 /* PER_LINUX32 */);
	run_config_free(c);
	assert_int_equal(parse_with(NULL, NULL, &c, err, sizeof(err)), 0);
	assert_false(c->has_personality);
	run_config_free(c);

	expect_error("linux.personality", "{}", "linux.personality.domain: is required");
	expect_error("linux.personality", "{\"domain\":\"BSD\"}",
		     "linux.personality.domain: unknown domain \"BSD\"");
	expect_error("linux.personality",
		     "{\"domain\":\"LINUX\",\"flags\":[\"ADDR_NO_RANDOMIZE\"]}",
		     "linux.personality.flags[0]: \"ADDR_NO_RANDOMIZE\" is not supported");
	expect_error("linux.personality", "{\"domain\":\"LINUX\",\"flags\":\"x\"}",
		     "linux.personality.flags: must be an array");
}

/* A new time namespace with offsets for both clocks. */
static const char *timens_config =
    "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},"
    "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"},"
    "\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"time\"}],"
    "  \"timeOffsets\":{\"boottime\":{\"secs\":-3600,\"nanosecs\":5},"
    "    \"monotonic\":{\"secs\":86400}}}}";

static void test_time_offsets(void **state)
{
	RunConfig *c = NULL;
	char err[512];

	assert_int_equal(
	    run_config_parse(timens_config, strlen(timens_config), &c, err, sizeof(err)), 0);
	const RunNamespace *t = run_config_namespace(c, CLONE_NEWTIME);
	assert_non_null(t);
	assert_null(t->path);
	assert_true(c->time_offsets[TIME_OFFSET_BOOTTIME].set);
	assert_int_equal(c->time_offsets[TIME_OFFSET_BOOTTIME].secs, -3600);
	assert_int_equal(c->time_offsets[TIME_OFFSET_BOOTTIME].nanosecs, 5);
	assert_int_equal(c->time_offsets[TIME_OFFSET_MONOTONIC].secs, 86400);
	assert_int_equal(c->time_offsets[TIME_OFFSET_MONOTONIC].nanosecs, 0);
	assert_string_equal(time_offset_clock_name(TIME_OFFSET_MONOTONIC), "monotonic");
	run_config_free(c);

	/* A time namespace of its own needs no offsets. */
	assert_int_equal(
	    parse_with("linux.namespaces.5", "{\"type\":\"time\"}", &c, err, sizeof(err)), 0);
	assert_non_null(run_config_namespace(c, CLONE_NEWTIME));
	assert_false(c->time_offsets[TIME_OFFSET_BOOTTIME].set);
	run_config_free(c);

	expect_error("linux.timeOffsets", "{\"boottime\":{\"secs\":1}}",
		     "linux.timeOffsets: needs a new time namespace in linux.namespaces");
	expect_error("linux.timeOffsets", "[]", "linux.timeOffsets: must be an object");
	expect_error("linux.timeOffsets", "{\"realtime\":{\"secs\":1}}",
		     "linux.timeOffsets.realtime: unknown clock");
	expect_error("linux.timeOffsets", "{\"boottime\":5}",
		     "linux.timeOffsets.boottime: must be an object");
	expect_error("linux.timeOffsets", "{\"boottime\":{\"secs\":\"1\"}}",
		     "linux.timeOffsets.boottime.secs: must be an integer");
	expect_error("linux.timeOffsets", "{\"monotonic\":{\"nanosecs\":1000000000}}",
		     "linux.timeOffsets.monotonic.nanosecs: must be between 0 and 999999999");
	expect_error("linux.timeOffsets", "{\"monotonic\":{\"nanosecs\":-1}}",
		     "linux.timeOffsets.monotonic.nanosecs: must be between 0 and 999999999");
}

static void test_mount_errors(void **state)
{
	expect_error("mounts", "{}", "mounts: must be an array");
	expect_error("mounts.0", "\"/proc\"", "mounts[0]: must be an object");
	expect_error("mounts.0.destination", NULL, "mounts[0].destination: is required");
	expect_error("mounts.1.destination", "\"dev\"",
		     "mounts[1].destination: must be an absolute path, not \"dev\"");
	expect_error("mounts.0.type", NULL,
		     "mounts[0].type: is required unless the mount is a bind mount");
	expect_error("mounts.2.source", NULL, "mounts[2].source: is required for a bind mount");
	expect_error("mounts.1.options", "[\"nosuid\",5]",
		     "mounts[1].options: must be an array of strings");
	expect_error("mounts.1.options", "[\"a,b\"]", "mounts[1].options: invalid option \"a,b\"");
}

/* mounts[2] of base replaced by a bind mount of /srv on /data with these options and fields. */
#define BIND_DATA(opts, extra)                                                                     \
	"{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"/srv\",\"options\":" opts extra \
	"}"
#define MAP(c, h, n) "{\"containerID\":" #c ",\"hostID\":" #h ",\"size\":" #n "}"

static RunConfig *parse_mount2(const char *mount)
{
	RunConfig *c = NULL;
	char err[512] = "";
	if (parse_with("mounts.2", mount, &c, err, sizeof(err)) < 0)
		fail_msg("%s: %s", mount, err);
	return c;
}

static void test_mount_recursive_attributes(void **state)
{
	RunConfig *c = parse_mount2(BIND_DATA(
	    "[\"rbind\",\"rro\",\"rnosuid\",\"rrw\",\"rnoatime\",\"ratime\",\"rnodiratime\","
	    "\"nosymfollow\",\"rnosymfollow\",\"rsymfollow\",\"rnoexec\",\"rdev\"]",
	    ""));
	const RunMount *m = &c->mounts[2];
	/* later options win: rro, rrw -> cleared; rnoatime, ratime -> relatime */
	assert_int_equal(m->attr_set,
			 MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOEXEC);
	assert_int_equal(m->attr_clr, MOUNT_ATTR_RDONLY | MOUNT_ATTR__ATIME |
					  MOUNT_ATTR_NOSYMFOLLOW | MOUNT_ATTR_NODEV);
	assert_int_equal(m->flags, MS_BIND | MS_REC | MS_NOSYMFOLLOW);
	assert_null(m->data);
	assert_int_equal(m->extensions, 0);
	run_config_free(c);

	c = parse_mount2(BIND_DATA("[\"bind\",\"rro\",\"rstrictatime\",\"symfollow\"]", ""));
	m = &c->mounts[2];
	assert_int_equal(m->attr_set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_STRICTATIME);
	assert_int_equal(m->attr_clr, MOUNT_ATTR__ATIME);
	assert_int_equal(m->flags, MS_BIND);
	run_config_free(c);

	c = parse_mount2(BIND_DATA("[\"bind\",\"rstrictatime\",\"rnorelatime\",\"rnoatime\"]", ""));
	assert_int_equal(c->mounts[2].attr_set, MOUNT_ATTR_NOATIME);
	run_config_free(c);
}

static void test_mount_extensions(void **state)
{
	RunConfig *c = parse_mount2(BIND_DATA(
	    "[\"rbind\",\"ridmap\"]", ",\"uidMappings\":[" MAP(0, 1000, 10) "," MAP(
					  10, 5000, 1) "],"
						       "\"gidMappings\":[" MAP(0, 2000, 10) "]"));
	const RunMount *m = &c->mounts[2];
	assert_int_equal(m->extensions, MOUNT_EXT_IDMAP | MOUNT_EXT_IDMAP_RECURSIVE);
	assert_int_equal(m->n_uid_mappings, 2);
	assert_int_equal(m->uid_mappings[1].container_id, 10);
	assert_int_equal(m->uid_mappings[1].host_id, 5000);
	assert_int_equal(m->n_gid_mappings, 1);
	assert_int_equal(m->gid_mappings[0].host_id, 2000);
	assert_int_equal(m->gid_mappings[0].size, 10);
	run_config_free(c);

	/* Without mappings of its own, the container's user namespace has some. */
	c = parse_mount2(BIND_DATA("[\"bind\",\"idmap\"]", ""));
	assert_int_equal(c->mounts[2].extensions, MOUNT_EXT_IDMAP);
	assert_int_equal(c->mounts[2].n_uid_mappings, 0);
	run_config_free(c);

	c = parse_mount2(
	    BIND_DATA("[\"bind\",\"copy-symlink\",\"src-nofollow\",\"dest-nofollow\"]", ""));
	assert_int_equal(c->mounts[2].extensions,
			 MOUNT_EXT_COPY_SYMLINK | MOUNT_EXT_SRC_NOFOLLOW | MOUNT_EXT_DEST_NOFOLLOW);
	run_config_free(c);

	char err[256];
	assert_int_equal(
	    parse_with("mounts.1.options", "[\"tmpcopyup\",\"mode=755\"]", &c, err, sizeof(err)),
	    0);
	assert_int_equal(c->mounts[1].extensions, MOUNT_EXT_TMPCOPYUP);
	assert_string_equal(c->mounts[1].data, "mode=755");
	run_config_free(c);

	assert_int_equal(
	    parse_with("mounts.1.options", "[\"remount\",\"ro\"]", &c, err, sizeof(err)), 0);
	assert_int_equal(c->mounts[1].extensions, MOUNT_EXT_REMOUNT);
	assert_int_equal(c->mounts[1].flags, MS_RDONLY);
	run_config_free(c);
}

static void test_mount_extension_errors(void **state)
{
	expect_error("mounts.1.options", "[\"idmap\"]",
		     "mounts[1].options: \"idmap\" needs a bind mount");
	expect_error("mounts.1.options", "[\"ridmap\"]",
		     "mounts[1].options: \"ridmap\" needs a bind mount");
	expect_error("mounts.1.options", "[\"copy-symlink\"]",
		     "mounts[1].options: \"copy-symlink\" needs a bind mount");
	expect_error("mounts.0.options", "[\"src-nofollow\"]",
		     "mounts[0].options: \"src-nofollow\" needs a bind mount");
	expect_error("mounts.0.options", "[\"tmpcopyup\"]",
		     "mounts[0].options: \"tmpcopyup\" needs a tmpfs mount");
	expect_error("mounts.2.options", "[\"bind\",\"tmpcopyup\"]",
		     "mounts[2].options: \"tmpcopyup\" needs a tmpfs mount");
	expect_error("mounts.2.options", "[\"bind\",\"idmap\",\"remount\"]",
		     "mounts[2].options: \"remount\" cannot be combined with \"idmap\"");
	expect_error("mounts.1.options", "[\"remount\",\"tmpcopyup\"]",
		     "mounts[1].options: \"remount\" cannot be combined with \"tmpcopyup\"");
	expect_error("mounts.2.uidMappings", "[" MAP(0, 1000, 1) "]",
		     "mounts[2].uidMappings: needs the \"idmap\" or \"ridmap\" option");
	expect_error("mounts.2.gidMappings", "[" MAP(0, 1000, 1) "]",
		     "mounts[2].gidMappings: needs the \"idmap\" or \"ridmap\" option");
	expect_error("mounts.2",
		     BIND_DATA("[\"bind\",\"idmap\"]", ",\"uidMappings\":[" MAP(0, 1000, 1) "]"),
		     "mounts[2].gidMappings: is required with the other mapping");
	expect_error("mounts.2", BIND_DATA("[\"bind\",\"idmap\"]", ",\"uidMappings\":[]"),
		     "mounts[2].uidMappings: must not be empty");
	expect_error("mounts.2", BIND_DATA("[\"bind\",\"idmap\"]", ",\"gidMappings\":{}"),
		     "mounts[2].gidMappings: must be an array");
	expect_error("mounts.2",
		     BIND_DATA("[\"bind\",\"idmap\"]",
			       ",\"uidMappings\":[" MAP(0, 1000, 0) "],\"gidMappings\":[" MAP(
				   0, 1000, 1) "]"),
		     "mounts[2].uidMappings[0].size: must be at least 1");
	expect_error(
	    "mounts.2",
	    BIND_DATA("[\"bind\",\"idmap\"]",
		      ",\"uidMappings\":[" MAP(0, 1000, 1) "],\"gidMappings\":[{\"hostID\":1,"
							   "\"size\":1}]"),
	    "mounts[2].gidMappings[0].containerID: is required");
	expect_error(
	    "mounts.2",
	    BIND_DATA(
		"[\"bind\",\"idmap\"]",
		",\"uidMappings\":[" MAP(0, 4294967295, 2) "],\"gidMappings\":[" MAP(0, 1, 1) "]"),
	    "mounts[2].uidMappings[0]: containerID/hostID + size must stay within 32 bits");

	/* No mappings of its own and no user namespace to borrow them from. */
	const char *nouserns = "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"/r\"},"
			       "\"process\":{\"args\":[\"/x\"],\"cwd\":\"/\"},"
			       "\"mounts\":[{\"destination\":\"/a\",\"source\":\"/"
			       "b\",\"options\":[\"rbind\",\"ridmap\"]}],"
			       "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}]}}";
	char err[512] = "";
	RunConfig *c = NULL;
	assert_int_equal(run_config_parse(nouserns, strlen(nouserns), &c, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err,
			    "mounts[0].options: \"ridmap\" without uidMappings and gidMappings "
			    "needs a new user namespace in linux.namespaces");
	assert_null(c);
}

static void test_linux_errors(void **state)
{
	expect_error("linux", "[]", "linux: must be an object");
	expect_error("linux.namespaces.0.type", "\"pidx\"",
		     "linux.namespaces[0].type: unknown namespace type \"pidx\"");
	expect_error("linux.namespaces.2.type", "\"pid\"",
		     "linux.namespaces[2].type: \"pid\" is given twice");
	expect_error("linux.namespaces.3.path", "\"proc/1/ns/net\"",
		     "linux.namespaces[3].path: must be an absolute path");
	expect_error("linux.namespaces.1.type", "\"ipc\"",
		     "linux.namespaces: a new mount namespace is required");
	expect_error("linux.namespaces.2.type", "\"ipc\"",
		     "hostname: needs a uts namespace in linux.namespaces");
	expect_error("linux.uidMappings", NULL,
		     "linux.uidMappings: is required with a new user namespace");
	expect_error("linux.uidMappings.0.size", "0",
		     "linux.uidMappings[0].size: must be at least 1");
	expect_error("linux.gidMappings.0.hostID", NULL,
		     "linux.gidMappings[0].hostID: is required");
	expect_error("linux.gidMappings.0.hostID", "4294967295",
		     "linux.gidMappings[0]: containerID/hostID + size must stay within 32 bits");
	expect_error("linux.namespaces.4.type", "\"ipc\"",
		     "linux.uidMappings: needs a user namespace");
	expect_error("linux.devices.0.path", "\"/etc/passwd\"",
		     "linux.devices[0].path: must be a path under /dev");
	expect_error("linux.devices.0.path", "\"/dev/../etc/x\"",
		     "linux.devices[0].path: must be a path under /dev");
	expect_error("linux.devices.0.type", "\"x\"",
		     "linux.devices[0].type: must be one of c, b, u, p");
	expect_error("linux.devices.0.major", NULL, "linux.devices[0].major: is required");
	expect_error("linux.devices.0.fileMode", "65536",
		     "linux.devices[0].fileMode: must be between");
	expect_error("linux.maskedPaths", "[\"proc/kcore\"]",
		     "linux.maskedPaths[0]: must be an absolute path");
	expect_error("linux.readonlyPaths", "\"/proc/sys\"",
		     "linux.readonlyPaths: must be an array");
	expect_error("linux.rootfsPropagation", "\"sideways\"",
		     "linux.rootfsPropagation: unknown propagation \"sideways\"");
	expect_error("linux.cgroupsPath", "\"/a/../../etc\"",
		     "linux.cgroupsPath: must not contain \"..\"");
	expect_error("linux.resources.memory.limit", "\"1G\"",
		     "linux.resources.memory.limit: must be an integer");
	expect_error("linux.resources.memory.limit", "-2",
		     "linux.resources.memory.limit: must be between -1");
	expect_error("linux.resources.cpu.period", "10",
		     "linux.resources.cpu.period: must be between 1000");
	expect_error("linux.resources.cpu.quota", "10",
		     "linux.resources.cpu.quota: must be -1 or at least 1000");
	expect_error("linux.sysctl", "{\"kernel/../x\":\"1\"}",
		     "linux.sysctl.kernel/../x: invalid name");
	expect_error("linux.sysctl", "{\"net.core.somaxconn\":1}",
		     "linux.sysctl.net.core.somaxconn: must be a string");
}

static void test_seccomp_errors(void **state)
{
	expect_error("linux.seccomp.defaultAction", NULL,
		     "linux.seccomp.defaultAction: is required");
	expect_error("linux.seccomp.defaultAction", "\"SCMP_ACT_MAYBE\"",
		     "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_MAYBE\"");
	expect_error("linux.seccomp.architectures", "[\"SCMP_ARCH_VAX\"]",
		     "linux.seccomp.architectures[0]: unknown architecture \"SCMP_ARCH_VAX\"");
	expect_error("linux.seccomp.flags", "[\"SECCOMP_FILTER_FLAG_NOPE\"]",
		     "linux.seccomp.flags[0]: unknown or unsupported flag");
	expect_error("linux.seccomp.listenerPath", "\"\"",
		     "linux.seccomp.listenerPath: must not be empty");
	expect_error("linux.seccomp.listenerPath", "7", "linux.seccomp.listenerPath: must be a string");
	expect_error("linux.seccomp.listenerMetadata", "\"m\"",
		     "linux.seccomp.listenerMetadata: needs linux.seccomp.listenerPath");
	expect_error("linux.seccomp.defaultAction", "\"SCMP_ACT_NOTIFY\"",
		     "linux.seccomp.defaultAction: cannot be SCMP_ACT_NOTIFY");
	expect_error("linux.seccomp.syscalls.0.names", "[]",
		     "linux.seccomp.syscalls[0].names: must be a non-empty array of strings");
	expect_error("linux.seccomp.syscalls.0.action", "\"SCMP_ACT_NOTIFY\"",
		     "linux.seccomp.listenerPath: is required by SCMP_ACT_NOTIFY in "
		     "linux.seccomp.syscalls[0]");
	expect_error("linux.seccomp.syscalls.0.action", "\"SCMP_ACT_WAIT\"",
		     "linux.seccomp.syscalls[0].action: unknown action \"SCMP_ACT_WAIT\"");
	expect_error("linux.seccomp.syscalls.0.errnoRet", "1",
		     "linux.seccomp.syscalls[0].errnoRet: is only valid with SCMP_ACT_ERRNO");
	expect_error("linux.seccomp.syscalls.2.errnoRet", "4096",
		     "linux.seccomp.syscalls[2].errnoRet: must be between 0 and 4095");
	expect_error("linux.seccomp.syscalls.1.args.0.index", "6",
		     "linux.seccomp.syscalls[1].args[0].index: must be between 0 and 5");
	expect_error("linux.seccomp.syscalls.1.args.0.op", "\"SCMP_CMP_ALMOST\"",
		     "linux.seccomp.syscalls[1].args[0].op: unknown operator \"SCMP_CMP_ALMOST\"");
	expect_error("linux.seccomp.syscalls.1.args.0.value", NULL,
		     "linux.seccomp.syscalls[1].args[0].value: is required");
	expect_error("linux.seccomp.syscalls.1.args",
		     "[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
		     "{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
		     "{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
		     "{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
		     "{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
		     "{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
		     "{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]",
		     "linux.seccomp.syscalls[1].args: has more than 6 entries");
}

static int parse_seccomp_text(const char *seccomp, RunConfig **ret, char *err, size_t errlen)
{
	char text[1024];
	snprintf(text, sizeof(text),
		 "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"/r\"},"
		 "\"process\":{\"args\":[\"/x\"],\"cwd\":\"/\"},"
		 "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],\"seccomp\":%s}}",
		 seccomp);
	return run_config_parse(text, strlen(text), ret, err, errlen);
}

static void test_seccomp_notify(void **state)
{
	RunConfig *c = NULL;
	char err[512] = "";

	assert_int_equal(
	    parse_seccomp_text("{\"defaultAction\":\"SCMP_ACT_ALLOW\","
			       "\"listenerPath\":\"/run/agent.sock\",\"listenerMetadata\":\"k=v\","
			       "\"syscalls\":[{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\"},"
			       "{\"names\":[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
			       &c, err, sizeof(err)),
	    0);
	assert_string_equal(c->seccomp->listener_path, "/run/agent.sock");
	assert_string_equal(c->seccomp->listener_metadata, "k=v");
	assert_int_equal(c->seccomp->rules[1].action, SCMP_ACT_NOTIFY);
	assert_true(run_seccomp_notifies(c->seccomp));
	run_config_free(c);

	/* The spec: listenerPath without SCMP_ACT_NOTIFY is ignored. */
	assert_int_equal(
	    parse_seccomp_text("{\"defaultAction\":\"SCMP_ACT_ALLOW\","
			       "\"listenerPath\":\"/run/agent.sock\","
			       "\"syscalls\":[{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
			       &c, err, sizeof(err)),
	    0);
	assert_null(c->seccomp->listener_metadata);
	assert_false(run_seccomp_notifies(c->seccomp));
	run_config_free(c);

	assert_int_equal(
	    parse_seccomp_text("{\"defaultAction\":\"SCMP_ACT_ALLOW\","
			       "\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
			       &c, err, sizeof(err)),
	    -EINVAL);
	assert_non_null(strstr(err, "linux.seccomp.listenerPath: is required by SCMP_ACT_NOTIFY"));

	assert_int_equal(
	    parse_seccomp_text("{\"defaultAction\":\"SCMP_ACT_ALLOW\","
			       "\"listenerPath\":\"/run/agent.sock\","
			       "\"syscalls\":[{\"names\":[\"mkdir\",\"sendmsg\"],"
			       "\"action\":\"SCMP_ACT_NOTIFY\"}]}",
			       &c, err, sizeof(err)),
	    -EINVAL);
	assert_non_null(strstr(err, "linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY cannot "
				    "apply to sendmsg"));

	assert_int_equal(
	    parse_seccomp_text("{\"defaultAction\":\"SCMP_ACT_ALLOW\","
			       "\"listenerPath\":\"/run/agent.sock\","
			       "\"syscalls\":[{\"names\":[\"mkdir\"],"
			       "\"action\":\"SCMP_ACT_NOTIFY\",\"errnoRet\":1}]}",
			       &c, err, sizeof(err)),
	    -EINVAL);
	assert_non_null(strstr(err, "errnoRet: is only valid with SCMP_ACT_ERRNO"));
}

static void test_default_spec_parses(void **state)
{
	for (int rootless = 0; rootless < 2; rootless++) {
		char *json = default_spec_json(rootless, 1234, 5678);
		RunConfig *c = NULL;
		char err[512];
		assert_non_null(json);
		if (run_config_parse(json, strlen(json), &c, err, sizeof(err)) < 0)
			fail_msg("default spec (rootless=%d) does not parse: %s", rootless, err);
		assert_true(c->no_new_privileges);
		assert_true(c->root_readonly);
		assert_non_null(c->seccomp);
		assert_int_equal(c->caps[CAP_SET_EFFECTIVE], (1u << 5) | (1u << 10) | (1u << 29));
		assert_non_null(c->masked_paths);
		assert_non_null(c->readonly_paths);
		assert_int_equal(run_config_namespace(c, CLONE_NEWUSER) != NULL, rootless);
		assert_int_equal(run_config_namespace(c, CLONE_NEWNET) != NULL, !rootless);
		if (rootless) {
			assert_int_equal(c->uid_mappings[0].host_id, 1234);
			assert_int_equal(c->gid_mappings[0].host_id, 5678);
			assert_int_equal(c->uid_mappings[0].size, 1);
		}
		run_config_free(c);
		free(json);
	}
}

static void test_intel_rdt(void **state)
{
	RunConfig *c = NULL;
	char err[512];

	assert_int_equal(parse_with(NULL, NULL, &c, err, sizeof(err)), 0);
	assert_null(c->intel_rdt);
	run_config_free(c);

	c = NULL;
	assert_int_equal(
	    parse_with("linux.intelRdt",
		       "{\"closID\":\"gold\",\"l3CacheSchema\":\"L3CODE:0=f0\\nL3DATA:0=0f\","
		       "\"memBwSchema\":\"MB:0=70;1=50\",\"schemata\":[\"L2:0=3\",\"MB:0=20\"],"
		       "\"enableMonitoring\":true}",
		       &c, err, sizeof(err)),
	    0);
	assert_non_null(c->intel_rdt);
	assert_string_equal(c->intel_rdt->clos_id, "gold");
	assert_string_equal(c->intel_rdt->l3_cache_schema, "L3CODE:0=f0\nL3DATA:0=0f");
	assert_string_equal(c->intel_rdt->mem_bw_schema, "MB:0=70;1=50");
	assert_string_equal(c->intel_rdt->schemata[0], "L2:0=3");
	assert_string_equal(c->intel_rdt->schemata[1], "MB:0=20");
	assert_null(c->intel_rdt->schemata[2]);
	assert_true(c->intel_rdt->enable_monitoring);
	run_config_free(c);

	/* An empty object: a group named after the container; empty schemas are none. */
	c = NULL;
	assert_int_equal(
	    parse_with("linux.intelRdt", "{\"l3CacheSchema\":\"\"}", &c, err, sizeof(err)), 0);
	assert_non_null(c->intel_rdt);
	assert_null(c->intel_rdt->clos_id);
	assert_null(c->intel_rdt->l3_cache_schema);
	assert_false(c->intel_rdt->enable_monitoring);
	run_config_free(c);

	expect_error("linux.intelRdt", "[]", "linux.intelRdt: must be an object");
	expect_error("linux.intelRdt.closID", "\"\"", "linux.intelRdt.closID: \"\" must be a");
	expect_error("linux.intelRdt.closID", "\"a/b\"",
		     "linux.intelRdt.closID: \"a/b\" must be a");
	expect_error("linux.intelRdt.closID", "\"..\"", "linux.intelRdt.closID: \"..\" must be a");
	expect_error("linux.intelRdt.closID", "\".\"", "linux.intelRdt.closID: \".\" must be a");
	expect_error("linux.intelRdt.closID", "7", "linux.intelRdt.closID: must be a string");
	expect_error("linux.intelRdt.l3CacheSchema", "\"MB:0=70\"",
		     "linux.intelRdt.l3CacheSchema: \"MB:0=70\": every line must be L3:");
	expect_error("linux.intelRdt.l3CacheSchema", "\"L3:0=f\\nMB:0=1\"",
		     "linux.intelRdt.l3CacheSchema: \"MB:0=1\": every line must be L3:");
	expect_error("linux.intelRdt.l3CacheSchema", "\"L3:\"",
		     "linux.intelRdt.l3CacheSchema: \"L3:\": every line");
	expect_error("linux.intelRdt.memBwSchema", "\"L3:0=ff\"",
		     "linux.intelRdt.memBwSchema: \"L3:0=ff\": every line must be MB:");
	expect_error("linux.intelRdt.memBwSchema", "\"\\n\\n\"", "linux.intelRdt.memBwSchema: ");
	expect_error("linux.intelRdt.schemata", "[\"L3:0=f\",\"\"]",
		     "linux.intelRdt.schemata[1]: must be one non-empty line");
	expect_error("linux.intelRdt.schemata", "[\"L3:0=f\\nMB:0=1\"]",
		     "linux.intelRdt.schemata[0]: must be one non-empty line");
	expect_error("linux.intelRdt.schemata", "[1]", "linux.intelRdt.schemata: must be an array");
	expect_error("linux.intelRdt.enableMonitoring", "\"yes\"",
		     "linux.intelRdt.enableMonitoring: must be true or false");

	const char *bad;
	assert_true(intel_rdt_schema_valid("L3:0=ff\n", intel_rdt_l3_prefixes, &bad));
	assert_false(intel_rdt_schema_valid("", intel_rdt_mb_prefixes, &bad));
	assert_false(intel_rdt_schema_valid("MB:0=1\nmb:1=2", intel_rdt_mb_prefixes, &bad));
	assert_string_equal(bad, "mb:1=2");
}

static void test_features(void **state)
{
	char *json = features_json();
	json_object *o = json_tokener_parse(json);
	assert_non_null(o);
	json_object *v;
	assert_true(json_object_object_get_ex(o, "ociVersionMax", &v));
	assert_string_equal(json_object_get_string(v), "1.2.0");
	/* All six hook kinds. */
	assert_true(json_object_object_get_ex(o, "hooks", &v));
	assert_int_equal(json_object_array_length(v), 6);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 1)),
			    "createRuntime");
	json_object *lx, *sc;
	assert_true(json_object_object_get_ex(o, "linux", &lx));
	assert_true(json_object_object_get_ex(lx, "seccomp", &sc));
	assert_true(json_object_object_get_ex(sc, "actions", &v));
	bool notify = false;
	for (size_t i = 0; i < json_object_array_length(v); i++)
		notify = notify || strcmp(json_object_get_string(json_object_array_get_idx(v, i)),
					  "SCMP_ACT_NOTIFY") == 0;
	assert_true(notify);
	assert_true(json_object_object_get_ex(lx, "namespaces", &v));
	bool time = false;
	for (size_t i = 0; i < json_object_array_length(v); i++)
		time = time ||
		       strcmp(json_object_get_string(json_object_array_get_idx(v, i)), "time") == 0;
	assert_true(time);
	json_object *rdt;
	assert_true(json_object_object_get_ex(lx, "intelRdt", &rdt));
	assert_true(json_object_object_get_ex(rdt, "enabled", &v));
	assert_true(json_object_get_boolean(v));
	/* Every mount option of the spec, the recursive and extension ones included. */
	static const char *const mount_options[] = {
	    "rro",	    "rrw",	     "rnosuid",	     "rsuid",	       "rnodev",
	    "rdev",	    "rnoexec",	     "rexec",	     "rnoatime",       "ratime",
	    "rrelatime",    "rnorelatime",   "rstrictatime", "rnostrictatime", "rnodiratime",
	    "rdiratime",    "rnosymfollow",  "rsymfollow",   "nosymfollow",    "symfollow",
	    "idmap",	    "ridmap",	     "tmpcopyup",    "remount",	       "copy-symlink",
	    "src-nofollow", "dest-nofollow",
	};
	assert_true(json_object_object_get_ex(o, "mountOptions", &v));
	for (size_t k = 0; k < sizeof(mount_options) / sizeof(mount_options[0]); k++) {
		bool found = false;
		for (size_t i = 0; i < json_object_array_length(v); i++)
			found |= strcmp(json_object_get_string(json_object_array_get_idx(v, i)),
					mount_options[k]) == 0;
		if (!found)
			fail_msg("mountOptions lacks \"%s\"", mount_options[k]);
	}
	json_object *ext, *idmap;
	assert_true(json_object_object_get_ex(lx, "mountExtensions", &ext));
	assert_true(json_object_object_get_ex(ext, "idmap", &idmap));
	assert_true(json_object_object_get_ex(idmap, "enabled", &v));
	assert_true(json_object_get_boolean(v));
	json_object_put(o);
	free(json);
}

static void test_names(void **state)
{
	assert_int_equal(capability_from_name("CAP_CHECKPOINT_RESTORE"), 40);
	assert_int_equal(capability_from_name("cap_kill"), -EINVAL);
	assert_string_equal(capability_to_name(21), "CAP_SYS_ADMIN");
	assert_null(capability_to_name(41));
	assert_int_equal(namespace_from_name("network"), CLONE_NEWNET);
	assert_string_equal(namespace_proc_name(CLONE_NEWNS), "mnt");
	assert_int_equal(rlimit_from_name("RLIMIT_STACK"), RLIMIT_STACK);
	assert_int_equal(rlimit_from_name("NOFILE"), -EINVAL);
}

static void test_hooks(void **state)
{
	static const char *json =
	    "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},"
	    "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"},"
	    "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}]},"
	    "\"hooks\":{\"prestart\":[{\"path\":\"/a\"}],"
	    "  \"poststop\":[{\"path\":\"/b\",\"args\":[\"b\",\"-x\"],\"env\":[\"K=v\"],"
	    "    \"timeout\":5},{\"path\":\"/c\"}],\"unknownKind\":[1]}}";
	RunConfig *cfg = NULL;
	char err[256];
	assert_int_equal(run_config_parse(json, strlen(json), &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg->n_hooks[HOOK_PRESTART], 1);
	assert_string_equal(cfg->hooks[HOOK_PRESTART][0].path, "/a");
	assert_null(cfg->hooks[HOOK_PRESTART][0].args);
	assert_int_equal(cfg->hooks[HOOK_PRESTART][0].timeout, 0);
	assert_int_equal(cfg->n_hooks[HOOK_CREATE_RUNTIME], 0);
	assert_int_equal(cfg->n_hooks[HOOK_POSTSTOP], 2);
	assert_string_equal(cfg->hooks[HOOK_POSTSTOP][0].args[1], "-x");
	assert_string_equal(cfg->hooks[HOOK_POSTSTOP][0].env[0], "K=v");
	assert_int_equal(cfg->hooks[HOOK_POSTSTOP][0].timeout, 5);
	assert_string_equal(cfg->hooks[HOOK_POSTSTOP][1].path, "/c");
	assert_string_equal(hook_kind_name(HOOK_START_CONTAINER), "startContainer");
	run_config_free(cfg);
}

static void test_replace_process(void **state)
{
	RunConfig *cfg = NULL;
	char err[512];
	assert_int_equal(run_config_parse(base, strlen(base), &cfg, err, sizeof(err)), 0);

	const char *proc = "{\"args\":[\"ls\"],\"cwd\":\"/tmp\",\"env\":[\"X=1\"],"
			   "\"user\":{\"uid\":7,\"gid\":8},\"terminal\":true}";
	assert_int_equal(run_config_replace_process(cfg, proc, strlen(proc), err, sizeof(err)), 0);
	assert_string_equal(cfg->args[0], "ls");
	assert_null(cfg->args[1]);
	assert_string_equal(cfg->cwd, "/tmp");
	assert_string_equal(cfg->env[0], "X=1");
	assert_null(cfg->env[1]);
	assert_int_equal(cfg->uid, 7);
	assert_int_equal(cfg->gid, 8);
	assert_true(cfg->terminal);
	/* What the process object does not say is not kept from config.json. */
	assert_false(cfg->no_new_privileges);
	assert_int_equal(cfg->n_rlimits, 0);
	assert_int_equal(cfg->n_additional_gids, 0);
	assert_int_equal(cfg->caps[CAP_SET_BOUNDING], 0);
	/* The rest of the config is untouched. */
	assert_string_equal(cfg->hostname, "box");

	/* The container's AppArmor profile and SELinux label stay unless the process names others. */
	free(cfg->apparmor_profile);
	free(cfg->selinux_label);
	cfg->apparmor_profile = strdup("container-profile");
	cfg->selinux_label = strdup("system_u:system_r:container_t:s0");
	const char *own = "{\"args\":[\"ls\"],\"cwd\":\"/\",\"apparmorProfile\":\"own\","
			  "\"selinuxLabel\":\"\"}";
	assert_int_equal(run_config_replace_process(cfg, own, strlen(own), err, sizeof(err)), 0);
	assert_string_equal(cfg->apparmor_profile, "own");
	assert_string_equal(cfg->selinux_label, "system_u:system_r:container_t:s0");

	/* exec --process: scheduler, I/O priority and CPU affinity of its own, or none. */
	const char *sched = "{\"args\":[\"ls\"],\"cwd\":\"/\","
			    "\"scheduler\":{\"policy\":\"SCHED_IDLE\"},"
			    "\"ioPriority\":{\"class\":\"IOPRIO_CLASS_BE\",\"priority\":2},"
			    "\"execCPUAffinity\":{\"initial\":\"1\",\"final\":\"0-1\"}}";
	assert_int_equal(run_config_replace_process(cfg, sched, strlen(sched), err, sizeof(err)),
			 0);
	assert_true(cfg->has_scheduler);
	assert_int_equal(cfg->scheduler.policy, SCHED_IDLE);
	assert_int_equal(cfg->io_priority, (2 << 13) | 2);
	assert_true(cfg->has_cpus_initial && cfg->has_cpus_final);
	assert_int_equal(CPU_COUNT(&cfg->cpus_final), 2);
	assert_int_equal(run_config_replace_process(cfg, proc, strlen(proc), err, sizeof(err)), 0);
	assert_false(cfg->has_scheduler || cfg->has_io_priority);
	assert_false(cfg->has_cpus_initial || cfg->has_cpus_final);

	static const struct {
		const char *json, *msg;
	} bad[] = {
	    {"[]", "process: must be a JSON object"},
	    {"{\"args\":[\"ls\"]}", "process.cwd: is required"},
	    {"{\"args\":[],\"cwd\":\"/\"}", "process.args: must be a non-empty array of strings"},
	    {"{\"args\":[\"ls\"],\"cwd\":\"x\"}", "process.cwd: must be an absolute path"},
	    {"{\"args\":[\"ls\"],\"cwd\":\"/\",\"apparmorProfile\":1}",
	     "process.apparmorProfile: must be a string"},
	    {"{\"args\":[\"ls\"", "process: not valid JSON"},
	    {"{\"args\":[\"ls\"],\"cwd\":\"/\",\"scheduler\":{\"policy\":\"X\"}}",
	     "process.scheduler.policy: unknown policy \"X\""},
	    {"{\"args\":[\"ls\"],\"cwd\":\"/\",\"execCPUAffinity\":{\"final\":\"x\"}}",
	     "process.execCPUAffinity.final: invalid CPU list"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(run_config_replace_process(cfg, bad[i].json, strlen(bad[i].json),
							    err, sizeof(err)),
				 -EINVAL);
		if (!strstr(err, bad[i].msg))
			fail_msg("%s: got \"%s\", want \"%s\"", bad[i].json, err, bad[i].msg);
	}
	run_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),
	    cmocka_unit_test(test_minimal),
	    cmocka_unit_test(test_top_level_errors),
	    cmocka_unit_test(test_process_errors),
	    cmocka_unit_test(test_scheduler),
	    cmocka_unit_test(test_io_priority_and_affinity),
	    cmocka_unit_test(test_cpu_list),
	    cmocka_unit_test(test_personality),
	    cmocka_unit_test(test_time_offsets),
	    cmocka_unit_test(test_mount_errors),
	    cmocka_unit_test(test_mount_recursive_attributes),
	    cmocka_unit_test(test_mount_extensions),
	    cmocka_unit_test(test_mount_extension_errors),
	    cmocka_unit_test(test_linux_errors),
	    cmocka_unit_test(test_seccomp_errors),
	    cmocka_unit_test(test_seccomp_notify),
	    cmocka_unit_test(test_default_spec_parses),
	    cmocka_unit_test(test_intel_rdt),
	    cmocka_unit_test(test_features),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_replace_process),
	    cmocka_unit_test(test_hooks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
