/* SPDX-License-Identifier: MIT */
#include "cgroup-devices.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "strutil.h"

/* Registers: r1 the context, then what the rules compare. */
enum { R0, R1, R2, R3, R4, R5 };

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	return (struct bpf_insn){
	    .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

#define LDX_W(dst, src, off) insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define ALU32_K(op, dst, imm) insn(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV32_X(dst, src) insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV64_K(dst, imm) insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JMP_K(op, dst, imm, off) insn(BPF_JMP | (op) | BPF_K, dst, 0, off, imm)
#define EXIT() insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static unsigned access_bits(unsigned access)
{
	return ((access & DEVICE_ACCESS_MKNOD) ? BPF_DEVCG_ACC_MKNOD : 0) |
	       ((access & DEVICE_ACCESS_READ) ? BPF_DEVCG_ACC_READ : 0) |
	       ((access & DEVICE_ACCESS_WRITE) ? BPF_DEVCG_ACC_WRITE : 0);
}

int cgroup_devices_compile(const RunDeviceRule *rules, size_t n, void **ret, size_t *n_insns)
{
	/* 6 loads, at most 9 instructions per rule, 2 for the final "deny". */
	if (n > 10000)
		return -E2BIG;
	struct bpf_insn *p = calloc(6 + 9 * n + 2, sizeof(struct bpf_insn));
	if (!p)
		return -ENOMEM;
	size_t k = 0;

	/* r2 = device type, r3 = access wanted, r4 = major, r5 = minor. */
	p[k++] = LDX_W(R2, R1, 0);
	p[k++] = ALU32_K(BPF_AND, R2, 0xffff);
	p[k++] = LDX_W(R3, R1, 0);
	p[k++] = ALU32_K(BPF_RSH, R3, 16);
	p[k++] = LDX_W(R4, R1, 4);
	p[k++] = LDX_W(R5, R1, 8);

	/* The last matching rule decides: test them from the end. */
	for (size_t i = n; i-- > 0;) {
		const RunDeviceRule *d = &rules[i];
		struct bpf_insn block[9];
		size_t b = 0;
		unsigned acc = access_bits(d->access);
		const unsigned all = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

		/* Jump offsets are filled in once the block's length is known (-1 marks them). */
		if (d->type != 'a')
			block[b++] =
			    JMP_K(BPF_JNE, R2,
				  d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, -1);
		if (acc != all) {
			block[b++] = MOV32_X(R1, R3);
			if (d->allow) {
				/* Allowed only if everything wanted is in the rule. */
				block[b++] = ALU32_K(BPF_AND, R1, (int32_t)(~acc & all));
				block[b++] = JMP_K(BPF_JNE, R1, 0, -1);
			} else {
				/* Denied if anything wanted is in the rule. */
				block[b++] = ALU32_K(BPF_AND, R1, (int32_t)acc);
				block[b++] = JMP_K(BPF_JEQ, R1, 0, -1);
			}
		}
		if (d->major >= 0)
			block[b++] = JMP_K(BPF_JNE, R4, (int32_t)d->major, -1);
		if (d->minor >= 0)
			block[b++] = JMP_K(BPF_JNE, R5, (int32_t)d->minor, -1);
		block[b++] = MOV64_K(R0, d->allow ? 1 : 0);
		block[b++] = EXIT();
		for (size_t j = 0; j < b; j++) {
			if (BPF_CLASS(block[j].code) == BPF_JMP && block[j].off == -1)
				block[j].off = (int16_t)(b - j - 1);
			p[k++] = block[j];
		}
		/* A rule matching everything ends the program: the verifier refuses dead code. */
		if (b == 2) {
			*ret = p;
			*n_insns = k;
			return 0;
		}
	}
	p[k++] = MOV64_K(R0, 0);
	p[k++] = EXIT();
	*ret = p;
	*n_insns = k;
	return 0;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	long r = syscall(__NR_bpf, cmd, attr, sizeof(*attr));
	return r < 0 ? -errno : (int)r;
}

/*
 * A cgroup can carry device programs before ours: a cgroupsPath made
 * beforehand, or the cgroup of an earlier container of the same path that
 * lazuli-run did not make and so did not remove. Left attached, an earlier
 * program goes on denying what the new rules allow, and the kernel takes at
 * most 64 programs per cgroup; so they are replaced, as runc does.
 */
#define MAX_ATTACHED 64

static void close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}

