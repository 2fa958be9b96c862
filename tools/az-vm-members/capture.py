# The members az prints for each VM command, as paths ("a.b[].c"), beside
# the command; run by ./run capture. Also what lazuli prints, to compare.
import json, os, subprocess, sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../tests/integration/cli"))
from vm_members import members, put_full_vm  # noqa: E402

AZ = os.environ["AZCMD"].split()
LZ = os.environ["LZ"]
OUT = os.environ["OUT"]
COMMANDS = [
    "vm show -g lazuli-rg -n temp-vm",
    "vm show -g lazuli-rg -n temp-vm -d",
    "vm get-instance-view -g lazuli-rg -n temp-vm",
    "vm list",
    "vm list -d",
    "vm show -g lazuli-rg -n full-vm",
    "vm get-instance-view -g lazuli-rg -n full-vm",
]


def version():
    return json.loads(subprocess.check_output(AZ + ["version", "-o", "json"]))["azure-cli"]


vm = json.load(open(os.path.join(OUT, "vm.json")))
# -d reads each network interface by its id: temp-vm's, which the emulator has.
vm["properties"]["networkProfile"]["networkInterfaces"][0]["id"] = (
    "/subscriptions/{subscriptionId}/resourceGroups/lazuli-rg"
    "/providers/Microsoft.Network/networkInterfaces/temp-vm-nic")
put_full_vm(LZ, vm)
ref = {"captured_with": f"az {version()} (Debian trixie's azure-cli) against lazuli-emu, "
       "tools/az-vm-members/run capture, with full_vm PUT as full-vm",
       "full_vm": vm, "commands": {}}
differ = 0
for c in COMMANDS:
    az = json.loads(subprocess.check_output(AZ + c.split() + ["-o", "json"], stderr=subprocess.DEVNULL))
    lz = json.loads(subprocess.check_output([LZ] + c.split() + ["-o", "json"]))
    a, l = members(az), members(lz)
    ref["commands"][c] = sorted(a)
    if a != l:
        differ += 1
        print(f"{c}: az only {sorted(a - l)[:20]}, lazuli only {sorted(l - a)[:20]}")
json.dump(ref, open(os.path.join(OUT, "az-vm-members.json"), "w"), indent=1)
print(f"{len(COMMANDS) - differ} commands with az's members, {differ} differ")
