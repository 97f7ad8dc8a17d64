// SPDX-License-Identifier: Apache-2.0
#include "objset.h"
#include <stdint.h>
#include <stdlib.h>

static size_t hash(const void *p, size_t nslots)
{
	uint64_t x = (uint64_t)(uintptr_t)p;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return (size_t)x & (nslots - 1);
}

/* The slot holding p, or the empty one where it would go. */
static size_t slot_of(const struct objset *s, const void *p)
{
	size_t i = hash(p, s->nslots);
	while (s->slots[i] && s->items[s->slots[i] - 1] != p)
		i = (i + 1) & (s->nslots - 1);
	return i;
}

static int grow(struct objset *s)
{
	size_t cap = s->cap ? s->cap * 2 : 16;
	size_t nslots = cap * 2;
	void **items = realloc(s->items, cap * sizeof(*items));
	if (!items)
		return -1;
	s->items = items;
	size_t *slots = calloc(nslots, sizeof(*slots));
	if (!slots)
		return -1;
	free(s->slots);
	s->slots = slots;
	s->nslots = nslots;
	s->cap = cap;
	for (size_t k = 0; k < s->nr; k++)
		s->slots[slot_of(s, s->items[k])] = k + 1;
	return 0;
}

int objset_add(struct objset *s, void *p)
{
	if (s->nr == s->cap && grow(s))
		return -1;
	s->items[s->nr] = p;
	s->slots[slot_of(s, p)] = ++s->nr;
	return 0;
}

bool objset_has(const struct objset *s, const void *p)
{
	return s->nslots && s->slots[slot_of(s, p)] != 0;
}

bool objset_remove(struct objset *s, void *p)
{
	if (!s->nslots)
		return false;
	size_t i = slot_of(s, p);
	if (!s->slots[i])
		return false;
	size_t k = s->slots[i] - 1;
	/* the last item takes p's place (its slot found while items[k] is
	 * still p, so that slot i cannot pass for its) */
	size_t n = --s->nr;
	if (k != n) {
		void *last = s->items[n];
		s->slots[slot_of(s, last)] = k + 1;
		s->items[k] = last;
	}
	/* backward-shift deletion: no tombstones */
	s->slots[i] = 0;
	size_t mask = s->nslots - 1;
	for (size_t j = (i + 1) & mask; s->slots[j]; j = (j + 1) & mask) {
		size_t home = hash(s->items[s->slots[j] - 1], s->nslots);
		/* move j back to i unless its home lies cyclically in
		 * (i, j] */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			s->slots[i] = s->slots[j];
			s->slots[j] = 0;
			i = j;
		}
	}
	return true;
}
