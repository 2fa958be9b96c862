# The members az prints for the group, resource, tag and account commands;
# run by ./run capture-arm. Writes OUT/az-arm-members.json (for
# tests/fixtures/) as capture.py does, and OUT/templates/NAME.json, what az
# printed for each model with every model-typed member an empty model, from
# which gen-template.py makes src/cli/arm-model-template.h.
import json, os

from capture import OUT, az_json, capture, put, subscription, LZ

RES = "/subscriptions/{subscriptionId}/resourceGroups/lazuli-rg/providers/Microsoft.Storage/storageAccounts/"
API = "?api-version=2023-05-01"
# Every model of GenericResource(Expanded) present, empty, so az prints all
# their members; no tags, no properties (a free-form object, not a model).
FULL = {"location": "westeurope", "kind": "StorageV2", "managedBy": "someone", "sku": {}, "plan": {},
        "identity": {}, "extendedLocation": {}}
# az resource tag PUTs the resource back without extendedLocation (lazuli
# tags it through the tags endpoint), so the tagged one has none.
TAGGED = {k: v for k, v in FULL.items() if k != "extendedLocation"}
PUTS = {RES + "full-res" + API: FULL, RES + "tagged-res" + API: TAGGED}
COMMANDS = [
    "group create -n members-rg -l westeurope",
    "group create -n tagged-rg -l westeurope --tags a=b",
    "group show -n members-rg",
    "group show -n tagged-rg",
    "group list",
    "resource list",
    "resource list -g lazuli-rg",
    "resource show --ids " + RES + "full-res",
    "resource show -g lazuli-rg -n temp-vm-nic --resource-type Microsoft.Network/networkInterfaces",
    "tag list --resource-id " + RES + "full-res",
    "resource tag --ids " + RES + "tagged-res --tags a=b",
    "resource tag --ids " + RES + "tagged-res --tags c=d -i",
    "tag create --resource-id " + RES + "tagged-res --tags k=v",
    "tag update --resource-id " + RES + "tagged-res --tags k2=v2 --operation Merge",
    "tag list --resource-id " + RES + "tagged-res",
    "account show",
    "account list",
]


def templates():
    """What az prints for each model, read before the commands change anything."""
    put(LZ, PUTS)
    az_json(["group", "create", "-n", "members-rg", "-l", "westeurope"])
    full = (RES + "full-res").replace("{subscriptionId}", subscription(LZ))
    t = {"group": az_json(["group", "show", "-n", "members-rg"]),
         "resource": az_json(["resource", "show", "--ids", full]),
         "resource_expanded": [r for r in az_json(["resource", "list", "-g", "lazuli-rg"])
                               if r["id"] == full][0],
         "tags": az_json(["tag", "list", "--resource-id", full])}
    # The emulator adds properties.provisioningState; az keeps properties as it came.
    t["resource"]["properties"] = t["resource_expanded"]["properties"] = None
    os.makedirs(os.path.join(OUT, "templates"), exist_ok=True)
    for name, o in t.items():
        json.dump(o, open(os.path.join(OUT, "templates", name + ".json"), "w"), indent=2, sort_keys=True)


if __name__ == "__main__":
    templates()
    capture(COMMANDS, PUTS, "az-arm-members.json", "capture-arm")
