/* SPDX-License-Identifier: MIT */
#pragma once

#include <json-c/json.h>

/*
 * The SDK models az reads a response into, as templates (see model.c): a
 * virtual machine, a resource group, a resource as "resource show" reads it
 * and as "resource list" does, the tags at a scope.
 */
extern const char model_vm[], model_group[], model_resource[], model_resource_expanded[],
    model_tags[];

/*
 * Give o (an object, or each object of a list) every member az prints for
 * the model: those the response left out as null, ARM's names in the SDK's
 * spelling, at every depth. Values the response has are kept.
 */
void model_fill(json_object *o, const char *model);
