# Discover the members az prints for a VM; run by ./run discover.
# A VM whose model-typed members are {} (or [{}]): az prints those models
# with all their members, null; a member az prints as "{}" (str of a dict)
# or fails on is a scalar. One level deeper each round.
import json, os, subprocess, sys
AZ = os.environ["AZCMD"].split(); LZ = os.environ["LZ"]; OUT = os.environ["OUT"]
sub = json.loads(subprocess.check_output([LZ, "account", "show"]))["id"]
vmid = f"/subscriptions/{sub}/resourceGroups/lazuli-rg/providers/Microsoft.Compute/virtualMachines/disc-vm"
RUNS = [0]
def put(props):
    body = {"location": "westeurope", "properties": props}
    open(os.path.join(OUT, "body.json"), "w").write(json.dumps(body))
    subprocess.run([LZ, "rest", "--method", "put", "--url", vmid + "?api-version=2024-11-01", "--body", "@" + os.path.join(OUT, "body.json")], check=True, stdout=subprocess.DEVNULL)
def az_show():
    RUNS[0] += 1
    p = subprocess.run(AZ + ["vm", "show", "--ids", vmid, "-o", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode:
        return None
    return json.loads(p.stdout)
TOP = {"id","name","type","location","tags","resourceGroup","etag","extendedLocation","identity","managedBy","placement","plan","resources","zones"}
SCALAR_HINT = ("enable","Enabled","Count","InMb","InMB","Lun","lun","Port","Time","time","Date","Domain","Percentage","Price","Mbps","Iops","Retries","Interval","SizeGb","Gb")
# Flattened models: their REST members sit under "properties".
FLAT = {"networkInterfaces", "networkInterfaceConfigurations", "ipConfigurations", "publicIpAddressConfiguration"}
REST = {"publicIpAddressConfiguration": "publicIPAddressConfiguration", "publicIpPrefix": "publicIPPrefix",
        "publicIpAddressVersion": "publicIPAddressVersion", "privateIpAddressVersion": "privateIPAddressVersion",
        "publicIpAllocationMethod": "publicIPAllocationMethod"}
def rest_path(path):
    out = []
    for i, k in enumerate(path):
        out.append(REST.get(k, k))
        if k in FLAT and i + 1 < len(path):
            out.append("properties")
    return out
def descend(d, k):
    if isinstance(d, list): d = d[0]
    if k not in d: d[k] = {}
    return d[k]
def set_at(props, path, v):
    rp = rest_path(path)
    d = props
    for k in rp[:-1]:
        d = descend(d, k)
    if isinstance(d, list): d = d[0]
    if v is None: d.pop(rp[-1], None)
    else: d[rp[-1]] = v
def get_at(d, path):
    for k in path:
        if isinstance(d, list): d = d[0] if d else None
        if not isinstance(d, dict): return None
        d = d.get(k)
    return d
def nulls(o, path=()):
    out = []
    if isinstance(o, dict):
        for k, v in o.items():
            if v is None: out.append(path + (k,))
            else: out += nulls(v, path + (k,))
    elif isinstance(o, list) and o:
        out += nulls(o[0], path)
    return out
def is_model(got):
    return isinstance(got, dict) or (isinstance(got, list) and got and isinstance(got[0], dict))
models, scalars = set(), set()
props = {}
def attempt(cands, value):
    for p in cands: set_at(props, p, json.loads(json.dumps(value)))  # a copy each
    put(props)
    out = az_show()
    if out is None:
        for p in cands: set_at(props, p, None)
        return False
    for p in cands:
        if is_model(get_at(out, p)): models.add(p)
        else: set_at(props, p, None)
    return True
def resolve(cands):
    if not cands: return
    if attempt(cands, {}):
        left = [p for p in cands if p not in models]
        if left and attempt(left, [{}]):
            pass
        elif left:
            if len(left) == 1: scalars.add(left[0])
            else:
                h = len(left) // 2
                for part in (left[:h], left[h:]):
                    if not attempt(part, [{}]): [resolve_list(x) for x in part]
        for p in cands:
            if p not in models: scalars.add(p)
        return
    if len(cands) == 1:
        if not attempt(cands, [{}]): scalars.add(cands[0])
        elif cands[0] not in models: scalars.add(cands[0])
        return
    h = len(cands) // 2
    resolve(cands[:h]); resolve(cands[h:])
def resolve_list(p):
    if not attempt([p], [{}]): scalars.add(p)
seen = set()
for rnd in range(12):
    put(props)
    out = az_show()
    assert out is not None, "base body fails"
    cands = [p for p in nulls(out) if p[0] not in TOP and p not in seen]
    print("round", rnd, "candidates", len(cands), "az runs", RUNS[0], flush=True)
    if not cands: break
    seen.update(cands)
    easy = [p for p in cands if any(h in p[-1] for h in SCALAR_HINT)]
    scalars.update(easy)
    resolve([p for p in cands if p not in easy])
    json.dump(props, open(OUT + "/props.json", "w"), indent=1)
put(props)
out = az_show()
json.dump(out, open(OUT + "/az.json", "w"), indent=2, sort_keys=True)
json.dump(sorted(map(list, scalars)), open(OUT + "/scalars.json", "w"))
print("done: nulls", len(nulls(out)), "models", len(models), "az runs", RUNS[0])
