// SPDX-License-Identifier: Apache-2.0
#include "internal.h"
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef VACCEL_PLUGINDIR
#define VACCEL_PLUGINDIR "/usr/local/lib/vaccel"
#endif

#define MAX_PLUGINS 16

/* Loaded plugins in precedence order. Slots are only appended while the
 * library is up, so a snapshot (array + count) stays valid until
 * plugins_unload_all(). */
static struct plugin *loaded[MAX_PLUGINS];
static atomic_uint nr_loaded;
static pthread_mutex_t plugins_lock = PTHREAD_MUTEX_INITIALIZER;
/* this thread holds plugins_lock (a plugin's init registering ops) */
static _Thread_local bool holding;

static void plugins_lock_take(void)
{
	pthread_mutex_lock(&plugins_lock);
	holding = true;
}

static void plugins_lock_drop(void)
{
	holding = false;
	pthread_mutex_unlock(&plugins_lock);
}

void plugins_dispatch_refresh(void)
{
	/* a plugin's init: the load under way rebuilds the table */
	if (holding)
		return;
	plugins_lock_take();
	unsigned int n = atomic_load(&nr_loaded);
	if (n && dispatch_rebuild(loaded, n))
		vaccel_log(VACCEL_LOG_ERROR, "plugin",
			   "no memory to serve the ops just registered");
	plugins_lock_drop();
}

struct plugin *const *plugins_snapshot(unsigned int *n)
{
	*n = atomic_load_explicit(&nr_loaded, memory_order_acquire);
	return loaded;
}

size_t vaccel_plugins_read_slack(void)
{
	unsigned int n;
	struct plugin *const *ps = plugins_snapshot(&n);
	size_t slack = 0;
	for (unsigned int i = 0; i < n; i++) {
		const struct plugin *p = ps[i];
		if (PLUGIN_COVERS(p, read_slack) && p->desc->read_slack > slack)
			slack = p->desc->read_slack;
	}
	return slack;
}

unsigned int vaccel_plugin_count(void)
{
	return atomic_load(&nr_loaded);
}

static bool file_exists(const char *path)
{
	return access(path, R_OK) == 0;
}

/* Resolve a name to a path to dlopen. Returns malloc'd; NULL when nothing
 * was found on disk (the caller then tries the loader's own search). */
static char *find_plugin(const char *file)
{
	const char *env = getenv("VACCEL_PLUGIN_PATH");
	char *path = NULL;
	if (env && *env) {
		char *dirs = strdup(env), *save = NULL;
		if (!dirs)
			return NULL;
		for (char *d = strtok_r(dirs, ":", &save); d;
		     d = strtok_r(NULL, ":", &save)) {
			if (asprintf(&path, "%s/%s", d, file) < 0) {
				path = NULL;
				break;
			}
			if (file_exists(path))
				break;
			free(path);
			path = NULL;
		}
		free(dirs);
		if (path)
			return path;
	}
	if (asprintf(&path, "%s/%s", VACCEL_PLUGINDIR, file) < 0)
		return NULL;
	if (file_exists(path))
		return path;
	free(path);
	return NULL;
}

uint64_t plugin_min_cost(const struct plugin *p, uint32_t op)
{
	for (unsigned int i = 0; i < p->nr_op_min; i++)
		if (p->op_min[i].op == op)
			return p->op_min[i].min;
	return p->min_cost;
}

static const struct vaccel_op_desc *op_by_name(const char *name, size_t len)
{
	for (unsigned int i = 0, n = vaccel_op_count(); i < n; i++) {
		const struct vaccel_op_desc *op = vaccel_op_desc_at(i);
		if (op && strlen(op->name) == len &&
		    strncmp(op->name, name, len) == 0)
			return op;
	}
	return NULL;
}

/* One VACCEL_MIN_COST entry, NAME=N or NAME/OP=N, applied to p when it
 * names p; VACCEL_EINVAL (said when report) when it is malformed. */
