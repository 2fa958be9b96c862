/* SPDX-License-Identifier: MIT */
#pragma once

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

/*
 * The libcrypto functions the project calls, from libcrypto opened with
 * dlopen() on first use: only a certificate login signs anything, and
 * linking libcrypto would map it at every start of every program (see
 * curl-dl.c). Each field has the function's own prototype and name.
 */
#define CRYPTO_DL_FUNCTIONS(X)                                                                     \
	X(BIO_new_mem_buf)                                                                         \
	X(BIO_free)                                                                                \
	X(PEM_read_bio_PrivateKey)                                                                 \
	X(PEM_read_bio_X509)                                                                       \
	X(X509_free)                                                                               \
	X(X509_get0_pubkey)                                                                        \
	X(X509_get0_notBefore)                                                                     \
	X(X509_get0_notAfter)                                                                      \
	X(X509_cmp_time)                                                                           \
	X(ASN1_TIME_to_tm)                                                                         \
	X(i2d_X509)                                                                                \
	X(EVP_PKEY_free)                                                                           \
	X(EVP_PKEY_eq)                                                                             \
	X(EVP_PKEY_get_base_id)                                                                    \
	X(EVP_sha1)                                                                                \
	X(EVP_sha256)                                                                              \
	X(EVP_Digest)                                                                              \
	X(EVP_MD_CTX_new)                                                                          \
	X(EVP_MD_CTX_free)                                                                         \
	X(EVP_DigestSignInit)                                                                      \
	X(EVP_DigestSign)                                                                          \
	X(ERR_get_error)                                                                           \
	X(ERR_error_string_n)                                                                      \
	X(ERR_clear_error)                                                                         \
	X(CRYPTO_free)

typedef struct CryptoDl {
#define CRYPTO_DL_FIELD(name) __typeof__(name) *name;
	CRYPTO_DL_FUNCTIONS(CRYPTO_DL_FIELD)
#undef CRYPTO_DL_FIELD
} CryptoDl;

/* The functions, or NULL if libcrypto cannot be loaded: crypto_dl_error() says why. */
const CryptoDl *crypto_dl(void);
const char *crypto_dl_error(void);
