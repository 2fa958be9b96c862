/* SPDX-License-Identifier: MIT */
/* VM fixtures: the built-in VM, --vm files, and the ovf-env.xml generated from them. */
#include <stdio.h>
#include <unistd.h>

#include "emu-test.h"
#include "fileio.h"
#include "fixture.h"

static void test_default_matches_fixture_file(void **unused)
{
	const char *src = getenv("LAZULI_SRCDIR");
	_cleanup_free_ char *buf = NULL, *path = NULL;
	json_object *file = NULL, *builtin = NULL;
	char err[256];
	size_t len;

	if (!src)
		skip();
	assert_true(asprintf(&path, "%s/tests/fixtures/emu/imds_instance_extended.json", src) > 0);
	assert_int_equal(read_full_file(path, 1 << 20, &buf, &len), 0);
	assert_int_equal(emu_json_parse(buf, len, &file, err, sizeof(err)), 0);
	assert_int_equal(emu_json_parse(emu_vm_default_json(), strlen(emu_vm_default_json()),
					&builtin, err, sizeof(err)),
			 0);
	assert_true(json_object_equal(file, builtin));
	json_object_put(file);
	json_object_put(builtin);

	/* The default VM is the canonical 8.3 fixture. */
	EmuVm *vm = NULL;
	assert_int_equal(emu_vm_default(&vm), 0);
	json_object *c = json_object_object_get(vm->instance, "compute");
	json_object *os = json_object_object_get(c, "osProfile");
	assert_string_equal(json_object_get_string(json_object_object_get(os, "adminUsername")),
			    "azureuser");
	assert_string_equal(json_object_get_string(json_object_object_get(os, "computerName")),
			    "temp-vm");
	json_object *key = json_object_array_get_idx(json_object_object_get(c, "publicKeys"), 0);
	assert_non_null(
	    strstr(json_object_get_string(json_object_object_get(key, "keyData")), "ssh-ed25519 "));
	assert_null(vm->password);
	emu_vm_free(vm);
}

static void test_ovf_generated(void **unused)
{
	const char *json =
	    "{\"compute\":{\"osProfile\":{\"adminUsername\":\"bob<&>\",\"computerName\":\"h1\","
	    "\"disablePasswordAuthentication\":\"true\"},\"publicKeys\":[{\"keyData\":"
	    "\"ssh-ed25519 AAAA k1\",\"path\":\"/home/bob/.ssh/authorized_keys\"},"
	    "{\"keyData\":\"ssh-rsa BBBB k2\",\"path\":\"/p\"}]},"
	    "\"extended\":{\"compute\":{\"ppsType\":\"Running\"}},"
	    "\"password\":\"pa<ss\",\"customData\":\"#!/bin/sh\\necho hi\\n\"}";
	json_object *o = NULL;
	EmuVm *vm = NULL;
	char err[256];

	assert_int_equal(emu_json_parse(json, strlen(json), &o, err, sizeof(err)), 0);
	assert_int_equal(emu_vm_from_json(o, ".", &vm, err, sizeof(err)), 0);
	json_object_put(o);
	/* Only compute/network/extended are served by IMDS. */
	assert_false(json_object_object_get_ex(vm->instance, "password", NULL));

	_cleanup_free_ char *xml = emu_vm_ovf_xml(vm);
	assert_non_null(xml);
	assert_non_null(strstr(xml, "<HostName>h1</HostName>"));
	assert_non_null(strstr(xml, "<UserName>bob&lt;&amp;&gt;</UserName>"));
	assert_non_null(strstr(xml, "<UserPassword>pa&lt;ss</UserPassword>"));
	/* A password means password authentication is allowed. */
	assert_non_null(strstr(xml, "<DisableSshPasswordAuthentication>false<"));
	assert_non_null(strstr(xml, "<Value>ssh-ed25519 AAAA k1</Value>"));
	assert_non_null(strstr(xml, "<Path>/p</Path>"));
	assert_non_null(strstr(xml, "<CustomData>IyEvYmluL3NoCmVjaG8gaGkK</CustomData>"));
	assert_non_null(strstr(xml, "<wa:PreprovisionedVm>true</wa:PreprovisionedVm>"));
	assert_non_null(strstr(xml, "<wa:PreprovisionedVMType>Running</wa:PreprovisionedVMType>"));
	emu_vm_free(vm);
}

static void test_vm_file(void **unused)
{
	char dir[] = "/tmp/test-emu-fixture-XXXXXX", path[128], ovf[128];
	EmuVm *vm = NULL;
	char err[512];

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vm.json", dir);
	snprintf(ovf, sizeof(ovf), "%s/ovf.xml", dir);
	assert_int_equal(write_file_atomic(ovf, "<Environment/>", 14, 0644), 0);
	const char *good = "{\"compute\":{\"vmId\":\"x\"},\"ovf_file\":\"ovf.xml\"}";
	assert_int_equal(write_file_atomic(path, good, strlen(good), 0644), 0);
	assert_int_equal(emu_vm_load(path, &vm, err, sizeof(err)), 0);
	_cleanup_free_ char *xml = emu_vm_ovf_xml(vm);
	assert_string_equal(xml, "<Environment/>");
	emu_vm_free(vm);
	vm = NULL;

	const char *escape = "{\"compute\":{},\"ovf_file\":\"../../etc/passwd\"}";
	assert_int_equal(write_file_atomic(path, escape, strlen(escape), 0644), 0);
	assert_true(emu_vm_load(path, &vm, err, sizeof(err)) < 0);
	assert_null(vm);
	assert_non_null(
	    strstr(err, "vm.ovf_file: '../../etc/passwd' escapes the scenario directory"));
	assert_non_null(strstr(err, path));

	assert_int_equal(write_file_atomic(path, "{\"compute\":", 11, 0644), 0);
	assert_true(emu_vm_load(path, &vm, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "unexpected end of JSON"));

	unlink(path);
	unlink(ovf);
	rmdir(dir);
	assert_true(emu_vm_load(path, &vm, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "No such file or directory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_matches_fixture_file),
	    cmocka_unit_test(test_ovf_generated),
	    cmocka_unit_test(test_vm_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
