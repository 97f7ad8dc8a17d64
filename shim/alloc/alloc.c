// SPDX-License-Identifier: Apache-2.0
/*
 * libvaccel-shim-alloc.so: placement of a program's large allocations in
 * a shared heap (transports/shm/shm.h), so that the shm transport passes
 * them to the agent as offsets and the agent's backends work on them in
 * place: a gemm on numpy's matrices crosses with no copy at all.
 *
 *   LD_PRELOAD=libvaccel-shim-alloc.so:libvaccel-shim-blas.so
 *
 * malloc, calloc, realloc, reallocarray, posix_memalign, aligned_alloc,
 * memalign, valloc and pvalloc of at least VACCEL_SHM_PLACE_MIN bytes
 * (default 1M) come from one memfd of VACCEL_SHM_HEAP bytes of address
 * space (default 16G, sparse: only what is allocated takes memory); the
 * rest, and everything once the heap is full, goes to glibc's allocator
 * unchanged. Heap blocks are whole pages, zero when handed out; a freed
 * block's pages go back to the system at once (hole punched).
 *
 * The bookkeeping lives in private memory, never in the heap, so the
 * agent cannot disturb it. A forked child gets a private copy of the heap
 * at the same addresses (copied in the child right after the fork: what
 * another thread of the parent writes meanwhile may show in it) and
 * shares nothing more.
 */
#include "shm.h"
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))
#define PAGE 4096u
/* pages of a huge page */
#define HUGE_PAGES 512u
#define PLACE_MIN_DEFAULT (1u << 20)
#define HEAP_DEFAULT (16ull << 30)
/* free extents tracked; beyond, a freed block's address space is lost
 * (its memory still goes back) */
#define MAX_FREE 65536

/* glibc's own allocator */
extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

struct extent {
	uint32_t start, len;
};

static struct {
	pthread_mutex_t lock;
	/* 0 not yet, 1 ready, -1 off (no heap: everything to glibc) */
	_Atomic int state;
	uint8_t *base;
	size_t len, pages;
	int fd;
	/* the placement threshold (SIZE_MAX: never), once read */
	size_t min;
	_Atomic size_t min_seen;
	/* per page: the length in pages of the block starting there, or 0 */
	uint32_t *blocks;
	/* pages [0, top) have been handed out at least once */
	size_t top;
	/* free extents below top, sorted by start */
	struct extent *free;
	size_t nr_free;
} H = {.lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1};

static size_t env_size(const char *name, size_t def)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return def;
	char *end;
	unsigned long long n = strtoull(v, &end, 10);
	if (end == v)
		return def;
	switch (*end) {
	case 'k':
	case 'K':
		n <<= 10;
		end++;
		break;
	case 'm':
	case 'M':
		n <<= 20;
		end++;
		break;
	case 'g':
	case 'G':
		n <<= 30;
		end++;
		break;
	}
	return *end ? def : (size_t)n;
}

