/* SPDX-License-Identifier: MIT */
#include "ssl-dl.h"

#include <dlfcn.h>
#include <openssl/core_dispatch.h>
#include <pthread.h>
#include <stdbool.h>
#include <strings.h>

#include "dl-util.h"
#include "macros.h"

#define LIBSSL_SONAME "libssl.so.3"

static SslDl fn;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[512];
static void *handle;
static OSSL_LIB_CTX *tls_libctx;

/* ---- A provider with the algorithms TLS uses ------------------------------------------------ */

/*
 * OpenSSL 3.0 builds every algorithm of a kind the first time one of that
 * kind is fetched, and again for each name it does not find; SSL_CTX_new()
 * asks for some forty ciphers and digests, a dozen of which the default
 * provider lacks. The provider below answers with the default provider's
 * own implementations, only fewer of them: those the handshake, the record
 * layer and certificate checks of TLS 1.2 and 1.3 use. Nothing is weaker;
 * a server that wants anything else (finite-field DH, CCM, Camellia...) is
 * refused the handshake. Operations not listed (encoders, stores, KEMs)
 * pass through whole.
 */
static const char *const tls_algorithms[] = {
    /* ciphers: the AEADs of TLS 1.3 and 1.2, CBC for 1.2 servers without them */
    "AES-128-GCM", "AES-256-GCM", "ChaCha20-Poly1305", "AES-128-CBC", "AES-256-CBC", "AES-256-CTR",
    "AES-128-CBC-HMAC-SHA1", "AES-256-CBC-HMAC-SHA1", "AES-128-CBC-HMAC-SHA256",
    "AES-256-CBC-HMAC-SHA256",
    /* digests, MACs, KDFs */
    "SHA1", "SHA2-224", "SHA2-256", "SHA2-384", "SHA2-512", "HMAC", "HKDF", "TLS13-KDF", "TLS1-PRF",
    /* key types, key exchange, signatures, RSA key transport */
    "EC", "X25519", "X448", "ED25519", "ED448", "RSA", "RSA-PSS", "ECDH", "ECDSA",
    /* random generators */
    "HASH-DRBG", "CTR-DRBG", "SEED-SRC",
    /* decoders: PEM to DER, and public keys in certificates */
    "DER", "SubjectPublicKeyInfo"};

static const int filtered_operations[] = {
    OSSL_OP_DIGEST,  OSSL_OP_CIPHER,  OSSL_OP_MAC,	 OSSL_OP_KDF,	      OSSL_OP_RAND,
    OSSL_OP_KEYMGMT, OSSL_OP_KEYEXCH, OSSL_OP_SIGNATURE, OSSL_OP_ASYM_CIPHER, OSSL_OP_DECODER};

static OSSL_PROVIDER *tls_default_provider;
static pthread_mutex_t filter_lock = PTHREAD_MUTEX_INITIALIZER;
static OSSL_ALGORITHM *filtered[64];

static bool name_is_tls(const char *names)
{
	/* "SHA2-256:SHA-256:SHA256:2.16.840.1.101.3.4.2.1": any of the names */
	for (const char *n = names; *n;) {
		size_t len = strcspn(n, ":");
		for (size_t i = 0; i < ELEMENTSOF(tls_algorithms); i++)
			if (strlen(tls_algorithms[i]) == len &&
			    strncasecmp(tls_algorithms[i], n, len) == 0)
				return true;
		n += len;
		if (*n == ':')
			n++;
	}
	return false;
}

static bool operation_is_filtered(int op)
{
	for (size_t i = 0; i < ELEMENTSOF(filtered_operations); i++)
		if (filtered_operations[i] == op)
			return true;
	return false;
}

static OSSL_ALGORITHM *filter_algorithms(const OSSL_ALGORITHM *all)
{
	size_t n = 0, k = 0;
	for (const OSSL_ALGORITHM *a = all; a->algorithm_names; a++)
		n++;
	OSSL_ALGORITHM *out = calloc(n + 1, sizeof(*out));
	if (!out)
		return NULL;
	for (const OSSL_ALGORITHM *a = all; a->algorithm_names; a++)
		if (name_is_tls(a->algorithm_names))
			out[k++] = *a;
	return out;
}

static const OSSL_ALGORITHM *tls_query(void *provctx, int op, int *no_cache)
{
	(void)provctx;
	const OSSL_ALGORITHM *all =
	    fn.OSSL_PROVIDER_query_operation(tls_default_provider, op, no_cache);
	if (!all || op < 0 || (size_t)op >= ELEMENTSOF(filtered) || !operation_is_filtered(op))
		return all;
	pthread_mutex_lock(&filter_lock);
	if (!filtered[op])
		filtered[op] = filter_algorithms(all);
	const OSSL_ALGORITHM *r = filtered[op] ? filtered[op] : all;
	pthread_mutex_unlock(&filter_lock);
	*no_cache = 0;
	return r;
}

