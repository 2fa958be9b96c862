/* SPDX-License-Identifier: MIT */
#include "fixture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu-util.h"
#include "fileio.h"
#include "strutil.h"

#define FIXTURE_MAX (16u * 1024 * 1024)

/* Keep identical to tests/fixtures/emu/imds_instance_extended.json (a unit test checks). */
static const char default_vm_json[] =
    "{\"compute\":{\"additionalCapabilities\":{\"hibernationEnabled\":\"false\"},\"azEnvironment\":"
    "\"Azure"
    "PublicCloud\",\"customData\":\"\",\"evictionPolicy\":\"\",\"extendedLocation\":{\"name\":\"\","
    "\"type\":\"\"},"
    "\"host\":{\"id\":\"\"},\"hostGroup\":{\"id\":\"\"},\"isHostCompatibilityLayerVm\":\"false\","
    "\"licenseType\":"
    "\"\",\"location\":\"westeurope\",\"name\":\"temp-vm\",\"offer\":\"debian-13\",\"osProfile\":{"
    "\"adminUsernam"
    "e\":\"azureuser\",\"computerName\":\"temp-vm\",\"disablePasswordAuthentication\":\"true\"},"
    "\"osType\":\""
    "Linux\",\"physicalZone\":\"\",\"placementGroupId\":\"\",\"plan\":{\"name\":\"\",\"product\":"
    "\"\",\"publisher\":"
    "\"\"},\"platformFaultDomain\":\"0\",\"platformSubFaultDomain\":\"\",\"platformUpdateDomain\":"
    "\"0\",\"prio"
    "rity\":\"\",\"provider\":\"Microsoft.Compute\",\"publicKeys\":[{\"keyData\":\"ssh-ed25519 "
    "AAAAC3NzaC1l"
    "ZDI1NTE5AAAAIKm/MRv3ZrCWF6QXBDMIVgjJYpvNF9UfQ8pSmOrCcd+S test@emu\",\"path\":\"/home/azureuser"
    "/.ssh/"
    "authorized_keys\"}],\"publisher\":\"debian\",\"resourceGroupName\":\"lazuli-rg\","
    "\"resourceId\""
    ":\"/subscriptions/0b2c6d1e-5f4a-4c3b-8e7d-9a1b2c3d4e5f/resourceGroups/lazuli-rg/providers/M"
    "icrosoft.Compute/virtualMachines/"
    "temp-vm\",\"securityProfile\":{\"encryptionAtHost\":\"false\",\"s"
    "ecureBootEnabled\":\"false\",\"securityType\":\"\",\"virtualTpmEnabled\":\"false\"},\"sku\":"
    "\"13-gen2\",\""
    "storageProfile\":{\"dataDisks\":[],\"imageReference\":{\"communityGalleryImageId\":\"\","
    "\"exactVersi"
    "on\":\"0.20260101.1\",\"id\":\"\",\"offer\":\"debian-13\",\"publisher\":\"debian\","
    "\"sharedGalleryImageId\""
    ":\"\",\"sku\":\"13-gen2\",\"version\":\"latest\"},\"osDisk\":{\"caching\":\"ReadWrite\","
    "\"createOption\":\"Fr"
    "omImage\",\"diffDiskSettings\":{\"option\":\"\"},\"diskSizeGB\":\"30\",\"encryptionSettings\":"
    "{\"enabled"
    "\":\"false\"},\"image\":{\"uri\":\"\"},\"managedDisk\":{\"id\":\"/subscriptions/"
    "0b2c6d1e-5f4a-4c3b-8e7d-"
    "9a1b2c3d4e5f/resourceGroups/lazuli-rg/providers/Microsoft.Compute/disks/temp-vm_OsDisk_1\","
    "\"storageAccountType\":\"Premium_LRS\"},\"name\":\"temp-vm_OsDisk_1\",\"osType\":\"Linux\","
    "\"vhd\":{\"uri"
    "\":\"\"},\"writeAcceleratorEnabled\":\"false\"},\"resourceDisk\":{\"size\":\"76800\"}},"
    "\"subscriptionId\""
    ":\"0b2c6d1e-5f4a-4c3b-8e7d-9a1b2c3d4e5f\",\"tags\":\"env:test;owner:lazuli\",\"tagsList\":[{"
    "\"name\""
    ":\"env\",\"value\":\"test\"},{\"name\":\"owner\",\"value\":\"lazuli\"}],\"userData\":\"\","
    "\"version\":\"0.20260"
    "101.1\",\"virtualMachineScaleSet\":{\"id\":\"\"},\"vmId\":\"8d1b1ad5-2f54-4d8c-9a0e-"
    "3c6f2b7e4a91\",\"v"
    "mScaleSetName\":\"\",\"vmSize\":\"Standard_D2ds_v5\",\"zone\":\"\"},\"network\":{"
    "\"interface\":[{\"ipv4\":{"
    "\"ipAddress\":[{\"privateIpAddress\":\"10.0.0.4\",\"publicIpAddress\":\"\"}],\"subnet\":[{"
    "\"address\":\"1"
    "0.0.0.0\",\"prefix\":\"16\"}]},\"ipv6\":{\"ipAddress\":[]},\"macAddress\":\"000D3A123456\"}]},"
    "\"extended"
    "\":{\"compute\":{\"hasCustomData\":false,\"ppsType\":\"None\"}}}";

