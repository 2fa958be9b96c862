# The members az prints for each VM command, as paths ("a.b[].c"), beside
# the command; run by ./run capture. Also what lazuli prints, to compare.
# capture() serves capture_arm.py too.
import json, os, subprocess, sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../tests/integration/cli"))
from members import members, put, subscription  # noqa: E402

AZ = os.environ["AZCMD"].split()
LZ = os.environ["LZ"]
OUT = os.environ["OUT"]
FULL_VM = ("/subscriptions/{subscriptionId}/resourceGroups/lazuli-rg/providers/"
           "Microsoft.Compute/virtualMachines/full-vm?api-version=2024-11-01")
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


def az_json(argv):
    return json.loads(subprocess.check_output(AZ + argv + ["-o", "json"], stderr=subprocess.DEVNULL))


def capture(commands, puts, name, what):
    """PUT puts, run each command with az then lazuli, write OUT/name with az's members."""
    put(LZ, puts)
    sub = subscription(LZ)
    ref = {"captured_with": f"az {version()} (Debian trixie's azure-cli) against lazuli-emu, "
           f"tools/az-members/run {what}, with puts PUT first", "puts": puts, "commands": {}}
    differ = 0
    for c in commands:
        argv = c.replace("{subscriptionId}", sub).split()
        a = members(az_json(argv))
        l = members(json.loads(subprocess.check_output([LZ] + argv + ["-o", "json"])))
        ref["commands"][c] = sorted(a)
        if a != l:
            differ += 1
            print(f"{c}: az only {sorted(a - l)[:20]}, lazuli only {sorted(l - a)[:20]}")
    json.dump(ref, open(os.path.join(OUT, name), "w"), indent=1)
    print(f"{len(commands) - differ} commands with az's members, {differ} differ")


if __name__ == "__main__":
    vm = json.load(open(os.path.join(OUT, "vm.json")))
    # -d reads each network interface by its id: temp-vm's, which the emulator has.
    vm["properties"]["networkProfile"]["networkInterfaces"][0]["id"] = (
        "/subscriptions/{subscriptionId}/resourceGroups/lazuli-rg"
        "/providers/Microsoft.Network/networkInterfaces/temp-vm-nic")
    capture(COMMANDS, {FULL_VM: vm}, "az-vm-members.json", "capture")
