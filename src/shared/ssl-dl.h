/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The functions are looked up by name when libssl is opened; a newer
 * OpenSSL marking one deprecated (SSL_SESSION_get_time since 3.4, where it
 * is still exported) must not fail the build against its headers.
 */
#ifndef OPENSSL_SUPPRESS_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED
#endif
#include <openssl/core.h>
#include <openssl/err.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

/*
 * The libssl (and libcrypto, which it loads) functions the built-in HTTPS
 * client calls, from libssl opened with dlopen() on first use: two
 * libraries instead of the thirty libcurl brings (see http-plain.h). Each
 * field has the function's own prototype and name.
 */
#define SSL_DL_FUNCTIONS(X)                                                                        \
	X(OPENSSL_init_ssl)                                                                        \
	X(OSSL_LIB_CTX_new)                                                                        \
	X(OSSL_LIB_CTX_set0_default)                                                               \
	X(OSSL_PROVIDER_add_builtin)                                                               \
	X(OSSL_PROVIDER_available)                                                                 \
	X(OSSL_PROVIDER_get0_provider_ctx)                                                         \
	X(OSSL_PROVIDER_get_capabilities)                                                          \
	X(OSSL_PROVIDER_load)                                                                      \
	X(OSSL_PROVIDER_query_operation)                                                           \
	X(RAND_set_DRBG_type)                                                                      \
	X(TLS_client_method)                                                                       \
	X(SSL_CTX_new_ex)                                                                          \
	X(SSL_CTX_free)                                                                            \
	X(SSL_CTX_set_verify)                                                                      \
	X(SSL_CTX_load_verify_locations)                                                           \
	X(SSL_CTX_set_default_verify_paths)                                                        \
	X(SSL_CTX_load_verify_dir)                                                                 \
	X(X509_get_default_cert_dir)                                                               \
	X(X509_get_default_cert_dir_env)                                                           \
	X(X509_STORE_CTX_set0_verified_chain)                                                      \
	X(SSL_CTX_set_options)                                                                     \
	X(SSL_CTX_ctrl)                                                                            \
	X(SSL_CTX_set_cert_verify_callback)                                                        \
	X(SSL_CTX_sess_set_new_cb)                                                                 \
	X(SSL_new)                                                                                 \
	X(SSL_free)                                                                                \
	X(SSL_set_fd)                                                                              \
	X(SSL_ctrl)                                                                                \
	X(SSL_get0_param)                                                                          \
	X(SSL_connect)                                                                             \
	X(SSL_read)                                                                                \
	X(SSL_write)                                                                               \
	X(SSL_get_error)                                                                           \
	X(SSL_get_verify_result)                                                                   \
	X(SSL_get_ex_data)                                                                         \
	X(SSL_set_ex_data)                                                                         \
	X(SSL_set_session)                                                                         \
	X(SSL_session_reused)                                                                      \
	X(SSL_SESSION_free)                                                                        \
	X(SSL_SESSION_get0_peer)                                                                   \
	X(SSL_SESSION_get_time)                                                                    \
	X(SSL_SESSION_get_timeout)                                                                 \
	X(SSL_SESSION_is_resumable)                                                                \
	X(d2i_SSL_SESSION)                                                                         \
	X(i2d_SSL_SESSION)                                                                         \
	X(X509_STORE_CTX_set_error)                                                                \
	X(X509_verify_cert)                                                                        \
	X(X509_verify_cert_error_string)                                                           \
	X(X509_VERIFY_PARAM_set1_host)                                                             \
	X(X509_VERIFY_PARAM_set1_ip_asc)                                                           \
	X(X509_VERIFY_PARAM_set_hostflags)                                                         \
	X(ERR_get_error)                                                                           \
	X(ERR_error_string_n)                                                                      \
	X(ERR_clear_error)

typedef struct SslDl {
#define SSL_DL_FIELD(name) __typeof__(name) *name;
	SSL_DL_FUNCTIONS(SSL_DL_FIELD)
#undef SSL_DL_FIELD
} SslDl;

/*
 * The functions, or NULL if libssl cannot be loaded: ssl_dl_error() says why.
 * The first call also initialises OpenSSL for a short-lived client: the
 * configuration file is read as usual, but the error strings are left
 * unloaded (ssl_dl_load_error_strings() loads them when an error is to be
 * shown) and nothing is freed at exit.
 */
const SslDl *ssl_dl(void);
const char *ssl_dl_error(void);

/*
 * The library context to make TLS contexts in: one whose only provider
 * offers the default provider's algorithms that TLS 1.2 and 1.3 use, so
 * that SSL_CTX_new_ex() and the handshake do not build every algorithm
 * OpenSSL has (milliseconds in OpenSSL 3.0), and whose random generator is
 * the default provider's HASH-DRBG. NULL: the default context, when a FIPS
 * provider is in use or the tailored one cannot be set up.
 */
OSSL_LIB_CTX *ssl_dl_libctx(void);

/* Load OpenSSL's error strings (for ERR_error_string_n()); idempotent. */
void ssl_dl_load_error_strings(void);
