/* SPDX-License-Identifier: MIT */
/*
 * lazuli-initrd's parsers on arbitrary bytes: the same input as a kernel
 * command line, a module table and the start of a block device. What is
 * accepted must hold together: a root that names something, module names
 * that can never leave the module directory, aliases that point at a chain,
 * and a superblock's strings that end within their fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "initrd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void noop(size_t chain, void *userdata)
{
	size_t *n = userdata;

	(*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct boot_args args;
	struct mod_table t;
	struct fs_info fs;
	char err[256];

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	if (boot_args_parse(text, &args, err, sizeof(err)) == 0) {
		if (args.root_kind == ROOT_NONE || !args.root[0] ||
		    (args.init[0] && args.init[0] != '/'))
			__builtin_trap();
	} else if (!err[0]) {
		__builtin_trap();
	}

	if (mod_table_parse(text, &t, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < t.n_chains; i++)
			for (size_t j = 0; j < t.chains[i].n_modules; j++)
				if (!module_name_valid(t.chains[i].modules[j]))
					__builtin_trap();
		for (size_t i = 0; i < t.n_aliases; i++)
			if (t.aliases[i].chain >= t.n_chains)
				__builtin_trap();
		size_t hits = 0;
		mod_table_match(&t, text, noop, &hits);
		if (hits > t.n_chains)
			__builtin_trap();
		mod_table_free(&t);
	}

	if (fs_probe(data, size, &fs) == 0 &&
	    (strlen(fs.uuid) != 36 || strlen(fs.label) >= sizeof(fs.label) || !fs.type[0]))
		__builtin_trap();
	free(text);
	return 0;
}