const char *emu_vm_default_json(void)
{
	return default_vm_json;
}

void emu_vm_free(EmuVm *vm)
{
	if (!vm)
		return;
	json_object_put(vm->instance);
	free(vm->ovf);
	erase_and_freep(&vm->password);
	erase_and_freep(&vm->custom_data);
	free(vm);
}

static int dup_string_field(json_object *v, const char *key, char **ret, char *err, size_t errlen)
{
	if (!json_object_is_type(v, json_type_string)) {
		snprintf(err, errlen, "vm.%s: expected a string", key);
		return -EINVAL;
	}
	*ret = strdup(json_object_get_string(v));
	return *ret ? 0 : -ENOMEM;
}

int emu_vm_from_json(json_object *o, const char *base_dir, EmuVm **ret, char *err, size_t errlen)
{
	_cleanup_(emu_vm_freep) EmuVm *vm = NULL;
	int r;

	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "vm: expected an object");
		return -EINVAL;
	}
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->instance = json_object_new_object();
	if (!vm->instance)
		return -ENOMEM;

	json_object_object_foreach(o, key, val)
	{
		if (streq(key, "compute") || streq(key, "network") || streq(key, "extended")) {
			if (streq(key, "compute") && !json_object_is_type(val, json_type_object)) {
				snprintf(err, errlen, "vm.compute: expected an object");
				return -EINVAL;
			}
			json_object *copy = NULL;
			if (json_object_deep_copy(val, &copy, NULL) < 0)
				return -ENOMEM;
			json_object_object_add(vm->instance, key, copy);
		} else if (streq(key, "ovf")) {
			if ((r = dup_string_field(val, key, &vm->ovf, err, errlen)) < 0)
				return r;
		} else if (streq(key, "ovf_file")) {
			_cleanup_free_ char *path = NULL;
			char sub[256];
			if ((r = dup_string_field(val, key, &path, err, errlen)) < 0)
				return r;
			free(vm->ovf);
			vm->ovf = NULL;
			r = emu_read_file_beneath(base_dir, path, FIXTURE_MAX, &vm->ovf, NULL, sub,
						  sizeof(sub));
			if (r < 0) {
				snprintf(err, errlen, "vm.ovf_file: %s", sub);
				return r;
			}
		} else if (streq(key, "password")) {
			if ((r = dup_string_field(val, key, &vm->password, err, errlen)) < 0)
				return r;
		} else if (streq(key, "customData")) {
			if ((r = dup_string_field(val, key, &vm->custom_data, err, errlen)) < 0)
				return r;
		} else {
			snprintf(err, errlen,
				 "vm: unknown key '%s' (allowed: compute, network, extended, ovf, "
				 "ovf_file, password, customData)",
				 key);
			return -EINVAL;
		}
	}
	if (!json_object_object_get_ex(vm->instance, "compute", NULL)) {
		snprintf(err, errlen, "vm: missing key 'compute'");
		return -EINVAL;
	}
	*ret = TAKE_PTR(vm);
	return 0;
}

int emu_vm_load(const char *path, EmuVm **ret, char *err, size_t errlen)
{
	_cleanup_free_ char *buf = NULL, *dir = NULL;
	_cleanup_jobj_ json_object *o = NULL;
	size_t len;
	char sub[256];
	int r;

	r = read_full_file(path, FIXTURE_MAX, &buf, &len);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", path,
			 r == -EFBIG ? "file too large" : strerror(-r));
		return r;
	}
	r = emu_json_parse(buf, len, &o, sub, sizeof(sub));
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", path, sub);
		return r;
	}
	dir = strdup(path);
	if (!dir)
		return -ENOMEM;
	char *slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir ? 1 : 0] = '\0';
	else
		strcpy(dir, ".");
	r = emu_vm_from_json(o, dir, ret, sub, sizeof(sub));
	if (r < 0)
		snprintf(err, errlen, "%s: %s", path, sub);
	return r;
}

int emu_vm_default(EmuVm **ret)
{
	_cleanup_jobj_ json_object *o = NULL;
	char err[256];
	int r = emu_json_parse(default_vm_json, strlen(default_vm_json), &o, err, sizeof(err));
	if (r < 0)
		return r;
	return emu_vm_from_json(o, ".", ret, err, sizeof(err));
}

static const char *compute_string(const EmuVm *vm, const char *a, const char *b)
{
	json_object *c, *x;
	if (!json_object_object_get_ex(vm->instance, "compute", &c))
		return NULL;
	if (!json_object_object_get_ex(c, a, &x))
		return NULL;
	if (b && !json_object_object_get_ex(x, b, &x))
		return NULL;
	if (!json_object_is_type(x, json_type_string) && !json_object_is_type(x, json_type_boolean))
		return NULL;
	return json_object_get_string(x);
}

