/* SPDX-License-Identifier: MIT */
/* Made by tools/az-members/gen-template.py from az's output; see model.c. */
#pragma once
/* clang-format off */

const char model_group[] =
    "{\"id\":null,\"location\":null,\"managedBy\":null,\"name\":null,\"properties\":{\"provisioningState\":"
    "null},\"tags\":null,\"type\":null}"
;

const char model_resource[] =
    "{\"extendedLocation\":{\"name\":null,\"type\":null},\"id\":null,\"identity\":{\"principalId\":null,\"te"
    "nantId\":null,\"type\":null,\"userAssignedIdentities\":null},\"kind\":null,\"location\":null,\"manag"
    "edBy\":null,\"name\":null,\"plan\":{\"name\":null,\"product\":null,\"promotionCode\":null,\"publisher\""
    ":null,\"version\":null},\"properties\":null,\"sku\":{\"capacity\":null,\"family\":null,\"model\":null,"
    "\"name\":null,\"size\":null,\"tier\":null},\"tags\":null,\"type\":null}"
;

const char model_resource_expanded[] =
    "{\"changedTime\":null,\"createdTime\":null,\"extendedLocation\":{\"name\":null,\"type\":null},\"id\":n"
    "ull,\"identity\":{\"principalId\":null,\"tenantId\":null,\"type\":null,\"userAssignedIdentities\":nu"
    "ll},\"kind\":null,\"location\":null,\"managedBy\":null,\"name\":null,\"plan\":{\"name\":null,\"product\""
    ":null,\"promotionCode\":null,\"publisher\":null,\"version\":null},\"properties\":null,\"provisionin"
    "gState\":null,\"sku\":{\"capacity\":null,\"family\":null,\"model\":null,\"name\":null,\"size\":null,\"ti"
    "er\":null},\"tags\":null,\"type\":null}"
;

const char model_tags[] =
    "{\"id\":null,\"name\":null,\"properties\":{\"tags\":null},\"type\":null}"
;
