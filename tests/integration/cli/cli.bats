#!/usr/bin/env bats
# lazuli: commands, output formats, --query, errors and exit codes as the
# Azure CLI's, against lazuli-emu's ARM on loopback.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

@test "--version, --help, and a group without a command" {
	run "$LAZULI" --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^lazuli\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	run "$LAZULI" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"vm"* && "$output" == *"group"* && "$output" == *"rest"* ]]
	run "$LAZULI" vm start --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--no-wait"* && "$output" == *"--resource-group -g"* ]]
	run "$LAZULI" vm
	[ "$status" -eq 2 ]
	[[ "$output" == *"deallocate"* ]]
}

@test "an unknown command suggests the nearest one and exits 2" {
	run "$LAZULI" vm strat -g x -n y
	[ "$status" -eq 2 ]
	[[ "$output" == *"'strat' is misspelled or not recognized"* ]]
	[[ "$output" == *"Did you mean 'lazuli vm start' ?"* ]]
	run "$LAZULI" gruop list
	[ "$status" -eq 2 ]
	[[ "$output" == *"Did you mean 'lazuli group' ?"* ]]
	run "$LAZULI" vm show --no-such-flag
	[ "$status" -eq 2 ]
	[[ "$output" == *"unrecognized arguments: --no-such-flag"* ]]
	run "$LAZULI" account show -o yaml2
	[ "$status" -eq 2 ]
	[[ "$output" == *"invalid choice: 'yaml2'"* ]]
}

@test "without a login every command says how to log in" {
	run "$LAZULI" account show
	[ "$status" -eq 1 ]
	[ "$output" = "ERROR: Please run 'lazuli login' to setup account." ]
	run "$LAZULI" vm list
	[ "$status" -eq 1 ]
	[[ "$output" == *"lazuli login"* ]]
}

@test "login --identity: the account list az prints, saved 0600, one IMDS token for many commands" {
	emu_start
	run "$LAZULI" login --identity
	[ "$status" -eq 0 ]
	[ "$(jget '[(a["name"], a["isDefault"], a["user"]) for a in d]' <<<"$output")" = '[["Lazuli Emulated Subscription",true,{"assignedIdentityInfo":"MSI","name":"systemAssignedIdentity","type":"servicePrincipal"}]]' ]
	[ "$(stat -c %a "$LAZULI_CONFIG_DIR/profile.json")" = 600 ]
	[ "$(stat -c %a "$LAZULI_CONFIG_DIR/tokens.json")" = 600 ]
	run "$LAZULI" account show --query name -o tsv
	[ "$output" = "Lazuli Emulated Subscription" ]
	"$LAZULI" group list >/dev/null
	"$LAZULI" vm list >/dev/null
	# The token was fetched once and then read from the cache.
	n=$(curl -sS "$IMDS/_emu/requests?port=imds" | jget 'len([r for r in d if r["path"].startswith("/metadata/identity")])')
	[ "$n" -eq 1 ]
}

@test "login --service-principal: a wrong secret is refused with the identity platform's code" {
	emu_start
	run "$LAZULI" login --service-principal -u "$CLIENT" -p wrong --tenant "$TENANT"
	[ "$status" -eq 1 ]
	[[ "$output" == *"(invalid_client) AADSTS7000215: Invalid client secret provided."* ]]
	[ ! -e "$LAZULI_CONFIG_DIR/profile.json" ]
	AZURE_CLIENT_SECRET=$SECRET run "$LAZULI" login --service-principal -u "$CLIENT" --tenant "$TENANT"
	[ "$status" -eq 0 ]
	[ "$(jget 'd[0]["user"]' <<<"$output")" = "{\"name\":\"$CLIENT\",\"type\":\"servicePrincipal\"}" ]
	run "$LAZULI" group list --query '[].name' -o tsv
	[ "$output" = lazuli-rg ]
	run "$LAZULI" logout
	[ "$status" -eq 0 ]
	[ ! -e "$LAZULI_CONFIG_DIR/profile.json" ]
}

