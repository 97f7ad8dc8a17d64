// SPDX-License-Identifier: Apache-2.0
#include "internal.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int vaccel_config_parse_log_level(const char *text, vaccel_log_level_t *out)
{
	static const struct {
		const char *name;
		vaccel_log_level_t level;
	} names[] = {
	    {"1", VACCEL_LOG_ERROR},	  {"error", VACCEL_LOG_ERROR},
	    {"2", VACCEL_LOG_WARN},	  {"warn", VACCEL_LOG_WARN},
	    {"warning", VACCEL_LOG_WARN}, {"3", VACCEL_LOG_INFO},
	    {"info", VACCEL_LOG_INFO},	  {"4", VACCEL_LOG_DEBUG},
	    {"debug", VACCEL_LOG_DEBUG},
	};
	if (!text || !out)
		return VACCEL_EINVAL;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(text, names[i].name) == 0) {
			*out = names[i].level;
			return VACCEL_OK;
		}
	}
	return VACCEL_EINVAL;
}

int vaccel_config_parse_bool(const char *text, bool *out)
{
	static const char *const yes[] = {"1", "true", "yes", "on"};
	static const char *const no[] = {"0", "false", "no", "off"};
	if (!text || !out)
		return VACCEL_EINVAL;
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*out = true;
			return VACCEL_OK;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*out = false;
			return VACCEL_OK;
		}
	}
	return VACCEL_EINVAL;
}

int vaccel_config_parse_size(const char *text, uint64_t *out)
{
	if (!text || !out || *text < '0' || *text > '9')
		return VACCEL_EINVAL;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno)
		return VACCEL_EINVAL;
	unsigned int shift = 0;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	else if (*end)
		return VACCEL_EINVAL;
	if ((shift && end[1]) || v > (UINT64_MAX >> shift))
		return VACCEL_EINVAL;
	*out = (uint64_t)v << shift;
	return VACCEL_OK;
}

static int dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return VACCEL_OK;
	*dst = strdup(src);
	return *dst ? VACCEL_OK : VACCEL_ENOMEM;
}

int vaccel_config_init(struct vaccel_config *config, const char *plugins,
		       vaccel_log_level_t log_level, const char *log_file,
		       bool profiling_enabled, bool version_ignore)
{
	if (!config)
		return VACCEL_EINVAL;
	if (log_level < VACCEL_LOG_ERROR || log_level > VACCEL_LOG_DEBUG)
		return VACCEL_EINVAL;
	memset(config, 0, sizeof(*config));
	if (dup_opt(&config->plugins, plugins) ||
	    dup_opt(&config->log_file, log_file)) {
		free(config->plugins);
		config->plugins = NULL;
		return VACCEL_ENOMEM;
	}
	config->log_level = log_level;
	config->profiling_enabled = profiling_enabled;
	config->version_ignore = version_ignore;
	return VACCEL_OK;
}

static int env_bool(const char *name, bool *out, int *status)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return 0;
	if (vaccel_config_parse_bool(v, out) != VACCEL_OK) {
		vaccel_log(VACCEL_LOG_ERROR, "config",
			   "%s='%s' is not a boolean (use 1/0, true/false, "
			   "yes/no, on/off); using the default",
			   name, v);
		*status = VACCEL_EINVAL;
	}
	return 0;
}

int vaccel_config_init_from_env(struct vaccel_config *config)
{
	if (!config)
		return VACCEL_EINVAL;
	int status = VACCEL_OK;
	vaccel_log_level_t level = VACCEL_LOG_ERROR;
	const char *v = getenv("VACCEL_LOG_LEVEL");
	if (v && *v && vaccel_config_parse_log_level(v, &level) != VACCEL_OK) {
		vaccel_log(VACCEL_LOG_ERROR, "config",
			   "VACCEL_LOG_LEVEL='%s' is not a level (1-4 or "
			   "error/warn/info/debug); using error",
			   v);
		level = VACCEL_LOG_ERROR;
		status = VACCEL_EINVAL;
	}
	bool prof = false, vign = false;
	env_bool("VACCEL_PROFILING_ENABLED", &prof, &status);
	env_bool("VACCEL_VERSION_IGNORE", &vign, &status);
	const char *plugins = getenv("VACCEL_PLUGINS");
	if (plugins && !*plugins)
		plugins = NULL;
	const char *file = getenv("VACCEL_LOG_FILE");
	if (file && !*file)
		file = NULL;
	int ret = vaccel_config_init(config, plugins, level, file, prof, vign);
	return ret ? ret : status;
}

int vaccel_config_init_from(struct vaccel_config *config,
			    struct vaccel_config *src)
{
	if (!config || !src)
		return VACCEL_EINVAL;
	return vaccel_config_init(config, src->plugins, src->log_level,
				  src->log_file, src->profiling_enabled,
				  src->version_ignore);
}

int vaccel_config_release(struct vaccel_config *config)
{
	if (!config)
		return VACCEL_EINVAL;
	free(config->plugins);
	free(config->log_file);
	config->plugins = NULL;
	config->log_file = NULL;
	return VACCEL_OK;
}

int vaccel_config_new(struct vaccel_config **config, const char *plugins,
		      vaccel_log_level_t log_level, const char *log_file,
		      bool profiling_enabled, bool version_ignore)
{
	if (!config)
		return VACCEL_EINVAL;
	struct vaccel_config *c = malloc(sizeof(*c));
	if (!c)
		return VACCEL_ENOMEM;
	int ret = vaccel_config_init(c, plugins, log_level, log_file,
				     profiling_enabled, version_ignore);
	if (ret) {
		free(c);
		return ret;
	}
	*config = c;
	return VACCEL_OK;
}

int vaccel_config_from_env(struct vaccel_config **config)
{
	if (!config)
		return VACCEL_EINVAL;
	struct vaccel_config *c = malloc(sizeof(*c));
	if (!c)
		return VACCEL_ENOMEM;
	int ret = vaccel_config_init_from_env(c);
	if (ret && ret != VACCEL_EINVAL) {
		free(c);
		return ret;
	}
	*config = c;
	return ret;
}

int vaccel_config_from(struct vaccel_config **config,
		       struct vaccel_config *src)
{
	if (!config || !src)
		return VACCEL_EINVAL;
	return vaccel_config_new(config, src->plugins, src->log_level,
				 src->log_file, src->profiling_enabled,
				 src->version_ignore);
}

int vaccel_config_delete(struct vaccel_config *config)
{
	if (!config)
		return VACCEL_EINVAL;
	vaccel_config_release(config);
	free(config);
	return VACCEL_OK;
}

void vaccel_config_print_debug(struct vaccel_config *config)
{
	if (!config)
		return;
	vaccel_log(VACCEL_LOG_DEBUG, "config",
		   "plugins=%s log_level=%s log_file=%s profiling=%d "
		   "version_ignore=%d",
		   config->plugins ? config->plugins : "(none)",
		   vaccel_log_level_to_str(config->log_level),
		   config->log_file ? config->log_file : "(stderr)",
		   config->profiling_enabled, config->version_ignore);
}
