#!/usr/bin/env bats
# Azure Resource Manager and the identity platform's token endpoint on the
# emulator's ARM port: what the lazuli CLI and library depend on, on the wire.

load helpers

TENANT=00000000-0000-0000-0000-0000000e4a7e
CLIENT=00000000-0000-0000-0000-0000000e4ac1
SECRET=lazuli-emu-client-secret
RV=api-version=2024-11-01

setup() {
	common_setup
}
teardown() { common_teardown; }

# login: a token for ARM from the client-credentials flow
login() {
	curl -sS -X POST "$ARM/$TENANT/oauth2/v2.0/token" \
		--data-urlencode grant_type=client_credentials --data-urlencode "client_id=$CLIENT" \
		--data-urlencode "client_secret=$SECRET" \
		--data-urlencode 'scope=https://management.azure.com/.default' | jget 'd["access_token"]'
}

# arm METHOD PATH [curl args...]: body, then "\n<status>"
arm() {
	local m=$1 p=$2
	shift 2
	curl -sS -X "$m" -H "Authorization: Bearer $TOK" -w '\n%{http_code}' "$@" "$ARM$p"
}

sub() { jget 'd["value"][0]["subscriptionId"]' < <(arm GET "/subscriptions?$RV" | head -n 1); }

@test "client credentials: v2.0 and v1 token responses, and the identity platform's errors" {
	emu_start
	run curl -sS -X POST "$ARM/$TENANT/oauth2/v2.0/token" -d grant_type=client_credentials \
		-d "client_id=$CLIENT" -d "client_secret=$SECRET" \
		-d 'scope=https://management.azure.com/.default'
	[ "$status" -eq 0 ]
	[ "$(jget 'd["token_type"], d["expires_in"]' <<<"$output")" = '["Bearer",3599]' ]
	# The token is a JWT whose audience is the resource of the scope.
	aud=$(jget 'd["access_token"].split(".")[1]' <<<"$output" |
		python3 -c 'import base64,json,sys;s=sys.stdin.read().strip();print(json.loads(base64.urlsafe_b64decode(s+"="*(-len(s)%4)))["aud"])')
	[ "$aud" = "https://management.azure.com/" ]

	run curl -sS -X POST "$ARM/$TENANT/oauth2/token" -d grant_type=client_credentials \
		-d "client_id=$CLIENT" -d "client_secret=$SECRET" -d 'resource=https://management.core.windows.net/'
	[ "$(jget 'd["expires_in"], d["resource"]' <<<"$output")" = '["3599","https://management.core.windows.net/"]' ]

	run curl -sS -w '\n%{http_code}' -X POST "$ARM/$TENANT/oauth2/v2.0/token" -d grant_type=client_credentials \
		-d "client_id=$CLIENT" -d client_secret=wrong -d 'scope=https://management.azure.com/.default'
	[ "${lines[1]}" = 401 ]
	[ "$(jget 'd["error"], d["error_codes"]' <<<"${lines[0]}")" = '["invalid_client",[7000215]]' ]

	run curl -sS -w '\n%{http_code}' -X POST "$ARM/not-my-tenant/oauth2/v2.0/token" -d grant_type=client_credentials \
		-d "client_id=$CLIENT" -d "client_secret=$SECRET" -d 'scope=https://management.azure.com/.default'
	[ "${lines[1]}" = 400 ]
	[[ "$(jget 'd["error_description"]' <<<"${lines[0]}")" == "AADSTS90002: Tenant not found."* ]]

	run curl -sS -w '\n%{http_code}' -X POST "$ARM/$TENANT/oauth2/v2.0/token" -d grant_type=client_credentials \
		-d "client_id=$CLIENT" -d "client_secret=$SECRET" -d 'scope=https://management.azure.com/'
	[ "${lines[1]}" = 400 ]
	[ "$(jget 'd["error"]' <<<"${lines[0]}")" = invalid_scope ]
}

