/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * A set of object pointers in an array (for walks: lookups by id or type)
 * with a pointer-keyed index (open addressing, linear probing), so that
 * adding and removing one are O(1) on average: tearing down n objects
 * costs O(n), in any order. Not locked: the caller's lock guards it.
 */

#include <stdbool.h>
#include <stddef.h>

struct objset {
	void **items;
	size_t nr, cap;
	/* item index + 1 by pointer hash; 0: empty. nslots a power of two,
	 * at least twice cap */
	size_t *slots;
	size_t nslots;
};

/* 0, or -1 when out of memory (the set unchanged). */
int objset_add(struct objset *s, void *p);
/* Whether p was there (it is not now). The last item moves into p's
 * place in items. */
bool objset_remove(struct objset *s, void *p);
bool objset_has(const struct objset *s, const void *p);
