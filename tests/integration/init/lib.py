"""Scenario builder and assertions for the lazuli-init integration tests.

Usage from bats:  python3 lib.py COMMAND ARGS...
"""
import base64
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
GOOD_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMXYrPml12XEQteh+12wWa00N/dGKWKnWE03VQLyn1bh test@emu"
OTHER_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILwTfrd177wf77MipTO7gZMsOs62y1nb/kb6SRxq0pYU second@emu"
DESC_RE = re.compile(
    r"^result=error\|reason=[^|]+\|agent=[^|]+(\|[^|=]+=[^|]*)*\|vm_id=[0-9a-f-]{36}"
    r"\|timestamp=[^|]+\|documentation_url=https://aka\.ms/linuxprovisioningerror$")


def instance(vm_id):
    with open(os.path.join(HERE, "instance.json")) as f:
        doc = json.load(f)
    doc["compute"]["vmId"] = vm_id
    doc["compute"]["publicKeys"][0]["keyData"] = GOOD_KEY
    return doc


def set_path(doc, path, value):
    parts = path.split(".")
    cur = doc
    for p in parts[:-1]:
        cur = cur[int(p)] if isinstance(cur, list) else cur.setdefault(p, {})
    last = parts[-1]
    if value == "__DELETE__":
        if isinstance(cur, list):
            del cur[int(last)]
        else:
            cur.pop(last, None)
    elif isinstance(cur, list):
        cur[int(last)] = value
    else:
        cur[last] = value


def cmd_scenario(args):
    """scenario OUT VMID [--set path=json]... [--imds-queue json] [--ws key=json]...
    [--raw-instance FILE] [--global key=json]..."""
    out, vm_id = args[0], args[1]
    doc = instance(vm_id)
    scen = {"name": os.path.basename(out), "imds": {}, "wireserver": {}}
    imds_queue = None
    raw = None
    i = 2
    while i < len(args):
        opt, val = args[i], args[i + 1]
        i += 2
        if opt == "--set":
            path, js = val.split("=", 1)
            set_path(doc, path, json.loads(js))
        elif opt == "--imds-queue":
            imds_queue = json.loads(val)
        elif opt == "--ws":
            # the key itself may contain '=' (/machine?comp=health): split before the JSON
            cut = min(i for i in (val.find("=["), val.find("={")) if i >= 0)
            key, js = val[:cut], val[cut + 1:]
            scen["wireserver"][key] = json.loads(js)
        elif opt == "--global":
            key, js = val.split("=", 1)
            scen[key] = json.loads(js)
        elif opt == "--raw-instance":
            raw = val
        else:
            sys.exit("unknown option " + opt)
    ok = {"status": 200, "body_json": doc}
    if raw is not None:
        ok = {"status": 200, "headers": {"Content-Type": "application/json; charset=utf-8"},
              "body_b64": base64.b64encode(open(raw, "rb").read()).decode()}
    queue = imds_queue if imds_queue is not None else []
    queue = [ok if e == "OK" else e for e in queue] or [ok]
    scen["imds"]["/metadata/instance"] = queue
    with open(out, "w") as f:
        json.dump(scen, f)


def load(path):
    with open(path) as f:
        return json.load(f)


def cmd_count_requests(args):
    """count-requests REQUESTS.json PORT [PATH-PREFIX] -> number"""
    reqs = load(args[0])
    n = sum(1 for r in reqs if r["port"] == args[1]
            and (len(args) < 3 or r["path"].startswith(args[2])))
    print(n)


def cmd_check_imds_requests(args):
    """Every IMDS request: Metadata: true, no X-Forwarded-For, an api-version."""
    reqs = [r for r in load(args[0]) if r["port"] == "imds"]
    if not reqs:
        sys.exit("no IMDS request was made")
    for r in reqs:
        h = {k.lower(): v for k, v in r["headers"].items()}
        if h.get("metadata") != "true":
            sys.exit("IMDS request without Metadata: true: %r" % r)
        if "x-forwarded-for" in h:
            sys.exit("IMDS request with X-Forwarded-For")
        if "api-version=" not in (r.get("query") or ""):
            sys.exit("IMDS request without api-version: %r" % r)


def cmd_min_gap(args):
    """min-gap REQUESTS.json PORT PATH -> smallest spacing in ms between such requests"""
    ts = sorted(r["ts_mono"] for r in load(args[0])
                if r["port"] == args[1] and r["path"].startswith(args[2]))
    if len(ts) < 2:
        print(-1)
        return
    gaps = [b - a for a, b in zip(ts, ts[1:])]
    # ts_mono is in seconds (float) or milliseconds (int); normalise to ms
    scale = 1000.0 if all(isinstance(t, float) for t in ts) and max(ts) < 1e7 else 1.0
    print(int(min(gaps) * scale))


def cmd_first_ts_real(args):
    """first-ts-real REQUESTS.json PORT PATH -> wall-clock seconds of the first such request"""
    ts = sorted(r["ts_real"] for r in load(args[0])
                if r["port"] == args[1] and r["path"].startswith(args[2]))
    print(int(ts[0]) if ts else -1)


def accepted(path):
    """Reports the emulator accepted (it also records the ones it refused)."""
    return [r for r in load(path) if 200 <= int(r.get("status_returned") or 0) < 300]


def cmd_reports(args):
    """reports REPORTS.json -> one line per accepted report: proto state substatus"""
    for r in accepted(args[0]):
        print(r.get("proto"), r.get("state"), r.get("substatus") or "-")


def cmd_check_failure(args):
    """check-failure REPORTS.json [SECRET...]: exactly one report, a well-formed failure
    description without any of the secrets; prints the description."""
    reps = accepted(args[0])
    if len(reps) != 1:
        sys.exit("expected exactly one report, got %d: %r" % (len(reps), reps))
    r = reps[0]
    if r.get("state") != "NotReady" or r.get("substatus") != "ProvisioningFailed":
        sys.exit("not a failure report: %r" % r)
    d = r.get("description") or ""
    if not DESC_RE.match(d):
        sys.exit("description does not match the required format: %r" % d)
    for s in args[1:]:
        if s and s in d:
            sys.exit("secret leaked into description")
    print(d)


def cmd_kvp(args):
    """kvp FILE [KEY]: validate the pool format; print values of KEY (joined chunks)"""
    data = open(args[0], "rb").read()
    if len(data) % 2560:
        sys.exit("KVP pool size %d is not a multiple of 2560" % len(data))
    vals = []
    for off in range(0, len(data), 2560):
        k, v = data[off:off + 512], data[off + 512:off + 2560]
        if b"\0" not in k[:255] or b"\0" not in v[:1023]:
            sys.exit("KVP record %d: key or value not NUL-terminated in the safe limit" % off)
        k = k.split(b"\0")[0].decode("utf-8")
        v = v.split(b"\0")[0].decode("utf-8")
        if len(args) > 1 and k == args[1]:
            vals.append(v)
    if len(args) > 1:
        print("".join(vals))


def cmd_json_get(args):
    """json-get FILE dotted.path"""
    cur = load(args[0])
    for p in args[1].split("."):
        cur = cur[int(p)] if isinstance(cur, list) else cur[p]
    print(cur if not isinstance(cur, (dict, list)) else json.dumps(cur))


if __name__ == "__main__":
    globals()["cmd_" + sys.argv[1].replace("-", "_")](sys.argv[2:])