@test "ARM refuses a missing, malformed, foreign-audience or expired token" {
	emu_scenario '{"identity":{"expires_in":0}}'
	run curl -sS -w '\n%{http_code}' "$ARM/subscriptions?$RV"
	[ "${lines[1]}" = 401 ]
	[ "$(jget 'd["error"]["code"]' <<<"${lines[0]}")" = AuthenticationFailed ]

	TOK=not-a-jwt
	run arm GET "/subscriptions?$RV"
	[ "$(jget 'd["error"]["code"]' <<<"${lines[0]}")" = InvalidAuthenticationToken ]

	# A managed-identity token for another audience (Key Vault) is refused by name.
	TOK=$(curl -sS -H 'Metadata: true' "$IMDS/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net" | jget 'd["access_token"]')
	run arm GET "/subscriptions?$RV"
	[ "${lines[1]}" = 401 ]
	[ "$(jget 'd["error"]["code"]' <<<"${lines[0]}")" = InvalidAuthenticationTokenAudience ]

	# expires_in 0: the token is already expired.
	TOK=$(login)
	run arm GET "/subscriptions?$RV"
	[ "$(jget 'd["error"]["code"]' <<<"${lines[0]}")" = ExpiredAuthenticationToken ]
}

@test "subscriptions, groups and resources of the IMDS fixture; ids are case-insensitive" {
	emu_start
	TOK=$(login)
	run arm GET "/subscriptions"
	[ "${lines[1]}" = 400 ]
	[ "$(jget 'd["error"]["code"]' <<<"${lines[0]}")" = MissingApiVersionParameter ]

	s=$(sub)
	vmsub=$(curl -sS -H 'Metadata: true' "$IMDS/metadata/instance?api-version=2021-02-01" | jget 'd["compute"]["subscriptionId"]')
	[ "$s" = "$vmsub" ]
	run arm GET "/subscriptions/$s/resourcegroups?$RV"
	[ "$(jget '[g["name"] for g in d["value"]]' <<<"${lines[0]}")" = '["lazuli-rg"]' ]
	run arm GET "/SUBSCRIPTIONS/$s/resourceGroups/LAZULI-RG/providers/microsoft.compute/virtualmachines/TEMP-VM?$RV"
	[ "${lines[1]}" = 200 ]
	[ "$(jget 'd["name"], d["properties"]["hardwareProfile"]["vmSize"]' <<<"${lines[0]}")" = '["temp-vm","Standard_D2ds_v5"]' ]
	[ "$(jget '"instanceView" in d["properties"]' <<<"${lines[0]}")" = false ]
	run arm GET "/subscriptions/$s/resourceGroups/lazuli-rg/providers/Microsoft.Compute/virtualMachines/temp-vm?$RV&\$expand=instanceView"
	[ "$(jget 'd["properties"]["instanceView"]["statuses"][1]["code"]' <<<"${lines[0]}")" = PowerState/running ]

	run arm GET "/subscriptions/$s/resourceGroups/lazuli-rg/providers/Microsoft.Compute/virtualMachines/nope?$RV"
	[ "${lines[1]}" = 404 ]
	[ "$(jget 'd["error"]["code"]' <<<"${lines[0]}")" = ResourceNotFound ]
	run arm GET "/subscriptions/$s/resourceGroups/nope?$RV"
	[ "$(jget 'd["error"]["code"], d["error"]["message"]' <<<"${lines[0]}")" = "[\"ResourceGroupNotFound\",\"Resource group 'nope' could not be found.\"]" ]
	run arm GET "/subscriptions/00000000-dead-beef-0000-000000000000?$RV"
	[ "$(jget 'd["error"]["code"]' <<<"${lines[0]}")" = SubscriptionNotFound ]
}

