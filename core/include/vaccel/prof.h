/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vaccel_prof_sample {
	/* CLOCK_MONOTONIC ns at region entry */
	uint64_t start;
	/* ns spent inside */
	uint64_t time;
};

/* A named timer collecting samples; not thread-safe per region. */
struct vaccel_prof_region {
	const char *name;
	bool name_owned;
	size_t nr_entries;
	struct vaccel_prof_sample *samples;
	size_t size;
};

#define VACCEL_PROF_REGION_INIT(name)                                          \
	{                                                                      \
		(name), false, 0, NULL, 0                                      \
	}

/* VACCEL_PROFILING_ENABLED; start/stop are no-ops when false. */
bool vaccel_prof_enabled(void);
int vaccel_prof_region_start(struct vaccel_prof_region *region);
int vaccel_prof_region_stop(const struct vaccel_prof_region *region);
int vaccel_prof_region_print(const struct vaccel_prof_region *region);
int vaccel_prof_region_init(struct vaccel_prof_region *region,
			    const char *name);
int vaccel_prof_region_release(struct vaccel_prof_region *region);
int vaccel_prof_regions_start_by_name(struct vaccel_prof_region *regions,
				      int nregions, const char *name);
int vaccel_prof_regions_stop_by_name(struct vaccel_prof_region *regions,
				     int nregions, const char *name);
int vaccel_prof_regions_init(struct vaccel_prof_region *regions, int nregions);
int vaccel_prof_regions_release(struct vaccel_prof_region *regions,
				int nregions);
int vaccel_prof_regions_print_all(struct vaccel_prof_region *regions,
				  int nregions);
/* Format into *tbuf (malloc'd if *tbuf is NULL, else tbuf_len bytes). */
int vaccel_prof_regions_print_all_to_buf(char **tbuf, size_t tbuf_len,
					 struct vaccel_prof_region *regions,
					 int nregions);
/* Total ns and sample count of a region. */
uint64_t vaccel_prof_region_total(const struct vaccel_prof_region *region);

#ifdef __cplusplus
}
#endif
