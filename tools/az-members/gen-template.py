# gen-template.py NAME=AZ.json... > src/cli/X-model-template.h: what az
# printed for each model as model.c's template model_NAME (objects are
# models, a one-item list a list of models, null anything else).
#   vm=az.json (./run discover)                    > vm-model-template.h
#   group=... resource=... resource_expanded=... tags=... (./run capture-arm,
#   OUTDIR/templates/)                             > arm-model-template.h
import json, sys


def template(o):
    if isinstance(o, dict) and o:
        # resourceGroup is az's own, added after the model (cli_add_resource_group).
        return {k: template(v) for k, v in sorted(o.items()) if k != "resourceGroup"}
    if isinstance(o, list) and o and isinstance(o[0], dict):
        return [template(o[0])]
    return None


print("/* SPDX-License-Identifier: MIT */")
print("/* Made by tools/az-members/gen-template.py from az's output; see model.c. */")
print("#pragma once")
print("/* clang-format off */")
for arg in sys.argv[1:]:
    name, path = arg.split("=", 1)
    text = json.dumps(template(json.load(open(path))), separators=(",", ":"))
    print(f"\nconst char model_{name}[] =")
    for i in range(0, len(text), 90):
        print('    "' + text[i:i + 90].replace("\\", "\\\\").replace('"', '\\"') + '"')
    print(";")