@test "every response carries request and correlation ids; the client's correlation id is echoed" {
	emu_start
	TOK=$(login)
	run curl -sS -i -H "Authorization: Bearer $TOK" -H 'x-ms-correlation-request-id: 11111111-2222-4333-8444-555555555555' "$ARM/subscriptions?$RV"
	[[ "$output" == *$'x-ms-correlation-request-id: 11111111-2222-4333-8444-555555555555\r'* ]]
	[[ "$output" =~ x-ms-request-id:\ [0-9a-f-]{36} ]]
	run curl -sS -i -H "Authorization: Bearer $TOK" "$ARM/subscriptions/x?$RV"
	[[ "$output" =~ x-ms-correlation-request-id:\ [0-9a-f-]{36} ]]
}

@test "lists page through nextLink; \$filter and \$top narrow them" {
	emu_scenario '{"arm":{"page_size":2,"data":{"resources":[
		{"type":"Microsoft.Storage/storageAccounts","name":"store1","tags":{"env":"prod"}},
		{"type":"Microsoft.Storage/storageAccounts","name":"webstore","tags":{"env":"dev"}},
		{"type":"Microsoft.Compute/virtualMachines","name":"web-1","tags":{"env":"prod"}},
		{"type":"Microsoft.Compute/virtualMachines","name":"web-2","powerState":"deallocated"}]}}}'
	TOK=$(login)
	s=$(sub)
	url="/subscriptions/$s/resources?api-version=2021-04-01"
	names=()
	for _ in 1 2 3 4; do
		run arm GET "$url"
		[ "${lines[1]}" = 200 ]
		names+=($(jget '" ".join(r["name"] for r in d["value"])' <<<"${lines[0]}"))
		next=$(jget 'd.get("nextLink") or ""' <<<"${lines[0]}")
		[ -n "$next" ] || break
		url=${next#"$ARM"}
	done
	[ "${#names[@]}" -eq 6 ]
	[ -z "$next" ]
	[ "$(printf '%s\n' "${names[@]}" | sort | tr '\n' ' ')" = "store1 temp-vm temp-vm-nic web-1 web-2 webstore " ]

	run arm GET "/subscriptions/$s/resources?api-version=2021-04-01" -G --data-urlencode "\$filter=resourceType eq 'Microsoft.Storage/storageAccounts'"
	[ "$(jget 'sorted(r["name"] for r in d["value"])' <<<"${lines[0]}")" = '["store1","webstore"]' ]
	run arm GET "/subscriptions/$s/resources?api-version=2021-04-01" -G --data-urlencode "\$filter=tagName eq 'env' and tagValue eq 'prod'"
	[ "$(jget 'sorted(r["name"] for r in d["value"])' <<<"${lines[0]}")" = '["store1","web-1"]' ]
	run arm GET "/subscriptions/$s/resources?api-version=2021-04-01" -G --data-urlencode "\$filter=substringof('web', name)"
	[ "$(jget 'sorted(r["name"] for r in d["value"])' <<<"${lines[0]}")" = '["web-1","web-2"]' ]
	# $filter with a value list takes the first page only: webstore matches too.
	[ "$(jget 'd.get("nextLink")' <<<"${lines[0]}")" != null ]
	run arm GET "/subscriptions/$s/resources?api-version=2021-04-01&\$top=1"
	[ "$(jget 'len(d["value"]), "nextLink" in d' <<<"${lines[0]}")" = '[1,false]' ]
	run arm GET "/subscriptions/$s/resources?api-version=2021-04-01" -G --data-urlencode "\$filter=color eq 'red'"
	[ "${lines[1]}" = 400 ]
	[ "$(jget 'd["error"]["code"]' <<<"${lines[0]}")" = InvalidFilterInQueryString ]
}

