/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * libcurl is opened with dlopen() on first use (curl-dl.c). NULL once it
 * loaded, else why it could not be loaded.
 */
const char *curl_dl_error(void);
