# gen-template.py AZ.json > src/cli/vm-model-template.h: az's output of the
# discovered VM as vm-model.c's template (objects are models, a one-item
# list a list of models, null anything else).
import json, sys


def template(o):
    if isinstance(o, dict) and o:
        # resourceGroup is az's own, added after the model (cli_add_resource_group).
        return {k: template(v) for k, v in sorted(o.items()) if k != "resourceGroup"}
    if isinstance(o, list) and o and isinstance(o[0], dict):
        return [template(o[0])]
    return None


t = template(json.load(open(sys.argv[1])))
text = json.dumps(t, separators=(",", ":"))
print("/* SPDX-License-Identifier: MIT */")
print("/* Made by tools/az-vm-members/gen-template.py from az's output; see vm-model.c. */")
print("#pragma once\n")
print("static const char vm_template[] =")
for i in range(0, len(text), 90):
    print('    "' + text[i:i + 90].replace("\\", "\\\\").replace('"', '\\"') + '"')
print(";")
