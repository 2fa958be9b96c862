/* SPDX-License-Identifier: MIT */
#pragma once

/* lazuli-run's command-line front end: one file per verb over lib/. */

#include <stdbool.h>
#include <sys/types.h>

#include "util.h"

typedef struct GlobalOptions {
	const char *root;
	bool debug;
	bool systemd_cgroup; /* --systemd-cgroup */
} GlobalOptions;

/* Print an error the way the caller asked for (stderr, and --log as text or JSON). */
void report_error(const char *fmt, ...) _printf_(1, 2);
void report_run_error(int r, const RunError *e);
/* A failure that does not fail the command (poststart and poststop hooks). */
void report_warning(const RunError *e);
/* --log FILE, --log-format text|json. Returns -errno. */
int report_setup(const char *log_path, const char *format);

enum {
	EXIT_FAILURE_RUNTIME = 1,
	EXIT_USAGE_ERROR = 1, /* runc exits 1 for usage errors as well */
};

int verb_create(const GlobalOptions *g, int argc, char **argv);
int verb_start(const GlobalOptions *g, int argc, char **argv);
int verb_run(const GlobalOptions *g, int argc, char **argv);
int verb_state(const GlobalOptions *g, int argc, char **argv);
int verb_kill(const GlobalOptions *g, int argc, char **argv);
int verb_delete(const GlobalOptions *g, int argc, char **argv);
int verb_list(const GlobalOptions *g, int argc, char **argv);
int verb_pause(const GlobalOptions *g, int argc, char **argv);
int verb_resume(const GlobalOptions *g, int argc, char **argv);
int verb_ps(const GlobalOptions *g, int argc, char **argv);
int verb_features(const GlobalOptions *g, int argc, char **argv);
int verb_spec(const GlobalOptions *g, int argc, char **argv);
int verb_exec(const GlobalOptions *g, int argc, char **argv);
int verb_update(const GlobalOptions *g, int argc, char **argv);

/* Relay our terminal to the pty master until pid (our child) has exited. */
void terminal_relay(int master, pid_t pid);
/*
 * Forward signals to pid (our child), relay the pty if pty >= 0, wait for
 * pid and return its status as a shell would (128+N if killed by N).
 */
int wait_foreground(pid_t pid, int pty);
/* --preserve-fds N: a number, and fds 3 .. 3+N-1 open. Returns N or -1 after reporting. */
int parse_preserve_fds(const char *verb, const char *arg);

/* Options shared by create and run. Returns optind, 0 after --help, or -1 after reporting. */
typedef struct CreateArgs {
	const char *bundle;
	const char *pid_file;
	const char *console_socket;
	unsigned preserve_fds;
	bool detach;
	bool keep;
	bool no_pivot;
	bool no_new_keyring;
} CreateArgs;
/* CreateOptions from the arguments, with LISTEN_FDS passed on; free o->extra_env. */
typedef struct CreateOptions CreateOptions;
int create_options(const GlobalOptions *g, const CreateArgs *a, CreateOptions *o);
int parse_create_args(const char *verb, int argc, char **argv, bool is_run, CreateArgs *ret);
/* Exactly one container id argument after the options. */
const char *single_id(const char *verb, int argc, char **argv);
