/* SPDX-License-Identifier: MIT */
/*
 * Client assertions: built by jwt.c (libcrypto through dlopen), taken
 * apart and verified here with libcrypto linked, as the identity platform
 * would verify them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json-util.h"
#include "jwt.h"
#include "strutil.h"

#define CLIENT "00000000-0000-0000-0000-0000000e4ac1"
#define AUD "https://login.example/tenant/oauth2/v2.0/token"

static char dir[] = "/tmp/lazuli-test-jwt.XXXXXX";

static EVP_PKEY *new_key(void)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);
	assert_non_null(k);
	return k;
}

/* A self-signed certificate for key, valid from now + from to now + to (seconds). */
static X509 *new_cert(EVP_PKEY *key, long from, long to)
{
	X509 *x = X509_new();
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), from);
	X509_gmtime_adj(X509_getm_notAfter(x), to);
	X509_set_pubkey(x, key);
	X509_NAME *n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"lazuli-test", -1,
				   -1, 0);
	X509_set_issuer_name(x, n);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	return x;
}

/* Write a PEM file of the key (may be NULL) then the certificate (may be NULL). */
static char *write_pem(const char *name, EVP_PKEY *key, X509 *cert)
{
	char *path;
	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	if (key)
		assert_true(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL));
	if (cert)
		assert_true(PEM_write_X509(f, cert));
	fclose(f);
	return path;
}

static unsigned char *b64url_decode(const char *s, size_t n, size_t *ret_len)
{
	char *b = malloc(n + 4);
	unsigned char *out = NULL;
	assert_non_null(b);
	for (size_t i = 0; i < n; i++) {
		assert_true(s[i] != '+' && s[i] != '/' && s[i] != '=');
		b[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	}
	while (n % 4)
		b[n++] = '=';
	assert_int_equal(base64_decode(b, n, &out, ret_len), 0);
	free(b);
	return out;
}

static json_object *part_json(const char *s, size_t n)
{
	size_t len;
	unsigned char *raw = b64url_decode(s, n, &len);
	json_object *o = NULL;
	assert_int_equal(json_parse_strict((const char *)raw, len, &o, NULL, 0), 0);
	free(raw);
	return o;
}

static char *thumbprint(X509 *cert, const EVP_MD *md)
{
	unsigned char *der = NULL, h[EVP_MAX_MD_SIZE];
	unsigned int n;
	int len = i2d_X509(cert, &der);
	assert_true(len > 0);
	assert_true(EVP_Digest(der, (size_t)len, h, &n, md, NULL));
	OPENSSL_free(der);
	return base64url_encode(h, n);
}

static void test_assertion_verifies(void **state)
{
	EVP_PKEY *key = new_key();
	X509 *cert = new_cert(key, -60, 86400);
	char *path = write_pem("good.pem", key, cert), *jwt = NULL, err[512] = "";
	time_t now = time(NULL);

	assert_int_equal(jwt_client_assertion(path, CLIENT, AUD, now, &jwt, err, sizeof(err)), 0);
	const char *d1 = strchr(jwt, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	assert_non_null(d2);
	assert_null(strchr(d2 + 1, '.'));

	json_object *h = part_json(jwt, (size_t)(d1 - jwt));
	assert_string_equal(json_get_string(h, "alg"), "RS256");
	assert_string_equal(json_get_string(h, "typ"), "JWT");
	char *x5t = thumbprint(cert, EVP_sha1()), *x5t256 = thumbprint(cert, EVP_sha256());
	assert_string_equal(json_get_string(h, "x5t"), x5t);
	json_object *v;
	assert_true(json_object_object_get_ex(h, "x5t#S256", &v));
	assert_string_equal(json_object_get_string(v), x5t256);
	assert_int_equal(strlen(x5t), 27); /* 20 bytes, unpadded */

	json_object *c = part_json(d1 + 1, (size_t)(d2 - d1 - 1));
	assert_string_equal(json_get_string(c, "aud"), AUD);
	assert_string_equal(json_get_string(c, "iss"), CLIENT);
	assert_string_equal(json_get_string(c, "sub"), CLIENT);
	assert_int_equal(strlen(json_get_string(c, "jti")), 36);
	assert_true(json_object_object_get_ex(c, "nbf", &v));
	assert_int_equal(json_object_get_int64(v), now);
	assert_true(json_object_object_get_ex(c, "iat", &v));
	assert_int_equal(json_object_get_int64(v), now);
	assert_true(json_object_object_get_ex(c, "exp", &v));
	assert_int_equal(json_object_get_int64(v), now + 600);

	/* RS256: PKCS #1 v1.5 over SHA-256 of "header.claims", by the certificate's key. */
	size_t sig_len;
	unsigned char *sig = b64url_decode(d2 + 1, strlen(d2 + 1), &sig_len);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	assert_int_equal(
	    EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, X509_get0_pubkey(cert)), 1);
	assert_int_equal(
	    EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)jwt, (size_t)(d2 - jwt)), 1);
	/* and a changed claim does not verify */
	jwt[d1 - jwt + 3] ^= 1;
	EVP_MD_CTX_reset(ctx);
	assert_int_equal(
	    EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, X509_get0_pubkey(cert)), 1);
	assert_int_not_equal(
	    EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)jwt, (size_t)(d2 - jwt)), 1);
	EVP_MD_CTX_free(ctx);

	/* Two assertions differ in jti. */
	char *jwt2 = NULL;
	assert_int_equal(jwt_client_assertion(path, CLIENT, AUD, now, &jwt2, err, sizeof(err)), 0);
	json_object *c2 =
	    part_json(strchr(jwt2, '.') + 1, (size_t)(strrchr(jwt2, '.') - strchr(jwt2, '.') - 1));
	assert_string_not_equal(json_get_string(c, "jti"), json_get_string(c2, "jti"));

	json_object_put(c2);
	json_object_put(c);
	json_object_put(h);
	free(jwt2);
	free(sig);
	free(x5t);
	free(x5t256);
	free(jwt);
	unlink(path);
	free(path);
	X509_free(cert);
	EVP_PKEY_free(key);
}