@test "ARM over HTTPS: trusted through REQUESTS_CA_BUNDLE as az's is; an untrusted certificate is named, not retried" {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/emu.key" \
		-out "$T/emu.crt" -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
	emu_start '' --arm-tls-cert "$T/emu.crt" --arm-tls-key "$T/emu.key"
	[[ "$ARM" == https://* ]]
	run "$LAZULI" login --service-principal -u "$CLIENT" -p "$SECRET" --tenant "$TENANT" --debug
	[ "$status" -eq 1 ]
	[[ "$output" == *"Cannot reach the identity platform at $ARM: SSL certificate problem: self-signed certificate"* ]]
	[[ "$output" != *retrying* ]]
	[ ! -e "$LAZULI_CONFIG_DIR/profile.json" ]

	export REQUESTS_CA_BUNDLE=$T/emu.crt
	run "$LAZULI" login --service-principal -u "$CLIENT" -p "$SECRET" --tenant "$TENANT"
	[ "$status" -eq 0 ]
	# The built-in client speaks TLS through libssl; libcurl is not loaded.
	run env LD_DEBUG=files "$LAZULI" vm show -g lazuli-rg -n temp-vm --query name -o tsv
	[ "$status" -eq 0 ]
	[[ "$output" == *"file=libssl.so.3 [0];  dynamically loaded by "* ]]
	[[ "$output" != *libcurl* ]]
	[[ "$output" == *$'\ntemp-vm\n'* ]]
	LAZULI_HTTP_BACKEND=curl run "$LAZULI" vm show -g lazuli-rg -n temp-vm --query name -o tsv
	[ "$output" = temp-vm ]
	run "$LAZULI" rest --method get --url "/subscriptions/{subscriptionId}/resourcegroups?api-version=2024-11-01" \
		--query 'value[0].name' -o tsv
	[ "$output" = lazuli-rg ]
	# curl's variable works too; a bundle that cannot be read is named.
	unset REQUESTS_CA_BUNDLE
	CURL_CA_BUNDLE=$T/emu.crt run "$LAZULI" group list --query '[0].name' -o tsv
	[ "$output" = lazuli-rg ]
	for backend in builtin curl; do
		LAZULI_HTTP_BACKEND=$backend REQUESTS_CA_BUNDLE=$T/missing.pem run "$LAZULI" group list
		[ "$status" -eq 1 ]
		[[ "$output" == *"error setting certificate file: $T/missing.pem"* ]]
	done
	# A certificate the CA bundle trusts, but for another address.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/other.key" \
		-out "$T/other.crt" -subj /CN=10.9.9.9 -addext subjectAltName=IP:10.9.9.9 2>/dev/null
	kill "$EMU_PID"
	wait "$EMU_PID" || true
	emu_start '' --arm-tls-cert "$T/other.crt" --arm-tls-key "$T/other.key"
	REQUESTS_CA_BUNDLE=$T/other.crt run "$LAZULI" group list
	[ "$status" -eq 1 ]
	[[ "$output" == *"SSL certificate problem: IP address mismatch"* ]]
}

@test "HTTPS: the TLS session is kept 0600 beside the tokens and resumed; a foreign, open or corrupt one is ignored; logout removes it" {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/emu.key" \
		-out "$T/emu.crt" -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
	emu_start '' --arm-tls-cert "$T/emu.crt" --arm-tls-key "$T/emu.key"
	export REQUESTS_CA_BUNDLE=$T/emu.crt
	"$LAZULI" login --service-principal -u "$CLIENT" -p "$SECRET" --tenant "$TENANT" >/dev/null
	hostport=${ARM#https://}
	sess=$LAZULI_CONFIG_DIR/tls-session-$hostport
	resumed="TLS session with $hostport resumed"
	vm_show() { run "$LAZULI" vm show -g lazuli-rg -n temp-vm --query name -o tsv --debug; }
	vm_show
	[ "$status" -eq 0 ]
	[ "$(stat -c '%a %U' "$sess")" = "600 $(id -un)" ]
	head -n 1 "$sess" | grep -qx "lazuli-tls-session 1 $hostport $T/emu.crt"
	vm_show
	[ "$status" -eq 0 ]
	[[ "$output" == *"$resumed"* ]]
	[[ "$output" == *$'\ntemp-vm' ]]
	# A session with most of its life left is kept as it is, not written again.
	ino=$(stat -c %i "$sess")
	vm_show
	[[ "$output" == *"$resumed"* ]]
	[ "$(stat -c %i "$sess")" = "$ino" ]
	cp "$sess" "$T/good"

	# Garbage, a session cut short, one for another port: a full handshake, and a good session again.
	printf 'garbage\n' >"$sess"
	vm_show
	[ "$status" -eq 0 ]
	[[ "$output" == *"Ignoring $sess: not a session for $hostport"* ]]
	[[ "$output" != *"$resumed"* ]]
	[[ "$output" == *$'\ntemp-vm' ]]
	run cmp -s "$sess" "$T/good"
	[ "$status" -ne 0 ]
	vm_show
	[[ "$output" == *"$resumed"* ]]
	head -c 200 "$T/good" >"$sess"
	vm_show
	[ "$status" -eq 0 ]
	[[ "$output" == *"Ignoring $sess: it does not parse"* ]]
	[[ "$output" != *"$resumed"* ]]
	{ printf 'lazuli-tls-session 1 127.0.0.1:1 %s\n' "$T/emu.crt"; tail -n +2 "$T/good"; } >"$sess"
	vm_show
	[[ "$output" == *"Ignoring $sess: not a session for $hostport"* ]]
	[[ "$output" != *"$resumed"* ]]

	# Readable by others: not used (and replaced by a 0600 one).
	cp "$T/good" "$sess"
	chmod 644 "$sess"
	vm_show
	[ "$status" -eq 0 ]
	[[ "$output" == *"Ignoring $sess: not a regular file of ours with mode 0600"* ]]
	[[ "$output" != *"$resumed"* ]]
	[ "$(stat -c %a "$sess")" = 600 ]
	# Another user's: not used.
	if [ "$(id -u)" -eq 0 ]; then
		cp "$T/good" "$sess"
		chown nobody "$sess"
		vm_show
		[[ "$output" == *"not a regular file of ours"* ]]
		[[ "$output" != *"$resumed"* ]]
	fi
	# A symbolic link is not followed.
	rm -f "$sess"
	ln -s "$T/good" "$sess"
	vm_show
	[ "$status" -eq 0 ]
	[[ "$output" != *"$resumed"* ]]
	[ ! -L "$sess" ]

	# Trusting another CA bundle (a copy here) does not resume what was verified with this one.
	vm_show
	[[ "$output" == *"$resumed"* ]]
	cp "$T/emu.crt" "$T/other-bundle.pem"
	REQUESTS_CA_BUNDLE=$T/other-bundle.pem vm_show
	[ "$status" -eq 0 ]
	[[ "$output" == *"not a session for $hostport"* ]]
	[[ "$output" != *"$resumed"* ]]
	# Nor when the bundle is gone: its failure is reported as without a session.
	cp "$sess" "$T/good2"
	REQUESTS_CA_BUNDLE=$T/other-bundle.pem vm_show
	[[ "$output" == *"$resumed"* ]]
	rm "$T/other-bundle.pem"
	REQUESTS_CA_BUNDLE=$T/other-bundle.pem vm_show
	[ "$status" -eq 1 ]
	[[ "$output" == *"error setting certificate file: $T/other-bundle.pem"* ]]
	# logout forgets them with the login.
	"$LAZULI" logout
	run compgen -G "$LAZULI_CONFIG_DIR/tls-session-*"
	[ "$status" -ne 0 ]
}

@test "HTTPS with the system's CAs: the hashed directory is enough; the bundle file is read only without the CA there" {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/emu.key" \
		-out "$T/emu.crt" -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
	emu_start '' --arm-tls-cert "$T/emu.crt" --arm-tls-key "$T/emu.key"
	mkdir "$T/cadir" "$T/empty"
	cp "$T/emu.crt" "$T/cadir/"
	openssl rehash "$T/cadir"
	export SSL_CERT_DIR=$T/cadir
	"$LAZULI" login --service-principal -u "$CLIENT" -p "$SECRET" --tenant "$TENANT" >/dev/null
	rm -f "$LAZULI_CONFIG_DIR"/tls-session-*
	run "$LAZULI" vm show -g lazuli-rg -n temp-vm --query name -o tsv
	[ "$output" = temp-vm ]
	sess=$LAZULI_CONFIG_DIR/tls-session-${ARM#https://}
	head -n 1 "$sess" | grep -qx "lazuli-tls-session 1 ${ARM#https://} system:$T/cadir"
	# Trusting another directory resumes nothing, and the chain fails as it did.
	SSL_CERT_DIR=$T/empty run "$LAZULI" vm show -g lazuli-rg -n temp-vm --query name -o tsv
	[ "$status" -eq 1 ]
	[[ "$output" == *"SSL certificate problem: self-signed certificate"* ]]
	# The bundle file (OpenSSL's cert.pem) is read when the directory lacks the CA: as root,
	# a private mount namespace puts the emulator's certificate in its place.
	if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
		file=$(openssl version -d | sed 's/^OPENSSLDIR: "\(.*\)"$/\1/')/cert.pem
		[ -e "$file" ] || skip "no $file"
		rm -f "$LAZULI_CONFIG_DIR"/tls-session-*
		run unshare -m sh -c 'mount --bind "$1" "$2" && SSL_CERT_DIR=$3 exec "$4" vm show \
			-g lazuli-rg -n temp-vm --query name -o tsv' sh "$T/emu.crt" "$file" "$T/empty" "$LAZULI"
		[ "$output" = temp-vm ]
	fi
}

@test "groups: create with tags, show, exists, list by tag, delete waits for the operation" {
	emu_start '{"arm":{"lro_polls":2}}'
	"$LAZULI" login --identity >/dev/null
	run "$LAZULI" group create -n web-rg -l northeurope --tags env=prod team=web
	[ "$status" -eq 0 ]
	[ "$(jget 'd["name"], d["location"], d["tags"]' <<<"$output")" = '["web-rg","northeurope",{"env":"prod","team":"web"}]' ]
	run "$LAZULI" group exists -n web-rg
	[ "$output" = true ]
	run "$LAZULI" group list --tag env=prod --query '[].name' -o tsv
	[ "$output" = web-rg ]
	run "$LAZULI" group delete -n web-rg
	[ "$status" -eq 2 ]
	[[ "$output" == *"needs --yes"* ]]
	run "$LAZULI" group delete -n web-rg --yes
	[ "$status" -eq 0 ]
	run "$LAZULI" group exists -n web-rg
	[ "$output" = false ]
	run "$LAZULI" group show -n web-rg
	[ "$status" -eq 3 ]
	[[ "$output" == *"ERROR: (ResourceGroupNotFound) Resource group 'web-rg' could not be found."* ]]
	[[ "$output" =~ Correlation\ ID:\ [0-9a-f-]{36} ]]
}

@test "vm: list and show add resourceGroup; power operations wait unless --no-wait" {
	emu_start '{"arm":{"lro_polls":3,"data":{"resources":[{"type":"Microsoft.Compute/virtualMachines","name":"web-1"}]}}}'
	"$LAZULI" login --identity >/dev/null
	run "$LAZULI" vm list --query '[].[name, resourceGroup]' -o tsv
	[ "$output" = $'temp-vm\tlazuli-rg\nweb-1\tlazuli-rg' ]
	# The VM's properties are at the top, as in az's output.
	run "$LAZULI" vm show -g lazuli-rg -n temp-vm
	[ "$(jget '[d["hardwareProfile"]["vmSize"], d["provisioningState"], "properties" in d]' <<<"$output")" = \
		'["Standard_D2ds_v5","Succeeded",false]' ]
	run "$LAZULI" vm list --query '[].osProfile.computerName' -o tsv
	[ "$output" = $'temp-vm\nweb-1' ]
	run "$LAZULI" vm deallocate -g lazuli-rg -n web-1
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run "$LAZULI" vm get-instance-view -g lazuli-rg -n web-1 --query 'instanceView.statuses[1].displayStatus' -o tsv
	[ "$output" = "VM deallocated" ]
	run "$LAZULI" vm start -g lazuli-rg -n web-1 --no-wait
	[ "$status" -eq 0 ]
	run "$LAZULI" vm get-instance-view -g lazuli-rg -n web-1 --query 'instanceView.statuses[1].code' -o tsv
	[ "$output" = PowerState/starting ]
	# Polls went to the Azure-AsyncOperation URL, and only for the waiting command.
	polls=$(requests | jget 'len([r for r in d if "/operations/" in r["path"]])')
	[ "$polls" -eq 3 ]
	id=$("$LAZULI" vm show -g lazuli-rg -n temp-vm --query id -o tsv)
	run "$LAZULI" vm restart --ids "$id"
	[ "$status" -eq 0 ]
	run "$LAZULI" vm restart --ids /subscriptions/x/resourceGroups/y
	[ "$status" -eq 2 ]
	[[ "$output" == *"is not a virtual machine id"* ]]
	run "$LAZULI" vm show -g lazuli-rg -n nope
	[ "$status" -eq 3 ]
	[[ "$output" == *"(ResourceNotFound)"* ]]
}

@test "vm show -d and list -d: power state and addresses from the network interfaces, az's table" {
	# The fixture's VM with a public address and a second private one.
	python3 - "$LAZULI_SRCDIR/tests/fixtures/emu/vm-pps-running.json" "$T/vm.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["network"]["interface"][0]["ipv4"]["ipAddress"] = [
    {"privateIpAddress": "10.0.0.4", "publicIpAddress": "203.0.113.7"},
    {"privateIpAddress": "10.0.0.5", "publicIpAddress": ""}]
json.dump(d, open(sys.argv[2], "w"))
PY
	emu_start '{}' --vm "$T/vm.json"
	"$LAZULI" login --identity >/dev/null
	run "$LAZULI" vm show -d -g lazuli-rg -n temp-vm
	[ "$status" -eq 0 ]
	[ "$(jget '[d[k] for k in ("powerState", "publicIps", "privateIps", "fqdns", "macAddresses")]' <<<"$output")" = \
		'["VM running","203.0.113.7","10.0.0.4,10.0.0.5","","00-0D-3A-12-34-56"]' ]
	# As az: no instance view, sub-resources flattened and given their group.
	[ "$(jget '["instanceView" in d, d["networkProfile"]["networkInterfaces"][0]["primary"], d["networkProfile"]["networkInterfaces"][0]["resourceGroup"]]' <<<"$output")" = \
		'[false,true,"lazuli-rg"]' ]
	"$LAZULI" vm deallocate -g lazuli-rg -n temp-vm
	run "$LAZULI" vm list -d --query '[].[name, powerState, publicIps]' -o tsv
	[ "$output" = $'temp-vm\tVM deallocated\t203.0.113.7' ]
	# az's table for VMs: these columns, the details only with -d.
	run "$LAZULI" vm list -d -o table
	[ "$output" = "$(printf '%s\n' \
		'Name     ResourceGroup    PowerState      PublicIps    Fqdns    Location    Zones' \
		'-------  ---------------  --------------  -----------  -------  ----------  -------' \
		'temp-vm  lazuli-rg        VM deallocated  203.0.113.7           westeurope')" ]
	run "$LAZULI" vm show -g lazuli-rg -n temp-vm -o table
	[ "$output" = "$(printf '%s\n' \
		'Name     ResourceGroup    Location    Zones' \
		'-------  ---------------  ----------  -------' \
		'temp-vm  lazuli-rg        westeurope')" ]
	# With --query the table shows what the query selected.
	run "$LAZULI" vm list -d -o table --query '[].{VM:name, IP:publicIps}'
	[ "${lines[0]}" = "VM       IP" ]
	# Each -d read the interface and its public address: four commands, two reads each.
	run jget '[(r["path"].split("/")[-2], r["query"]) for r in d if "/Microsoft.Network/" in r["path"]]' < <(requests)
	pair='["networkInterfaces","api-version=2024-05-01"],["publicIPAddresses","api-version=2024-05-01"]'
	[ "$output" = "[$pair,$pair,$pair,$pair]" ]
}

@test "a 409 from ARM is an error with ARM's code and exit 1" {
	emu_start '{"arm":{"lro_polls":0}}'
	"$LAZULI" login --identity >/dev/null
	"$LAZULI" vm deallocate -g lazuli-rg -n temp-vm
	run "$LAZULI" vm restart -g lazuli-rg -n temp-vm
	[ "$status" -eq 1 ]
	[[ "$output" == *"ERROR: (OperationNotAllowed) Operation 'restart' is not allowed on VM 'temp-vm' since the VM is deallocated."* ]]
}

@test "resources: list with filters, show by --ids with the provider's api-version, tag, delete" {
	emu_start '{"arm":{"page_size":1,"lro_polls":0,"data":{"resources":[
		{"type":"Microsoft.Storage/storageAccounts","name":"store1","tags":{"env":"prod"}},
		{"type":"Microsoft.Storage/storageAccounts","name":"store2"}]}}}'
	"$LAZULI" login --identity >/dev/null
	# page_size 1: four pages, one list.
	run "$LAZULI" resource list --query 'length(@)'
	[ "$output" = 4 ]
	run "$LAZULI" resource list --resource-type Microsoft.Storage/storageAccounts --query '[].name' -o tsv
	[ "$output" = $'store1\nstore2' ]
	run "$LAZULI" resource list --tag env=prod --query '[0].[name, resourceGroup]' -o tsv
	[ "$output" = $'store1\nlazuli-rg' ]
	id=$("$LAZULI" resource list -n store2 --query '[0].id' -o tsv)
	run "$LAZULI" resource show --ids "$id" --query name -o tsv
	[ "$output" = store2 ]
	# The api-version came from the provider, as az resource show --ids does.
	[ "$(requests | jget '[r["query"] for r in d if r["path"].endswith("/store2")][-1]')" = "api-version=2024-11-01" ]
	run "$LAZULI" resource tag --ids "$id" --tags owner=me
	[ "$(jget 'd["tags"]' <<<"$output")" = '{"owner":"me"}' ]
	run "$LAZULI" resource tag --ids "$id" --tags cost=1 -i
	[ "$(jget 'd["tags"]' <<<"$output")" = '{"cost":"1","owner":"me"}' ]
	run "$LAZULI" resource delete -g lazuli-rg -n store2 --resource-type Microsoft.Storage/storageAccounts
	[ "$status" -eq 0 ]
	run "$LAZULI" resource show --ids "$id"
	[ "$status" -eq 3 ]
	run "$LAZULI" resource show -g lazuli-rg -n x --resource-type Microsoft.Nothing/things
	[ "$status" -eq 3 ]
	[[ "$output" == *"(InvalidResourceNamespace)"* ]]
}