@test "a power operation is long-running: 202, Azure-AsyncOperation polled to Succeeded, then the power state" {
	emu_scenario '{"arm":{"lro_polls":2}}'
	TOK=$(login)
	s=$(sub)
	vm="/subscriptions/$s/resourceGroups/lazuli-rg/providers/Microsoft.Compute/virtualMachines/temp-vm"
	run curl -sS -i -X POST -H "Authorization: Bearer $TOK" "$ARM$vm/deallocate?$RV"
	[[ "${lines[0]}" == "HTTP/1.1 202"* ]]
	op=$(grep -i '^Azure-AsyncOperation:' <<<"$output" | tr -d '\r' | cut -d' ' -f2)
	loc=$(grep -i '^Location:' <<<"$output" | tr -d '\r' | cut -d' ' -f2)
	[[ "$op" == "$ARM/subscriptions/$s/providers/"*"/operations/"* ]]
	run arm GET "$vm/instanceView?$RV"
	[ "$(jget 'd["statuses"][1]["code"]' <<<"${lines[0]}")" = PowerState/deallocating ]
	run arm GET "${op#"$ARM"}"
	[ "$(jget 'd["status"]' <<<"${lines[0]}")" = InProgress ]
	run arm GET "${op#"$ARM"}"
	[ "$(jget 'd["status"]' <<<"${lines[0]}")" = Succeeded ]
	run arm GET "${loc#"$ARM"}"
	[ "${lines[-1]}" = 200 ]
	run arm GET "$vm/instanceView?$RV"
	[ "$(jget 'd["statuses"][1]["code"]' <<<"${lines[0]}")" = PowerState/deallocated ]
	# A deallocated VM cannot be restarted.
	run arm POST "$vm/restart?$RV"
	[ "${lines[-1]}" = 409 ]
	[ "$(jget 'd["error"]["code"]' <<<"${lines[0]}")" = OperationNotAllowed ]
}

@test "resource groups: create, conflict on another location, delete takes its resources" {
	emu_scenario '{"arm":{"lro_polls":0}}'
	TOK=$(login)
	s=$(sub)
	run arm PUT "/subscriptions/$s/resourcegroups/new-rg?$RV" -H 'Content-Type: application/json' -d '{"location":"northeurope","tags":{"a":"1"}}'
	[ "${lines[-1]}" = 201 ]
	run arm PUT "/subscriptions/$s/resourcegroups/new-rg?$RV" -d '{"location":"westus"}'
	[ "${lines[-1]}" = 409 ]
	run arm PUT "/subscriptions/$s/resourcegroups/new-rg?$RV" -d '{"location":'
	[ "${lines[-1]}" = 400 ]
	[ "$(jget 'd["error"]["code"]' <<<"${lines[0]}")" = InvalidRequestContent ]
	run arm PUT "/subscriptions/$s/resourceGroups/new-rg/providers/Microsoft.Storage/storageAccounts/st1?$RV" -d '{"location":"northeurope"}'
	[ "${lines[-1]}" = 201 ]
	[ "$(status "$ARM/subscriptions/$s/resourcegroups/new-rg?$RV" -I -H "Authorization: Bearer $TOK")" = 204 ]
	run arm DELETE "/subscriptions/$s/resourcegroups/new-rg?$RV"
	[ "${lines[-1]}" = 202 ]
	[ "$(status "$ARM/subscriptions/$s/resourcegroups/new-rg?$RV" -I -H "Authorization: Bearer $TOK")" = 404 ]
	run curl -sS "$ARM/_emu/arm"
	[ "$(jget '[k for k in d["resources"] if "new-rg" in k]' <<<"$output")" = '[]' ]
}

