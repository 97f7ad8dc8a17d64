// SPDX-License-Identifier: Apache-2.0
/*
 * shim-alloc-prog: the placing allocator (libvaccel-shim-alloc.so) keeps
 * the C allocator's contract. Run under LD_PRELOAD of it; prints one line
 * per check and "ok" at the end, or "FAIL: ..." and exits 1.
 */
#include <dlfcn.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shm.h"

#define MIB (1u << 20)

static struct shm_heap heap;

static void fail(const char *what)
{
	printf("FAIL: %s\n", what);
	exit(1);
}

static void check(int ok, const char *what)
{
	if (!ok)
		fail(what);
	printf("%s: yes\n", what);
}

static int in_heap(const void *p)
{
	const uint8_t *b = p;
	return b >= heap.base && b < heap.base + heap.len;
}

static long rss_kib(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f || fscanf(f, "%ld %ld", &pages, &resident) != 2)
		fail("cannot read /proc/self/statm");
	fclose(f);
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static int same(const uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (uint8_t)(seed + i * 7))
			return 0;
	return 1;
}

int main(void)
{
	shm_heap_fn heap_of = (shm_heap_fn)dlsym(RTLD_DEFAULT, SHM_HEAP_SYM);
	check(heap_of != NULL, "the allocator is loaded");

	uint8_t *a = malloc(2 * MIB);
	check(a && heap_of(&heap) == 0 && heap.fd >= 0, "a heap exists");
	check(in_heap(a), "malloc(2M) is placed in the heap");
	check(((uintptr_t)a & 4095) == 0, "heap blocks are page-aligned");
	check(malloc_usable_size(a) >= 2 * MIB, "malloc_usable_size >= 2M");
	void *small = malloc(100);
	check(small && !in_heap(small), "malloc(100) stays with glibc");
	free(small);

	fill(a, 2 * MIB, 1);
	a = realloc(a, 8 * MIB);
	check(a && in_heap(a) && same(a, 2 * MIB, 1),
	      "realloc to 8M keeps the bytes");
	uint8_t *b = realloc(a, 1000);
	check(b && !in_heap(b) && same(b, 1000, 1),
	      "realloc below the threshold moves to glibc, bytes kept");
	free(b);

	uint8_t *z = calloc(3, 2 * MIB);
	int zero = z != NULL;
	for (size_t i = 0; zero && i < 6 * MIB; i++)
		zero = z[i] == 0;
	check(zero && in_heap(z), "calloc(3, 2M) is zero and placed");
	memset(z, 0xff, 6 * MIB);
	free(z);
	z = calloc(1, 6 * MIB);
	zero = z != NULL;
	for (size_t i = 0; zero && i < 6 * MIB; i++)
		zero = z[i] == 0;
	check(zero, "calloc after a freed dirty block is zero");
	free(z);

	void *m = NULL;
	check(posix_memalign(&m, 64, 4 * MIB) == 0 && in_heap(m),
	      "posix_memalign(64, 4M) is placed");
	free(m);
	void *big_align = aligned_alloc(1 << 16, 4 * MIB);
	check(big_align && ((uintptr_t)big_align & 0xffff) == 0,
	      "aligned_alloc(64K, 4M) is aligned");
	free(big_align);
	volatile size_t huge = SIZE_MAX / 2;
	check(calloc(huge, 4) == NULL, "calloc overflow fails");
	free(NULL);

	/* freed memory goes back: 64 rounds of 64 MiB touched */
	long before = rss_kib();
	for (int i = 0; i < 64; i++) {
		uint8_t *p = malloc(64 * MIB);
		if (!p || !in_heap(p))
			fail("malloc(64M) not placed");
		memset(p, i, 64 * MIB);
		free(p);
	}
	long after = rss_kib();
	check(after - before < 64 * 1024,
	      "64 x 64M malloc/touch/free leaves under 64M resident");

	/* fork: the child's heap is its own */
	uint8_t *shared = malloc(4 * MIB);
	fill(shared, 4 * MIB, 9);
	pid_t pid = fork();
	if (pid == 0) {
		struct shm_heap h;
		int own = heap_of(&h) == 0 && h.fd < 0;
		fill(shared, 4 * MIB, 33);
		uint8_t *more = malloc(4 * MIB);
		_exit(own && more && in_heap(more) ? 0 : 3);
	}
	int st;
	waitpid(pid, &st, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "the forked child has its own, unshared heap");
	check(same(shared, 4 * MIB, 9),
	      "the child's writes do not reach the parent");
	free(shared);
	printf("ok\n");
	return 0;
}
