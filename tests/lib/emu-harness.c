/* SPDX-License-Identifier: MIT */
#include "emu-harness.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "http.h"
#include "json-util.h"
#include "time-util.h"

/*
 * The emulator the last emu_start() left running. A cmocka assertion that
 * fails jumps out of its test before emu_stop(); the next emu_start(), or the
 * test binary's exit, stops that emulator then. Otherwise it would outlive
 * the binary, holding the test's stdout open, and meson would wait on it
 * until its timeout instead of reporting the failure.
 */
static EmuHarness live = {.pid = -1};

static void stop_live(void)
{
	emu_stop(&live);
}

int emu_start(EmuHarness *h, const char *scenario_json)
{
	static int registered;
	pid_t parent = getpid();
	const char *builddir = getenv("LAZULI_BUILDDIR");
	char emu[512], scen[128], ready[128];
	int r;

	stop_live();
	if (!registered && atexit(stop_live) == 0)
		registered = 1;
	*h = (EmuHarness){.pid = -1};
	if (!builddir)
		return -ENOENT;
	snprintf(emu, sizeof(emu), "%s/src/emu/lazuli-emu", builddir);
	strcpy(h->dir, "/tmp/lazuli-emu-test.XXXXXX");
	if (!mkdtemp(h->dir))
		return -errno;
	snprintf(scen, sizeof(scen), "%s/scenario.json", h->dir);
	snprintf(ready, sizeof(ready), "%s/ready.json", h->dir);
	r = write_file_atomic(scen, scenario_json, strlen(scenario_json), 0644);
	if (r < 0)
		return r;

	h->pid = fork();
	if (h->pid < 0)
		return -errno;
	if (h->pid == 0) {
		/* Also gone if the test binary dies without running atexit. */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
			_exit(127);
		execl(emu, emu, "--imds-port", "0", "--wireserver-port", "0", "--arm-port", "0", "--ready-file", ready,
		      "--scenario", scen, (char *)NULL);
		_exit(127);
	}
	live = *h;
	for (int i = 0; i < 100; i++) {
		char *text = NULL;
		size_t len;
		if (read_full_file(ready, 4096, &text, &len) == 0 && len > 0) {
			json_object *o = NULL;
			r = json_parse_strict(text, len, &o, NULL, 0);
			free(text);
			if (r < 0)
				return r;
			snprintf(h->imds, sizeof(h->imds), "%s", json_get_string(o, "imds"));
			snprintf(h->wireserver, sizeof(h->wireserver), "%s",
				 json_get_string(o, "wireserver"));
			json_object_put(o);
			return 0;
		}
		if (waitpid(h->pid, NULL, WNOHANG) == h->pid) {
			h->pid = live.pid = -1;
			return -ECHILD;
		}
		sleep_usec(50 * USEC_PER_MSEC);
	}
	return -ETIMEDOUT;
}

void emu_stop(EmuHarness *h)
{
	char cmd[128];
	if (h != &live && h->pid > 0 && h->pid == live.pid)
		live = (EmuHarness){.pid = -1};
	if (h->pid > 0) {
		kill(h->pid, SIGTERM);
		waitpid(h->pid, NULL, 0);
		h->pid = -1;
	}
	if (h->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", h->dir);
		h->dir[0] = '\0';
	}
}

char *emu_get(EmuHarness *h, const char *path)
{
	char url[512];
	HttpResponse r;
	snprintf(url, sizeof(url), "%s%s", h->imds, path);
	HttpRequest req = {.url = url};
	if (http_send(&req, &r) < 0 || r.status != 200) {
		http_response_done(&r);
		return NULL;
	}
	char *body = r.body;
	r.body = NULL;
	http_response_done(&r);
	return body;
}