@test "tag create|update|list|delete at a scope" {
	emu_start
	"$LAZULI" login --identity >/dev/null
	rg=$("$LAZULI" group show -n lazuli-rg --query id -o tsv)
	run "$LAZULI" tag create --resource-id "$rg" --tags a=1 b=2
	[ "$(jget 'd["properties"]["tags"]' <<<"$output")" = '{"a":"1","b":"2"}' ]
	run "$LAZULI" tag update --resource-id "$rg" --operation Delete --tags a=1
	[ "$(jget 'd["properties"]["tags"]' <<<"$output")" = '{"b":"2"}' ]
	run "$LAZULI" tag update --resource-id "$rg" --operation Upsert --tags a=1
	[ "$status" -eq 2 ]
	run "$LAZULI" tag list --resource-id "$rg" --query properties.tags.b -o tsv
	[ "$output" = 2 ]
	run "$LAZULI" tag delete --resource-id "$rg" --yes
	[ "$status" -eq 0 ]
	run "$LAZULI" group show -n lazuli-rg --query tags
	[ "$output" = "{}" ]
}

@test "rest: relative URLs with {subscriptionId}, bodies from a file; ARM's token stays on ARM, --resource for others" {
	emu_start
	"$LAZULI" login --identity >/dev/null
	run "$LAZULI" rest --method get --url '/subscriptions/{subscriptionId}/resourcegroups?api-version=2024-11-01' --query 'value[0].name' -o tsv
	[ "$output" = lazuli-rg ]
	printf '%s' '{"location":"westus"}' >"$T/body.json"
	run "$LAZULI" rest -m put -u '/subscriptions/{subscriptionId}/resourcegroups/r2?api-version=2024-11-01' -b "@$T/body.json"
	[ "$status" -eq 0 ]
	[ "$(jget 'd["location"]' <<<"$output")" = westus ]
	run "$LAZULI" rest -u "$ARM/subscriptions?api-version=2022-12-01" --query 'value[0].displayName' -o tsv
	[ "$output" = "Lazuli Emulated Subscription" ]
	# Off ARM (here: the emulator's IMDS port) without --resource: sent, but with no token.
	run "$LAZULI" rest -u "$IMDS/metadata/versions?steal=1"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"WARNING: no resource is known for $IMDS/metadata/versions?steal=1, so no access token is sent"* ]]
	[[ "$output" == *"Required metadata header not specified"* ]]
	run curl -sS "$IMDS/_emu/requests?port=imds&path=/metadata/versions"
	[ "$(jget 'len(d)' <<<"$output")" -eq 1 ]
	[ "$(jget '[k for k in d[0]["headers"] if k.lower() == "authorization"]' <<<"$output")" = "[]" ]
	# With --resource: a token for that resource, and only there.
	run "$LAZULI" rest -u "$IMDS/metadata/versions?steal=2" --resource https://vault.azure.net
	[ "$status" -eq 1 ]
	run curl -sS "$IMDS/_emu/requests?port=imds&path=/metadata/versions"
	aud=$(jget 'json.loads(__import__("base64").urlsafe_b64decode((lambda p: p + "=" * (-len(p) % 4))(d[1]["headers"]["Authorization"].split()[1].split(".")[1])))["aud"]' <<<"$output")
	[ "$aud" = https://vault.azure.net ]
	# ARM itself with another resource: ARM refuses that audience.
	run "$LAZULI" rest -u '/subscriptions?api-version=2022-12-01' --resource https://vault.azure.net
	[ "$status" -eq 1 ]
	[[ "$output" == *"(InvalidAuthenticationTokenAudience)"* ]]
	run "$LAZULI" rest -m put -u /x -b '{"a":'
	[ "$status" -eq 2 ]
	[[ "$output" == *"argument --body: not valid JSON"* ]]
	run "$LAZULI" rest -m fetch -u /x
	[ "$status" -eq 2 ]
}

