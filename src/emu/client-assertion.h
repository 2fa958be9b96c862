/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>
#include <time.h>

/*
 * A client assertion (RFC 7523) checked as the identity platform checks a
 * certificate credential: RS256 or PS256, signed by the key of the
 * registered certificate, named by x5t or x5t#S256, iss = sub = the
 * client id, aud = the token endpoint, within nbf..exp (5 minutes of clock
 * skew). Returns 0 if good; else the AADSTS code, with the OAuth error in
 * *ret_error and the description in desc; a negative errno if out of
 * memory.
 */
int emu_client_assertion_check(const char *assertion, const char *cert_pem, const char *client_id,
			       const char *const *audiences, time_t now, const char **ret_error,
			       char *desc, size_t desclen);
