// SPDX-License-Identifier: Apache-2.0
/* Profiling regions record samples only when profiling is enabled. */
#include "common.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void boot_profiling(void)
{
	test_env_clear();
	setenv("VACCEL_PROFILING_ENABLED", "1", 1);
	assert_ok(vaccel_bootstrap());
}

static void spin(void)
{
	struct timespec ts = {0, 200000};
	nanosleep(&ts, NULL);
}

Test(prof, enabled_records_samples, .init = boot_profiling,
     .fini = test_cleanup)
{
	cr_assert(vaccel_prof_enabled());
	struct vaccel_prof_region r;
	assert_ok(vaccel_prof_region_init(&r, "work"));
	for (int i = 0; i < 3; i++) {
		assert_ok(vaccel_prof_region_start(&r));
		spin();
		assert_ok(vaccel_prof_region_stop(&r));
	}
	cr_expect_eq(r.nr_entries, 3);
	for (size_t i = 0; i < r.nr_entries; i++) {
		cr_expect_geq(r.samples[i].time, 100000, "sample %zu: %llu ns",
			      i, (unsigned long long)r.samples[i].time);
		cr_expect_gt(r.samples[i].start, 0);
	}
	cr_expect_geq(vaccel_prof_region_total(&r), 300000);
	assert_ok(vaccel_prof_region_print(&r));
	assert_ok(vaccel_prof_region_release(&r));
	cr_expect_null(r.samples);
	cr_expect_eq(r.nr_entries, 0);
}

Test(prof, enabled_grows_past_initial_capacity, .init = boot_profiling,
     .fini = test_cleanup)
{
	struct vaccel_prof_region r = VACCEL_PROF_REGION_INIT("many");
	for (int i = 0; i < 100; i++) {
		assert_ok(vaccel_prof_region_start(&r));
		assert_ok(vaccel_prof_region_stop(&r));
	}
	cr_expect_eq(r.nr_entries, 100);
	cr_expect_geq(r.size, 100);
	assert_ok(vaccel_prof_region_release(&r));
}

Test(prof, stop_without_start, .init = boot_profiling, .fini = test_cleanup)
{
	struct vaccel_prof_region r = VACCEL_PROF_REGION_INIT("never");
	assert_ret(vaccel_prof_region_stop(&r), VACCEL_EINVAL);
	assert_ret(vaccel_prof_region_start(NULL), VACCEL_EINVAL);
	assert_ret(vaccel_prof_region_stop(NULL), VACCEL_EINVAL);
	assert_ret(vaccel_prof_region_init(NULL, "x"), VACCEL_EINVAL);
	assert_ret(vaccel_prof_region_init(&r, NULL), VACCEL_EINVAL);
}

Test(prof, regions_by_name_and_report, .init = boot_profiling,
     .fini = test_cleanup)
{
	struct vaccel_prof_region regions[2] = {
	    VACCEL_PROF_REGION_INIT("load"),
	    VACCEL_PROF_REGION_INIT("run"),
	};
	assert_ok(vaccel_prof_regions_init(regions, 2));
	for (int i = 0; i < 2; i++) {
		assert_ok(vaccel_prof_regions_start_by_name(regions, 2, "run"));
		assert_ok(vaccel_prof_regions_stop_by_name(regions, 2, "run"));
	}
	assert_ok(vaccel_prof_regions_start_by_name(regions, 2, "load"));
	assert_ok(vaccel_prof_regions_stop_by_name(regions, 2, "load"));
	assert_ret(vaccel_prof_regions_start_by_name(regions, 2, "nope"),
		   VACCEL_ENOENT);
	assert_ret(vaccel_prof_regions_start_by_name(regions, 0, "run"),
		   VACCEL_EINVAL);
	cr_expect_eq(regions[0].nr_entries, 1);
	cr_expect_eq(regions[1].nr_entries, 2);

	char *text = NULL;
	assert_ok(vaccel_prof_regions_print_all_to_buf(&text, 0, regions, 2));
	cr_assert_not_null(text);
	cr_expect_not_null(strstr(text, "[prof] load: total_time: "), "%s",
			   text);
	cr_expect_not_null(strstr(text, "nr_entries: 2\n"), "%s", text);
	char small[8];
	char *sp = small;
	assert_ret(vaccel_prof_regions_print_all_to_buf(&sp, sizeof(small),
							regions, 2),
		   VACCEL_ENOSPC);
	free(text);
	assert_ok(vaccel_prof_regions_print_all(regions, 2));
	assert_ok(vaccel_prof_regions_release(regions, 2));
	cr_expect_null(regions[1].samples);
}

Test(prof, disabled_records_nothing, .init = test_boot_none,
     .fini = test_cleanup)
{
	cr_assert(!vaccel_prof_enabled());
	struct vaccel_prof_region r;
	assert_ok(vaccel_prof_region_init(&r, "idle"));
	for (int i = 0; i < 3; i++) {
		assert_ok(vaccel_prof_region_start(&r));
		assert_ok(vaccel_prof_region_stop(&r));
	}
	cr_expect_eq(r.nr_entries, 0);
	cr_expect_null(r.samples);
	cr_expect_eq(vaccel_prof_region_total(&r), 0);
	assert_ok(vaccel_prof_region_release(&r));
}

Test(prof, disabled_explicitly, .fini = test_cleanup)
{
	test_env_clear();
	setenv("VACCEL_PROFILING_ENABLED", "off", 1);
	assert_ok(vaccel_bootstrap());
	cr_assert(!vaccel_prof_enabled());
	struct vaccel_prof_region r = VACCEL_PROF_REGION_INIT("off");
	assert_ok(vaccel_prof_region_start(&r));
	assert_ok(vaccel_prof_region_stop(&r));
	cr_expect_eq(r.nr_entries, 0);
}

Test(prof, cleanup_turns_profiling_off, .fini = test_cleanup)
{
	test_env_clear();
	struct vaccel_config c;
	assert_ok(
	    vaccel_config_init(&c, NULL, VACCEL_LOG_ERROR, NULL, true, false));
	assert_ok(vaccel_bootstrap_with_config(&c));
	vaccel_config_release(&c);
	cr_expect(vaccel_prof_enabled());
	assert_ok(vaccel_cleanup());
	/* the next use bootstraps from the (profiling-free) environment */
	cr_expect(!vaccel_prof_enabled());
}
