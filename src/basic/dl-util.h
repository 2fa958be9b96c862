/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>

/*
 * Libraries opened with dlopen() on first use instead of being linked, so
 * that a start which never needs them does not pay for mapping and
 * relocating them (libcurl, libssl, libcrypto, libsystemd).
 */
typedef struct DlSymbol {
	const char *name;
	void **slot; /* where the address goes: (void **)&table.function */
} DlSymbol;

/*
 * dlopen(soname) and resolve every symbol into its slot. The handle, or
 * NULL with the reason ("cannot load X: ...", "X has no Y") in err. The
 * library stays loaded for the life of the process.
 */
void *dl_open_symbols(const char *soname, const DlSymbol *syms, size_t n, char *err,
		      size_t errlen);
