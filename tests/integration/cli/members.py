# SPDX-License-Identifier: MIT
"""The members a command prints, as paths ("a.b[].c"), against a reference.

usage: members.py REFERENCE.json LAZULI: PUTs the reference's resources
("puts": url to body; the VMs', groups' and resources' own where every
model member is present), runs each command of the reference with lazuli
and says where its members differ from az's; exits 1 if any do. The
references are tests/fixtures/az-*-members.json, captured from az by
tools/az-members/run capture|capture-arm. "{subscriptionId}" in a URL, a
body or a command is the account's subscription.
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


def subscription(lazuli):
    return json.loads(subprocess.check_output([lazuli, "account", "show"]))["id"]


def put(lazuli, puts):
    """PUT each body at its URL (an ARM path with its api-version)."""
    sub = subscription(lazuli)
    for url, body in puts.items():
        subprocess.run([lazuli, "rest", "--method", "put", "--url", url,
                        "--body", json.dumps(body).replace("{subscriptionId}", sub)],
                       check=True, stdout=subprocess.DEVNULL)


def main():
    ref = json.load(open(sys.argv[1]))
    put(sys.argv[2], ref["puts"])
    sub = subscription(sys.argv[2])
    bad = 0
    for cmd, want in ref["commands"].items():
        argv = cmd.replace("{subscriptionId}", sub).split()
        got = members(json.loads(subprocess.check_output([sys.argv[2]] + argv + ["-o", "json"])))
        if got != set(want):
            bad += 1
            print(f"{cmd}: missing {sorted(set(want) - got)[:10]}, extra {sorted(got - set(want))[:10]}")
    print(f"{len(ref['commands']) - bad} passed, {bad} failed")
    sys.exit(1 if bad or not ref["commands"] else 0)


if __name__ == "__main__":
    main()
