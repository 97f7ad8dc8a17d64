// SPDX-License-Identifier: Apache-2.0
#include "internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Level and sink may be read before bootstrap: they come from the
 * environment on first use and from the config once bootstrapped. */
static atomic_int log_level = -1;
static FILE *log_sink;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static int current_level(void)
{
	int lvl = atomic_load_explicit(&log_level, memory_order_relaxed);
	if (likely(lvl >= 0))
		return lvl;
	vaccel_log_level_t parsed = VACCEL_LOG_ERROR;
	const char *env = getenv("VACCEL_LOG_LEVEL");
	if (env && vaccel_config_parse_log_level(env, &parsed) != VACCEL_OK)
		parsed = VACCEL_LOG_ERROR;
	atomic_store(&log_level, (int)parsed);
	return (int)parsed;
}

int vaccel_log_enabled(vaccel_log_level_t level)
{
	return (int)level <= current_level();
}

void log_configure(vaccel_log_level_t level, const char *file)
{
	pthread_mutex_lock(&log_lock);
	atomic_store(&log_level, (int)level);
	if (log_sink && log_sink != stderr)
		fclose(log_sink);
	log_sink = NULL;
	if (file && *file) {
		log_sink = fopen(file, "ae");
		if (!log_sink)
			fprintf(
			    stderr,
			    "[vaccel] ERROR log: cannot open VACCEL_LOG_FILE "
			    "'%s'; logging to stderr\n",
			    file);
	}
	pthread_mutex_unlock(&log_lock);
}

void log_reset(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_sink && log_sink != stderr)
		fclose(log_sink);
	log_sink = NULL;
	atomic_store(&log_level, -1);
	pthread_mutex_unlock(&log_lock);
}

static const char *level_name(vaccel_log_level_t level)
{
	switch (level) {
	case VACCEL_LOG_ERROR:
		return "ERROR";
	case VACCEL_LOG_WARN:
		return "WARN";
	case VACCEL_LOG_INFO:
		return "INFO";
	default:
		return "DEBUG";
	}
}

/*
 * Control characters written as escapes (\n, \r, \xHH), so that a
 * message that carries a peer's string (a resource name, a library path)
 * is one line and cannot forge the start of another or steer a terminal.
 * Tabs stay.
 */
static void escape_controls(const char *in, char *out, size_t len)
{
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)in;
	     *p && o + 5 < len; p++) {
		if (*p >= 0x20 && *p != 0x7f) {
			out[o++] = (char)*p;
		} else if (*p == '\t') {
			out[o++] = '\t';
		} else if (*p == '\n' || *p == '\r') {
			out[o++] = '\\';
			out[o++] = *p == '\n' ? 'n' : 'r';
		} else {
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", *p);
		}
	}
	out[o] = '\0';
}

void vaccel_vlog(vaccel_log_level_t level, const char *tag, const char *fmt,
		 va_list ap)
{
	if ((int)level > current_level() || !caller_may_log())
		return;
	char raw[1024], msg[4 * sizeof(raw) + 1];
	vsnprintf(raw, sizeof(raw), fmt, ap);
	escape_controls(raw, msg, sizeof(msg));
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	pthread_mutex_lock(&log_lock);
	FILE *out = log_sink ? log_sink : stderr;
	fprintf(out, "%lld.%06ld [vaccel] %s %s: %s\n", (long long)ts.tv_sec,
		ts.tv_nsec / 1000, level_name(level), tag ? tag : "vaccel",
		msg);
	fflush(out);
	pthread_mutex_unlock(&log_lock);
}

void vaccel_log(vaccel_log_level_t level, const char *tag, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vaccel_vlog(level, tag, fmt, ap);
	va_end(ap);
}

int vaccel_log_init(void)
{
	(void)current_level();
	return VACCEL_OK;
}

int vaccel_log_shutdown(void)
{
	log_reset();
	return VACCEL_OK;
}