@test "tags at a resource's scope: merge, replace and delete" {
	emu_start
	TOK=$(login)
	s=$(sub)
	t="/subscriptions/$s/resourceGroups/lazuli-rg/providers/Microsoft.Compute/virtualMachines/temp-vm/providers/Microsoft.Resources/tags/default"
	run arm PATCH "$t?api-version=2021-04-01" -d '{"operation":"Merge","properties":{"tags":{"a":"1","b":"2"}}}'
	[ "$(jget 'd["properties"]["tags"]' <<<"${lines[0]}")" = '{"a":"1","b":"2"}' ]
	run arm PATCH "$t?api-version=2021-04-01" -d '{"operation":"Delete","properties":{"tags":{"a":"1"}}}'
	[ "$(jget 'd["properties"]["tags"]' <<<"${lines[0]}")" = '{"b":"2"}' ]
	run arm PUT "$t?api-version=2021-04-01" -d '{"properties":{"tags":{"c":"3"}}}'
	run arm GET "/subscriptions/$s/resourceGroups/lazuli-rg/providers/Microsoft.Compute/virtualMachines/temp-vm?$RV"
	[ "$(jget 'd["tags"]' <<<"${lines[0]}")" = '{"c":"3"}' ]
	run arm PATCH "$t?api-version=2021-04-01" -d '{"operation":"Upsert","properties":{"tags":{}}}'
	[ "${lines[-1]}" = 400 ]
}

@test "scripted ARM responses: 429 with Retry-After, then the built-in answer" {
	emu_scenario '{"arm":{"queues":{"/subscriptions":[{"status":429,"headers":{"Retry-After":"2"},"body_json":{"error":{"code":"TooManyRequests","message":"slow down"}}},{"default":true}]}}}'
	TOK=$(login)
	run curl -sS -i -H "Authorization: Bearer $TOK" "$ARM/subscriptions?$RV"
	[[ "${lines[0]}" == "HTTP/1.1 429"* ]]
	[[ "$output" == *$'Retry-After: 2\r'* ]]
	run arm GET "/subscriptions?$RV"
	[ "${lines[-1]}" = 200 ]
	run curl -sS "$ARM/_emu/requests?port=arm&path=/subscriptions"
	[ "$(jget '[r["status"] for r in d]' <<<"$output")" = '[429,200]' ]
}

@test "bad arm scenario keys are named" {
	printf '%s' '{"arm":{"page_size":0}}' >"$T/s.json"
	run "$EMU" --arm-port 0 --imds-port 0 --wireserver-port 0 --scenario "$T/s.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *"arm.page_size: must be at least 1"* ]]
	printf '%s' '{"arm":{"data":{"resources":[{"type":"Storage","name":"x"}]}}}' >"$T/s.json"
	run "$EMU" --arm-port 0 --imds-port 0 --wireserver-port 0 --scenario "$T/s.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *'arm.data.resources[0].type: expected "Namespace/type"'* ]]
	printf '%s' '{"arm":{"colour":1}}' >"$T/s.json"
	run "$EMU" --arm-port 0 --imds-port 0 --wireserver-port 0 --scenario "$T/s.json"
	[[ "$output" == *"arm: unknown key 'colour'"* ]]
}

# new_cert NAME [openssl req args...]: $T/NAME.key and $T/NAME.crt, self-signed RSA
new_cert() {
	local n=$1
	shift
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/$n.key" -out "$T/$n.crt" \
		-subj "/CN=$n" "$@" 2>/dev/null
}

# assertion KEY CERT ALG CLAIMS-PYTHON-DICT: a client assertion signed by openssl, as a
# client would build it; the claims expression may use now, aud, client.
assertion() {
	python3 - "$1" "$2" "$3" "$4" "$ARM/$TENANT/oauth2/v2.0/token" "$CLIENT" <<'PY'
import base64, hashlib, json, subprocess, sys, time, uuid
key, crt, alg, claims, aud, client = sys.argv[1:7]
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
der = subprocess.run(["openssl", "x509", "-in", crt, "-outform", "DER"], capture_output=True, check=True).stdout
now = int(time.time())
h = {"alg": alg, "typ": "JWT", "x5t": b64(hashlib.sha1(der).digest())}
c = {"aud": aud, "iss": client, "sub": client, "jti": str(uuid.uuid4()), "nbf": now, "iat": now, "exp": now + 600}
c.update(eval(claims))
data = b64(json.dumps(h).encode()) + "." + b64(json.dumps(c).encode())
opts = ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest"] if alg == "PS256" else []
sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key, *opts], input=data.encode(),
                     capture_output=True, check=True).stdout
