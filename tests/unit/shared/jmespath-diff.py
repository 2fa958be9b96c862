#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Differential test of the JMESPath engine against python-jmespath.

The Azure CLI evaluates --query with python-jmespath, so the same query over
the same document must give the same value from lazuli. Each query below is
run through jmespath-cli (one process, one line per query) and through
Debian's python3-jmespath, and the two results are compared exactly: values,
key order is ignored, but int against float and bool against number count.
Errors must be errors of the same kind.

A second round does the same for random expressions from the whole grammar
(a fixed seed, so a run is repeatable) over the document and over a small
one with every JSON type in awkward places. It leaves out what python
crashes on (a TypeError is not an answer) and the two places where lazuli
follows the specification instead (see jmespath.h).

usage: jmespath-diff.py JMESPATH_CLI DOCUMENT.json
"""
import json
import os
import random
import re
import subprocess
import sys
import tempfile

# Debian's package, not whatever a virtualenv puts first on sys.path.
sys.path.insert(0, "/usr/lib/python3/dist-packages")
try:
    import jmespath
    from jmespath import exceptions as jexc
except ImportError:
    print("jmespath-diff: python3-jmespath is missing: run tools/install-deps test")
    sys.exit(1)

# Queries people run on `az vm list -d` output.
QUERIES = r"""
[?powerState=='VM running'].id
[?powerState=='VM running'].name
[].{name:name, rg:resourceGroup}
[].{Name:name, RG:resourceGroup, Size:hardwareProfile.vmSize, State:powerState}
length(@)
length([?powerState=='VM running'])
sort_by(@, &name)[0].name
sort_by(@, &name)[].name
sort_by(@, &storageProfile.osDisk.diskSizeGb)[-1].name
reverse(sort_by(@, &cpuCount))[].{n:name, c:cpuCount}
[?contains(name,'web')]
[?contains(name, 'web')] | length(@)
[?tags.env=='prod'] | [0]
[?tags.env=='prod'] | [0].name
[?tags.env=='prod'].tags.team
[?tags.team=='web' && tags.env!='prod'].name
[?tags == `null`].name
[?!tags].name
[?starts_with(name, 'web-')].privateIps
[?ends_with(location, 'us')].location
[].location | sort(@)
[].hardwareProfile.vmSize | sort(@)
max_by(@, &cpuCount).name
min_by(@, &storageProfile.osDisk.diskSizeGb).name
max_by(@, &name).name
sum([].cpuCount)
avg([].cpuCount)
avg([].hourlyCost)
max([].hourlyCost)
min([].cpuCount)
sum([].hourlyCost)
[].storageProfile.dataDisks[].diskSizeGb
sum([].storageProfile.dataDisks[].diskSizeGb)
[].storageProfile.dataDisks[].name
[*].storageProfile.dataDisks[0].lun
[].networkProfile.networkInterfaces[0].id
[0].networkProfile.networkInterfaces[?primary].id | [0]
[?storageProfile.osDisk.osType=='Linux'].osProfile.computerName
[?storageProfile.osDisk.osType=='Windows'] | [0].name
[?priority=='Spot'].{name:name, eviction:evictionPolicy}
[?zones].name
[?length(zones || `[]`) > `0`].{n:name, z:zones[0]}
[].zones[]
[?publicIps != ''].publicIps
[?provisioningState!='Succeeded'].{name:name, state:provisioningState}
[].tags.costCenter
keys([0].tags)
[0].tags | keys(@) | sort(@)
values([0].hardwareProfile)
[].{name:name, tagCount: length(keys(tags || `{}`))}
[].join(',', [name, location])
join(', ', [].name)
join(', ', sort([].location))
[?cpuCount >= `4`].name
[?hourlyCost < `0.1`].name
[?cpuCount > `2` || powerState == 'VM stopped'].name
[?!(cpuCount > `2`)].name
[*].[name, powerState]
[].[name, hardwareProfile.vmSize, storageProfile.osDisk.diskSizeGb]
[0:2].name
[-2:].name
[::2].name
[::-1].name
[10:].name
[0]
[0].id
[-1].storageProfile.imageReference
[].storageProfile.imageReference.sku | [0]
map(&name, @)
map(&length(storageProfile.dataDisks), @)
map(&tags.env, @)
[].to_string(cpuCount)
[].to_string(hourlyCost)
to_string([0].tags)
to_string([0].storageProfile.dataDisks)
[].to_number(to_string(storageProfile.osDisk.diskSizeGb))
to_number('3.50')
to_number('1e3')
to_number('x')
to_array([0].name)
[].type(tags)
[].type(hourlyCost)
not_null([0].tags.missing, [0].location)
merge([0].tags, [5].tags, {extra:'x'})
[?contains(privateIps, ',')].privateIps
[?contains(keys(tags || `{}`), 'owner')].tags.owner
[].osProfile.linuxConfiguration.disablePasswordAuthentication
[?osProfile.linuxConfiguration.disablePasswordAuthentication==`true`] | length(@)
[?diagnosticsProfile.bootDiagnostics.enabled].name
[].timeCreated | sort(@) | [-1]
sort_by(@, &timeCreated)[-1].name
[?location=='eastus'] | sort_by(@, &name) | [].{Name:name, IP:publicIps}
[].{Name:name, OS:storageProfile.osDisk.osType, Disk:storageProfile.osDisk.diskSizeGb} | [?Disk > `100`]
[].{id:id} | [?contains(id, 'rg-web')] | length(@)
floor(avg([].cpuCount))
ceil(sum([].hourlyCost))
abs(`-3`)
abs(`-3.5`)
[].hourlyCost | [?@ > `0.1`]
length([0].name)
reverse([0].name)
[]."resourceGroup"
[0].storageProfile.osDisk.managedDisk.storageAccountType
[].storageProfile.osDisk.managedDisk.id | [0]
@[?powerState=='VM deallocated'] | [].name
*
[0].*
[0].hardwareProfile.*
[].tags.*
[].tags.* | []
[][]
[?name > 'c'].name
[?tags.env < tags.team].name
[?powerState=='VM running'] | {count: length(@), names: [].name, cores: sum([].cpuCount)}
{running: length([?powerState=='VM running']), total: length(@)}
`{"a": 1.5, "b": [1, 2.0]}`
`foo`
'it''s'
length(@, @)
sort([].tags)
sum([].name)
foo(
[?name=='x'
nope(@)
[0].name.length(@)
sort_by(@, &tags)
avg(`[]`)
max(`[]`)
""".strip().splitlines()


def same(a, b):
    """Equal values of equal JSON types (int and float kept apart)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def python_kind(e):
    # ArityError derives from ParseError: test the specific kinds first.
    if isinstance(e, jexc.UnknownFunctionError):
        return "unknown-function"
    if isinstance(e, jexc.ArityError):
        return "invalid-arity"
    if isinstance(e, jexc.JMESPathTypeError):
        return "invalid-type"
    if isinstance(e, (jexc.ParseError, jexc.IncompleteExpressionError, jexc.LexerError,
                      jexc.EmptyExpressionError)):
        return "syntax error"
    return type(e).__name__


MIXED = {
    "name": "web", "tags": {"env": "prod", "a": 1, "b": [1, 2, 3]},
    "a": [1, 2.5, -3, "x", None, True, [4, 5], {"a": 1}],
    "b": {"a": "B", "b": 2, "c": [{"a": 1}, {"a": "2"}, {"b": 3}]},
    "cpuCount": 4, "hourlyCost": 0.1, "zones": ["1", "2"], "location": "eastus",
    "storageProfile": {"dataDisks": [{"diskSizeGb": 10}, {"diskSizeGb": 20.5}]},
    "powerState": "", "env": [], "dataDisks": {}, "diskSizeGb": -0.5,
}

FIELDS = ["name", "tags", "env", "cpuCount", "hourlyCost", "zones", "a", "b", "storageProfile",
          "dataDisks", "diskSizeGb", "location", "powerState", '"name"', '"a b"']
LITERALS = ["`1`", "`2.5`", "`-1`", "`0`", '`"x"`', "'web'", "`null`", "`true`", "`false`",
            "`[]`", "`{}`", "`[1,2]`", "'eastus'", '`"b"`', "'it\\'s'", '`"\\u00e9"`']
FUNCS1 = ["abs", "avg", "ceil", "floor", "keys", "length", "max", "min", "reverse", "sort", "sum",
          "to_array", "to_number", "to_string", "type", "values", "not_null"]
FUNCS2 = ["contains", "ends_with", "starts_with", "join", "not_null"]


def random_expression(rnd, depth=0):
    e = lambda: random_expression(rnd, depth + 1)  # noqa: E731
    if depth > 4:
        return rnd.choice(FIELDS + LITERALS + ["@"])
    k = rnd.randrange(22)
    if k == 0:
        return rnd.choice(FIELDS)
    if k == 1:
        return rnd.choice(LITERALS)
    if k == 2:
        return e() + "." + rnd.choice(FIELDS + ["*"])
    if k == 3:
        return e() + "[%d]" % rnd.randrange(-3, 3)
    if k == 4:
        parts = [str(rnd.randrange(-4, 4)) if rnd.random() < 0.6 else "" for _ in range(3)]
        if parts[2] == "0":
            parts[2] = "-1"
        return e() + "[" + ":".join(parts[:rnd.choice([2, 3])]) + "]"
    if k == 5:
        return e() + "[*]" + rnd.choice(["", "." + rnd.choice(FIELDS)])
    if k == 6:
        return e() + "[]"
    if k == 7:
        return e() + "[?" + e() + "]" + rnd.choice(["", "." + rnd.choice(FIELDS)])
    if k == 8:
        return e() + rnd.choice(["==", "!=", "<", "<=", ">", ">="]) + e()
    if k == 9:
        return e() + rnd.choice([" && ", " || "]) + e()
    if k == 10:
        return "!" + e()
    if k == 11:
        return "[" + ", ".join(e() for _ in range(rnd.randrange(1, 3))) + "]"
    if k == 12:
        return "{" + ", ".join("k%d: %s" % (i, e()) for i in range(rnd.randrange(1, 3))) + "}"
    if k == 13:
        return e() + " | " + e()
    if k == 14:
        return "(" + e() + ")"
    if k == 15:
        return rnd.choice(FUNCS1) + "(" + e() + ")"
    if k == 16:
        return rnd.choice(FUNCS2) + "(" + e() + ", " + e() + ")"
    if k == 17:
        f = rnd.choice(["map", "max_by", "min_by", "sort_by"])
        args = ("&" + e() + ", " + e()) if f == "map" else (e() + ", &" + e())
        return f + "(" + args + ")"
    if k == 18:
        return "@"
    if k == 19:
        return "*"
    if k == 20:
        return e() + "." + rnd.choice(["[" + e() + "]", "{x: " + e() + "}"])
    return e() + "." + e()


def follows_spec_not_python(q):
    return "merge(" in q or re.search(r"\[-?\d+\]\[-?\d*:", q)


def compare(cli, path, doc, queries, show):
    """(passed, failed, left out) for queries over the document at path."""
    out = subprocess.run([cli, path] + queries, check=True, capture_output=True, text=True)
    lines = out.stdout.splitlines()
    if len(lines) != len(queries):
        print(f"jmespath-diff: {len(lines)} lines for {len(queries)} queries")
        return 0, 1, 0
    passed = failed = left_out = 0
    for q, ours in zip(queries, lines):
        try:
            want = ("ok", jmespath.search(q, doc))
        except jexc.JMESPathError as e:
            want = ("error", python_kind(e))
        except (TypeError, ValueError, AttributeError):
            left_out += 1
            continue
        if ours.startswith("error: "):
            ok = want[0] == "error" and want[1] in ours
        else:
            ok = want[0] == "ok" and same(json.loads(ours), want[1])
        if ok:
            passed += 1
        else:
            failed += 1
            if failed <= show:
                print(f"FAIL {q}\n  lazuli: {ours}\n  python: {want}")
    return passed, failed, left_out


def main():
    cli, path = sys.argv[1], sys.argv[2]
    with open(path) as f:
        doc = json.load(f)
    sys.setrecursionlimit(10000)

    passed, failed, _ = compare(cli, path, doc, QUERIES, len(QUERIES))
    print(f"jmespath-diff: python-jmespath {jmespath.__version__}, {len(QUERIES)} az queries: "
          f"{passed} passed, {failed} failed")

    rnd = random.Random(6)
    with tempfile.TemporaryDirectory() as tmp:
        mixed = os.path.join(tmp, "mixed.json")
        with open(mixed, "w") as f:
            json.dump(MIXED, f)
        for p, d in ((path, doc), (mixed, MIXED)):
            queries = [q for q in (random_expression(rnd) for _ in range(1500))
                       if not follows_spec_not_python(q)]
            rp, rf, lo = compare(cli, p, d, queries, 20)
            print(f"jmespath-diff: {len(queries)} random expressions over "
                  f"{os.path.basename(p)}: {rp} passed, {rf} failed, {lo} left out "
                  f"(python raised a TypeError)")
            passed += rp
            failed += rf
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