static int min_cost_entry(struct plugin *p, const char *e, size_t len,
			  bool report)
{
	const char *eq = memchr(e, '=', len);
	const char *slash = eq ? memchr(e, '/', (size_t)(eq - e)) : NULL;
	size_t name_len = (size_t)((slash ? slash : eq ? eq : e) - e);
	char num[32];
	size_t num_len = eq ? len - (size_t)(eq + 1 - e) : 0;
	uint64_t v;
	if (!eq || !name_len || num_len == 0 || num_len >= sizeof(num))
		goto bad;
	memcpy(num, eq + 1, num_len);
	num[num_len] = '\0';
	if (vaccel_config_parse_size(num, &v))
		goto bad;
	if (strlen(p->desc->name) != name_len ||
	    strncmp(p->desc->name, e, name_len) != 0)
		return VACCEL_OK;
	if (!slash) {
		p->min_cost = v;
		return VACCEL_OK;
	}
	const struct vaccel_op_desc *op =
	    op_by_name(slash + 1, (size_t)(eq - slash - 1));
	if (!op) {
		vaccel_log(VACCEL_LOG_ERROR, "plugin",
			   "VACCEL_MIN_COST: '%.*s': no op is named '%.*s'",
			   (int)len, e, (int)(eq - slash - 1), slash + 1);
		return VACCEL_EINVAL;
	}
	struct op_min_cost *m =
	    realloc(p->op_min, (p->nr_op_min + 1) * sizeof(*m));
	if (!m)
		return VACCEL_ENOMEM;
	p->op_min = m;
	m[p->nr_op_min++] = (struct op_min_cost){.op = op->id, .min = v};
	return VACCEL_OK;
bad:
	if (report)
		vaccel_log(VACCEL_LOG_ERROR, "plugin",
			   "VACCEL_MIN_COST: '%.*s' is not PLUGIN=N or "
			   "PLUGIN/OP=N (N a count, K, M or G suffixed): "
			   "ignored",
			   (int)len, e);
	return VACCEL_EINVAL;
}

/* p's minimum costs: its descriptor's, then VACCEL_MIN_COST's entries
 * naming it (','-separated; a malformed one is said, when report, and
 * ignored). */
static void min_cost_set(struct plugin *p, bool report)
{
	if (PLUGIN_COVERS(p, min_cost))
		p->min_cost = p->desc->min_cost;
	const char *env = getenv("VACCEL_MIN_COST");
	for (const char *e = env; e && *e;) {
		size_t len = strcspn(e, ",");
		if (len)
			(void)min_cost_entry(p, e, len, report);
		e += len + (e[len] == ',');
	}
}

static size_t min_desc_size(void)
{
	return offsetof(struct vaccel_plugin_desc, nr_ops) +
	       sizeof(((struct vaccel_plugin_desc *)0)->nr_ops);
}

static int load_locked(const char *spec)
{
	char *path = NULL;
	const char *what = spec;
	if (strchr(spec, '/')) {
		if (!file_exists(spec)) {
			vaccel_log(VACCEL_LOG_ERROR, "plugin",
				   "'%s': no such file", spec);
			return VACCEL_ENOENT;
		}
		path = strdup(spec);
	} else {
		size_t len = strlen(spec);
		char *file = NULL;
		if (len > 3 && strcmp(spec + len - 3, ".so") == 0)
			file = strdup(spec);
		else if (asprintf(&file, "libvaccel-%s.so", spec) < 0)
			file = NULL;
		if (!file)
			return VACCEL_ENOMEM;
		path = find_plugin(file);
		if (!path)
			path = file; /* let the dynamic loader search */
		else
			free(file);
	}
	if (!path)
		return VACCEL_ENOMEM;

	int ret;
	void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		const char *err = dlerror();
		bool missing = err && strstr(err, "No such file");
		vaccel_log(VACCEL_LOG_ERROR, "plugin", "cannot load '%s': %s",
			   what, err ? err : "unknown error");
		free(path);
		return missing ? VACCEL_ENOENT : VACCEL_ELIBBAD;
	}
	const struct vaccel_plugin_desc *desc =
	    dlsym(dl, VACCEL_PLUGIN_SYMBOL_STR);
	struct plugin *p = calloc(1, sizeof(*p));
	if (!p) {
		ret = VACCEL_ENOMEM;
		goto fail_dl;
	}
	p->dl = dl;
	p->path = path;
	/* no descriptor of ours: a plugin written for vAccel (VACCEL_PLUGIN),
	 * wrapped in one, its init already run */
	const char *abi = "vAccel's plugin ABI";
	if (!desc) {
		ret = plugin_vaccel_wrap(dl, path, p);
		if (ret)
			goto fail_plugin;
		desc = p->desc;
		goto loaded;
	}
	abi = "plugin ABI " VACCEL_PLUGIN_ABI_STR;
	if (desc->abi_major != VACCEL_PLUGIN_ABI_MAJOR) {
		vaccel_log(VACCEL_LOG_ERROR, "plugin",
			   "'%s' was built for plugin ABI %u.%u; this "
			   "library speaks %u.%u (major versions must match)",
			   path, desc->abi_major, desc->abi_minor,
			   VACCEL_PLUGIN_ABI_MAJOR, VACCEL_PLUGIN_ABI_MINOR);
		ret = VACCEL_ENOEXEC;
		goto fail_plugin;
	}
	if (desc->desc_size < min_desc_size() || !desc->name || !*desc->name) {
		vaccel_log(VACCEL_LOG_ERROR, "plugin",
			   "'%s': malformed descriptor (size %u, name %s)",
			   path, desc->desc_size, desc->name ? "set" : "NULL");
		ret = VACCEL_ELIBBAD;
		goto fail_plugin;
	}
	if (desc->abi_minor != VACCEL_PLUGIN_ABI_MINOR &&
	    !core_version_ignore())
		vaccel_log(VACCEL_LOG_WARN, "plugin",
			   "'%s' was built for plugin ABI %u.%u, this library "
			   "is %u.%u: loading it (set VACCEL_VERSION_IGNORE=1 "
			   "to silence)",
			   desc->name, desc->abi_major, desc->abi_minor,
			   VACCEL_PLUGIN_ABI_MAJOR, VACCEL_PLUGIN_ABI_MINOR);
	p->desc = desc;
	p->desc_size = desc->desc_size;
	if (desc->priv_size) {
		p->priv = calloc(1, desc->priv_size);
		if (!p->priv) {
			ret = VACCEL_ENOMEM;
			goto fail_plugin;
		}
	}
	if (desc->init) {
		ret = desc->init(p->priv);
		/* VACCEL_ENODEV: the plugin declines (its device is not
		 * there) and has said why; the next plugin serves its ops */
		if (ret) {
			vaccel_log(ret == VACCEL_ENODEV ? VACCEL_LOG_DEBUG
							: VACCEL_LOG_ERROR,
				   "plugin", "'%s' %s: %s", desc->name,
				   ret == VACCEL_ENODEV
				       ? "declined"
				       : "failed to initialize",
				   vaccel_strerror(ret));
			goto fail_plugin;
		}
	}
