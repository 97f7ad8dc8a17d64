// SPDX-License-Identifier: Apache-2.0
/*
 * The registries' set (core/src/objset.c): after any sequence of adds and
 * removes it holds exactly what a plain reference array holds, every item
 * once, and finds each through its index.
 */
#include "objset.c"
#include <criterion/criterion.h>
#include <stdint.h>

#define N 20000

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* s holds exactly the n pointers of ref, each once, each found */
static void same(const struct objset *s, char *const *ref, size_t n,
		 const char *when)
{
	cr_assert_eq(s->nr, n, "%s: %zu items, want %zu", when, s->nr, n);
	for (size_t i = 0; i < n; i++)
		cr_assert(objset_has(s, ref[i]), "%s: item %zu lost", when, i);
	size_t used = 0;
	for (size_t i = 0; i < s->nslots; i++) {
		if (!s->slots[i])
			continue;
		used++;
		cr_assert_leq(s->slots[i], s->nr, "%s: a stale slot", when);
		cr_assert_eq(slot_of(s, s->items[s->slots[i] - 1]), i,
			     "%s: an item found elsewhere than its slot", when);
	}
	cr_assert_eq(used, n, "%s: %zu slots used for %zu items", when, used,
		     n);
}

Test(objset, matches_a_reference_under_random_adds_and_removes)
{
	static char objs[N];
	static char *ref[N];
	size_t n = 0;
	struct objset s = {0};
	for (int round = 0; round < 100000; round++) {
		if (n < N && (n == 0 || next() % 3)) {
			/* add one not in the set */
			char *p;
			do
				p = &objs[next() % N];
			while (objset_has(&s, p));
			cr_assert_eq(objset_add(&s, p), 0);
			ref[n++] = p;
		} else {
			size_t k = next() % n;
			cr_assert(objset_remove(&s, ref[k]));
			cr_assert(!objset_remove(&s, ref[k]),
				  "removed twice");
			ref[k] = ref[--n];
		}
		if (round % 25000 == 0)
			same(&s, ref, n, "midway");
	}
	same(&s, ref, n, "at the end");
	/* everything out, in the order it went in */
	while (n) {
		cr_assert(objset_remove(&s, ref[0]));
		ref[0] = ref[--n];
	}
	same(&s, ref, 0, "emptied");
	free(s.items);
	free(s.slots);
}
