# What az and lazuli print with -o table for the list commands that have a
# table transformer in az; run by ./run tables. Writes OUT/az-tables.json
# (for tests/fixtures/): each command and az's table, and says where
# lazuli's differs.
import json, os, subprocess

from capture import AZ, LZ, OUT, version

COMMANDS = [
    "group list",
    "resource list",
    "resource list -g lazuli-rg",
    "account list",
    "vm list",
]


def table(argv):
    return subprocess.check_output(argv + ["-o", "table"], stderr=subprocess.DEVNULL, text=True)


ref = {"captured_with": f"az {version()} (Debian trixie's azure-cli) against lazuli-emu, "
       "tools/az-members/run tables", "commands": {}}
differ = 0
for c in COMMANDS:
    a = table(AZ + c.split())
    l = table([LZ] + c.split())
    ref["commands"][c] = a
    if a != l:
        differ += 1
        print(f"== {c}\n-- az:\n{a}-- lazuli:\n{l}")
json.dump(ref, open(os.path.join(OUT, "az-tables.json"), "w"), indent=1)
print(f"{len(COMMANDS) - differ} tables as az's, {differ} differ")