static int try(const char *path, time_t now, char *err, size_t errlen)
{
	char *jwt = NULL;
	int r = jwt_client_assertion(path, CLIENT, AUD, now, &jwt, err, errlen);
	if (r == 0)
		assert_non_null(jwt);
	else
		assert_null(jwt);
	free(jwt);
	return r;
}

static void test_bad_files_name_the_file(void **state)
{
	EVP_PKEY *key = new_key(), *other = new_key();
	X509 *cert = new_cert(key, -60, 86400), *expired = new_cert(key, -86400, -3600);
	X509 *future = new_cert(key, 3600, 86400);
	char err[512];
	char *p;

	p = write_pem("mismatch.pem", other, cert);
	assert_int_equal(try(p, time(NULL), err, sizeof(err)), -EKEYREJECTED);
	assert_non_null(strstr(err, p));
	assert_non_null(strstr(err, "does not belong to the certificate"));
	unlink(p), free(p);

	p = write_pem("expired.pem", key, expired);
	assert_int_equal(try(p, time(NULL), err, sizeof(err)), -EKEYEXPIRED);
	assert_non_null(strstr(err, p));
	assert_non_null(strstr(err, "the certificate expired on 20"));
	/* the same certificate, while it was valid */
	assert_int_equal(try(p, time(NULL) - 7200, err, sizeof(err)), 0);
	unlink(p), free(p);

	p = write_pem("future.pem", key, future);
	assert_int_equal(try(p, time(NULL), err, sizeof(err)), -EKEYEXPIRED);
	assert_non_null(strstr(err, "is not valid before"));
	unlink(p), free(p);

	p = write_pem("cert-only.pem", NULL, cert);
	assert_int_equal(try(p, time(NULL), err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, p));
	assert_non_null(strstr(err, "has no private key"));
	unlink(p), free(p);

	p = write_pem("key-only.pem", key, NULL);
	assert_int_equal(try(p, time(NULL), err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "has no certificate"));
	unlink(p), free(p);

	/* an encrypted key: said as such, not as a missing key */
	assert_true(asprintf(&p, "%s/encrypted.pem", dir) > 0);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	assert_true(
	    PEM_write_PrivateKey(f, key, EVP_aes_128_cbc(), (unsigned char *)"pw", 2, NULL, NULL));
	assert_true(PEM_write_X509(f, cert));
	fclose(f);
	assert_int_equal(try(p, time(NULL), err, sizeof(err)), -EOPNOTSUPP);
	assert_non_null(strstr(err, "encrypted private key"));
	unlink(p), free(p);

	assert_true(asprintf(&p, "%s/garbage.pem", dir) > 0);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs("not a certificate at all\n", f);
	fclose(f);
	assert_int_equal(try(p, time(NULL), err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, p));
	assert_non_null(strstr(err, "is not a PEM file"));
	unlink(p), free(p);

	assert_true(asprintf(&p, "%s/missing.pem", dir) > 0);
	assert_int_equal(try(p, time(NULL), err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, p));
	assert_non_null(strstr(err, "No such file"));
	free(p);

	X509_free(cert);
	X509_free(expired);
	X509_free(future);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}

static void test_base64url(void **state)
{
	char *s = base64url_encode("\xfb\xff\xfe", 3);
	assert_string_equal(s, "-__-");
	free(s);
	s = base64url_encode("a", 1);
	assert_string_equal(s, "YQ");
	free(s);
}

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_base64url),
	    cmocka_unit_test(test_assertion_verifies),
	    cmocka_unit_test(test_bad_files_name_the_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