static int append_element(StrBuf *b, const char *indent, const char *name, const char *value)
{
	_cleanup_free_ char *esc = emu_xml_escape(strempty(value));
	if (!esc)
		return -ENOMEM;
	return strbuf_printf(b, "%s<%s>%s</%s>\n", indent, name, esc, name);
}

char *emu_vm_ovf_xml(const EmuVm *vm)
{
	StrBuf b = {};
	int r = 0;

	if (vm->ovf)
		return strdup(vm->ovf);

	const char *dpa = compute_string(vm, "osProfile", "disablePasswordAuthentication");
	const char *pps = NULL;
	json_object *ext, *x;
	if (json_object_object_get_ex(vm->instance, "extended", &ext) &&
	    json_object_object_get_ex(ext, "compute", &x) &&
	    json_object_object_get_ex(x, "ppsType", &x) && json_object_is_type(x, json_type_string))
		pps = json_object_get_string(x);

	r |= strbuf_puts(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
			     "<Environment xmlns=\"http://schemas.dmtf.org/ovf/environment/1\" "
			     "xmlns:oe=\"http://schemas.dmtf.org/ovf/environment/1\" "
			     "xmlns:wa=\"http://schemas.microsoft.com/windowsazure\" "
			     "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n"
			     "  <wa:ProvisioningSection>\n"
			     "    <wa:Version>1.0</wa:Version>\n"
			     "    <LinuxProvisioningConfigurationSet "
			     "xmlns=\"http://schemas.microsoft.com/windowsazure\" "
			     "xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\">\n"
			     "      <ConfigurationSetType>LinuxProvisioningConfiguration</"
			     "ConfigurationSetType>\n");
	r |= append_element(&b, "      ", "HostName",
			    compute_string(vm, "osProfile", "computerName"));
	r |= append_element(&b, "      ", "UserName",
			    compute_string(vm, "osProfile", "adminUsername"));
	r |= append_element(&b, "      ", "UserPassword", vm->password);
	r |= append_element(&b, "      ", "DisableSshPasswordAuthentication",
			    vm->password ? "false" : (dpa ? dpa : "true"));
	r |= strbuf_puts(&b, "      <SSH>\n        <PublicKeys>\n");

	json_object *compute, *keys;
	if (json_object_object_get_ex(vm->instance, "compute", &compute) &&
	    json_object_object_get_ex(compute, "publicKeys", &keys) &&
	    json_object_is_type(keys, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(keys); i++) {
			json_object *k = json_object_array_get_idx(keys, i), *path, *data;
			if (!json_object_is_type(k, json_type_object))
				continue;
			r |= strbuf_puts(&b, "          <PublicKey>\n");
			r |= append_element(&b, "            ", "Fingerprint", "");
			r |= append_element(&b, "            ", "Path",
					    json_object_object_get_ex(k, "path", &path)
						? json_object_get_string(path)
						: "");
			r |= append_element(&b, "            ", "Value",
					    json_object_object_get_ex(k, "keyData", &data)
						? json_object_get_string(data)
						: "");
			r |= strbuf_puts(&b, "          </PublicKey>\n");
		}
	}
	r |= strbuf_puts(&b, "        </PublicKeys>\n      </SSH>\n");
	if (vm->custom_data) {
		_cleanup_free_ char *b64 = base64_encode(vm->custom_data, strlen(vm->custom_data));
		if (!b64)
			r = -ENOMEM;
		else
			r |= append_element(&b, "      ", "CustomData", b64);
	}
	r |= strbuf_puts(
	    &b, "    </LinuxProvisioningConfigurationSet>\n"
		"  </wa:ProvisioningSection>\n"
		"  <wa:PlatformSettingsSection>\n"
		"    <wa:Version>1.0</wa:Version>\n"
		"    <wa:PlatformSettings>\n"
		"      <wa:KmsServerHostname>kms.core.windows.net</wa:KmsServerHostname>\n"
		"      <wa:ProvisionGuestAgent>false</wa:ProvisionGuestAgent>\n"
		"      <wa:GuestAgentPackageName xsi:nil=\"true\"/>\n"
		"      <wa:RetainWindowsPEPassInUnattend>true</wa:RetainWindowsPEPassInUnattend>\n"
		"      <wa:RetainOfflineServicingPassInUnattend>true</"
		"wa:RetainOfflineServicingPassInUnattend>\n");
	r |= append_element(&b, "      ", "wa:PreprovisionedVm",
			    pps && !streq(pps, "None") ? "true" : "false");
	r |= append_element(&b, "      ", "wa:PreprovisionedVMType", pps ? pps : "None");
	r |= strbuf_puts(&b,
			 "      <wa:ProvisionGuestProxyAgent>false</wa:ProvisionGuestProxyAgent>\n"
			 "    </wa:PlatformSettings>\n"
			 "  </wa:PlatformSettingsSection>\n"
			 "</Environment>\n");
	if (r < 0) {
		strbuf_free(&b);
		return NULL;
	}
	return strbuf_steal(&b);
}
