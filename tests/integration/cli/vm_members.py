# SPDX-License-Identifier: MIT
"""The members a command prints, as paths ("a.b[].c"), against a reference.

usage: vm_members.py REFERENCE.json LAZULI: PUTs the reference's full_vm
(every model member present) as full-vm, runs each command of the
reference (tests/fixtures/az-vm-members.json, captured from az by
tools/az-vm-members/run capture) with lazuli and says where the members
differ; exits 1 if any do.
"""
import json
import subprocess
import sys


def members(o, path=""):
    out = set()
    if isinstance(o, dict):
        for k, v in o.items():
            out.add(path + k)
            out |= members(v, path + k + ".")
    elif isinstance(o, list):
        for x in o:
            out |= members(x, path[:-1] + "[].")
    return out


FULL_VM = ("/subscriptions/{subscriptionId}/resourceGroups/lazuli-rg/providers/"
           "Microsoft.Compute/virtualMachines/full-vm?api-version=2024-11-01")


def put_full_vm(lazuli, body):
    """PUT the VM as full-vm, "{subscriptionId}" in its text replaced (as lazuli rest does in the URL)."""
    sub = json.loads(subprocess.check_output([lazuli, "account", "show"]))["id"]
    subprocess.run([lazuli, "rest", "--method", "put", "--url", FULL_VM,
                    "--body", json.dumps(body).replace("{subscriptionId}", sub)],
                   check=True, stdout=subprocess.DEVNULL)


def main():
    ref = json.load(open(sys.argv[1]))
    put_full_vm(sys.argv[2], ref["full_vm"])
    bad = 0
    for cmd, want in ref["commands"].items():
        got = members(json.loads(subprocess.check_output([sys.argv[2]] + cmd.split() + ["-o", "json"])))
        if got != set(want):
            bad += 1
            print(f"{cmd}: missing {sorted(set(want) - got)[:10]}, extra {sorted(got - set(want))[:10]}")
    print(f"{len(ref['commands']) - bad} passed, {bad} failed")
    sys.exit(1 if bad or not ref["commands"] else 0)


if __name__ == "__main__":
    main()
