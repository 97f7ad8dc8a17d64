// SPDX-License-Identifier: Apache-2.0
#include "internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

atomic_bool vaccel_ready;
static pthread_mutex_t boot_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vaccel_config current;
static atomic_bool version_ignore;
static char *rundir;
/* Separate from boot_lock: a plugin's init may ask for the rundir while
 * the bootstrap holds boot_lock. */
static pthread_mutex_t rundir_lock = PTHREAD_MUTEX_INITIALIZER;
/* Set in the thread running the bootstrap while it loads plugins: their
 * init may call back into the library, which must not wait for itself. */
static _Thread_local bool booting;

bool core_version_ignore(void)
{
	return atomic_load_explicit(&version_ignore, memory_order_relaxed);
}

/* With boot_lock held. Plugin failures are reported and skipped. */
static int boot_locked(struct vaccel_config *config)
{
	int ret = vaccel_config_init_from(&current, config);
	if (ret)
		return ret;
	log_configure(current.log_level, current.log_file);
	prof_set_enabled(current.profiling_enabled);
	atomic_store(&version_ignore, current.version_ignore);
	vaccel_config_print_debug(&current);
	booting = true;
	if (current.plugins)
		ret = plugins_load_list(current.plugins);
	booting = false;
	/* Ready only once the plugins are in: another thread's first use
	 * waits on boot_lock instead of finding no plugin to serve it. */
	atomic_store_explicit(&vaccel_ready, true, memory_order_release);
	return ret;
}

void core_auto_bootstrap(void)
{
	if (booting)
		return;
	pthread_mutex_lock(&boot_lock);
	if (!atomic_load(&vaccel_ready)) {
		struct vaccel_config env;
		/* A bad value was reported and defaulted; carry on. */
		int ret = vaccel_config_init_from_env(&env);
		if (ret == VACCEL_OK || ret == VACCEL_EINVAL) {
			boot_locked(&env);
			vaccel_config_release(&env);
		}
	}
	pthread_mutex_unlock(&boot_lock);
}

int vaccel_bootstrap_with_config(struct vaccel_config *config)
{
	if (!config)
		return VACCEL_EINVAL;
	pthread_mutex_lock(&boot_lock);
	int ret = VACCEL_EEXIST;
	if (!atomic_load(&vaccel_ready))
		ret = boot_locked(config);
	pthread_mutex_unlock(&boot_lock);
	return ret;
}

int vaccel_bootstrap(void)
{
	struct vaccel_config env;
	int ret = vaccel_config_init_from_env(&env);
	if (ret && ret != VACCEL_EINVAL)
		return ret;
	int boot = vaccel_bootstrap_with_config(&env);
	vaccel_config_release(&env);
	return boot ? boot : ret;
}

static void remove_rundir(void)
{
	pthread_mutex_lock(&rundir_lock);
	if (!rundir) {
		pthread_mutex_unlock(&rundir_lock);
		return;
	}
	if (rmdir(rundir) != 0)
		vaccel_log(VACCEL_LOG_DEBUG, "core",
			   "run directory %s left in place (not empty)",
			   rundir);
	free(rundir);
	rundir = NULL;
	pthread_mutex_unlock(&rundir_lock);
}

int vaccel_cleanup(void)
{
	pthread_mutex_lock(&boot_lock);
	if (!atomic_load(&vaccel_ready)) {
		pthread_mutex_unlock(&boot_lock);
		return VACCEL_OK;
	}
	int live_s = sessions_live_count(), live_r = resources_live_count();
	if (live_s || live_r)
		vaccel_log(VACCEL_LOG_WARN, "core",
			   "cleanup with %d session(s) and %d resource(s) "
			   "still live",
			   live_s, live_r);
	plugins_unload_all();
	remove_rundir();
	vaccel_config_release(&current);
	prof_set_enabled(false);
	atomic_store(&version_ignore, false);
	atomic_store(&vaccel_ready, false);
	log_reset();
	pthread_mutex_unlock(&boot_lock);
	return VACCEL_OK;
}

bool vaccel_is_initialized(void)
{
	return atomic_load(&vaccel_ready) || booting;
}

const struct vaccel_config *vaccel_config(void)
{
	return (atomic_load(&vaccel_ready) || booting) ? &current : NULL;
}

const char *vaccel_rundir(void)
{
	core_ensure();
	pthread_mutex_lock(&rundir_lock);
	if (!rundir) {
		const char *base = getenv("VACCEL_RUNDIR");
		if (!base || !*base)
			base = getenv("TMPDIR");
		if (!base || !*base)
			base = "/tmp";
		char *dir = NULL;
		if (asprintf(&dir, "%s/vaccel.%d.XXXXXX", base,
			     (int)getpid()) >= 0) {
			if (mkdtemp(dir))
				rundir = dir;
			else
				free(dir);
		}
		if (!rundir)
			vaccel_log(VACCEL_LOG_ERROR, "core",
				   "cannot create a run directory under %s",
				   base);
	}
	const char *r = rundir;
	pthread_mutex_unlock(&rundir_lock);
	return r;
}
