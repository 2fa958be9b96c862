/* SPDX-License-Identifier: MIT */
/*
 * libcurl, loaded when the first HTTP request needs it. Linking it pulls
 * in some thirty libraries (TLS, Kerberos, LDAP, SSH, IDN...) that the
 * dynamic loader maps and relocates at every start, which is most of the
 * start-up time of a program that often sends nothing (lazuli --version,
 * account show, or lazuli-init when this VM was provisioned before). These
 * are the libcurl functions the project calls, with libcurl's own
 * prototypes from <curl/curl.h>, forwarding to the library opened with
 * dlopen() on first use. If libcurl is missing, the call fails like a
 * failed libcurl call would (NULL or CURLE_FAILED_INIT) and the error says
 * which library could not be loaded.
 */
/* Our definitions, not libcurl's type-checking macros. */
#define CURL_DISABLE_TYPECHECK 1
/* curl_url_get()'s handle became const in curl 8: keep the header's out of the way. */
#define curl_url_get curl_url_get_as_declared
#include <curl/curl.h>
#undef curl_url_get
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "curl-dl.h"
#include "dl-util.h"
#include "macros.h"

#define LIBCURL_SONAME "libcurl.so.4"

static struct {
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	void (*easy_cleanup)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	char *(*easy_escape)(CURL *, const char *, int);
	void (*free)(void *);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	CURLU *(*url)(void);
	void (*url_cleanup)(CURLU *);
	CURLUcode (*url_set)(CURLU *, CURLUPart, const char *, unsigned int);
	CURLUcode (*url_get)(CURLU *, CURLUPart, char **, unsigned int);
} fn;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[512];
static int loaded;

static void load(void)
{
	static const DlSymbol syms[] = {
	    {"curl_global_init", (void **)&fn.global_init},
	    {"curl_easy_init", (void **)&fn.easy_init},
	    {"curl_easy_setopt", (void **)&fn.easy_setopt},
	    {"curl_easy_perform", (void **)&fn.easy_perform},
	    {"curl_easy_cleanup", (void **)&fn.easy_cleanup},
	    {"curl_easy_getinfo", (void **)&fn.easy_getinfo},
	    {"curl_easy_strerror", (void **)&fn.easy_strerror},
	    {"curl_easy_escape", (void **)&fn.easy_escape},
	    {"curl_free", (void **)&fn.free},
	    {"curl_slist_append", (void **)&fn.slist_append},
	    {"curl_slist_free_all", (void **)&fn.slist_free_all},
	    {"curl_url", (void **)&fn.url},
	    {"curl_url_cleanup", (void **)&fn.url_cleanup},
	    {"curl_url_set", (void **)&fn.url_set},
	    {"curl_url_get", (void **)&fn.url_get},
	};
	loaded = dl_open_symbols(LIBCURL_SONAME, syms, ELEMENTSOF(syms), load_error,
				 sizeof(load_error)) != NULL;
}

static int ensure(void)
{
	pthread_once(&once, load);
	return loaded;
}

const char *curl_dl_error(void)
{
	ensure();
	return loaded ? NULL : load_error;
}

CURLcode curl_global_init(long flags)
{
	return ensure() ? fn.global_init(flags) : CURLE_FAILED_INIT;
}

CURL *curl_easy_init(void)
{
	return ensure() ? fn.easy_init() : NULL;
}

/* The one argument's type follows from the option's number, as in libcurl. */
CURLcode curl_easy_setopt(CURL *c, CURLoption option, ...)
{
	va_list ap;
	CURLcode r;

	if (!ensure())
		return CURLE_FAILED_INIT;
	va_start(ap, option);
	if (option < CURLOPTTYPE_OBJECTPOINT)
		r = fn.easy_setopt(c, option, va_arg(ap, long));
	else if (option < CURLOPTTYPE_FUNCTIONPOINT)
		r = fn.easy_setopt(c, option, va_arg(ap, void *));
	else if (option < CURLOPTTYPE_OFF_T)
		r = fn.easy_setopt(c, option, va_arg(ap, void (*)(void)));
	else if (option < CURLOPTTYPE_BLOB)
		r = fn.easy_setopt(c, option, va_arg(ap, curl_off_t));
	else
		r = fn.easy_setopt(c, option, va_arg(ap, void *));
	va_end(ap);
	return r;
}

CURLcode curl_easy_perform(CURL *c)
{
	return ensure() ? fn.easy_perform(c) : CURLE_FAILED_INIT;
}

void curl_easy_cleanup(CURL *c)
{
	if (ensure())
		fn.easy_cleanup(c);
}

/* Every CURLINFO passes a pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *c, CURLINFO info, ...)
{
	va_list ap;
	CURLcode r;

	if (!ensure())
		return CURLE_FAILED_INIT;
	va_start(ap, info);
	r = fn.easy_getinfo(c, info, va_arg(ap, void *));
	va_end(ap);
	return r;
}

const char *curl_easy_strerror(CURLcode code)
{
	return ensure() ? fn.easy_strerror(code) : load_error;
}

char *curl_easy_escape(CURL *c, const char *s, int len)
{
	return ensure() ? fn.easy_escape(c, s, len) : NULL;
}

void curl_free(void *p)
{
	if (p && ensure())
		fn.free(p);
}

struct curl_slist *curl_slist_append(struct curl_slist *l, const char *s)
{
	return ensure() ? fn.slist_append(l, s) : NULL;
}

void curl_slist_free_all(struct curl_slist *l)
{
	if (l && ensure())
		fn.slist_free_all(l);
}

CURLU *curl_url(void)
{
	return ensure() ? fn.url() : NULL;
}

void curl_url_cleanup(CURLU *u)
{
	if (u && ensure())
		fn.url_cleanup(u);
}

CURLUcode curl_url_set(CURLU *u, CURLUPart part, const char *content, unsigned int flags)
{
	return ensure() ? fn.url_set(u, part, content, flags) : CURLUE_OUT_OF_MEMORY;
}

CURLUcode curl_url_get(CURLU *u, CURLUPart part, char **out, unsigned int flags);
CURLUcode curl_url_get(CURLU *u, CURLUPart part, char **out, unsigned int flags)
{
	return ensure() ? fn.url_get(u, part, out, flags) : CURLUE_OUT_OF_MEMORY;
}
