// SPDX-License-Identifier: Apache-2.0
#include "internal.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static atomic_bool prof_on;

void prof_set_enabled(bool enabled)
{
	atomic_store(&prof_on, enabled);
}

bool vaccel_prof_enabled(void)
{
	core_ensure();
	return atomic_load_explicit(&prof_on, memory_order_relaxed);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int vaccel_prof_region_init(struct vaccel_prof_region *region, const char *name)
{
	if (!region || !name)
		return VACCEL_EINVAL;
	char *copy = strdup(name);
	if (!copy)
		return VACCEL_ENOMEM;
	*region = (struct vaccel_prof_region){.name = copy, .name_owned = true};
	return VACCEL_OK;
}

int vaccel_prof_region_release(struct vaccel_prof_region *region)
{
	if (!region)
		return VACCEL_EINVAL;
	if (region->name_owned)
		free((char *)region->name);
	free(region->samples);
	*region = (struct vaccel_prof_region){0};
	return VACCEL_OK;
}

int vaccel_prof_region_start(struct vaccel_prof_region *region)
{
	if (!region)
		return VACCEL_EINVAL;
	if (!vaccel_prof_enabled())
		return VACCEL_OK;
	if (region->nr_entries == region->size) {
		size_t cap = region->size ? region->size * 2 : 16;
		struct vaccel_prof_sample *s =
		    realloc(region->samples, cap * sizeof(*s));
		if (!s)
			return VACCEL_ENOMEM;
		region->samples = s;
		region->size = cap;
	}
	region->samples[region->nr_entries++] =
	    (struct vaccel_prof_sample){.start = now_ns(), .time = 0};
	return VACCEL_OK;
}

int vaccel_prof_region_stop(const struct vaccel_prof_region *region)
{
	if (!region)
		return VACCEL_EINVAL;
	if (!vaccel_prof_enabled())
		return VACCEL_OK;
	if (!region->nr_entries)
		return VACCEL_EINVAL;
	struct vaccel_prof_sample *s = &region->samples[region->nr_entries - 1];
	s->time = now_ns() - s->start;
	return VACCEL_OK;
}

uint64_t vaccel_prof_region_total(const struct vaccel_prof_region *region)
{
	uint64_t t = 0;
	if (!region)
		return 0;
	for (size_t i = 0; i < region->nr_entries; i++)
		t += region->samples[i].time;
	return t;
}

static int region_line(char *buf, size_t len,
		       const struct vaccel_prof_region *r)
{
	uint64_t total = vaccel_prof_region_total(r);
	return snprintf(buf, len,
			"[prof] %s: total_time: %" PRIu64
			" nsec nr_entries: %zu\n",
			r->name ? r->name : "(unnamed)", total, r->nr_entries);
}

int vaccel_prof_region_print(const struct vaccel_prof_region *region)
{
	if (!region)
		return VACCEL_EINVAL;
	if (!vaccel_prof_enabled())
		return VACCEL_OK;
	char line[512];
	region_line(line, sizeof(line), region);
	vaccel_log(VACCEL_LOG_INFO, "prof", "%.*s", (int)strcspn(line, "\n"),
		   line);
	return VACCEL_OK;
}

static struct vaccel_prof_region *
find_region(struct vaccel_prof_region *regions, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (regions[i].name && strcmp(regions[i].name, name) == 0)
			return &regions[i];
	return NULL;
}

int vaccel_prof_regions_start_by_name(struct vaccel_prof_region *regions,
				      int nregions, const char *name)
{
	if (!regions || nregions <= 0 || !name)
		return VACCEL_EINVAL;
	struct vaccel_prof_region *r = find_region(regions, nregions, name);
	return r ? vaccel_prof_region_start(r) : VACCEL_ENOENT;
}

int vaccel_prof_regions_stop_by_name(struct vaccel_prof_region *regions,
				     int nregions, const char *name)
{
	if (!regions || nregions <= 0 || !name)
		return VACCEL_EINVAL;
	struct vaccel_prof_region *r = find_region(regions, nregions, name);
	return r ? vaccel_prof_region_stop(r) : VACCEL_ENOENT;
}

int vaccel_prof_regions_init(struct vaccel_prof_region *regions, int nregions)
{
	if (!regions || nregions <= 0)
		return VACCEL_EINVAL;
	for (int i = 0; i < nregions; i++) {
		regions[i].nr_entries = 0;
		regions[i].samples = NULL;
		regions[i].size = 0;
	}
	return VACCEL_OK;
}

int vaccel_prof_regions_release(struct vaccel_prof_region *regions,
				int nregions)
{
	if (!regions || nregions <= 0)
		return VACCEL_EINVAL;
	for (int i = 0; i < nregions; i++)
		vaccel_prof_region_release(&regions[i]);
	return VACCEL_OK;
}

int vaccel_prof_regions_print_all(struct vaccel_prof_region *regions,
				  int nregions)
{
	if (!regions || nregions <= 0)
		return VACCEL_EINVAL;
	for (int i = 0; i < nregions; i++)
		vaccel_prof_region_print(&regions[i]);
	return VACCEL_OK;
}

int vaccel_prof_regions_print_all_to_buf(char **tbuf, size_t tbuf_len,
					 struct vaccel_prof_region *regions,
					 int nregions)
{
	if (!tbuf || !regions || nregions <= 0)
		return VACCEL_EINVAL;
	size_t need = 1;
	char line[512];
	for (int i = 0; i < nregions; i++)
		need += (size_t)region_line(line, sizeof(line), &regions[i]);
	char *buf = *tbuf;
	if (!buf) {
		buf = malloc(need);
		if (!buf)
			return VACCEL_ENOMEM;
		tbuf_len = need;
	} else if (tbuf_len < need) {
		return VACCEL_ENOSPC;
	}
	size_t off = 0;
	buf[0] = '\0';
	for (int i = 0; i < nregions; i++)
		off +=
		    (size_t)region_line(buf + off, tbuf_len - off, &regions[i]);
	*tbuf = buf;
	return VACCEL_OK;
}
