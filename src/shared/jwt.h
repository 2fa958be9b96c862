/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>
#include <time.h>

/*
 * Client assertions for the Microsoft identity platform's certificate
 * credentials (RFC 7523, "private_key_jwt"): a JWT signed RS256 with the
 * private key of a PEM file that also holds its certificate, naming that
 * certificate in the header by x5t (SHA-1 thumbprint) and x5t#S256
 * (SHA-256), with aud = the token endpoint, iss = sub = the client id, a
 * random jti, and nbf = iat = now, exp = now + 10 minutes. libcrypto is
 * opened on the first call (crypto-dl.h).
 */

#define JWT_ASSERTION_LIFETIME 600

/* base64url without padding (RFC 7515); caller frees. */
char *base64url_encode(const void *in, size_t len);

/*
 * The assertion in *ret (caller frees). On failure a negative errno and
 * err says what is wrong with which file: unreadable (the errno of
 * reading it), not PEM or no private key or no certificate (-EBADMSG),
 * an encrypted or non-RSA key (-EOPNOTSUPP), a key that is not the
 * certificate's (-EKEYREJECTED), a certificate expired or not yet valid
 * at now (-EKEYEXPIRED), libcrypto missing (-ELIBACC).
 */
int jwt_client_assertion(const char *pem_path, const char *client_id, const char *audience,
			 time_t now, char **ret, char *err, size_t errlen);
