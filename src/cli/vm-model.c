/* SPDX-License-Identifier: MIT */
/*
 * The members az prints for a virtual machine. az reads a VM into its SDK's
 * model and prints every attribute of every model in it, null where the
 * response had none ("availabilitySet": null, "billingProfile": null, ...),
 * with the SDK's spelling of the name ("diskSizeGb" for ARM's
 * "diskSizeGB"). lazuli prints the response, so it adds the same members.
 *
 * The template (vm-model-template.h) is a VM as az 2.74 (Debian trixie's azure-cli, compute
 * API 2024-11-01) printed it, every value made null, when lazuli-emu served
 * a VM in which each member of a model type was an empty model: an object
 * is a model (its members), a one-item list a list of models, null
 * anything else. tools/az-vm-members made it.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json-util.h"
#include "strutil.h"

#include "vm-model.h"

#include "vm-model-template.h"

static const char *key_no_case(json_object *o, const char *key)
{
	json_object_object_foreach(o, k, v)
	{
		(void)v;
		if (strcaseeq(k, key))
			return k;
	}
	return NULL;
}

/* Add t's members missing from o as null, in t's spelling; the same below. */
static void fill(json_object *o, json_object *t)
{
	json_object_object_foreach(t, key, model)
	{
		const char *have = key_no_case(o, key);
		json_object *v = NULL;
		if (!have) {
			json_object_object_add(o, key, NULL);
			continue;
		}
		json_object_object_get_ex(o, have, &v);
		if (!streq(have, key)) {
			json_object_get(v);
			json_object_object_del(o, have);
			json_object_object_add(o, key, v);
		}
		if (json_object_is_type(v, json_type_object) &&
		    json_object_is_type(model, json_type_object))
			fill(v, model);
		else if (json_object_is_type(v, json_type_array) &&
			 json_object_is_type(model, json_type_array) &&
			 json_object_array_length(model) == 1) {
			json_object *item = json_object_array_get_idx(model, 0);
			for (size_t i = 0; i < json_object_array_length(v); i++) {
				json_object *x = json_object_array_get_idx(v, i);
				if (json_object_is_type(x, json_type_object))
					fill(x, item);
			}
		}
	}
}

void vm_model_fill(json_object *vm)
{
	_cleanup_json_ json_object *t = json_tokener_parse(vm_template);
	if (json_object_is_type(vm, json_type_object) && t)
		fill(vm, t);
}
