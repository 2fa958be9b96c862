/* SPDX-License-Identifier: MIT */
#include "crypto-dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#define LIBCRYPTO_SONAME "libcrypto.so.3"

static CryptoDl fn;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[512];
static int loaded;

static void load(void)
{
	void *h = dlopen(LIBCRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(load_error, sizeof(load_error), "cannot load %s: %s", LIBCRYPTO_SONAME,
			 dlerror());
		return;
	}
#define CRYPTO_DL_SYM(name)                                                                        \
	*(void **)(&fn.name) = dlsym(h, #name);                                                    \
	if (!fn.name) {                                                                            \
		snprintf(load_error, sizeof(load_error), "%s has no %s", LIBCRYPTO_SONAME, #name); \
		return;                                                                            \
	}
	CRYPTO_DL_FUNCTIONS(CRYPTO_DL_SYM)
#undef CRYPTO_DL_SYM
	loaded = 1;
}

const CryptoDl *crypto_dl(void)
{
	pthread_once(&once, load);
	return loaded ? &fn : NULL;
}

const char *crypto_dl_error(void)
{
	return crypto_dl() ? NULL : load_error;
}
