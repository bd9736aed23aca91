#!/usr/bin/env bash
# Tests the shipped Prometheus rules and Grafana dashboard:
#   1. promtool check rules  packaging/prometheus/synshadow.rules.yml
#   2. promtool test rules   packaging/prometheus/synshadow.rules.test.yml
#   3. every synshadow_* name in the rules, the dashboard and the tests' input
#      series is a series of a real scrape (testdata/scrape-overload.txt;
#      histograms by their _bucket/_sum/_count), with the scrape's label names;
#      the dashboard is JSON; every alert has a severity, a summary, a
#      description and a runbook, and a test where it fires and one where it
#      must not.
# Installs Debian's prometheus package (for promtool) and python3-yaml when
# missing (root, or sudo); on a host run by systemd, Debian's package also
# enables and starts a prometheus server on :9090. Runs every check, then
# exits non-zero naming each one that failed. Takes a few seconds once
# promtool is installed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../guest/lib.sh
source "$root/scripts/guest/lib.sh"

rules="$root/packaging/prometheus/synshadow.rules.yml"
tests="$root/packaging/prometheus/synshadow.rules.test.yml"
scrape="$root/packaging/prometheus/testdata/scrape-overload.txt"
dashboard="$root/packaging/grafana/synshadow-dashboard.json"
for file in "$rules" "$tests" "$scrape" "$dashboard"; do
    [[ -f $file ]] || die "missing $file"
done

if ! command -v promtool >/dev/null 2>&1 || ! python3 -c 'import yaml' 2>/dev/null; then
    # A fresh machine may have no package lists yet.
    if [[ -z "$(debian_candidate_version prometheus)" ]]; then
        sudo=()
        [[ $(id -u) -eq 0 ]] || sudo=(sudo)
        log "no apt candidate for prometheus: apt-get update"
        "${sudo[@]}" apt-get update -qq >&2
    fi
    ensure_cmds promtool:prometheus
    python3 -c 'import yaml' 2>/dev/null || ensure_pkgs python3-yaml
fi
command -v promtool >/dev/null 2>&1 || die "promtool not found after installing prometheus"

log "$(promtool --version 2>&1 | head -n1)"
# Every check runs, so one run names every failure.
failed=()
promtool check rules "$rules" || failed+=("promtool check rules $rules")
# promtool resolves rule_files relative to the test file.
promtool test rules "$tests" || failed+=("promtool test rules $tests")

python3 - "$rules" "$tests" "$scrape" "$dashboard" <<'PY' || failed+=("consistency checks (FAIL lines above)")
import json, os, re, subprocess, sys, tempfile
import yaml

rules_path, tests_path, scrape_path, dashboard_path = sys.argv[1:]
failures = []

# The scrape: every sample's name and the label names it carries.
sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$')
label = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
scraped = {}
with open(scrape_path) as f:
    for line in f:
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        match = sample.match(line)
        if not match:
            failures.append(f"{scrape_path}: not a sample line: {line!r}")
            continue
        names = frozenset(name for name, _ in label.findall(match.group(2) or ""))
        scraped.setdefault(match.group(1), set()).add(names)
if not scraped:
    failures.append(f"{scrape_path}: no samples")

name = re.compile(r'\bsynshadow_[a-zA-Z0-9_]*')

def check_names(text, where):
    used = sorted(set(name.findall(text)))
    for metric in used:
        if metric not in scraped:
            failures.append(f"{where}: {metric} is not a series in {scrape_path}")
    return used

# The dashboard: JSON, and its queries name only scraped series.
try:
    with open(dashboard_path) as f:
        board = json.load(f)
except ValueError as error:
    failures.append(f"{dashboard_path}: not JSON: {error}")
    board = None