static void *map_private(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void in_child(void);

/* Make the heap; under H.lock. */
static void heap_init(void)
{
	H.state = -1;
	H.len = env_size("VACCEL_SHM_HEAP", HEAP_DEFAULT) & ~(size_t)(PAGE - 1);
	if (!H.min || H.len < PAGE || H.len > SHM_HEAP_MAX)
		return;
	H.pages = H.len / PAGE;
	H.blocks = map_private(H.pages * sizeof(uint32_t));
	H.free = map_private(MAX_FREE * sizeof(struct extent));
	int fd = memfd_create("vaccel-heap", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	void *p = MAP_FAILED;
	if (H.blocks && H.free && fd >= 0 && ftruncate(fd, (off_t)H.len) == 0 &&
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) ==
		0)
		p = mmap(NULL, H.len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (p == MAP_FAILED) {
		if (fd >= 0)
			close(fd);
		return;
	}
	/* Huge pages where the system allows them for shared memory
	 * (transparent_hugepage/shmem_enabled: advise or always): a gemm on
	 * 4 KiB pages loses several percent to TLB misses. */
	madvise(p, H.len, MADV_HUGEPAGE);
	H.base = p;
	H.fd = fd;
	pthread_atfork(NULL, NULL, in_child);
	atomic_store(&H.state, 1);
}

static inline bool in_heap(const void *p)
{
	return atomic_load_explicit(&H.state, memory_order_acquire) == 1 &&
	       (const uint8_t *)p >= H.base &&
	       (const uint8_t *)p < H.base + H.len;
}

/* Whether n bytes go to the heap (making it on first use). */
static bool wants_heap(size_t n)
{
	/* the threshold first: no heap until an allocation needs one */
	size_t min = atomic_load_explicit(&H.min_seen, memory_order_relaxed);
	if (!min) {
		min = env_size("VACCEL_SHM_PLACE_MIN", PLACE_MIN_DEFAULT);
		if (!min)
			min = SIZE_MAX;
		H.min = min;
		atomic_store(&H.min_seen, min);
	}
	if (n < min)
		return false;
	int st = atomic_load_explicit(&H.state, memory_order_acquire);
	if (st == 0) {
		pthread_mutex_lock(&H.lock);
		if (atomic_load(&H.state) == 0)
			heap_init();
		pthread_mutex_unlock(&H.lock);
		st = atomic_load(&H.state);
	}
	return st == 1 && n >= H.min;
}

/* Give pages back to the system; they read as zero afterwards. */
static void release(size_t start, size_t len)
{
	if (H.fd >= 0)
		fallocate(H.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			  (off_t)(start * PAGE), (off_t)(len * PAGE));
	else
		madvise(H.base + start * PAGE, len * PAGE, MADV_DONTNEED);
}

static void *heap_alloc(size_t n)
{
	if (n > H.len)
		return NULL;
	size_t pages = (n + PAGE - 1) / PAGE;
	if (!pages)
		pages = 1;
	void *p = NULL;
	pthread_mutex_lock(&H.lock);
	for (size_t i = 0; i < H.nr_free; i++) {
		struct extent *e = &H.free[i];
		if (e->len < pages)
			continue;
		size_t start = e->start;
		e->start += (uint32_t)pages;
		e->len -= (uint32_t)pages;
		if (!e->len) {
			memmove(e, e + 1, (H.nr_free - i - 1) * sizeof(*e));
			H.nr_free--;
		}
		H.blocks[start] = (uint32_t)pages;
		p = H.base + start * PAGE;
		goto out;
	}
	/* a block of huge pages or more starts at a huge-page boundary
	 * (the skipped pages become a free extent) */
	size_t start = H.top;
	if (pages >= HUGE_PAGES)
		start = (start + HUGE_PAGES - 1) & ~(size_t)(HUGE_PAGES - 1);
	if (start + pages <= H.pages && pages <= UINT32_MAX) {
		if (start > H.top && H.nr_free < MAX_FREE)
			H.free[H.nr_free++] = (struct extent){
			    (uint32_t)H.top, (uint32_t)(start - H.top)};
		H.blocks[start] = (uint32_t)pages;
		p = H.base + start * PAGE;
		H.top = start + pages;
	}
out:
	pthread_mutex_unlock(&H.lock);
	return p;
}

/* Pages of the block at p, or 0 when p starts none. Under H.lock. */
static size_t block_pages(const void *p)
{
	size_t off = (size_t)((const uint8_t *)p - H.base);
	return off % PAGE ? 0 : H.blocks[off / PAGE];
}

static void heap_free(void *p)
{
	pthread_mutex_lock(&H.lock);
	size_t pages = block_pages(p);
	if (!pages) {
		pthread_mutex_unlock(&H.lock);
		fprintf(stderr,
			"vaccel-shim-alloc: free(%p): not a block of the "
			"shared heap\n",
			p);
		abort();
	}
	size_t start = (size_t)((uint8_t *)p - H.base) / PAGE;
	H.blocks[start] = 0;
	release(start, pages);
	/* sorted insert, merged with its neighbours */
	size_t i = 0;
	while (i < H.nr_free && H.free[i].start < start)
		i++;
	bool prev = i > 0 && H.free[i - 1].start + H.free[i - 1].len == start;
	bool next = i < H.nr_free && start + pages == H.free[i].start;
	if (prev && next) {
		H.free[i - 1].len += (uint32_t)pages + H.free[i].len;
		memmove(&H.free[i], &H.free[i + 1],
			(H.nr_free - i - 1) * sizeof(H.free[0]));
		H.nr_free--;
	} else if (prev) {
		H.free[i - 1].len += (uint32_t)pages;
	} else if (next) {
		H.free[i].start = (uint32_t)start;
		H.free[i].len += (uint32_t)pages;
	} else if (H.nr_free < MAX_FREE) {
		memmove(&H.free[i + 1], &H.free[i],
			(H.nr_free - i) * sizeof(H.free[0]));
		H.free[i] = (struct extent){(uint32_t)start, (uint32_t)pages};
		H.nr_free++;
	}
	/* an extent that reaches the top lowers it */
	if (H.nr_free &&
	    H.free[H.nr_free - 1].start + H.free[H.nr_free - 1].len == H.top) {
		H.top = H.free[H.nr_free - 1].start;
		H.nr_free--;
	}
	pthread_mutex_unlock(&H.lock);
}

/* The child of a fork: the heap becomes its own, a private copy at the
 * same addresses, and is no longer shared. */
static void in_child(void)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	H.lock = m;
	if (atomic_load(&H.state) != 1)
		return;
	uint8_t *copy = map_private(H.len);
	if (!copy) {
		/* keep sharing rather than lose the program's data */
		fprintf(stderr, "vaccel-shim-alloc: no memory for the forked "
				"child's copy of the heap; it stays shared\n");
		return;
	}
	for (size_t pg = 0; pg < H.top;) {
		size_t n = H.blocks[pg];
		if (!n) {
			pg++;
			continue;
		}
		memcpy(copy + pg * PAGE, H.base + pg * PAGE, n * PAGE);
		pg += n;
	}
	if (mremap(copy, H.len, H.len, MREMAP_MAYMOVE | MREMAP_FIXED, H.base) ==
	    MAP_FAILED) {
		munmap(copy, H.len);
		fprintf(stderr, "vaccel-shim-alloc: cannot give the forked "
				"child its own heap; it stays shared\n");
		return;
	}
	close(H.fd);
	H.fd = -1;
}

EXPORT int vaccel_shm_heap(struct shm_heap *h)
{
	if (atomic_load_explicit(&H.state, memory_order_acquire) != 1)
		return -1;
	*h = (struct shm_heap){H.base, H.len, H.fd};
	return 0;
}

/* ---- the allocator's entry points ---------------------------------------- */

EXPORT void *malloc(size_t n)
{
	void *p = wants_heap(n) ? heap_alloc(n) : NULL;
	return p ? p : __libc_malloc(n);
}

EXPORT void free(void *p)
{
	if (in_heap(p))
		heap_free(p);
	else
		__libc_free(p);
}

EXPORT void *calloc(size_t nmemb, size_t size)
{
	size_t n;
	if (__builtin_mul_overflow(nmemb, size, &n)) {
		errno = ENOMEM;
		return NULL;
	}
	/* heap blocks are zero when handed out */
	void *p = wants_heap(n) ? heap_alloc(n) : NULL;
	return p ? p : __libc_calloc(nmemb, size);
}

static size_t usable(void *p)
{
	pthread_mutex_lock(&H.lock);
	size_t n = block_pages(p) * PAGE;
	pthread_mutex_unlock(&H.lock);
	return n;
}

EXPORT void *realloc(void *p, size_t n)
{
	/* glibc's blocks stay glibc's */
	if (!in_heap(p))
		return p ? __libc_realloc(p, n) : malloc(n);
	if (!n) {
		heap_free(p);
		return NULL;
	}
	size_t have = usable(p);
	if (n <= have && n >= H.min)
		return p;
	void *q = malloc(n);
	if (!q)
		return NULL;
	memcpy(q, p, have < n ? have : n);
	heap_free(p);
	return q;
}

EXPORT void *reallocarray(void *p, size_t nmemb, size_t size)
{
	size_t n;
	if (__builtin_mul_overflow(nmemb, size, &n)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, n);
}

static void *aligned(size_t align, size_t n)
{
	void *p = align <= PAGE && wants_heap(n) ? heap_alloc(n) : NULL;
	return p ? p : __libc_memalign(align, n);
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
	if (!align || (align & (align - 1)) || align % sizeof(void *))
		return EINVAL;
	void *p = aligned(align, n);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
	return aligned(align, n);
}

EXPORT void *memalign(size_t align, size_t n)
{
	return aligned(align, n);
}

EXPORT void *valloc(size_t n)
{
	return aligned(PAGE, n);
}

EXPORT void *pvalloc(size_t n)
{
	return aligned(PAGE, (n + PAGE - 1) & ~(size_t)(PAGE - 1));
}

EXPORT size_t malloc_usable_size(void *p)
{
	static size_t (*real)(void *);
	if (in_heap(p))
		return usable(p);
	if (!real)
		real =
		    (size_t(*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size");
	return real && p ? real(p) : 0;
}
