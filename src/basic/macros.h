/* SPDX-License-Identifier: MIT */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _unused_ __attribute__((unused))
#define _pure_ __attribute__((pure))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _noreturn_ __attribute__((noreturn))
#define _warn_unused_result_ __attribute__((warn_unused_result))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define STRLEN(s) (sizeof("" s "") - 1)

/* Hand ownership of a pointer or fd out of a cleanup-scoped variable. */
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _p_ = (p);                                                           \
		(p) = NULL;                                                                        \
		_p_;                                                                               \
	})
#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _fd_ = (fd);                                                                   \
		(fd) = -EBADF;                                                                     \
		_fd_;                                                                              \
	})

static inline void freep(void *p)
{
	free(*(void **)p);
}
static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Declares foo_freep() for a type with a foo_free() destructor. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                                    \
	static inline void func##p(type *p)                                                        \
	{                                                                                          \
		if (*p)                                                                            \
			func(*p);                                                                  \
	}

/* Zero a buffer in a way the compiler may not elide (for secrets). */
static inline void explicit_bzero_safe(void *p, size_t n)
{
	if (p && n > 0)
		explicit_bzero(p, n);
}

static inline void erase_and_freep(char **p)
{
	if (*p) {
		explicit_bzero_safe(*p, __builtin_strlen(*p));
		free(*p);
	}
}
#define _cleanup_erase_ _cleanup_(erase_and_freep)

#define RET_NERRNO(expr)                                                                           \
	({                                                                                         \
		int _r_ = (expr);                                                                  \
		_r_ < 0 ? -errno : _r_;                                                            \
	})

/* errno is sometimes 0 after a failure that did not set it; never return 0. */
static inline int negative_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}
