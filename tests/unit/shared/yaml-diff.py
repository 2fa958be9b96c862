#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Differential test of the YAML emitter against PyYAML.

The Azure CLI prints -o yaml with yaml.safe_dump(result,
default_flow_style=False, allow_unicode=True), and -o yamlc as that text
through pygments' YamlLexer and TerminalFormatter. Each document below goes
through yaml-cli (one process, NUL-separated outputs) and through Debian's
python3-yaml, and the two texts must be byte for byte the same: quoting,
folding at 80 columns, indentation, key order, the "..." after a plain
scalar. A second round does the same for random documents (fixed seed)
built from strings with YAML's indicator characters, line breaks, spaces,
non-ASCII and words that resolve to other types. A third compares -o
yamlc's colours with pygments' on documents shaped like az's output.

usage: yaml-diff.py YAML_CLI [DOCUMENT.json]
"""
import json
import random
import subprocess
import sys

# Debian's packages, not whatever a virtualenv puts first on sys.path.
sys.path.insert(0, "/usr/lib/python3/dist-packages")
try:
    import yaml
except ImportError:
    print("yaml-diff: python3-yaml is missing: run tools/install-deps test")
    sys.exit(1)

TRICKY = [
    "", " ", "  ", "a", "true", "True", "TRUE", "false", "yes", "No", "on", "OFF", "y", "n",
    "null", "Null", "~", "nil", "None", "0", "1", "-1", "+1", "007", "08", "0x1F", "0b101",
    "0o17", "1_000", "1.5", ".5", "5.", "-.5", "1e5", "1e+5", "1.0e+5", ".inf", "-.Inf",
    ".nan", "NaN", "1:30", "1:30:00.5", "190:20:30", "2024-01-01", "2024-1-1",
    "2024-01-01T12:00:00Z", "2024-01-01 12:00:00.123 +01:00", "2024-01-01t1:00:00",
    "2025-06-01T10:00:00.1234567+00:00", "<<", "=", "!", "&", "*", "-", "--", "---", "...",
    "- a", "-a", "?", "? a", "?a", ":", ": a", ":a", "a:", "a: b", "a:b", "a :b", "#", "# a",
    "a#b", "a #b", "[", "]", "{", "}", "a,b", "a[b]", "{a}", "'", "\"", "'a'", "it's",
    "say \"hi\"", "|", ">", "%", "@", "`", "!tag", "&anchor", "*alias", "a\nb", "a\n", "\na",
    "a\n\nb", "a \nb", "a\n b", "\t", "a\tb", "a\rb", "\x00", "\x07", "\x1b[0m", "\x7f",
    "\x85", "\xa0", "a\xa0b", "\u2028", "\u2029", "\ufeff", "\ufffe", "Zoë", "日本語",
    "emoji 😀", "😀", "\U0010ffff", "a" * 200, "word " * 40, ("word " * 40).strip(),
    "x\ty " * 20, " lead", "trail ", "a  b", "a   b " * 30, "'quoted' " * 20,
    "https://example.com/a?b=c#d", "/subscriptions/00000000-0000/resourceGroups/rg",
    "Standard_B2s", "VM running", "10.0.0.4,10.0.0.5", "ssh-rsa AAAA user@host",
    "#cloud-config\nruncmd:\n - echo hi\n", "C:\\path\\x", "a\\b",
]

DOCS = [
    None, True, False, 0, -5, 2**63 - 1, 2**64 - 1, 1.5, -0.0, 1e16, 1e-5, 123456.789,
    0.1, 1e100, 5e-324, [], {}, [[]], [{}], {"a": []}, {"a": {}}, [None, True, 1, "x"],
    {"b": 1, "a": 2, "C": 3, "_": 4, "é": 5}, [[1, 2], [3, [4, 5]]], [{"a": 1, "b": [1, 2]}],
    {"a": [{"b": {"c": [{"d": []}]}}]}, {"": 1}, {" ": 1}, {"a\nb": 1}, {"k" * 122: 1},
    {"k" * 123: 1}, {"k" * 130: [1, 2]}, {"k" * 130: {"a": 1}}, {"a: b": "c: d"},
    {"x": "word " * 40}, [["word " * 40]], {"a": {"b": {"c": "word " * 40}}},
] + TRICKY + [{t: t} for t in TRICKY if "\0" not in t]  # json-c keys end at a NUL + [[t] for t in TRICKY]

ALPHABET = list("ab -:#,?[]{}&*!|>'\"%@`\n\t\\~=.0123456789") + ["é", "\x85", "\u2028", "😀", "\xa0", "yes", "null", "  "]


def random_string(rnd):
    if rnd.random() < 0.1:
        return rnd.choice(TRICKY)
    return "".join(rnd.choice(ALPHABET) for _ in range(rnd.randint(0, 12)))


def random_doc(rnd, depth=0):
    r = rnd.random()
    if depth > 3 or r < 0.4:
        return rnd.choice([None, True, False, rnd.randint(-10**6, 10**6), rnd.random() * 1e3,
                           random_string(rnd), random_string(rnd) * rnd.randint(1, 12)])
    if r < 0.7:
        return [random_doc(rnd, depth + 1) for _ in range(rnd.randint(0, 4))]
    return {random_string(rnd).replace("\0", ""): random_doc(rnd, depth + 1) for _ in range(rnd.randint(0, 4))}


def reference(doc):
    return yaml.safe_dump(doc, default_flow_style=False, allow_unicode=True)


def run(cli, docs, color=False):
    args = [cli] + (["--color"] if color else [])
    lines = "".join(json.dumps(d, ensure_ascii=True) + "\n" for d in docs)
    out = subprocess.run(args, input=lines.encode(), stdout=subprocess.PIPE, check=True).stdout
    texts = out.decode("utf-8", "surrogateescape").split("\0\n")
    assert texts[-1] == "", "yaml-cli: output not NUL-terminated"
    return texts[:-1]


def compare(label, docs, got, want):
    failed = 0
    for d, g, w in zip(docs, got, want):
        if g != w:
            failed += 1
            if failed <= 10:
                print(f"{label}: {json.dumps(d, ensure_ascii=False)[:200]}\n  lazuli: {g!r}\n  pyyaml: {w!r}")
    return failed


def main():
    cli = sys.argv[1]
    failed = compare("fixed", DOCS, run(cli, DOCS), [reference(d) for d in DOCS])
    rnd = random.Random(6)
    docs = [random_doc(rnd) for _ in range(3000)]
    failed += compare("random", docs, run(cli, docs), [reference(d) for d in docs])
    # Every document must also read back as itself, where PyYAML's own does
    # (it does not for some strings with U+0085, U+2028 or U+2029 in quotes).
    for d, g in zip(DOCS + docs, run(cli, DOCS + docs)):
        if yaml.safe_load(g) != d and yaml.safe_load(reference(d)) == d:
            failed += 1
            print(f"read back: {d!r} -> {g!r}")
    checked = len(DOCS) + len(docs)
    try:
        from pygments import highlight, lexers, formatters
    except ImportError:
        print("yaml-diff: python3-pygments is missing: run tools/install-deps test")
        sys.exit(1)
    vm = json.load(open(sys.argv[2])) if len(sys.argv) > 2 else {}
    shaped = [vm, {"a": 1, "b": "x y", "c": "true", "d": None, "e": [], "f": {}, "g": [{"h": "i", "j": [1, "2"]}],
                   "k": "a\nb", "l": "tab\there", "it's": "it's", "long": "word " * 30, "dq": "x\ty " * 20,
                   "": "empty", "k:": ": v", "u": "Zoë ☃", "lst": [[1, 2], []], "ts": "2024-01-01T00:00:00Z"},
              "abc", ["a", {"b": 1}], []]
    want = [highlight(reference(d), lexers.YamlLexer(), formatters.TerminalFormatter()) for d in shaped]
    failed += compare("color", shaped, run(cli, shaped, color=True), want)
    checked += len(shaped)
    print(f"{checked - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


main()
