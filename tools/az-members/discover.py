# Discover the members az prints for a VM; run by ./run discover.
# A VM whose model-typed members are {} (or [{}]): az prints those models
# with all their members, null; a member az prints as "{}" (str of a dict)
# or fails on is a scalar. One level deeper each round. Writes OUT/vm.json
# (the VM as PUT), OUT/az.json (what az printed for it).
# With OUT/vm.json already there, starts from it and looks only at the
# members it has not resolved.
import json, os, subprocess, sys
AZ = os.environ["AZCMD"].split(); LZ = os.environ["LZ"]; OUT = os.environ["OUT"]
sub = json.loads(subprocess.check_output([LZ, "account", "show"]))["id"]
vmid = f"/subscriptions/{sub}/resourceGroups/lazuli-rg/providers/Microsoft.Compute/virtualMachines/disc-vm"
RUNS = [0]
# Members of the resource itself, beside "properties"; the rest is in properties.
RESOURCE_LEVEL = {"identity", "plan", "zones", "extendedLocation", "placement", "managedBy", "etag", "resources"}
FIXED = {"id", "name", "type", "location", "tags", "resourceGroup"}
SCALAR_HINT = ("enable", "Enabled", "Count", "InMb", "InMB", "Lun", "lun", "Port", "Time", "time", "Date",
               "Domain", "Percentage", "Price", "Mbps", "Iops", "Retries", "Interval", "SizeGb", "Gb")
# Flattened models: their REST members sit under "properties".
FLAT = {"networkInterfaces", "networkInterfaceConfigurations", "ipConfigurations",
        "publicIpAddressConfiguration", "resources"}
REST = {"publicIpAddressConfiguration": "publicIPAddressConfiguration", "publicIpPrefix": "publicIPPrefix",
        "publicIpAddressVersion": "publicIPAddressVersion", "privateIpAddressVersion": "privateIPAddressVersion",
        "publicIpAllocationMethod": "publicIPAllocationMethod"}
body_path = os.path.join(OUT, "vm.json")
body = json.load(open(body_path)) if os.path.exists(body_path) else {"location": "westeurope", "properties": {}}
body["location"] = "westeurope"


def put():
    open(os.path.join(OUT, "body.json"), "w").write(json.dumps(body))
    subprocess.run([LZ, "rest", "--method", "put", "--url", vmid + "?api-version=2024-11-01",
                    "--body", "@" + os.path.join(OUT, "body.json")], check=True, stdout=subprocess.DEVNULL)


def az_show():
    RUNS[0] += 1
    p = subprocess.run(AZ + ["vm", "show", "--ids", vmid, "-o", "json"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    return json.loads(p.stdout) if p.returncode == 0 else None


def rest_path(path):
    out = [] if path[0] in RESOURCE_LEVEL else ["properties"]
    for i, k in enumerate(path):
        out.append(REST.get(k, k))
        if k in FLAT and i + 1 < len(path):
            out.append("properties")
    return out


def set_at(path, v):
    rp = rest_path(path)
    d = body
    for k in rp[:-1]:
        if isinstance(d, list):
            d = d[0]
        d = d.setdefault(k, {})
    if isinstance(d, list):
        d = d[0]
    if v is None:
        d.pop(rp[-1], None)
    else:
        d[rp[-1]] = v


def get_at(d, path):
    for k in path:
        if isinstance(d, list):
            d = d[0] if d else None
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d


def nulls(o, path=()):
    out = []
    if isinstance(o, dict):
        for k, v in o.items():
            out += [path + (k,)] if v is None else nulls(v, path + (k,))
    elif isinstance(o, list) and o:
        out += nulls(o[0], path)
    return out


def is_model(got):
    return isinstance(got, dict) or (isinstance(got, list) and got and isinstance(got[0], dict))


models, scalars = set(), set()


def attempt(cands, value):
    for p in cands:
        set_at(p, json.loads(json.dumps(value)))  # a copy each
    put()
    out = az_show()
    if out is None:
        for p in cands:
            set_at(p, None)
        return False
    for p in cands:
        if is_model(get_at(out, p)):
            models.add(p)
        else:
            set_at(p, None)
    return True


def resolve(cands):
    """Try {} for all, then [{}] for what is not a model yet; halve on failure."""
    if not cands:
        return
    if attempt(cands, {}):
        left = [p for p in cands if p not in models]
        if left and not attempt(left, [{}]):
            for p in left:
                attempt([p], [{}])
        scalars.update(p for p in cands if p not in models)
        return
    if len(cands) == 1:
        if not attempt(cands, [{}]) or cands[0] not in models:
            scalars.add(cands[0])
        return
    h = len(cands) // 2
    resolve(cands[:h])
    resolve(cands[h:])


put()
first = az_show()
assert first is not None, "az cannot read the starting VM"
# Starting from an earlier run: what it left null outside the resource-level members is resolved.
seen = {p for p in nulls(first) if p[0] not in RESOURCE_LEVEL} if os.path.exists(body_path) else set()
for rnd in range(12):
    put()
    out = az_show()
    assert out is not None, "base body fails"
    cands = [p for p in nulls(out) if p[0] not in FIXED and p not in seen]
    print("round", rnd, "candidates", len(cands), "az runs", RUNS[0], flush=True)
    if not cands:
        break
    seen.update(cands)
    easy = [p for p in cands if any(h in p[-1] for h in SCALAR_HINT)]
    scalars.update(easy)
    resolve([p for p in cands if p not in easy])
    json.dump(body, open(body_path, "w"), indent=1)
put()
out = az_show()
json.dump(body, open(body_path, "w"), indent=1)
json.dump(out, open(os.path.join(OUT, "az.json"), "w"), indent=2, sort_keys=True)
print("done: nulls", len(nulls(out)), "models", len(models), "az runs", RUNS[0])
