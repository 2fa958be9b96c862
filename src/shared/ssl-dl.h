/* SPDX-License-Identifier: MIT */
#pragma once

#include <openssl/err.h>
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
	X(TLS_client_method)                                                                       \
	X(SSL_CTX_new)                                                                             \
	X(SSL_CTX_free)                                                                            \
	X(SSL_CTX_set_verify)                                                                      \
	X(SSL_CTX_load_verify_locations)                                                           \
	X(SSL_CTX_set_default_verify_paths)                                                        \
	X(SSL_CTX_set_options)                                                                     \
	X(SSL_CTX_ctrl)                                                                            \
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

/* The functions, or NULL if libssl cannot be loaded: ssl_dl_error() says why. */
const SslDl *ssl_dl(void);
const char *ssl_dl_error(void);
