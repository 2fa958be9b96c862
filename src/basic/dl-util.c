/* SPDX-License-Identifier: MIT */
#include "dl-util.h"

#include <dlfcn.h>
#include <stdio.h>

void *dl_open_symbols(const char *soname, const DlSymbol *syms, size_t n, char *err,
		      size_t errlen)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(err, errlen, "cannot load %s: %s", soname, dlerror());
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		void *p = dlsym(h, syms[i].name);
		if (!p) {
			snprintf(err, errlen, "%s has no %s", soname, syms[i].name);
			dlclose(h);
			return NULL;
		}
		*syms[i].slot = p;
	}
	return h;
}