print(data + "." + b64(sig))
PY
}

# token_with ASSERTION: "<body>\n<status>" of a client-credentials request with it
token_with() {
	curl -sS -w '\n%{http_code}' -X POST "$ARM/$TENANT/oauth2/v2.0/token" \
		--data-urlencode grant_type=client_credentials --data-urlencode "client_id=$CLIENT" \
		--data-urlencode client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \
		--data-urlencode "client_assertion=$1" \
		--data-urlencode 'scope=https://management.azure.com/.default'
}

@test "certificate credentials: the assertion is verified against the registered certificate" {
	new_cert sp
	new_cert other
	emu_scenario "$(python3 -c 'import json,sys; print(json.dumps({"arm":{"client_certificate":open(sys.argv[1]).read()}}))' "$T/sp.crt")"
	for alg in RS256 PS256; do
		run token_with "$(assertion "$T/sp.key" "$T/sp.crt" $alg '{}')"
		[ "${lines[1]}" = 200 ]
		TOK=$(jget 'd["access_token"]' <<<"${lines[0]}")
		run arm GET "/subscriptions?$RV"
		[ "${lines[-1]}" = 200 ]
	done
	# another certificate: unknown to the application
	run token_with "$(assertion "$T/other.key" "$T/other.crt" RS256 '{}')"
	[ "${lines[1]}" = 401 ]
	[ "$(jget 'd["error"], d["error_codes"]' <<<"${lines[0]}")" = '["invalid_client",[700027]]' ]
	[[ "$(jget 'd["error_description"]' <<<"${lines[0]}")" == "AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application."* ]]
	# the registered certificate's thumbprint, another key's signature
	run token_with "$(assertion "$T/other.key" "$T/sp.crt" RS256 '{}')"
	[ "$(jget 'd["error_codes"], d["error_description"]' <<<"${lines[0]}")" = '[[700027],"AADSTS700027: Client assertion failed signature validation."]' ]
	run token_with "$(assertion "$T/sp.key" "$T/sp.crt" RS256 '{"exp": now - 3600, "nbf": now - 4200}')"
	[ "$(jget 'd["error"], d["error_codes"]' <<<"${lines[0]}")" = '["invalid_client",[700024]]' ]
	[[ "$(jget 'd["error_description"]' <<<"${lines[0]}")" == "AADSTS700024: Client assertion is not within its valid time range."* ]]
	run token_with "$(assertion "$T/sp.key" "$T/sp.crt" RS256 '{"nbf": now + 3600, "exp": now + 4200}')"
	[ "$(jget 'd["error_codes"]' <<<"${lines[0]}")" = '[700024]' ]
	run token_with "$(assertion "$T/sp.key" "$T/sp.crt" RS256 '{"aud": "https://login.example/x/oauth2/v2.0/token"}')"
	[ "$(jget 'd["error_codes"]' <<<"${lines[0]}")" = '[700023]' ]
	run token_with "$(assertion "$T/sp.key" "$T/sp.crt" RS256 '{"iss": "someone-else"}')"
	[ "$(jget 'd["error_codes"]' <<<"${lines[0]}")" = '[700021]' ]
	run token_with "$(assertion "$T/sp.key" "$T/sp.crt" HS256 '{}')"
	[ "${lines[1]}" = 400 ]
	[ "$(jget 'd["error"], d["error_codes"]' <<<"${lines[0]}")" = '["invalid_request",[50027]]' ]
	run token_with not.a.jwt
	[ "$(jget 'd["error_codes"]' <<<"${lines[0]}")" = '[50027]' ]
}

@test "certificate credentials without a registered certificate are refused" {
	new_cert sp
	emu_start
	run token_with "$(assertion "$T/sp.key" "$T/sp.crt" RS256 '{}')"
	[ "${lines[1]}" = 401 ]
	[ "$(jget 'd["error_codes"]' <<<"${lines[0]}")" = '[700027]' ]
}

