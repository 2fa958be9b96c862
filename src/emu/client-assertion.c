/* SPDX-License-Identifier: MIT */
#include "client-assertion.h"

#include <errno.h>
#include <json-c/json.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu-util.h"
#include "macros.h"
#include "strutil.h"

#define CLOCK_SKEW 300

DEFINE_TRIVIAL_CLEANUP_FUNC(X509 *, X509_free);

static unsigned char *b64url_decode(const char *s, size_t n, size_t *ret_len)
{
	_cleanup_free_ char *b = malloc(n + 4);
	unsigned char *out = NULL;
	if (!b)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+' || s[i] == '/' || s[i] == '=')
			return NULL;
		b[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	}
	while (n % 4)
		b[n++] = '=';
	if (base64_decode(b, n, &out, ret_len) < 0)
		return NULL;
	return out;
}

static json_object *part_json(const char *s, size_t n)
{
	size_t len;
	_cleanup_free_ unsigned char *raw = b64url_decode(s, n, &len);
	json_object *o = NULL;
	if (!raw || emu_json_parse((const char *)raw, len, &o, NULL, 0) < 0)
		return NULL;
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static const char *str(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		   ? json_object_get_string(v)
		   : NULL;
}

static bool num(json_object *o, const char *key, int64_t *ret)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	*ret = json_object_get_int64(v);
	return true;
}

static char *thumbprint(X509 *cert, const EVP_MD *md)
{
	unsigned char *der = NULL, h[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int len = i2d_X509(cert, &der);
	if (len <= 0)
		return NULL;
	int ok = EVP_Digest(der, (size_t)len, h, &n, md, NULL);
	OPENSSL_free(der);
	return ok ? emu_base64url(h, n) : NULL;
}

static X509 *read_cert(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	ERR_clear_error();
	return x;
}

static bool signature_ok(X509 *cert, bool pss, const char *input, size_t input_len,
			 const unsigned char *sig, size_t sig_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	bool ok =
	    ctx &&
	    EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), NULL, X509_get0_pubkey(cert)) == 1 &&
	    (!pss || (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
		      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1)) &&
	    EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)input, input_len) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

#define FAIL(code, error, ...)                                                                     \
	({                                                                                         \
		*ret_error = (error);                                                              \
		snprintf(desc, desclen, __VA_ARGS__);                                              \
		(code);                                                                            \
	})

int emu_client_assertion_check(const char *assertion, const char *cert_pem, const char *client_id,
			       const char *const *audiences, time_t now, const char **ret_error,
			       char *desc, size_t desclen)
{
	const char *d1 = strchr(assertion, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	_cleanup_jobj_ json_object *h = NULL, *c = NULL;
	_cleanup_free_ unsigned char *sig = NULL;
	_cleanup_free_ char *x5t = NULL, *x5t256 = NULL;
	size_t sig_len = 0;

	if (!d2 || strchr(d2 + 1, '.') || !(h = part_json(assertion, (size_t)(d1 - assertion))) ||
	    !(c = part_json(d1 + 1, (size_t)(d2 - d1 - 1))) ||
	    !(sig = b64url_decode(d2 + 1, strlen(d2 + 1), &sig_len)))
		return FAIL(50027, "invalid_request", "JWT token is invalid or malformed.");
	const char *alg = str(h, "alg"), *kx5t = str(h, "x5t"), *kx5t256 = str(h, "x5t#S256");
	if (!alg || (!streq(alg, "RS256") && !streq(alg, "PS256")))
		return FAIL(
		    50027, "invalid_request",
		    "JWT token is invalid or malformed: the algorithm '%s' is not supported.",
		    strempty(alg));
	if (!kx5t && !kx5t256)
		return FAIL(50027, "invalid_request",
			    "JWT token is invalid or malformed: the header names no certificate "
			    "(x5t or x5t#S256).");
	_cleanup_(X509_freep) X509 *cert = cert_pem ? read_cert(cert_pem) : NULL;
	if (cert &&
	    (!(x5t = thumbprint(cert, EVP_sha1())) || !(x5t256 = thumbprint(cert, EVP_sha256()))))
		return -ENOMEM;
	if (!cert || (kx5t && !streq(kx5t, x5t)) || (kx5t256 && !streq(kx5t256, x5t256)))
		return FAIL(700027, "invalid_client",
			    "The certificate with identifier used to sign the client assertion is "
			    "not registered on application. [Reason - The key was not found., "
			    "Thumbprint of key used by client: '%s']",
			    kx5t ? kx5t : kx5t256);
	if (!signature_ok(cert, streq(alg, "PS256"), assertion, (size_t)(d2 - assertion), sig,
			  sig_len))
		return FAIL(700027, "invalid_client",
			    "Client assertion failed signature validation.");
	const char *iss = str(c, "iss"), *sub = str(c, "sub"), *aud = str(c, "aud");
	if (!iss || !sub || !strcaseeq(iss, client_id) || !strcaseeq(sub, client_id))
		return FAIL(700021, "invalid_client",
			    "Client assertion application identifier doesn't match 'client_id' "
			    "parameter.");
	bool aud_ok = false;
	for (size_t i = 0; aud && audiences[i]; i++)
		aud_ok = aud_ok || streq(aud, audiences[i]);
	if (!aud_ok)
		return FAIL(700023, "invalid_client",
			    "Client assertion audience claim does not match Realm issuer. The "
			    "audience '%s' should be the token endpoint '%s'.",
			    strempty(aud), audiences[0]);
	int64_t exp = 0, nbf = 0;
	bool has_nbf = num(c, "nbf", &nbf);
	if (!num(c, "exp", &exp) || exp + CLOCK_SKEW <= (int64_t)now ||
	    (has_nbf && nbf - CLOCK_SKEW > (int64_t)now))
		return FAIL(700024, "invalid_client",
			    "Client assertion is not within its valid time range. Current time: "
			    "%lld, assertion valid from %lld, expiry time of assertion %lld.",
			    (long long)now, (long long)nbf, (long long)exp);
	return 0;
}
