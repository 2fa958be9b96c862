/* SPDX-License-Identifier: MIT */
#include "jwt.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto-dl.h"
#include "fileio.h"
#include "json-util.h"
#include "macros.h"
#include "random-util.h"
#include "strutil.h"

#define PEM_FILE_MAX (1024u * 1024)

char *base64url_encode(const void *in, size_t len)
{
	char *s = base64_encode(in, len);
	if (!s)
		return NULL;
	size_t n = 0;
	for (char *p = s; *p && *p != '='; p++, n++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	s[n] = '\0';
	return s;
}

static char *base64url_json(json_object *o)
{
	_cleanup_free_ char *s = json_to_string_compact(o);
	return s ? base64url_encode(s, strlen(s)) : NULL;
}

/* The PEM text: read whole, wiped when freed, since it holds a private key. */
typedef struct PemText {
	char *buf;
	size_t len;
} PemText;

static void pem_text_done(PemText *t)
{
	if (t->buf) {
		explicit_bzero(t->buf, t->len);
		free(t->buf);
	}
}

/* A password callback that gives none: an encrypted key fails to load. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

typedef struct Loaded {
	const CryptoDl *fn;
	EVP_PKEY *key;
	X509 *cert;
} Loaded;

static void loaded_done(Loaded *l)
{
	if (l->key)
		l->fn->EVP_PKEY_free(l->key);
	if (l->cert)
		l->fn->X509_free(l->cert);
	if (l->fn)
		l->fn->ERR_clear_error();
}

static int load_pem(const CryptoDl *fn, const char *path, time_t now, Loaded *l, char *err,
		    size_t errlen)
{
	_cleanup_(pem_text_done) PemText t = {};
	BIO *b;
	int r;

	r = read_full_file(path, PEM_FILE_MAX, &t.buf, &t.len);
	if (r < 0) {
		snprintf(err, errlen, "Cannot read the certificate file %s: %s", path,
			 strerror(-r));
		return r;
	}
	if (!memmem(t.buf, t.len, "-----BEGIN ", 11)) {
		snprintf(
		    err, errlen,
		    "%s is not a PEM file: it should hold the private key and the certificate, "
		    "each between -----BEGIN and -----END lines",
		    path);
		return -EBADMSG;
	}
	if (!(b = fn->BIO_new_mem_buf(t.buf, (int)t.len)))
		return -ENOMEM;
	l->key = fn->PEM_read_bio_PrivateKey(b, NULL, no_password, NULL);
	fn->BIO_free(b);
	if (!l->key) {
		bool encrypted = memmem(t.buf, t.len, "ENCRYPTED", 9);
		snprintf(err, errlen,
			 encrypted
			     ? "%s holds an encrypted private key; lazuli needs it unencrypted "
			       "(openssl pkey -in FILE -out FILE.key)"
			     : "%s has no private key: append the certificate to the private key "
			       "in one PEM file",
			 path);
		return encrypted ? -EOPNOTSUPP : -EBADMSG;
	}
	if (!(b = fn->BIO_new_mem_buf(t.buf, (int)t.len)))
		return -ENOMEM;
	l->cert = fn->PEM_read_bio_X509(b, NULL, no_password, NULL);
	fn->BIO_free(b);
	if (!l->cert) {
		snprintf(err, errlen,
			 "%s has no certificate: append the certificate to the private key in one "
			 "PEM file",
			 path);
		return -EBADMSG;
	}
	if (fn->EVP_PKEY_get_base_id(l->key) != EVP_PKEY_RSA) {
		snprintf(err, errlen, "%s: the private key is not an RSA key, which RS256 needs",
			 path);
		return -EOPNOTSUPP;
	}
	EVP_PKEY *pub = fn->X509_get0_pubkey(l->cert);
	if (!pub || fn->EVP_PKEY_eq(l->key, pub) != 1) {
		snprintf(err, errlen, "%s: the private key does not belong to the certificate",
			 path);
		return -EKEYREJECTED;
	}
	const ASN1_TIME *nb = fn->X509_get0_notBefore(l->cert),
			*na = fn->X509_get0_notAfter(l->cert);
	bool expired = fn->X509_cmp_time(na, &now) < 0;
	if (expired || fn->X509_cmp_time(nb, &now) > 0) {
		struct tm tm = {};
		char when[64] = "?";
		if (fn->ASN1_TIME_to_tm(expired ? na : nb, &tm) == 1)
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		snprintf(err, errlen, "%s: the certificate %s %s", path,
			 expired ? "expired on" : "is not valid before", when);
		return -EKEYEXPIRED;
	}
	return 0;
}

static int thumbprints(const CryptoDl *fn, X509 *cert, char **ret_sha1, char **ret_sha256)
{
	unsigned char *der = NULL, md1[20], md256[32];
	unsigned int n1 = 0, n256 = 0;
	int len = fn->i2d_X509(cert, &der);
	if (len <= 0)
		return -EBADMSG;
	int ok = fn->EVP_Digest(der, (size_t)len, md1, &n1, fn->EVP_sha1(), NULL) == 1 &&
		 fn->EVP_Digest(der, (size_t)len, md256, &n256, fn->EVP_sha256(), NULL) == 1;
	fn->CRYPTO_free(der, __FILE__, __LINE__);
	if (!ok)
		return -EIO;
	*ret_sha1 = base64url_encode(md1, n1);
	*ret_sha256 = base64url_encode(md256, n256);
	return *ret_sha1 && *ret_sha256 ? 0 : -ENOMEM;
}

static int sign_rs256(const CryptoDl *fn, EVP_PKEY *key, const char *data, char **ret)
{
	EVP_MD_CTX *ctx = fn->EVP_MD_CTX_new();
	_cleanup_free_ unsigned char *sig = NULL;
	size_t n = 0;
	int r = -EIO;
	if (!ctx)
		return -ENOMEM;
	if (fn->EVP_DigestSignInit(ctx, NULL, fn->EVP_sha256(), NULL, key) == 1 &&
	    fn->EVP_DigestSign(ctx, NULL, &n, (const unsigned char *)data, strlen(data)) == 1 &&
	    (sig = malloc(n)) &&
	    fn->EVP_DigestSign(ctx, sig, &n, (const unsigned char *)data, strlen(data)) == 1) {
		*ret = base64url_encode(sig, n);
		r = *ret ? 0 : -ENOMEM;
	}
	fn->EVP_MD_CTX_free(ctx);
	return r;
}

int jwt_client_assertion(const char *pem_path, const char *client_id, const char *audience,
			 time_t now, char **ret, char *err, size_t errlen)
{
	const CryptoDl *fn = crypto_dl();
	_cleanup_(loaded_done) Loaded l = {.fn = fn};
	_cleanup_free_ char *x5t = NULL, *x5t256 = NULL, *h64 = NULL, *c64 = NULL, *sig = NULL;
	_cleanup_free_ char *signing_input = NULL;
	_cleanup_json_ json_object *h = NULL, *c = NULL;
	char jti[37];
	int r;

	if (!fn) {
		snprintf(err, errlen, "Cannot sign with the certificate %s: %s", pem_path,
			 crypto_dl_error());
		return -ELIBACC;
	}
	r = load_pem(fn, pem_path, now, &l, err, errlen);
	if (r < 0)
		return r;
	if ((r = thumbprints(fn, l.cert, &x5t, &x5t256)) < 0) {
		snprintf(err, errlen, "%s: cannot encode the certificate", pem_path);
		return r;
	}
	uuid4_string(jti);
	h = json_object_new_object();
	c = json_object_new_object();
	if (!h || !c)
		return -ENOMEM;
	json_object_object_add(h, "alg", json_object_new_string("RS256"));
	json_object_object_add(h, "typ", json_object_new_string("JWT"));
	json_object_object_add(h, "x5t", json_object_new_string(x5t));
	json_object_object_add(h, "x5t#S256", json_object_new_string(x5t256));
	json_object_object_add(c, "aud", json_object_new_string(audience));
	json_object_object_add(c, "iss", json_object_new_string(client_id));
	json_object_object_add(c, "sub", json_object_new_string(client_id));
	json_object_object_add(c, "jti", json_object_new_string(jti));
	json_object_object_add(c, "nbf", json_object_new_int64(now));
	json_object_object_add(c, "iat", json_object_new_int64(now));
	json_object_object_add(c, "exp", json_object_new_int64(now + JWT_ASSERTION_LIFETIME));
	if (!(h64 = base64url_json(h)) || !(c64 = base64url_json(c)) ||
	    asprintf(&signing_input, "%s.%s", h64, c64) < 0) {
		signing_input = NULL;
		return -ENOMEM;
	}
	if ((r = sign_rs256(fn, l.key, signing_input, &sig)) < 0) {
		char e[256] = "";
		fn->ERR_error_string_n(fn->ERR_get_error(), e, sizeof(e));
		snprintf(err, errlen, "Cannot sign with the key in %s: %s", pem_path, e);
		return r;
	}
	if (asprintf(ret, "%s.%s", signing_input, sig) < 0)
		return -ENOMEM;
	return 0;
}