@test "refresh tokens: the scenario's are redeemed, others are an invalid grant" {
	emu_scenario '{"arm":{"refresh_tokens":["rt-1"]}}'
	refresh() {
		curl -sS -w '\n%{http_code}' -X POST "$ARM/$TENANT/oauth2/v2.0/token" \
			--data-urlencode grant_type=refresh_token \
			--data-urlencode client_id=04b07795-8ddb-461a-bbee-02f9e1bf7b46 \
			--data-urlencode "refresh_token=$1" --data-urlencode client_info=1 \
			--data-urlencode 'scope=https://management.core.windows.net//.default offline_access openid profile'
	}
	run refresh rt-1
	[ "${lines[1]}" = 200 ]
	[ "$(jget 'd["token_type"], d["refresh_token"], d["scope"]' <<<"${lines[0]}")" = '["Bearer","rt-1","https://management.core.windows.net//.default offline_access openid profile"]' ]
	TOK=$(jget 'd["access_token"]' <<<"${lines[0]}")
	run arm GET "/subscriptions?$RV"
	[ "${lines[-1]}" = 200 ]
	run refresh rt-unknown
	[ "${lines[1]}" = 400 ]
	[ "$(jget 'd["error"], d["error_codes"]' <<<"${lines[0]}")" = '["invalid_grant",[70000]]' ]
	[[ "$(jget 'd["error_description"]' <<<"${lines[0]}")" == "AADSTS70000: "* ]]
}

@test "bad certificate and refresh token scenario keys are named" {
	printf '%s' '{"arm":{"client_certificate":"not pem"}}' >"$T/s.json"
	run "$EMU" --arm-port 0 --imds-port 0 --wireserver-port 0 --scenario "$T/s.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *"arm.client_certificate: expected a PEM certificate"* ]]
	printf '%s' '{"arm":{"refresh_tokens":["a",2]}}' >"$T/s.json"
	run "$EMU" --arm-port 0 --imds-port 0 --wireserver-port 0 --scenario "$T/s.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *"arm.refresh_tokens[1]: expected a string"* ]]
}