loaded:;
	unsigned int n = atomic_load(&nr_loaded);
	for (unsigned int i = 0; i < n; i++) {
		if (strcmp(loaded[i]->desc->name, desc->name) == 0) {
			vaccel_log(VACCEL_LOG_ERROR, "plugin",
				   "a plugin named '%s' is already loaded",
				   desc->name);
			ret = VACCEL_EEXIST;
			goto fail_init;
		}
	}
	if (n == MAX_PLUGINS) {
		vaccel_log(VACCEL_LOG_ERROR, "plugin",
			   "too many plugins (at most %d)", MAX_PLUGINS);
		ret = VACCEL_EUSERS;
		goto fail_init;
	}
	for (size_t i = 0; i < desc->nr_ops; i++)
		if (!vaccel_op_desc_by_id(desc->ops[i].op_id))
			vaccel_log(VACCEL_LOG_WARN, "plugin",
				   "'%s' implements unknown op id %u: ignored",
				   desc->name, desc->ops[i].op_id);
	min_cost_set(p, n == 0);
	loaded[n] = p;
	ret = dispatch_rebuild(loaded, n + 1);
	if (ret) {
		loaded[n] = NULL;
		goto fail_init;
	}
	atomic_store_explicit(&nr_loaded, n + 1, memory_order_release);
	vaccel_log(VACCEL_LOG_INFO, "plugin", "loaded '%s' %s (%s) from %s",
		   desc->name, desc->version ? desc->version : "", abi,
		   p->path);
	return VACCEL_OK;

fail_init:
	if (desc->fini)
		desc->fini(p->priv);
fail_plugin:
	free(p->op_min);
	free(p->priv);
	free(p);
fail_dl:
	dlclose(dl);
	free(path);
	return ret;
}

int vaccel_plugin_load(const char *name_or_path)
{
	if (!name_or_path || !*name_or_path)
		return VACCEL_EINVAL;
	core_ensure();
	plugins_lock_take();
	int ret = load_locked(name_or_path);
	plugins_lock_drop();
	return ret;
}

/* Bootstrap's entry: core_ensure() would recurse. */
int plugins_load_list(const char *list)
{
	if (!list)
		return VACCEL_EINVAL;
	char *copy = strdup(list);
	if (!copy)
		return VACCEL_ENOMEM;
	int first = VACCEL_OK;
	char *save = NULL;
	plugins_lock_take();
	for (char *s = strtok_r(copy, ":", &save); s;
	     s = strtok_r(NULL, ":", &save)) {
		int ret = load_locked(s);
		/* a plugin that declines (VACCEL_ENODEV: its device is not
		 * here) leaves its ops to the others: the list loaded */
		if (ret && ret != VACCEL_ENODEV && !first)
			first = ret;
	}
	plugins_lock_drop();
	free(copy);
	return first;
}

int vaccel_plugin_parse_and_load(const char *list)
{
	if (!list)
		return VACCEL_EINVAL;
	core_ensure();
	return plugins_load_list(list);
}

void plugins_unload_all(void)
{
	plugins_lock_take();
	unsigned int n = atomic_load(&nr_loaded);
	atomic_store(&nr_loaded, 0);
	dispatch_reset();
	while (n--) {
		struct plugin *p = loaded[n];
		loaded[n] = NULL;
		if (p->desc->fini)
			p->desc->fini(p->priv);
		dlclose(p->dl);
		free(p->op_min);
		free(p->priv);
		free(p->path);
		free(p);
	}
	plugins_lock_drop();
}
