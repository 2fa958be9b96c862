/* SPDX-License-Identifier: MIT */
#pragma once

#include <json-c/json.h>

/*
 * Give a flattened VM every member az prints for it: those the response
 * left out as null, ARM's names in the SDK's spelling, at every depth.
 */
void vm_model_fill(json_object *vm);