@test "ARM over HTTPS: the URL in the ready file, cloud metadata and OpenID discovery without a token" {
	new_cert 127.0.0.1 -addext subjectAltName=IP:127.0.0.1
	emu_start --arm-tls-cert "$T/127.0.0.1.crt" --arm-tls-key "$T/127.0.0.1.key"
	[[ "$ARM" == https://127.0.0.1:* ]]
	[[ "$IMDS" == http://127.0.0.1:* ]]
	# Only a client that trusts the certificate gets through.
	run curl -sS "$ARM/metadata/endpoints?api-version=2022-09-01"
	[ "$status" -eq 60 ]
	C=(--cacert "$T/127.0.0.1.crt")
	run curl -sS "${C[@]}" "$ARM/metadata/endpoints?api-version=2022-09-01"
	[ "$status" -eq 0 ]
	[ "$(jget 'd["resourceManager"], d["authentication"]["loginEndpoint"], d["authentication"]["audiences"][0]' <<<"$output")" = \
		"[\"$ARM/\",\"$ARM\",\"https://management.core.windows.net/\"]" ]
	# The older api-version lists the clouds.
	run curl -sS "${C[@]}" "$ARM/metadata/endpoints?api-version=2019-05-01"
	[ "$(jget 'd[0]["name"]' <<<"$output")" = AzureCloud ]
	run curl -sS "${C[@]}" "$ARM/$TENANT/v2.0/.well-known/openid-configuration"
	[ "$(jget 'd["token_endpoint"], d["issuer"]' <<<"$output")" = \
		"[\"$ARM/$TENANT/oauth2/v2.0/token\",\"$ARM/$TENANT/v2.0\"]" ]
	run curl -sS "${C[@]}" "$ARM/organizations/.well-known/openid-configuration"
	[ "$(jget 'd["token_endpoint"]' <<<"$output")" = "$ARM/organizations/oauth2/token" ]
	run curl -sS -w '\n%{http_code}' "${C[@]}" "$ARM/other-tenant/v2.0/.well-known/openid-configuration"
	[ "${lines[1]}" = 400 ]
	[[ "$(jget 'd["error_description"]' <<<"${lines[0]}")" == "AADSTS90002: Tenant not found."* ]]
	# A token from the HTTPS token endpoint works on ARM, as over HTTP.
	TOK=$(curl -sS "${C[@]}" -X POST "$ARM/$TENANT/oauth2/v2.0/token" \
		--data-urlencode grant_type=client_credentials --data-urlencode "client_id=$CLIENT" \
		--data-urlencode "client_secret=$SECRET" \
		--data-urlencode 'scope=https://management.azure.com/.default' | jget 'd["access_token"]')
	run arm GET "/subscriptions?$RV" "${C[@]}"
	[ "${lines[-1]}" = 200 ]
	# Location headers of long-running operations name the HTTPS URL.
	sub=$(jget 'd["value"][0]["subscriptionId"]' <<<"${lines[0]}")
	run curl -sS -D - -o /dev/null "${C[@]}" -X DELETE -H "Authorization: Bearer $TOK" \
		"$ARM/subscriptions/$sub/resourceGroups/lazuli-rg?$RV"
	[[ "$output" == *"ocation: $ARM/"* ]]
}

@test "bad TLS options: one without the other, a missing file, a file that is not PEM" {
	new_cert 127.0.0.1
	run "$EMU" --arm-port 0 --imds-port 0 --wireserver-port 0 --arm-tls-cert "$T/127.0.0.1.crt"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--arm-tls-cert and --arm-tls-key go together"* ]]
	run "$EMU" --arm-port 0 --imds-port 0 --wireserver-port 0 --arm-tls-cert "$T/nope.crt" \
		--arm-tls-key "$T/127.0.0.1.key"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--arm-tls-cert $T/nope.crt: No such file or directory"* ]]
	echo garbage >"$T/garbage.pem"
	run "$EMU" --arm-port 0 --imds-port 0 --wireserver-port 0 --arm-tls-cert "$T/127.0.0.1.crt" \
		--arm-tls-key "$T/garbage.pem"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--arm-tls-key $T/garbage.pem: not a PEM file with a PRIVATE KEY"* ]]
	# The key of another certificate: the TLS library refuses the pair, and nothing listens.
	new_cert other
	run "$EMU" --arm-port 0 --imds-port 0 --wireserver-port 0 --arm-tls-cert "$T/127.0.0.1.crt" \
		--arm-tls-key "$T/other.key" --ready-file "$T/ready.json"
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot start the HTTPS server for arm"* ]]
	[ ! -e "$T/ready.json" ]
}

@test "ARM over HTTPS issues TLS session tickets and resumes them, as a real server does" {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/emu.key" \
		-out "$T/emu.crt" -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
	emu_start --arm-tls-cert "$T/emu.crt" --arm-tls-key "$T/emu.key"
	hostport=${ARM#https://}
	req=$'GET /subscriptions?api-version=2022-12-01 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
	# -ign_eof: read until the server closes (Connection: close), not only
	# until the request is sent; a TLS 1.3 ticket comes after the handshake,
	# and a client that quits at once may not have read it yet.
	run openssl s_client -ign_eof -connect "$hostport" -CAfile "$T/emu.crt" -sess_out "$T/sess.pem" <<<"$req"
	echo "$output"
	[[ "$output" == *"Verify return code: 0 (ok)"* ]]
	[[ "$output" == *"New Session Ticket arrived"* ]]
	[ -s "$T/sess.pem" ]
	run openssl s_client -ign_eof -connect "$hostport" -CAfile "$T/emu.crt" -sess_in "$T/sess.pem" <<<"$req"
	echo "$output"
	[[ "$output" == *"Reused, TLSv1.3"* ]]
}