if board is not None:
    queries = []
    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("expr", "query", "definition") and isinstance(value, str):
                    queries.append(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
    walk(board)
    if not queries:
        failures.append(f"{dashboard_path}: no queries found")
    used = check_names("\n".join(queries), dashboard_path)
    # Each query must parse as PromQL once Grafana's variables are filled in:
    # promtool checks them as recording rules.
    promql = []
    for query in dict.fromkeys(queries):
        if query == "prometheus":  # the datasource variable's type
            continue
        values = re.fullmatch(r'label_values\((.*),\s*\w+\)', query.strip())
        query = values.group(1) if values else query
        for variable, value in (("$__rate_interval", "1m"), ("$__range", "1h"), ("$__interval", "1m"),
                                ("$instance", ".*"), ("$listener", ".*")):
            query = query.replace(variable, value)
        promql.append(query)
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        yaml.safe_dump({"groups": [{"name": "dashboard", "rules": [
            {"record": f"dashboard:query{i}", "expr": q} for i, q in enumerate(promql)]}]}, f)
    check = subprocess.run(["promtool", "check", "rules", f.name], capture_output=True, text=True)
    os.unlink(f.name)
    if check.returncode != 0:
        failures.append(f"{dashboard_path}: a query is not PromQL:\n{check.stdout}{check.stderr}")
    print(f"dashboard: {len(promql)} queries parse as PromQL and name {len(used)} metrics")

# The rules: scraped names only; every alert labelled and annotated.
def load_yaml(path):
    try:
        with open(path) as f:
            return yaml.safe_load(f) or {}
    except yaml.YAMLError as error:
        failures.append(f"{path}: not YAML: {error}")
        return {}

groups = load_yaml(rules_path).get("groups", [])
alerts = []
for group in groups:
    for rule in group.get("rules", []):
        if "alert" not in rule:
            continue
        alert = rule["alert"]
        alerts.append(alert)
        check_names(rule.get("expr", ""), f"{rules_path}: {alert}")
        if not rule.get("labels", {}).get("severity"):
            failures.append(f"{rules_path}: {alert} has no severity label")
        annotations = rule.get("annotations", {})
        for key in ("summary", "description", "runbook"):
            if not str(annotations.get(key, "")).strip():
                failures.append(f"{rules_path}: {alert} has no {key} annotation")
        if "\n" in str(annotations.get("runbook", "")).strip():
            failures.append(f"{rules_path}: {alert}'s runbook is more than one line")
if not alerts:
    failures.append(f"{rules_path}: no alerts")

# The tests: input series shaped like the scrape (its names, its label names
# plus the instance and job a scrape adds); every alert fires in one test
# and is expected silent in another.
suite = load_yaml(tests_path)
fires, silent = set(), set()
for test in suite.get("tests", []):
    for series in test.get("input_series", []):
        match = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?$', series["series"].strip())
        if not match:
            failures.append(f"{tests_path}: cannot read series {series['series']!r}")
            continue
        metric = match.group(1)
        if not metric.startswith("synshadow_"):
            continue
        if metric not in scraped:
            failures.append(f"{tests_path}: input series {metric} is not a series in {scrape_path}")
            continue
        names = frozenset(n for n, _ in label.findall(match.group(2) or "")) - {"instance", "job"}
        if names not in scraped[metric]:
            shapes = " or ".join(sorted("{" + ",".join(sorted(s)) + "}" for s in scraped[metric]))
            failures.append(
                f"{tests_path}: {test['name']}: {metric} has labels {{{','.join(sorted(names))}}}, the scrape {shapes}")
    for case in test.get("alert_rule_test", []):
        (fires if case.get("exp_alerts") else silent).add(case["alertname"])
for alert in alerts:
    if alert not in fires:
        failures.append(f"{tests_path}: no test where {alert} fires")
    if alert not in silent:
        failures.append(f"{tests_path}: no test where {alert} must not fire")

if failures:
    for failure in failures:
        print("FAIL: " + failure, file=sys.stderr)
    sys.exit(1)
print(f"rules: {len(alerts)} alerts, each with severity, summary, description and runbook, each tested firing and silent")
print(f"tests: every synshadow_* input series has a scraped name and label set ({len(scraped)} names in the scrape)")
PY
if ((${#failed[@]})); then
    for failure in "${failed[@]}"; do log "FAILED: $failure"; done
    die "${#failed[@]} check(s) failed"
fi
log "ok: rules, tests and dashboard agree with the scrape"
