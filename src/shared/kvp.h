/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * Hyper-V KVP pool file (/var/lib/hyperv/.kvp_pool_1): fixed 2560-byte
 * records, key[512] + value[2048], zero padded, UTF-8. We keep to the safe
 * limits: key <= 254 bytes, value <= 1022 bytes per record; longer values
 * are split at UTF-8 boundaries into several records with the same key.
 * Writers append under flock(LOCK_EX).
 */

#define KVP_RECORD_SIZE 2560
#define KVP_KEY_SIZE 512
#define KVP_VALUE_SIZE 2048
#define KVP_SAFE_KEY_MAX 254
#define KVP_SAFE_VALUE_MAX 1022
#define KVP_DEFAULT_POOL "/var/lib/hyperv/.kvp_pool_1"

/*
 * Append one key/value (chunked). Invalid UTF-8 in key or value is rejected
 * with -EINVAL; a key longer than KVP_SAFE_KEY_MAX is -ENAMETOOLONG.
 * The directory of path is created (0755) if missing.
 */
int kvp_append(const char *path, const char *key, const char *value);

/*
 * Truncate the pool if it was last modified before this boot (stale records
 * of a previous boot). Returns 1 if truncated, 0 if not, negative errno.
 */
int kvp_truncate_if_stale(const char *path);

typedef struct KvpRecord {
	char *key;
	char *value;
} KvpRecord;

/*
 * Read all records. Fails with -EBADMSG if the size is not a multiple of
 * 2560 or a key/value is not NUL-terminated within its field.
 */
int kvp_read_all(const char *path, KvpRecord **ret, size_t *ret_n);
void kvp_records_free(KvpRecord *r, size_t n);
