/* SPDX-License-Identifier: MIT */
#include "seccomp-filter.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config.h"
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

/* The seccomp(2) flags and whether loading makes a listener: from the config alone. */
static void program_flags(const RunSeccomp *s, SeccompProgram *ret)
{
	static const unsigned kflags[] = {SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_LOG,
					  SECCOMP_FILTER_FLAG_SPEC_ALLOW};
	ret->flags = 0;
	for (size_t i = 0; i < ELEMENTSOF(kflags); i++)
		if (s->flags & (1u << i))
			ret->flags |= kflags[i];
	ret->notify = run_seccomp_notifies(s);
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
	program_flags(s, ret);
	for (size_t i = 0; i < ELEMENTSOF(attrs); i++)
		if (s->flags & (1u << i)) {
			r = seccomp_attr_set(ctx, (enum scmp_filter_attr)attrs[i], 1);
			if (r < 0)
				return run_error(e, r, "linux.seccomp.flags: %s: %m",
						 config_seccomp_flag_name(i));
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

/*
 * The compiled-program cache. libseccomp takes longer to compile the
 * default profile than the rest of create takes in user space, and every
 * container of an engine has the same profile; crun keeps such a cache
 * too. One file per program in ROOT/@seccomp-cache (not a valid container
 * id, so no container can be named so): a header, the key, the program.
 * The key is everything the program depends on: the linux.seccomp fields
 * that reach libseccomp, libseccomp's version, our own binary (a rebuilt
 * runtime may compile differently) and the boot (the kernel decides which
 * actions and flags libseccomp can use). It is kept whole in the file and
 * compared, so the file name, a hash of it, only spreads the entries. A
 * file that is missing, short or for another key is a miss; a miss
 * compiles and stores; a store that fails is not an error.
 */
#define CACHE_DIR "@seccomp-cache"
#define CACHE_MAGIC "LZRSECC1"
#define CACHE_MAX_ENTRIES 64

typedef struct CacheHeader {
	char magic[8];
	uint32_t key_len;
	uint32_t n_insns;
} CacheHeader;

static int cache_key(const RunSeccomp *s, StrBuf *b)
{
	const struct scmp_version *v = seccomp_version();
	char boot_id[64] = "";
	struct stat st;
	int r = 0;

	if (stat("/proc/self/exe", &st) < 0)
		return negative_errno();
	_cleanup_close_ int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	ssize_t n = read(fd, boot_id, sizeof(boot_id) - 1);
	if (n <= 0)
		return n < 0 ? negative_errno() : -EIO;
	boot_id[strcspn(boot_id, "\n")] = '\0';

	r |= strbuf_printf(
	    b, "lazuli-run %s exe %llu:%llu %llu %lld.%09ld boot %s libseccomp %u.%u.%u\n",
	    LAZULI_VERSION, (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
	    (unsigned long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
	    boot_id, v->major, v->minor, v->micro);
	r |= strbuf_printf(b, "default %#x %d %u flags %#x archs", s->default_action,
			   s->has_default_errno_ret, s->default_errno_ret, s->flags);
	for (size_t i = 0; i < s->n_archs; i++)
		r |= strbuf_printf(b, " %#x", s->archs[i]);
	for (size_t i = 0; i < s->n_rules; i++) {
		const RunSeccompRule *rule = &s->rules[i];
		r |= strbuf_printf(b, "\nrule %#x %d %u args", rule->action, rule->has_errno_ret,
				   rule->errno_ret);
		for (size_t a = 0; a < rule->n_args; a++)
			r |=
			    strbuf_printf(b, " %u:%d:%#llx:%#llx", rule->args[a].index,
					  rule->args[a].op, (unsigned long long)rule->args[a].value,
					  (unsigned long long)rule->args[a].value_two);
		r |= strbuf_puts(b, " names");
		for (size_t k = 0; rule->names[k]; k++)
			r |= strbuf_printf(b, " %s", rule->names[k]);
	}
	return r < 0 ? -ENOMEM : 0;
}

/* FNV-1a, 64 bits: only to spread keys over file names. */
static uint64_t key_hash(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int cache_lookup(int dirfd, const char *name, const StrBuf *key, SeccompProgram *ret)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return negative_errno();
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = read_full_fd(
	    fd, sizeof(CacheHeader) + key->len + BPF_MAXINSNS * sizeof(struct sock_filter), &buf,
	    &len);
	if (r < 0)
		return r;
	CacheHeader h;
	if (len < sizeof(h))
		return -EBADMSG;
	memcpy(&h, buf, sizeof(h));
	if (memcmp(h.magic, CACHE_MAGIC, sizeof(h.magic)) != 0 || h.key_len != key->len ||
	    h.n_insns == 0 || h.n_insns > BPF_MAXINSNS ||
	    len != sizeof(h) + key->len + h.n_insns * sizeof(struct sock_filter) ||
	    memcmp(buf + sizeof(h), key->data, key->len) != 0)
		return -EBADMSG;
	struct sock_filter *insns = malloc(h.n_insns * sizeof(*insns));
	if (!insns)
		return -ENOMEM;
	memcpy(insns, buf + sizeof(h) + key->len, h.n_insns * sizeof(*insns));
	ret->prog.len = (unsigned short)h.n_insns;
	ret->prog.filter = insns;
	return 0;
}

/* Keeps the cache bounded: a full one is emptied (engines use a handful of profiles). */
static void cache_trim(int dirfd)
{
	int dfd = dup(dirfd);
	if (dfd < 0)
		return;
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	/* Temporary files of killed stores count (and go) too; a store racing with this fails. */
	struct dirent *de;
	size_t n = 0;
	while ((de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
			n++;
	if (n >= CACHE_MAX_ENTRIES) {
		rewinddir(d);
		while ((de = readdir(d)))
			if (!streq(de->d_name, ".") && !streq(de->d_name, "..") &&
			    unlinkat(dirfd, de->d_name, 0) < 0)
				log_debug("seccomp cache: cannot remove %s: %m", de->d_name);
	}
	closedir(d);
}

static int cache_store(int dirfd, const char *name, const StrBuf *key, const SeccompProgram *p)
{
	size_t plen = p->prog.len * sizeof(struct sock_filter);
	CacheHeader h = {.key_len = (uint32_t)key->len, .n_insns = p->prog.len};
	memcpy(h.magic, CACHE_MAGIC, sizeof(h.magic));
	_cleanup_free_ char *buf = malloc(sizeof(h) + key->len + plen);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), key->data, key->len);
	memcpy(buf + sizeof(h) + key->len, p->prog.filter, plen);
	cache_trim(dirfd);
	return write_file_atomic_full(dirfd, name, buf, sizeof(h) + key->len + plen, 0600,
				      (uid_t)-1, (gid_t)-1);
}

int seccomp_compile_cached(const RunSeccomp *s, const char *root, SeccompProgram *ret, RunError *e)
{
	_cleanup_(strbuf_free) StrBuf key = {};
	char name[32];

	int r = cache_key(s, &key);
	if (r < 0) {
		log_debug("seccomp cache: no key (%s), compiling", strerror(-r));
		return seccomp_compile(s, ret, e);
	}
	snprintf(name, sizeof(name), "%016llx", (unsigned long long)key_hash(key.data, key.len));
	_cleanup_free_ char *dir = NULL;
	if (asprintf(&dir, "%s/" CACHE_DIR, root) < 0)
		return -ENOMEM;
	_cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dirfd >= 0 && cache_lookup(dirfd, name, &key, ret) == 0) {
		program_flags(s, ret);
		return 0;
	}

	r = seccomp_compile(s, ret, e);
	if (r < 0)
		return r;
	if (dirfd < 0) {
		if (mkdir_p(root, 0700) < 0 || (mkdir(dir, 0700) < 0 && errno != EEXIST)) {
			log_debug("seccomp cache: cannot make %s: %m", dir);
			return 0;
		}
		dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	}
	if (dirfd < 0 || (r = cache_store(dirfd, name, &key, ret)) < 0)
		log_debug("seccomp cache: cannot store %s/%s: %s", dir, name,
			  strerror(dirfd < 0 ? errno : -r));
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
