/* SPDX-License-Identifier: MIT */
#include "ssl-dl.h"

#include <pthread.h>

#include "dl-util.h"
#include "macros.h"

#define LIBSSL_SONAME "libssl.so.3"

static SslDl fn;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[512];
static void *handle;

static void load(void)
{
#define SSL_DL_SYM(name) {#name, (void **)&fn.name},
	static const DlSymbol syms[] = {SSL_DL_FUNCTIONS(SSL_DL_SYM)};
#undef SSL_DL_SYM
	handle = dl_open_symbols(LIBSSL_SONAME, syms, ELEMENTSOF(syms), load_error,
				 sizeof(load_error));
}

const SslDl *ssl_dl(void)
{
	pthread_once(&once, load);
	return handle ? &fn : NULL;
}

const char *ssl_dl_error(void)
{
	return ssl_dl() ? NULL : load_error;
}
