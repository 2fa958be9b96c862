/* SPDX-License-Identifier: MIT */
#pragma once

#include <json-c/json.h>
#include <stddef.h>

#include "macros.h"

/*
 * A VM as the emulator serves it (spec 8.3): the IMDS instance document
 * ("compute", "network", "extended") plus what only the OVF media carries.
 */
typedef struct EmuVm {
	json_object *instance; /* {"compute":{...},"network":...,"extended":...} */
	char *ovf;	       /* explicit ovf-env.xml, or NULL to generate one */
	char *password;	       /* OVF UserPassword, or NULL */
	char *custom_data;     /* OVF CustomData (plain; base64-encoded when served), or NULL */
} EmuVm;

void emu_vm_free(EmuVm *vm);
DEFINE_TRIVIAL_CLEANUP_FUNC(EmuVm *, emu_vm_free);

/*
 * Build a VM from a fixture object. Allowed keys: compute (object, required),
 * network, extended (any JSON), ovf (string), ovf_file (string, relative to
 * base_dir), password (string), customData (string). err names the bad key.
 */
int emu_vm_from_json(json_object *o, const char *base_dir, EmuVm **ret, char *err, size_t errlen);
int emu_vm_load(const char *path, EmuVm **ret, char *err, size_t errlen);
/* The built-in VM (tests/fixtures/emu/imds_instance_extended.json). */
int emu_vm_default(EmuVm **ret);
/* The built-in fixture as JSON text. */
const char *emu_vm_default_json(void);

/* ovf-env.xml (spec 3.2) for this VM: the explicit one or one generated from it. */
char *emu_vm_ovf_xml(const EmuVm *vm);
