/* SPDX-License-Identifier: MIT */
#include "seccomp-filter.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "strutil.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(scmp_filter_ctx, seccomp_release);

static uint32_t compose(uint32_t action, bool has_errno, uint32_t errno_ret)
{
	if (action == SCMP_ACT_ERRNO(0))
		return SCMP_ACT_ERRNO(has_errno ? errno_ret : EPERM);
	if (action == SCMP_ACT_TRACE(0))
		return SCMP_ACT_TRACE(has_errno ? errno_ret : EPERM);
	return action;
}

static int add_rule(scmp_filter_ctx ctx, const RunSeccompRule *rule, size_t i, int nr,
		    uint32_t action, RunError *e)
{
	struct scmp_arg_cmp cmp[6];
	bool repeated = false;

	for (size_t a = 0; a < rule->n_args; a++) {
		cmp[a] = (struct scmp_arg_cmp){
		    .arg = rule->args[a].index,
		    .op = (enum scmp_compare)rule->args[a].op,
		    .datum_a = rule->args[a].value,
		    .datum_b = rule->args[a].value_two,
		};
		for (size_t b = 0; b < a; b++)
			if (rule->args[b].index == rule->args[a].index)
				repeated = true;
	}

	int r = 0;
	if (!repeated)
		r = seccomp_rule_add_array(ctx, action, nr, (unsigned)rule->n_args, cmp);
	else
		/* libseccomp cannot AND two tests of one argument: match either, as runc does. */
		for (size_t a = 0; a < rule->n_args; a++) {
			r = seccomp_rule_add_array(ctx, action, nr, 1, &cmp[a]);
			if (r < 0)
				break;
		}
	if (r < 0)
		return run_error(e, r, "linux.seccomp.syscalls[%zu]: cannot add a rule: %m", i);
	return 0;
}

int seccomp_compile(const RunSeccomp *s, SeccompProgram *ret, RunError *e)
{
	uint32_t def = compose(s->default_action, s->has_default_errno_ret, s->default_errno_ret);
	_cleanup_(seccomp_releasep) scmp_filter_ctx ctx = seccomp_init(def);
	int r;

	if (!ctx)
		return run_error(e, -ENOMEM, "linux.seccomp: cannot initialise libseccomp");
	for (size_t i = 0; i < s->n_archs; i++) {
		r = seccomp_arch_add(ctx, s->archs[i]);
		if (r < 0 && r != -EEXIST)
			return run_error(e, r, "linux.seccomp.architectures[%zu]: %m", i);
	}
	static const int attrs[] = {SCMP_FLTATR_CTL_TSYNC, SCMP_FLTATR_CTL_LOG,
				    SCMP_FLTATR_CTL_SSB};
	static const unsigned kflags[] = {SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_LOG,
					  SECCOMP_FILTER_FLAG_SPEC_ALLOW};
	ret->flags = 0;
	ret->notify = run_seccomp_notifies(s);
	for (size_t i = 0; i < ELEMENTSOF(attrs); i++)
		if (s->flags & (1u << i)) {
			r = seccomp_attr_set(ctx, (enum scmp_filter_attr)attrs[i], 1);
			if (r < 0)
				return run_error(e, r, "linux.seccomp.flags: %s: %m",
						 config_seccomp_flag_name(i));
			ret->flags |= kflags[i];
		}

	for (size_t i = 0; i < s->n_rules; i++) {
		const RunSeccompRule *rule = &s->rules[i];
		uint32_t action = compose(rule->action, rule->has_errno_ret, rule->errno_ret);
		if (action == def)
			continue;
		for (size_t k = 0; rule->names[k]; k++) {
			int nr = seccomp_syscall_resolve_name(rule->names[k]);
			if (nr == __NR_SCMP_ERROR) {
				/* Profiles list syscalls of newer kernels and other arches. */
				log_debug("seccomp: unknown syscall \"%s\", ignored",
					  rule->names[k]);
				continue;
			}
			r = add_rule(ctx, rule, i, nr, action, e);
			if (r < 0)
				return r;
		}
	}

	_cleanup_close_ int fd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
	if (fd < 0)
		return run_error(e, errno, "linux.seccomp: memfd_create: %m");
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return run_error(e, r, "linux.seccomp: cannot compile the filter: %m");
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) != 0 ||
	    st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return run_error(e, -E2BIG, "linux.seccomp: the compiled filter is too large");
	struct sock_filter *insns = malloc((size_t)st.st_size);
	if (!insns)
		return -ENOMEM;
	if (pread(fd, insns, (size_t)st.st_size, 0) != st.st_size) {
		free(insns);
		return run_error(e, -EIO, "linux.seccomp: cannot read the compiled filter");
	}
	ret->prog.len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
	ret->prog.filter = insns;
	return 0;
}

int seccomp_program_load(const SeccompProgram *p, int *ret_listener)
{
	unsigned flags = p->flags;
	if (ret_listener)
		*ret_listener = -EBADF;
	if (p->notify) {
		flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
		/* TSYNC alone would return a thread id where the listener fd goes. */
		if (flags & SECCOMP_FILTER_FLAG_TSYNC)
			flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
	}
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &p->prog);
	if (r < 0)
		return negative_errno();
	if (p->notify) {
		if (ret_listener)
			*ret_listener = (int)r;
		else
			close((int)r);
	}
	return 0;
}

void seccomp_program_done(SeccompProgram *p)
{
	free(p->prog.filter);
	p->prog.filter = NULL;
	p->prog.len = 0;
}

int seccomp_send_listener(const RunSeccomp *sc, const ContainerState *s, ContainerStatus st,
			  pid_t pid, int fd, RunError *e)
{
	if (!sc || !sc->listener_path)
		return run_error(e, -EPROTO, "the container process sent an unexpected seccomp fd");
	_cleanup_free_ char *json = seccomp_process_state_json(s, st, pid, sc->listener_metadata);
	if (!json)
		return -ENOMEM;
	int r = send_fd_to_socket(sc->listener_path, fd, json);
	if (r < 0)
		return run_error(e, r, "linux.seccomp.listenerPath %s: %m", sc->listener_path);
	return 0;
}
