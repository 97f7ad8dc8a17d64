/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An intrusive doubly linked list entry; a list is its head entry. An
 * unlinked entry points at itself. */
typedef struct list_entry {
	struct list_entry *next;
	struct list_entry *prev;
} vaccel_list_entry_t;

typedef vaccel_list_entry_t vaccel_list_t;

#define LIST_ENTRY_INIT(name) {&(name), &(name)}

#ifdef __cplusplus
}
#endif
