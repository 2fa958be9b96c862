/* SPDX-License-Identifier: MIT */
#include "crypto-dl.h"

#include <pthread.h>

#include "dl-util.h"
#include "macros.h"

#define LIBCRYPTO_SONAME "libcrypto.so.3"

static CryptoDl fn;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[512];
static void *handle;

static void load(void)
{
#define CRYPTO_DL_SYM(name) {#name, (void **)&fn.name},
	static const DlSymbol syms[] = {CRYPTO_DL_FUNCTIONS(CRYPTO_DL_SYM)};
#undef CRYPTO_DL_SYM
	handle = dl_open_symbols(LIBCRYPTO_SONAME, syms, ELEMENTSOF(syms), load_error,
				 sizeof(load_error));
}

const CryptoDl *crypto_dl(void)
{
	pthread_once(&once, load);
	return handle ? &fn : NULL;
}

const char *crypto_dl_error(void)
{
	return crypto_dl() ? NULL : load_error;
}