/* TLS-GROUP and TLS-SIGALG: the default provider's; the missing key types rule some out. */
static int tls_capabilities(void *provctx, const char *capability, OSSL_CALLBACK *cb, void *arg)
{
	(void)provctx;
	return fn.OSSL_PROVIDER_get_capabilities(tls_default_provider, capability, cb, arg);
}

static const OSSL_DISPATCH tls_provider_dispatch[] = {
    {OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))tls_query},
    {OSSL_FUNC_PROVIDER_GET_CAPABILITIES, (void (*)(void))tls_capabilities},
    {0, NULL},
};

static int tls_provider_init(const OSSL_CORE_HANDLE *core, const OSSL_DISPATCH *in,
			     const OSSL_DISPATCH **out, void **provctx)
{
	(void)core;
	(void)in;
	/* The implementations run with the default provider's own context. */
	*provctx = fn.OSSL_PROVIDER_get0_provider_ctx(tls_default_provider);
	*out = tls_provider_dispatch;
	return 1;
}

static OSSL_LIB_CTX *make_tls_libctx(void)
{
	/* A system in FIPS mode keeps its providers. */
	if (fn.OSSL_PROVIDER_available(NULL, "fips"))
		return NULL;
	tls_default_provider = fn.OSSL_PROVIDER_load(NULL, "default");
	if (!tls_default_provider)
		return NULL;
	/*
	 * The default CTR-DRBG would build every cipher in the default context,
	 * where the implementations fetch what they need; HASH-DRBG over SHA-256
	 * (as strong, NIST SP 800-90A too) needs only the digests the handshake
	 * builds there anyway. Refused once a generator runs: then it stays.
	 */
	(void)fn.RAND_set_DRBG_type(NULL, "HASH-DRBG", NULL, NULL, "SHA256");
	OSSL_LIB_CTX *ctx = fn.OSSL_LIB_CTX_new();
	if (!ctx)
		return NULL;
	if (fn.OSSL_PROVIDER_add_builtin(ctx, "lazuli-tls", tls_provider_init) != 1 ||
	    !fn.OSSL_PROVIDER_load(ctx, "lazuli-tls") ||
	    fn.RAND_set_DRBG_type(ctx, "HASH-DRBG", NULL, NULL, "SHA256") != 1)
		/* Left allocated: a half-made context may hold a loaded provider. */
		return NULL;
	return ctx;
}

/* ---- Loading --------------------------------------------------------------------------------- */

static void load(void)
{
#define SSL_DL_SYM(name) {#name, (void **)&fn.name},
	static const DlSymbol syms[] = {SSL_DL_FUNCTIONS(SSL_DL_SYM)};
#undef SSL_DL_SYM
	handle =
	    dl_open_symbols(LIBSSL_SONAME, syms, ELEMENTSOF(syms), load_error, sizeof(load_error));
	if (!handle)
		return;
	/*
	 * Loading some 3000 error strings costs more than a handshake; the atexit
	 * handler frees what exit frees anyway. And the table of legacy cipher
	 * and digest names (EVP_get_cipherbyname()) stays empty: each library
	 * context copies all of it into its own names the first time it fetches
	 * anything (a third of a cached-token HTTPS request's instructions),
	 * while fetches find the providers' names without it. What needs the
	 * legacy table is old-style encrypted PEM ("Proc-Type: 4,ENCRYPTED"),
	 * which nothing here reads after libssl is loaded.
	 */
	if (fn.OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_SSL_STRINGS |
				    OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS | OPENSSL_INIT_NO_ATEXIT |
				    OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
				    OPENSSL_INIT_NO_ADD_ALL_DIGESTS | OPENSSL_INIT_LOAD_CONFIG,
				NULL) != 1) {
		snprintf(load_error, sizeof(load_error), "cannot initialise %s", LIBSSL_SONAME);
		handle = NULL;
		return;
	}
	tls_libctx = make_tls_libctx();
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

OSSL_LIB_CTX *ssl_dl_libctx(void)
{
	return ssl_dl() ? tls_libctx : NULL;
}

static void load_error_strings(void)
{
	/*
	 * The once-only initialisation left them out for good; these loaders
	 * (deprecated, hence looked up by name) still add them.
	 */
	static const char *const loaders[] = {"ERR_load_SSL_strings",	 "ERR_load_X509_strings",
					      "ERR_load_X509V3_strings", "ERR_load_PEM_strings",
					      "ERR_load_ASN1_strings",	 "ERR_load_EVP_strings",
					      "ERR_load_BIO_strings"};
	for (size_t i = 0; i < ELEMENTSOF(loaders); i++) {
		int (*f)(void) = (int (*)(void))dlsym(handle, loaders[i]);
		if (f)
			(void)f();
	}
}

void ssl_dl_load_error_strings(void)
{
	static pthread_once_t strings_once = PTHREAD_ONCE_INIT;
	if (ssl_dl())
		pthread_once(&strings_once, load_error_strings);
}