@test "rest --headers: KEY=VALUE words or a JSON object are sent, replacing the defaults; bad ones are usage errors" {
	emu_start
	"$LAZULI" login --identity >/dev/null
	printf '%s' '{"X-From-File": "f", "Accept": "application/json;odata=nometadata"}' >"$T/h.json"
	run "$LAZULI" rest -u '/subscriptions/{subscriptionId}/resourcegroups?api-version=2024-11-01' \
		--headers X-Test=1 "Y-Other=two words" '{"X-Json": "j"}' "@$T/h.json" --query 'value[0].name' -o tsv
	[ "$status" -eq 0 ]
	[ "$output" = lazuli-rg ]
	run jget '[{k.lower(): v for k, v in r["headers"].items()} for r in d if r["path"].endswith("/resourcegroups")][-1]' < <(requests)
	[ "$(jget '[d.get(k) for k in ("x-test", "y-other", "x-json", "x-from-file", "accept")]' <<<"$output")" = \
		'["1","two words","j","f","application/json;odata=nometadata"]' ]
	# The caller's Authorization is sent instead of lazuli's token (here: refused).
	run "$LAZULI" rest -u '/subscriptions?api-version=2022-12-01' --headers "Authorization=Bearer nope"
	[ "$status" -eq 1 ]
	[[ "$output" == *"(InvalidAuthenticationToken)"* ]]
	for bad in novalue '{"a":' 'X Y=1' $'X-Evil=a\r\nInjected: 1' "@$T/missing.json"; do
		run "$LAZULI" rest -u '/subscriptions?api-version=2022-12-01' --headers "$bad"
		[ "$status" -eq 2 ]
		[[ "$output" == *"argument --headers:"* ]]
	done
}

