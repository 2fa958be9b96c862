/* SPDX-License-Identifier: MIT */
/*
 * The members az prints for a response. az reads it into its SDK's model
 * and prints every attribute of every model in it, null where the response
 * had none ("availabilitySet": null, "managedBy": null, ...), with the
 * SDK's spelling of the name ("diskSizeGb" for ARM's "diskSizeGB"). lazuli
 * prints the response, so it adds the same members.
 *
 * A template is what az 2.74 (Debian trixie's azure-cli) printed for a
 * response in which each member of a model type was an empty model, every
 * value made null: an object is a model (its members), a one-item list a
 * list of models, null anything else (free-form objects such as a generic
 * resource's properties, dictionaries, scalars). tools/az-members made
 * them: vm-model-template.h from a VM (compute API 2024-11-01),
 * arm-model-template.h from a resource group, a resource and the tags at a
 * scope (resources API 2024-11-01).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json-util.h"
#include "strutil.h"

#include "model.h"

#include "arm-model-template.h"
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

static void fill(json_object *o, json_object *t);

/* Each model in a list (its items that are objects) as the model item. */
static void fill_list(json_object *list, json_object *item)
{
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *x = json_object_array_get_idx(list, i);
		if (json_object_is_type(x, json_type_object))
			fill(x, item);
	}
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
			 json_object_array_length(model) == 1)
			fill_list(v, json_object_array_get_idx(model, 0));
	}
}

void model_fill(json_object *o, const char *model)
{
	_cleanup_json_ json_object *t = json_tokener_parse(model);
	if (!json_object_is_type(t, json_type_object))
		return;
	if (json_object_is_type(o, json_type_object))
		fill(o, t);
	else if (json_object_is_type(o, json_type_array))
		fill_list(o, t);
}