/* Descriptors of the device programs attached to the cgroup itself (not its parents). */
static void attached_programs(int cgfd, int fds[MAX_ATTACHED], size_t *n)
{
	uint32_t ids[MAX_ATTACHED];
	union bpf_attr q = {
	    .query.target_fd = (uint32_t)cgfd,
	    .query.attach_type = BPF_CGROUP_DEVICE,
	    .query.prog_ids = (uint64_t)(uintptr_t)ids,
	    .query.prog_cnt = MAX_ATTACHED,
	};
	*n = 0;
	if (sys_bpf(BPF_PROG_QUERY, &q) < 0)
		return; /* none, or a kernel that cannot say: attach as before */
	for (uint32_t i = 0; i < q.query.prog_cnt && i < MAX_ATTACHED; i++) {
		union bpf_attr g = {.prog_id = ids[i]};
		int fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &g);
		if (fd >= 0)
			fds[(*n)++] = fd;
	}
}

int cgroup_devices_attach(const char *path, const RunDeviceRule *rules, size_t n, RunError *e)
{
	_cleanup_free_ void *prog = NULL;
	size_t n_insns;
	char log[4096] = "";
	int r = cgroup_devices_compile(rules, n, &prog, &n_insns);
	if (r < 0)
		return run_error(e, r, "linux.resources.devices: %m");

	union bpf_attr load = {
	    .prog_type = BPF_PROG_TYPE_CGROUP_DEVICE,
	    .insns = (uint64_t)(uintptr_t)prog,
	    .insn_cnt = (uint32_t)n_insns,
	    .license = (uint64_t)(uintptr_t) "MIT",
	};
	_cleanup_close_ int pfd = sys_bpf(BPF_PROG_LOAD, &load);
	if (pfd < 0) {
		/* Again with the verifier's log, to say why. */
		load.log_buf = (uint64_t)(uintptr_t)log;
		load.log_size = sizeof(log);
		load.log_level = 1;
		int fd = sys_bpf(BPF_PROG_LOAD, &load);
		if (fd >= 0)
			pfd = fd;
		else
			return run_error(e, pfd,
					 "linux.resources.devices: the kernel refused the device "
					 "program: %m%s%.200s",
					 *log ? ": " : "", log);
	}
	_cleanup_close_ int cgfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0)
		return run_error(e, errno, "linux.resources.devices: %s: %m", path);
	int old[MAX_ATTACHED];
	size_t n_old = 0;
	attached_programs(cgfd, old, &n_old);
	union bpf_attr attach = {
	    .target_fd = (uint32_t)cgfd,
	    .attach_bpf_fd = (uint32_t)pfd,
	    .attach_type = BPF_CGROUP_DEVICE,
	    .attach_flags = BPF_F_ALLOW_MULTI,
	};
	/* One program there: swap it for ours in one step (kernels since 5.6). */
	if (n_old == 1) {
		attach.attach_flags |= BPF_F_REPLACE;
		attach.replace_bpf_fd = (uint32_t)old[0];
		r = sys_bpf(BPF_PROG_ATTACH, &attach);
		if (r == 0) {
			close(old[0]);
			return 0;
		}
		attach.attach_flags = BPF_F_ALLOW_MULTI;
		attach.replace_bpf_fd = 0;
	}
	r = sys_bpf(BPF_PROG_ATTACH, &attach);
	if (r < 0) {
		close_all(old, n_old);
		return run_error(e, r,
				 "linux.resources.devices: cannot attach the device program to "
				 "%s: %m",
				 path);
	}
	/* Ours is in place: the old ones go (until then they only denied more). */
	for (size_t i = 0; i < n_old && r >= 0; i++) {
		union bpf_attr detach = {
		    .target_fd = (uint32_t)cgfd,
		    .attach_bpf_fd = (uint32_t)old[i],
		    .attach_type = BPF_CGROUP_DEVICE,
		};
		r = sys_bpf(BPF_PROG_DETACH, &detach);
		if (r == -ENOENT)
			r = 0; /* detached meanwhile */
	}
	close_all(old, n_old);
	if (r < 0)
		return run_error(e, r,
				 "linux.resources.devices: cannot detach an earlier device program "
				 "from %s: %m",
				 path);
	return 0;
}