@test "429 with Retry-After is retried after the delay; the retry keeps its request ids" {
	emu_start '{"arm":{"queues":{"/subscriptions":[{"status":429,"headers":{"Retry-After":"1"},"body_json":{"error":{"code":"TooManyRequests","message":"slow down"}}},{"default":true}]}}}'
	run "$LAZULI" login --identity
	[ "$status" -eq 0 ]
	gap=$(requests | jget 'int(1000 * (lambda t: t[1] - t[0])([r["ts_mono"] for r in d if r["path"] == "/subscriptions"]))')
	echo "gap $gap ms"
	[ "$gap" -ge 950 ]
	[ "$(requests | jget 'len({r["headers"]["x-ms-correlation-request-id"] for r in d if r["path"] == "/subscriptions"})')" = 1 ]
	[ "$(requests | jget 'len({r["headers"]["x-ms-client-request-id"] for r in d if r["path"] == "/subscriptions"})')" = 1 ]
}

@test "output formats: json sorted, table skips id/type, tsv values, none nothing; a bad --query is a usage error" {
	emu_start
	"$LAZULI" login --identity >/dev/null
	run "$LAZULI" group show -n lazuli-rg
	[ "${lines[1]}" = '  "id": "/subscriptions/'"$("$LAZULI" account show --query id -o tsv)"'/resourceGroups/lazuli-rg",' ]
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert json.dumps(d, indent=2, sort_keys=True) == sys.argv[1]' "$output"
	# A command without a table of its own in az: its scalar fields, sorted.
	run "$LAZULI" group show -n lazuli-rg -o table
	[ "${lines[0]}" = "Location    Name" ]
	[ "${lines[1]}" = "----------  ---------" ]
	[ "${lines[2]}" = "westeurope  lazuli-rg" ]
	run "$LAZULI" group show -n lazuli-rg -o tsv
	# managedBy is null: knack prints str(None); an object nothing.
	[[ "$output" == /subscriptions/*$'\twesteurope\tNone\tlazuli-rg\t\t\tMicrosoft.Resources/resourceGroups' ]]
	run "$LAZULI" group list --query '[].[managedBy, name, tags]' -o tsv
	[ "$output" = $'None\tlazuli-rg\t' ]
	# A boolean row is lowercased; a boolean field is not.
	run "$LAZULI" group exists -n lazuli-rg -o tsv
	[ "$output" = true ]
	run "$LAZULI" account list --query '[].[isDefault, name]' -o tsv
	[ "$output" = $'True\tLazuli Emulated Subscription' ]
	run "$LAZULI" group show -n lazuli-rg -o none
	[ -z "$output" ]
	# jsonc is json unless stdout and stderr are a terminal, as az's.
	run "$LAZULI" group show -n lazuli-rg -o jsonc
	[ "$output" = "$("$LAZULI" group show -n lazuli-rg)" ]
	run script -qec "$LAZULI group show -n lazuli-rg -o jsonc" /dev/null
	[[ "$output" == *$'\033[94m"name"\033[0m'* ]]
	run "$LAZULI" group list --query '[?name==`x`'
	[ "$status" -eq 2 ]
	[[ "$output" == *"argument --query"* ]]
}

# same_as_json ARGS...: lazuli ARGS -o yaml reads back (PyYAML) as lazuli ARGS -o json
same_as_json() {
	"$LAZULI" "$@" -o yaml >"$T/out.yaml"
	"$LAZULI" "$@" -o json >"$T/out.json"
	python3 - "$T/out.yaml" "$T/out.json" <<'PY'
import json, sys
sys.path.append("/usr/lib/python3/dist-packages")
import yaml
y, j = yaml.safe_load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert y == j, (y, j)
PY
}

@test "output yaml: az's PyYAML text, the same data as json, with --query; yamlc colours a terminal only" {
	emu_start
	"$LAZULI" login --identity >/dev/null
	same_as_json vm show -g lazuli-rg -n temp-vm
	same_as_json vm list -d
	same_as_json group list --query '[].{n:name, id:id}'
	run "$LAZULI" vm show -g lazuli-rg -n temp-vm -o yaml
	[ "$status" -eq 0 ]
	# Keys sorted; a list in a mapping at the key's column, its mappings as "- key: value".
	[ "${lines[0]}" = "additionalCapabilities: null" ]
	[[ "$output" == *$'\nhardwareProfile:\n  vmSize: Standard_D2ds_v5\n  vmSizeProperties: null\n'* ]]
	[[ "$output" == *$'\n  networkInterfaces:\n  - deleteOption: null\n    id: /subscriptions/'* ]]
	[[ "$output" == *$'\ntags: {}\n'* ]]
	# A plain scalar alone is ended with "...", as PyYAML does.
	run "$LAZULI" vm list --query '[0].name' -o yaml
	[ "$output" = $'temp-vm\n...' ]
	run "$LAZULI" vm list --query '[0].zones' -o yaml
	[ "$output" = $'null\n...' ]
	# Tag values that YAML would read as something else are quoted as PyYAML quotes them.
	"$LAZULI" group create -n yaml-rg -l westeurope --tags b=true n=null i=007 f=1.5 e= \
		"c=a: b" "h=#x" "d=- x" "s= x" u=Zoë >/dev/null
	run "$LAZULI" group show -n yaml-rg --query tags -o yaml
	[ "$output" = "b: 'true'
c: 'a: b'
d: '- x'
e: ''
f: '1.5'
h: '#x'
i: '007'
n: 'null'
s: ' x'
u: Zoë" ]
	same_as_json group show -n yaml-rg
	# yamlc: plain yaml through a pipe, pygments' colours on a terminal.
	[ "$("$LAZULI" group show -n yaml-rg -o yamlc)" = "$("$LAZULI" group show -n yaml-rg -o yaml)" ]
	run script -qec "$LAZULI group show -n yaml-rg --query tags.b -o yamlc" /dev/null
	[[ "$output" == *$'\033[33m\'\033[39;49;00m\033[33mtrue\033[39;49;00m'* ]]
	run "$LAZULI" group list -o xml
	[ "$status" -eq 2 ]
	[[ "$output" == *"'yaml', 'yamlc')"* ]]
}

@test "vm show, list (-d) and get-instance-view print the members az prints, null where ARM sent none" {
	# The reference: what az printed for the same commands against lazuli-emu
	# (see its captured_with), with a second VM, full-vm, in which every
	# member of a model type is an empty model, so that az prints them all;
	# members.py PUTs it.
	ref=$LAZULI_SRCDIR/tests/fixtures/az-vm-members.json
	emu_start '{"arm": {"data": {"resources": [{"type": "Microsoft.Compute/virtualMachines",
		"name": "gb-vm", "properties": {"storageProfile": {"osDisk": {"diskSizeGB": 30}}}}]}}}'
	"$LAZULI" login --identity >/dev/null
	run python3 "$LAZULI_SRCDIR/tests/integration/cli/members.py" "$ref" "$LAZULI"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == "7 passed, 0 failed" ]]
	# Absent from the response, present as null, as az prints it.
	run "$LAZULI" vm show -g lazuli-rg -n temp-vm --query '{a: availabilitySet, s: hardwareProfile}' -o yaml
	[ "$output" = $'a: null\ns:\n  vmSize: Standard_D2ds_v5\n  vmSizeProperties: null' ]
	run "$LAZULI" vm show -g lazuli-rg -n temp-vm --query 'contains(keys(@), `"availabilitySet"`)'
	[ "$output" = true ]
	run "$LAZULI" vm show -g lazuli-rg -n temp-vm -d --query 'contains(keys(@), `"instanceView"`)'
	[ "$output" = false ]
	# ARM's diskSizeGB is the SDK's disk_size_gb, which az prints as diskSizeGb.
	run "$LAZULI" vm show -g lazuli-rg -n gb-vm --query 'storageProfile.osDisk.[diskSizeGb, diskSizeGB]' -o json
	[ "$output" = $'[\n  30,\n  null\n]' ]
}

@test "group, resource, tag and account commands print the members az prints, null where ARM sent none" {
	# The reference: what az printed for the same commands, in the same order,
	# against lazuli-emu (see its captured_with), with two resources in which
	# every model (sku, plan, identity, ...) is present and empty, so that az
	# prints all their members; members.py PUTs them.
	ref=$LAZULI_SRCDIR/tests/fixtures/az-arm-members.json
	emu_start
	"$LAZULI" login --service-principal -u "$CLIENT" -p "$SECRET" --tenant "$TENANT" >/dev/null
	run python3 "$LAZULI_SRCDIR/tests/integration/cli/members.py" "$ref" "$LAZULI"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == "17 passed, 0 failed" ]]
	# Absent from the response, present as null; what ARM sent is kept.
	run "$LAZULI" group show -n lazuli-rg --query '[managedBy, tags.env]' -o json
	[ "$output" = $'[\n  null,\n  "test"\n]' ]
	run "$LAZULI" resource list -g lazuli-rg --query '[?name==`full-res`].[kind, sku.name, createdTime, provisioningState]' -o json
	[ "$output" = $'[\n  [\n    "StorageV2",\n    null,\n    null,\n    "Succeeded"\n  ]\n]' ]
	# az asks ARM for these three, which a list leaves out otherwise (the
	# emulator knows the state only).
	run curl -sS "$ARM/_emu/requests?port=arm"
	[ "$(jget '[r["query"] for r in d if r["path"].endswith("/resourceGroups/lazuli-rg/resources")][-1]' <<<"$output")" = \
		'$expand=createdTime%2CchangedTime%2CprovisioningState&api-version=2021-04-01' ]
}

@test "-o table of group, resource, account and vm list: az's columns and layout" {
	# The reference: what az printed for the same commands against
	# lazuli-emu (tools/az-members/run tables), where az's cloud was the
	# registered "LazuliEmu" and lazuli's is AzureCloud.
	ref=$LAZULI_SRCDIR/tests/fixtures/az-tables.json
	emu_start
	"$LAZULI" login --service-principal -u "$CLIENT" -p "$SECRET" --tenant "$TENANT" >/dev/null
	run python3 - "$ref" "$LAZULI" <<'PY'
import json, subprocess, sys
ref = json.load(open(sys.argv[1]))["commands"]
bad = 0
for cmd, want in ref.items():
    want = want.replace("LazuliEmu ", "AzureCloud")
    got = subprocess.run([sys.argv[2]] + cmd.split() + ["-o", "table"], capture_output=True,
                         text=True).stdout
    if got != want:
        bad += 1
        print(f"{cmd}:\n{got}az:\n{want}")
print(f"{len(ref) - bad} passed, {bad} failed")
PY
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "5 passed, 0 failed" ]
	# With --query the table shows what the query selected, not az's columns.
	run "$LAZULI" group list -o table --query '[].{Group:name}'
	[ "$output" = $'Group\n---------\nlazuli-rg' ]
}

@test "login and account list say cloudName, account show environmentName; managedByTenants as ARM sent it" {
	emu_start
	# az renames the profile's environmentName to cloudName when it lists.
	run "$LAZULI" login --service-principal -u "$CLIENT" -p "$SECRET" --tenant "$TENANT"
	[ "$(jget '[(a["cloudName"], "environmentName" in a, a["managedByTenants"]) for a in d]' <<<"$output")" = '[["AzureCloud",false,null]]' ]
	run "$LAZULI" account list --query '[0].[cloudName, environmentName]' -o json
	[ "$output" = $'[\n  "AzureCloud",\n  null\n]' ]
	# The emulator's subscription has no managedByTenants: az keeps null, not [].
	run "$LAZULI" account show --query '[cloudName, environmentName, managedByTenants]' -o json
	[ "$output" = $'[\n  null,\n  "AzureCloud",\n  null\n]' ]
}

@test "bash completion offers the table's groups, commands and options" {
	PATH="$(dirname "$LAZULI"):$PATH"
	source "$LAZULI_SRCDIR/shell-completion/lazuli.bash"
	COMP_WORDS=(lazuli v)
	COMP_CWORD=1
	_lazuli
	[ "${COMPREPLY[*]}" = vm ]
	COMP_WORDS=(lazuli vm de)
	COMP_CWORD=2
	_lazuli
	[ "${COMPREPLY[*]}" = deallocate ]
	COMP_WORDS=(lazuli vm start --no)
	COMP_CWORD=3
	_lazuli
	[ "${COMPREPLY[*]}" = --no-wait ]
	COMP_WORDS=(lazuli vm list -o t)
	COMP_CWORD=4
	_lazuli
	[ "${COMPREPLY[*]}" = "table tsv" ]
}

# azcli_profile USER-JSON: an ~/.azure/azureProfile.json for the emulator's subscription, with a BOM
azcli_profile() {
	mkdir -p "$HOME/.azure"
	python3 - "$HOME/.azure/azureProfile.json" "$1" "$ARM" <<'PY'
import json, sys, urllib.request
subs = json.load(urllib.request.urlopen(urllib.request.Request(
    sys.argv[3] + "/_emu/arm")))["subscriptions"]
s = list(subs.values())[0]
entry = {"id": s["subscriptionId"], "name": s["displayName"], "state": "Enabled",
         "tenantId": s["tenantId"], "isDefault": True, "environmentName": "AzureCloud",
         "homeTenantId": s["tenantId"], "managedByTenants": [], "user": json.loads(sys.argv[2])}
with open(sys.argv[1], "w", encoding="utf-8-sig") as f:
    json.dump({"installationId": "x", "subscriptions": [entry]}, f)
PY
}

@test "zsh completion offers the table's groups, commands and options" {
	# _lazuli run by zsh itself, with compadd replaced by a printer of the candidates.
	zc() {
		PATH="$(dirname "$LAZULI"):$PATH" zsh -fc '
			compadd() { print -r -- "${(j: :)${(P)2}}"; }
			words=("${(@)argv[2,-1]}"); CURRENT=$#words
			source "$1"' zc "$LAZULI_SRCDIR/shell-completion/_lazuli" "$@"
	}
	run zc lazuli ''
	[[ " $output " == *" vm "* ]]
	[[ " $output " == *" group "* ]]
	run zc lazuli vm ''
	[[ " $output " == *" deallocate "* ]]
	[[ " $output " != *" group "* ]]
	run zc lazuli vm start ''
	[[ " $output " == *" --no-wait "* ]]
	[[ " $output " == *" --output "* ]]
	run zc lazuli vm list -o ''
	[ "$output" = "json jsonc table tsv yaml yamlc none" ]
}

@test "the Azure CLI's login is used when lazuli has none: a user's cached token, with the BOM az writes" {
	emu_start
	token=$(curl -sS -X POST "$ARM/$TENANT/oauth2/v2.0/token" -d grant_type=client_credentials \
		-d "client_id=$CLIENT" -d "client_secret=$SECRET" \
		-d 'scope=https://management.core.windows.net//.default' | jget 'd["access_token"]')
	azcli_profile '{"name":"user@example.com","type":"user"}'
	run "$LAZULI" vm list --query '[0].name' -o tsv
	[ "$status" -eq 1 ]
	[[ "$output" == *"no unexpired ARM token"*"run 'az login' or 'lazuli login'"* ]]
	python3 - "$HOME/.azure/msal_token_cache.json" "$token" "$TENANT" <<'PY'
import json, sys, time
at = {"credential_type": "AccessToken", "secret": sys.argv[2], "realm": sys.argv[3],
      "target": "https://management.core.windows.net//user_impersonation https://management.core.windows.net//.default",
      "expires_on": str(int(time.time()) + 3000), "home_account_id": "u.t", "environment": "login.microsoftonline.com",
      "client_id": "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "token_type": "Bearer"}
old = dict(at, secret="expired", expires_on=str(int(time.time()) - 10))
with open(sys.argv[1], "w", encoding="utf-8-sig") as f:
    json.dump({"AccessToken": {"a": old, "b": at}}, f)
PY
	run "$LAZULI" vm list --query '[0].name' -o tsv
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = temp-vm ]
	run "$LAZULI" account show --query user.name -o tsv
	[ "$output" = user@example.com ]
	[ ! -e "$LAZULI_CONFIG_DIR/profile.json" ]
}

@test "the Azure CLI's managed-identity and service-principal logins are used as such" {
	emu_start
	azcli_profile '{"assignedIdentityInfo":"MSI","name":"systemAssignedIdentity","type":"servicePrincipal"}'
	run "$LAZULI" group list --query '[].name' -o tsv
	[ "$output" = lazuli-rg ]
	azcli_profile "{\"name\":\"$CLIENT\",\"type\":\"servicePrincipal\"}"
	run "$LAZULI" group list --query '[].name' -o tsv
	[ "$status" -eq 1 ]
	[[ "$output" == *"has no client secret"* ]]
	printf '\xef\xbb\xbf[{"client_id":"%s","tenant":"%s","client_secret":"%s"}]' "$CLIENT" "$TENANT" "$SECRET" \
		>"$HOME/.azure/service_principal_entries.json"
	rm -f "$LAZULI_CONFIG_DIR/tokens.json"
	run "$LAZULI" group list --query '[].name' -o tsv
	[ "$output" = lazuli-rg ]
	n=$(curl -sS "$ARM/_emu/requests?port=arm" | jget 'len([r for r in d if r["path"].endswith("/oauth2/v2.0/token")])')
	[ "$n" -eq 1 ]
}

# sp_cert NAME: $T/NAME.pem with a new RSA key and its self-signed certificate, as
# 'az ad sp create-for-rbac --create-cert' writes it; $T/NAME.crt alone
sp_cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/$1.key" -out "$T/$1.crt" \
		-days 2 -subj "/CN=$1" 2>/dev/null
	cat "$T/$1.key" "$T/$1.crt" >"$T/$1.pem"
}

# emu_start_cert CRT: the emulator with CRT registered for the service principal
emu_start_cert() {
	emu_start "$(python3 -c 'import json,sys; print(json.dumps({"arm":{"client_certificate":open(sys.argv[1]).read()}}))' "$1")"
}

token_requests() {
	curl -sS "$ARM/_emu/requests?port=arm" | jget 'len([r for r in d if r["path"].endswith("/oauth2/v2.0/token")])'
}

@test "login --certificate: a signed assertion; the profile keeps the file's path, later commands sign again" {
	sp_cert sp
	emu_start_cert "$T/sp.crt"
	mkdir "$T/work"
	cd "$T/work"
	cp "$T/sp.pem" ./sp.pem
	run "$LAZULI" login --service-principal -u "$CLIENT" --tenant "$TENANT" --certificate sp.pem
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jget 'd[0]["user"]' <<<"$output")" = "{\"name\":\"$CLIENT\",\"type\":\"servicePrincipal\"}" ]
	[ "$(jget 'd["login"]' <"$LAZULI_CONFIG_DIR/profile.json")" = "{\"type\":\"servicePrincipal\",\"clientId\":\"$CLIENT\",\"tenant\":\"$TENANT\",\"certificate\":\"$T/work/sp.pem\"}" ]
	! grep -q 'PRIVATE KEY' "$LAZULI_CONFIG_DIR/profile.json" "$LAZULI_CONFIG_DIR/tokens.json"
	cd /
	run "$LAZULI" group list --query '[].name' -o tsv
	[ "$output" = lazuli-rg ]
	[ "$(token_requests)" -eq 1 ]
	# Without a cached token the next command signs a new assertion from the file.
	rm "$LAZULI_CONFIG_DIR/tokens.json"
	run "$LAZULI" vm list --query '[0].name' -o tsv
	[ "$status" -eq 0 ]
	[ "$output" = temp-vm ]
	[ "$(token_requests)" -eq 2 ]
	# and says so, naming the file, once the file is gone
	rm "$LAZULI_CONFIG_DIR/tokens.json" "$T/work/sp.pem"
	run "$LAZULI" vm list
	[ "$status" -eq 1 ]
	[ "$output" = "ERROR: Cannot read the certificate file $T/work/sp.pem: No such file or directory" ]
}

@test "login --certificate: a certificate the application does not know is refused with AADSTS700027" {
	sp_cert sp
	sp_cert other
	emu_start_cert "$T/sp.crt"
	run "$LAZULI" login --service-principal -u "$CLIENT" --tenant "$TENANT" --certificate "$T/other.pem"
	[ "$status" -eq 1 ]
	[[ "$output" == "ERROR: (invalid_client) AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application."* ]]
	[ ! -e "$LAZULI_CONFIG_DIR/profile.json" ]
	# az's older form: the PEM file in --password, with az's deprecation warning
	run "$LAZULI" login --service-principal -u "$CLIENT" --tenant "$TENANT" -p "$T/sp.pem" -o none
	[ "$status" -eq 0 ]
	[[ "$output" == *"WARNING: Passing the service principal certificate with --password is deprecated; use --certificate instead."* ]]
	[ "$(jget 'd["login"]["certificate"]' <"$LAZULI_CONFIG_DIR/profile.json")" = "$T/sp.pem" ]
	run "$LAZULI" login --service-principal -u "$CLIENT" --tenant "$TENANT" -p "$SECRET" --certificate "$T/sp.pem"
	[ "$status" -eq 2 ]
}

@test "login --certificate: a missing, garbage, key-less or mismatched PEM file is named, and nothing is sent" {
	sp_cert sp
	sp_cert other
	emu_start_cert "$T/sp.crt"
	login_cert() { "$LAZULI" login --service-principal -u "$CLIENT" --tenant "$TENANT" --certificate "$1"; }
	run login_cert "$T/nope.pem"
	[ "$status" -eq 1 ]
	[ "$output" = "ERROR: Cannot read the certificate file $T/nope.pem: No such file or directory" ]
	echo 'hello, not a certificate' >"$T/garbage.pem"
	run login_cert "$T/garbage.pem"
	[ "$status" -eq 1 ]
	[[ "$output" == "ERROR: $T/garbage.pem is not a PEM file"* ]]
	run login_cert "$T/sp.crt"
	[ "$status" -eq 1 ]
	[[ "$output" == "ERROR: $T/sp.crt has no private key"* ]]
	run login_cert "$T/sp.key"
	[ "$status" -eq 1 ]
	[[ "$output" == "ERROR: $T/sp.key has no certificate"* ]]
	cat "$T/other.key" "$T/sp.crt" >"$T/mixed.pem"
	run login_cert "$T/mixed.pem"
	[ "$status" -eq 1 ]
	[ "$output" = "ERROR: $T/mixed.pem: the private key does not belong to the certificate" ]
	# a certificate of January 2020 (openssl req chooses no start date before 3.4; openssl ca does)
	mkdir "$T/ca"
	touch "$T/ca/index.txt"
	printf '[ca]\ndefault_ca=c\n[c]\ndatabase=%s/index.txt\nserial=%s/serial\nnew_certs_dir=%s\npolicy=p\ndefault_md=sha256\n[p]\ncommonName=supplied\n' \
		"$T/ca" "$T/ca" "$T/ca" >"$T/ca/ca.cnf"
	echo 01 >"$T/ca/serial"
	openssl req -new -newkey rsa:2048 -nodes -keyout "$T/old.key" -out "$T/old.csr" -subj /CN=old 2>/dev/null
	openssl ca -batch -notext -selfsign -config "$T/ca/ca.cnf" -keyfile "$T/old.key" -in "$T/old.csr" \
		-out "$T/old.crt" -startdate 20200101000000Z -enddate 20200201000000Z 2>/dev/null
	cat "$T/old.key" "$T/old.crt" >"$T/old.pem"
	run login_cert "$T/old.pem"
	[ "$status" -eq 1 ]
	[ "$output" = "ERROR: $T/old.pem: the certificate expired on 2020-02-01 00:00:00 UTC" ]
	[ "$(token_requests)" -eq 0 ]
	[ ! -e "$LAZULI_CONFIG_DIR/profile.json" ]
}

@test "libcrypto is opened only to sign: not linked, not loaded by --version or a cached token" {
	! ldd "$LAZULI" | grep -E 'libcrypto|libssl|libcurl'
	run env LD_DEBUG=files "$LAZULI" --version
	[ "$status" -eq 0 ]
	[[ "$output" != *libcrypto* ]]
	sp_cert sp
	emu_start_cert "$T/sp.crt"
	run env LD_DEBUG=files "$LAZULI" login --service-principal -u "$CLIENT" --tenant "$TENANT" --certificate "$T/sp.pem" -o none
	[ "$status" -eq 0 ]
	[[ "$output" == *"file=libcrypto.so.3 [0];  dynamically loaded by "* ]]
	# With a cached token nothing is signed (libcurl's TLS library may still bring libcrypto in).
	run env LD_DEBUG=files "$LAZULI" vm show -g lazuli-rg -n temp-vm --query name -o tsv
	[ "$status" -eq 0 ]
	[[ "$output" == *temp-vm* ]]
	[[ "$output" != *"libcrypto.so.3 [0];  dynamically loaded"* ]]
}

# msal_cache AT-EXPIRES-IN REFRESH-TOKEN: az's msal_token_cache.json for user@example.com
msal_cache() {
	python3 - "$HOME/.azure/msal_token_cache.json" "$1" "$2" "$TENANT" <<'PY'
import json, sys, time
path, expires_in, rt, tenant = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
az = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
home = "0000aaaa-1111.%s" % tenant
env = "login.microsoftonline.com"
cache = {
  "Account": {"%s-%s-%s" % (home, env, tenant): {"home_account_id": home, "environment": env,
      "realm": tenant, "local_account_id": "0000aaaa-1111", "username": "user@example.com",
      "authority_type": "MSSTS"}},
  "AccessToken": {"at": {"credential_type": "AccessToken", "secret": "expired-access-token",
      "home_account_id": home, "environment": env, "client_id": az, "realm": tenant,
      "target": "https://management.core.windows.net//user_impersonation https://management.core.windows.net//.default",
      "expires_on": str(int(time.time()) + expires_in), "token_type": "Bearer"}},
  "RefreshToken": {"rt": {"credential_type": "RefreshToken", "secret": rt, "home_account_id": home,
      "environment": env, "client_id": az, "target": "https://management.core.windows.net//user_impersonation",
      "family_id": "1"}},
  "IdToken": {}, "AppMetadata": {}}
with open(path, "w", encoding="utf-8-sig") as f:
    json.dump(cache, f)
PY
}

@test "the Azure CLI's expired user token is refreshed once with its refresh token, kept in lazuli's cache" {
	emu_start '{"arm":{"refresh_tokens":["rt-of-user"]}}'
	azcli_profile '{"name":"user@example.com","type":"user"}'
	msal_cache -600 rt-of-user
	before=$(sha256sum "$HOME"/.azure/*)
	run "$LAZULI" vm list --query '[0].name' -o tsv
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = temp-vm ]
	run "$LAZULI" group list --query '[].name' -o tsv
	[ "$output" = lazuli-rg ]
	run "$LAZULI" account get-access-token --query tokenType -o tsv
	[ "$output" = Bearer ]
	# one refresh, with what az's MSAL sends
	run curl -sS "$ARM/_emu/requests?port=arm"
	[ "$(jget 'len([r for r in d if r["path"].endswith("/oauth2/v2.0/token")])' <<<"$output")" -eq 1 ]
	[ "$(jget '[r["path"] for r in d if "oauth2" in r["path"]]' <<<"$output")" = "[\"/$TENANT/oauth2/v2.0/token\"]" ]
	# The new token is lazuli's, 0600; az's files are as they were.
	[ "$(stat -c %a "$LAZULI_CONFIG_DIR/tokens.json")" = 600 ]
	[ "$(jget 'len(d)' <"$LAZULI_CONFIG_DIR/tokens.json")" -eq 1 ]
	[ "$(sha256sum "$HOME"/.azure/*)" = "$before" ]
	[ ! -e "$LAZULI_CONFIG_DIR/profile.json" ]
}

@test "the Azure CLI's refresh token refused: the identity platform's error and 'az login', exit 1" {
	emu_start '{"arm":{"refresh_tokens":["rt-of-user"]}}'
	azcli_profile '{"name":"user@example.com","type":"user"}'
	msal_cache -600 rt-revoked
	run "$LAZULI" vm list
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "ERROR: (invalid_grant) AADSTS70000: Provided grant is invalid or malformed."* ]]
	[ "${lines[-2]}" = "Interactive authentication is needed. Please run:" ]
	[ "${lines[-1]}" = "az login" ]
	[ ! -e "$LAZULI_CONFIG_DIR/tokens.json" ] || [ "$(jget 'len(d)' <"$LAZULI_CONFIG_DIR/tokens.json")" -eq 0 ]
}
