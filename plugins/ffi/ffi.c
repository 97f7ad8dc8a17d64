// SPDX-License-Identifier: Apache-2.0
/*
 * ffi: the generic executor. Every op of the generated table
 * vaccel_callspecs[] (callspec.h, made by `vaccel_codegen.py ffi` from the
 * interposer specs) is one call of one host library function through
 * libffi: the symbol, its C parameters, how each is passed, the hidden
 * CHARACTER lengths, the return type, the reference argument checks and
 * the workspace sizes all come from that compiled-in table, never from the
 * wire. The same plugin serves vAccel's exec and exec_with_resource, which
 * run guest-named code and are therefore off unless the host allows them
 * (VACCEL_EXEC_ALLOW, VACCEL_EXEC_ALLOW_UPLOADS; docs/security.md).
 *
 * A call of a table op: find the callspec by op id (binary search), check
 * it against the op's descriptor and prepare its libffi call interface
 * (once, cached), run the reference checks, resolve the host symbol (once,
 * cached: the api's libraries are dlopened in order, first that loads
 * wins), allocate the workspaces, call, store the return value and each
 * workspace's first element into their out buffers.
 *
 * Everything cached is published with an atomic store after it is
 * complete; the slow paths run under one mutex. Calls run concurrently.
 */
#include "callspec.h"
#include "hooks.h"
#include <dlfcn.h>
#include <errno.h>
#include <ffi.h>
#include <inttypes.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>
#include <vaccel/remote.h>
#include "ops_internal_gen.h"

#define TAG "ffi"

/* Bounds of one callspec, so a call's values live on the stack. The
 * longest LAPACK drivers take about 25 parameters with their hidden
 * lengths, and at most three workspaces. */
#define FFI_MAX_PARAMS 64
#define FFI_MAX_WORK 8

#define FFI_DEFAULT_MAX_WORK (1ull << 30)

#define ENV_MAX_WORK "VACCEL_FFI_MAX_WORK"
#define ENV_EXEC_ALLOW "VACCEL_EXEC_ALLOW"
#define ENV_EXEC_UPLOADS "VACCEL_EXEC_ALLOW_UPLOADS"

/* ---- state ---------------------------------------------------------------
 * Slot states: 0 not done yet, 1 done, or the negated VACCEL_E* of a
 * failure, which is kept (a library or symbol that is missing now stays
 * missing: retrying each call would cost a dlopen per call).
 */

/* One api's host library, opened on first use. */
struct api_slot {
	atomic_int state;
	/* the handle (RTLD_LOCAL); valid once state is 1; closed at fini */
	void *dl;
	/* the entry of vaccel_cs_apis[].libs that loaded; borrowed */
	const char *lib;
};

/* What is cached per callspec. */
struct cs_slot {
	/* the callspec matches its op's descriptor and cif is prepared */
	atomic_int prep;
	/* fn is resolved */
	atomic_int resolved;
	ffi_cif cif;
	/* the cif's parameter types; owned, freed at fini */
	ffi_type **atypes;
	void (*fn)(void);
};

/* A host library that exec may run, by its resolved path. */
struct exec_lib {
	/* realpath of the allow-list entry; owned */
	char *path;
	/* opened (RTLD_NOW | RTLD_LOCAL) on first use, under the lock; closed
	 * at fini */
	void *dl;
};

/* The plugin's private state: allocated zeroed by the core (priv_size),
 * filled by ffi_init, emptied by ffi_fini. */
struct ffi_priv {
	/* guards the slow paths: preparing, resolving, opening */
	pthread_mutex_t lock;
	bool lock_ready;
	/* largest total of one call's workspaces, in bytes */
	uint64_t max_work;
	/* [vaccel_cs_apis_count] */
	struct api_slot *apis;
	/* [vaccel_callspecs_count], in the table's order */
	struct cs_slot *slots;
	/* VACCEL_EXEC_ALLOW, resolved; empty means exec is off */
	struct exec_lib *allow;
	size_t nr_allow;
	/* VACCEL_EXEC_ALLOW_UPLOADS: exec_with_resource may load uploads */
	bool allow_uploads;
};

/* ---- C types --------------------------------------------------------- */

static const char *ctype_name(unsigned int ct)
{
	static const char *const names[] = {
	    [VACCEL_CS_VOID] = "void",
	    [VACCEL_CS_I32] = "int32",
	    [VACCEL_CS_U8] = "char",
	    [VACCEL_CS_F32] = "float",
	    [VACCEL_CS_F64] = "double",
	    [VACCEL_CS_C64] = "float complex",
	    [VACCEL_CS_C128] = "double complex",
	    [VACCEL_CS_U64] = "size_t",
	    [VACCEL_CS_PTR] = "pointer",
	    [VACCEL_CS_LEN] = "hidden length",
	};
	return ct < sizeof(names) / sizeof(names[0]) ? names[ct] : "?";
}

/* Bytes of a value of ctype ct; 0 for void and unknown values. */
static size_t ctype_size(unsigned int ct)
{
	switch (ct) {
	case VACCEL_CS_I32:
	case VACCEL_CS_F32:
		return 4;
	case VACCEL_CS_U8:
		return 1;
	case VACCEL_CS_F64:
	case VACCEL_CS_C64:
	case VACCEL_CS_U64:
		return 8;
	case VACCEL_CS_C128:
		return 16;
	case VACCEL_CS_PTR:
		return sizeof(void *);
	case VACCEL_CS_LEN:
		return sizeof(size_t);
	default:
		return 0;
	}
}

/* NULL where this libffi cannot pass the type. */
static ffi_type *ctype_ffi(unsigned int ct)
{
	switch (ct) {
	case VACCEL_CS_VOID:
		return &ffi_type_void;
	case VACCEL_CS_I32:
		return &ffi_type_sint32;
	case VACCEL_CS_U8:
		return &ffi_type_uint8;
	case VACCEL_CS_F32:
		return &ffi_type_float;
	case VACCEL_CS_F64:
		return &ffi_type_double;
#ifdef FFI_TARGET_HAS_COMPLEX_TYPE
	case VACCEL_CS_C64:
		return &ffi_type_complex_float;
	case VACCEL_CS_C128:
		return &ffi_type_complex_double;
#endif
	case VACCEL_CS_U64:
		return &ffi_type_uint64;
	case VACCEL_CS_PTR:
		return &ffi_type_pointer;
	case VACCEL_CS_LEN:
		return sizeof(size_t) == 8 ? &ffi_type_uint64
					   : &ffi_type_uint32;
	default:
		return NULL;
	}
}

static bool ctype_is_int(unsigned int ct)
{
	return ct == VACCEL_CS_I32 || ct == VACCEL_CS_U8 || ct == VACCEL_CS_U64;
}

static bool ctype_is_float(unsigned int ct)
{
	return ct == VACCEL_CS_F32 || ct == VACCEL_CS_F64 ||
	       ct == VACCEL_CS_C64 || ct == VACCEL_CS_C128;
}

static bool wire_is_int(enum vaccel_arg_type t)
{
	return t == VACCEL_ARGT_U8 || t == VACCEL_ARGT_I32 ||
	       t == VACCEL_ARGT_U32 || t == VACCEL_ARGT_I64 ||
	       t == VACCEL_ARGT_U64;
}

static bool wire_is_float(enum vaccel_arg_type t)
{
	return t == VACCEL_ARGT_F32 || t == VACCEL_ARGT_F64 ||
	       t == VACCEL_ARGT_C64 || t == VACCEL_ARGT_C128;
}

static size_t wire_type_size(enum vaccel_arg_type t)
{
	switch (t) {
#define X(name, size)                                                          \
	case VACCEL_ARGT_##name:                                               \
		return size;
		VACCEL_ARG_TYPES_LIST(X)
#undef X
	}
	return 0;
}

static bool kind_is_buffer(enum vaccel_arg_kind k)
{
	return k == VACCEL_ARGK_IN || k == VACCEL_ARGK_OUT ||
	       k == VACCEL_ARGK_INOUT;
}

static bool kind_is_output(enum vaccel_arg_kind k)
{
	return k == VACCEL_ARGK_OUT || k == VACCEL_ARGK_INOUT;
}

/* ---- the table ------------------------------------------------------- */

/* Index of op_id's callspec, -1 if it has none. */
static long cs_find(uint32_t op_id)
{
	unsigned int lo = 0, hi = vaccel_callspecs_count;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		uint32_t id = vaccel_callspecs[mid].op_id;

		if (id == op_id)
			return (long)mid;
		if (id < op_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Index of the workspace that stands for wire argument `arg`, -1 if
 * none. */
static int work_index(const struct vaccel_callspec *cs, int arg)
{
	for (unsigned int j = 0; j < cs->nr_work; j++)
		if (cs->work[j].arg == arg)
			return (int)j;
	return -1;
}

/*
 * Does the callspec fit the op's descriptor? Both are generated from the
 * same spec, so a mismatch is a build error; checking it once per
 * callspec keeps a stale or hand-edited table from reading past the
 * arguments or passing a buffer as a scalar. On failure writes why.
 */
static bool cs_fits(const struct vaccel_callspec *cs,
		    const struct vaccel_op_desc *op, char *why, size_t len)
{
	if (!cs->symbol || !*cs->symbol) {
		snprintf(why, len, "no symbol");
		return false;
	}
	if (cs->api >= vaccel_cs_apis_count) {
		snprintf(why, len, "api %u is not in the table", cs->api);
		return false;
	}
	if (cs->nr_params > FFI_MAX_PARAMS || (cs->nr_params && !cs->params)) {
		snprintf(why, len, "%u parameters (at most %d)", cs->nr_params,
			 FFI_MAX_PARAMS);
		return false;
	}
	if (cs->nr_work > FFI_MAX_WORK || (cs->nr_work && !cs->work)) {
		snprintf(why, len, "%u workspaces (at most %d)", cs->nr_work,
			 FFI_MAX_WORK);
		return false;
	}
	for (unsigned int i = 0; i < cs->nr_params; i++) {
		const struct vaccel_cs_param *p = &cs->params[i];
		const unsigned int ct = p->ctype;

		if (!ctype_size(ct) || !ctype_ffi(ct)) {
			snprintf(why, len,
				 "parameter %u: C type %u (%s) unusable", i + 1,
				 ct, ctype_name(ct));
			return false;
		}
		if (ct == VACCEL_CS_LEN) {
			if (p->arg != -1 || p->pass != VACCEL_CS_BYVAL) {
				snprintf(why, len,
					 "parameter %u: a hidden length takes "
					 "no argument and is passed by value",
					 i + 1);
				return false;
			}
			continue;
		}
		if (p->arg < 0 || (uint32_t)p->arg >= op->nr_args) {
			snprintf(why, len,
				 "parameter %u: argument %d outside the op's "
				 "%u",
				 i + 1, p->arg, op->nr_args);
			return false;
		}
		const struct vaccel_op_argdesc *ad = &op->args[p->arg];
		if (ct == VACCEL_CS_PTR) {
			if (!kind_is_buffer(ad->kind) ||
			    p->pass != VACCEL_CS_BYVAL) {
				snprintf(why, len,
					 "parameter %u: pointer from '%s', "
					 "which is a %s",
					 i + 1, ad->name,
					 vaccel_arg_kind_to_str(ad->kind));
				return false;
			}
			continue;
		}
		if (ad->kind != VACCEL_ARGK_SCALAR ||
		    (p->pass != VACCEL_CS_BYVAL &&
		     p->pass != VACCEL_CS_BYREF) ||
		    !((ctype_is_int(ct) && wire_is_int(ad->type)) ||
		      (ctype_is_float(ct) && wire_is_float(ad->type)))) {
			snprintf(why, len,
				 "parameter %u: a %s from '%s', a %s %s", i + 1,
				 ctype_name(ct), ad->name,
				 vaccel_arg_kind_to_str(ad->kind),
				 vaccel_arg_type_to_str(ad->type));
			return false;
		}
	}
	if (cs->ret_ctype != VACCEL_CS_VOID) {
		const unsigned int ct = cs->ret_ctype;
		if (ct == VACCEL_CS_PTR || ct == VACCEL_CS_LEN ||
		    !ctype_ffi(ct) || !ctype_size(ct) || cs->ret_arg < 0 ||
		    (uint32_t)cs->ret_arg >= op->nr_args) {
			snprintf(why, len, "return value %s into argument %d",
				 ctype_name(ct), cs->ret_arg);
			return false;
		}
		const struct vaccel_op_argdesc *ad = &op->args[cs->ret_arg];
		size_t ts = wire_type_size(ad->type);
		if (!kind_is_output(ad->kind) ||
		    (ad->type != VACCEL_ARGT_PREC && ts != ctype_size(ct))) {
			snprintf(why, len, "return value %s into '%s', a %s %s",
				 ctype_name(ct), ad->name,
				 vaccel_arg_kind_to_str(ad->kind),
				 vaccel_arg_type_to_str(ad->type));
			return false;
		}
	}
	for (unsigned int j = 0; j < cs->nr_work; j++) {
		const struct vaccel_cs_work *w = &cs->work[j];
		if (w->arg < 0 || (uint32_t)w->arg >= op->nr_args ||
		    !kind_is_output(op->args[w->arg].kind) || !w->nelems ||
		    work_index(cs, w->arg) != (int)j) {
			snprintf(why, len, "workspace %u: argument %d", j + 1,
				 w->arg);
			return false;
		}
	}
	return true;
}

/* Fit the callspec to its op and prepare its libffi interface, once. */
static int cs_prepare(struct ffi_priv *st, const struct vaccel_callspec *cs,
		      struct cs_slot *slot, const struct vaccel_op_desc *op)
{
	int s = atomic_load_explicit(&slot->prep, memory_order_acquire);
	if (s == 1)
		return VACCEL_OK;
	if (s < 0)
		return -s;

	pthread_mutex_lock(&st->lock);
	s = atomic_load_explicit(&slot->prep, memory_order_relaxed);
	if (s != 0)
		goto out;

	char why[160];
	if (!cs_fits(cs, op, why, sizeof(why))) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "%s: the call table does not match op '%s' (id %u): "
			   "%s; not served",
			   cs->symbol ? cs->symbol : "?", op->name, op->id,
			   why);
		s = -VACCEL_ENOTSUP;
		goto publish;
	}
	ffi_type **at = NULL;
	if (cs->nr_params) {
		at = calloc(cs->nr_params, sizeof(*at));
		if (!at) {
			/* not kept: a later call may find memory */
			pthread_mutex_unlock(&st->lock);
			return VACCEL_ENOMEM;
		}
	}
	for (unsigned int i = 0; i < cs->nr_params; i++)
		at[i] = cs->params[i].pass == VACCEL_CS_BYREF
			    ? &ffi_type_pointer
			    : ctype_ffi(cs->params[i].ctype);
	ffi_status fs = ffi_prep_cif(&slot->cif, FFI_DEFAULT_ABI, cs->nr_params,
				     ctype_ffi(cs->ret_ctype), at);
	if (fs != FFI_OK) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "%s: libffi cannot prepare the call (status %d); "
			   "op '%s' not served",
			   cs->symbol, (int)fs, op->name);
		free(at);
		s = -VACCEL_ENOTSUP;
		goto publish;
	}
	slot->atypes = at;
	s = 1;
publish:
	atomic_store_explicit(&slot->prep, s, memory_order_release);
out:
	pthread_mutex_unlock(&st->lock);
	return s == 1 ? VACCEL_OK : -s;
}

/* Open api `i`'s host library, once. Called with the lock held. */
static int api_open_locked(struct ffi_priv *st, unsigned int i)
{
	struct api_slot *a = &st->apis[i];
	int s = atomic_load_explicit(&a->state, memory_order_relaxed);
	if (s != 0)
		return s == 1 ? VACCEL_OK : -s;

	const struct vaccel_cs_api *api = &vaccel_cs_apis[i];
	char tried[512] = "";
	size_t used = 0;
	for (const char *const *l = api->libs; l && *l; l++) {
		void *dl = dlopen(*l, RTLD_NOW | RTLD_LOCAL);
		if (dl) {
			a->dl = dl;
			a->lib = *l;
			vaccel_log(VACCEL_LOG_INFO, TAG,
				   "api '%s': host library %s", api->name, *l);
			atomic_store_explicit(&a->state, 1,
					      memory_order_release);
			return VACCEL_OK;
		}
		const char *err = dlerror();
		vaccel_log(VACCEL_LOG_DEBUG, TAG, "api '%s': %s", api->name,
			   err ? err : *l);
		if (used < sizeof(tried)) {
			int n = snprintf(tried + used, sizeof(tried) - used,
					 "%s%s", used ? ", " : "", *l);
			if (n > 0)
				used += (size_t)n;
		}
	}
	vaccel_log(VACCEL_LOG_ERROR, TAG,
		   "api '%s': none of its host libraries loads (%s); its ops "
		   "are not supported on this host",
		   api->name, used ? tried : "none listed");
	atomic_store_explicit(&a->state, -VACCEL_ENOTSUP, memory_order_release);
	return VACCEL_ENOTSUP;
}

/* Resolve the callspec's host symbol, once. */
static int cs_resolve(struct ffi_priv *st, const struct vaccel_callspec *cs,
		      struct cs_slot *slot)
{
	int s = atomic_load_explicit(&slot->resolved, memory_order_acquire);
	if (s == 1)
		return VACCEL_OK;
	if (s < 0) {
		vaccel_log(VACCEL_LOG_DEBUG, TAG,
			   "%s: not available on this host", cs->symbol);
		return -s;
	}

	pthread_mutex_lock(&st->lock);
	s = atomic_load_explicit(&slot->resolved, memory_order_relaxed);
	if (s != 0)
		goto out;
	int ret = api_open_locked(st, cs->api);
	if (ret) {
		s = -ret;
		goto publish;
	}
	const struct api_slot *a = &st->apis[cs->api];
	(void)dlerror();
	void *sym = dlsym(a->dl, cs->symbol);
	if (!sym) {
		const char *err = dlerror();
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "%s: no such symbol in %s (%s); the op is not "
			   "supported on this host",
			   cs->symbol, a->lib, err ? err : "NULL");
		s = -VACCEL_ENOTSUP;
		goto publish;
	}
	slot->fn = FFI_FN(sym);
	s = 1;
publish:
	atomic_store_explicit(&slot->resolved, s, memory_order_release);
out:
	pthread_mutex_unlock(&st->lock);
	return s == 1 ? VACCEL_OK : -s;
}

/* ---- one call -------------------------------------------------------- */

/* A parameter's value as the callee takes it. */
union cval {
	int32_t i32;
	uint8_t u8;
	float f32;
	double f64;
	float c64[2];
	double c128[2];
	uint64_t u64;
	size_t len;
	void *ptr;
};

/* Where libffi writes the return value: at least an ffi_arg, into which
 * integers narrower than one are widened. */
union rval {
	ffi_arg a;
	ffi_sarg s;
	uint64_t u64;
	float f32;
	double f64;
	float c64[2];
	double c128[2];
};

/*
 * The value of scalar `ad`/`a` as ctype ct (cs_fits has matched their
 * classes). Integers arrive in v.i whatever their wire type. Real types
 * from a complex wire type take the real part; complex from real get a
 * zero imaginary part.
 */
static int scalar_value(const struct vaccel_callspec *cs,
			const struct vaccel_op_argdesc *ad,
			const struct vaccel_oparg *a, unsigned int ct,
			union cval *out)
{
	memset(out, 0, sizeof(*out));
	if (ctype_is_int(ct)) {
		const int64_t v = a->v.i;
		const bool wire_u64 = ad->type == VACCEL_ARGT_U64;
		switch (ct) {
		case VACCEL_CS_I32:
			if (v < INT32_MIN || v > INT32_MAX) {
				vaccel_log(VACCEL_LOG_ERROR, TAG,
					   "%s: %s = %" PRId64 " does not fit "
					   "the host function's 32-bit int",
					   cs->symbol, ad->name, v);
				return VACCEL_ENOTSUP;
			}
			out->i32 = (int32_t)v;
			return VACCEL_OK;
		case VACCEL_CS_U8:
			if (v < 0 || v > UINT8_MAX) {
				vaccel_log(VACCEL_LOG_ERROR, TAG,
					   "%s: %s = %" PRId64 " is not a "
					   "character",
					   cs->symbol, ad->name, v);
				return VACCEL_EINVAL;
			}
			out->u8 = (uint8_t)v;
			return VACCEL_OK;
		default:
			if (v < 0 && !wire_u64) {
				vaccel_log(VACCEL_LOG_ERROR, TAG,
					   "%s: %s = %" PRId64 " is negative "
					   "for a size_t",
					   cs->symbol, ad->name, v);
				return VACCEL_EINVAL;
			}
			out->u64 = (uint64_t)v;
			return VACCEL_OK;
		}
	}

	double re = 0, im = 0;
	switch (ad->type) {
	case VACCEL_ARGT_F32:
		re = a->v.f32;
		break;
	case VACCEL_ARGT_F64:
		re = a->v.f64;
		break;
	case VACCEL_ARGT_C64:
		re = a->v.c64[0];
		im = a->v.c64[1];
		break;
	default:
		re = a->v.c128[0];
		im = a->v.c128[1];
	}
	/* float to double and back is exact: an f32 on the wire reaches a
	 * float parameter unchanged */
	switch (ct) {
	case VACCEL_CS_F32:
		out->f32 = (float)re;
		break;
	case VACCEL_CS_F64:
		out->f64 = re;
		break;
	case VACCEL_CS_C64:
		out->c64[0] = (float)re;
		out->c64[1] = (float)im;
		break;
	default:
		out->c128[0] = re;
		out->c128[1] = im;
	}
	return VACCEL_OK;
}

/* Write the return value into the out buffer (which may be unaligned). */
static void store_ret(unsigned int ct, const union rval *rv, void *dst)
{
	switch (ct) {
	case VACCEL_CS_I32: {
		int32_t v = (int32_t)rv->s;
		memcpy(dst, &v, sizeof(v));
		break;
	}
	case VACCEL_CS_U8: {
		uint8_t v = (uint8_t)rv->a;
		memcpy(dst, &v, sizeof(v));
		break;
	}
	case VACCEL_CS_F32:
		memcpy(dst, &rv->f32, sizeof(rv->f32));
		break;
	case VACCEL_CS_F64:
		memcpy(dst, &rv->f64, sizeof(rv->f64));
		break;
	case VACCEL_CS_C64:
		memcpy(dst, rv->c64, sizeof(rv->c64));
		break;
	case VACCEL_CS_C128:
		memcpy(dst, rv->c128, sizeof(rv->c128));
		break;
	case VACCEL_CS_U64:
		memcpy(dst, &rv->u64, sizeof(rv->u64));
		break;
	default:
		break;
	}
}

/* The workspaces of one call, and their charge to its caller. */
struct work {
	void *p[FFI_MAX_WORK];
	/* bytes of one element (what travels back) */
	size_t esize[FFI_MAX_WORK];
	unsigned int n;
	uint64_t charged, ticket;
};

static void work_free(struct work *w)
{
	for (unsigned int j = 0; j < w->n; j++)
		free(w->p[j]);
	w->n = 0;
	vaccel_call_uncharge(w->ticket, w->charged);
	w->charged = 0;
}

/* Size and allocate the call's workspaces, all or none. */
static int work_alloc(const struct ffi_priv *st,
		      const struct vaccel_callspec *cs,
		      const struct vaccel_op_desc *op,
		      const struct vaccel_oparg *args, struct work *w)
{
	uint64_t bytes[FFI_MAX_WORK];
	uint64_t total = 0;

	w->n = 0;
	w->charged = w->ticket = 0;
	for (unsigned int j = 0; j < cs->nr_work; j++) {
		const struct vaccel_cs_work *cw = &cs->work[j];
		const struct vaccel_op_argdesc *ad = &op->args[cw->arg];
		int64_t n = cw->nelems(args);
		size_t es = vaccel_op_elem_size(op, args, (uint32_t)cw->arg);

		if (n < 1) {
			vaccel_log(VACCEL_LOG_ERROR, TAG,
				   "%s: workspace '%s' of %" PRId64
				   " elements: the call's scalars are invalid",
				   cs->symbol, ad->name, n);
			return VACCEL_EINVAL;
		}
		/* 0 bytes: a workspace whose first element does not come
		 * back (the op's size rule says so) */
		if (!es || (args[cw->arg].len &&
			    (args[cw->arg].len < es || !args[cw->arg].buf))) {
			vaccel_log(VACCEL_LOG_ERROR, TAG,
				   "%s: '%s' cannot hold a workspace element",
				   cs->symbol, ad->name);
			return VACCEL_EINVAL;
		}
		if (__builtin_mul_overflow((uint64_t)n, (uint64_t)es,
					   &bytes[j]) ||
		    __builtin_add_overflow(total, bytes[j], &total) ||
		    total > st->max_work || total > SIZE_MAX) {
			vaccel_log(VACCEL_LOG_ERROR, TAG,
				   "%s: workspace '%s' of %" PRId64
				   " elements takes the call past "
				   "%" PRIu64 " bytes of workspace "
				   "(" ENV_MAX_WORK ")",
				   cs->symbol, ad->name, n, st->max_work);
			return VACCEL_ENOMEM;
		}
		w->esize[j] = es;
	}
	/* charged to the caller before any of it is allocated */
	if (total &&
	    vaccel_call_charge(total + 4096ull * cs->nr_work, &w->ticket)) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "%s: %" PRIu64 " bytes of workspace exceed the "
			   "caller's memory limit",
			   cs->symbol, total);
		return VACCEL_ENOMEM;
	}
	w->charged = total ? total + 4096ull * cs->nr_work : 0;
	for (unsigned int j = 0; j < cs->nr_work; j++) {
		/* with readable slack: some kernels read a few bytes past a
		 * minimum-size workspace (OpenBLAS's ?syevd on some CPUs) */
		w->p[j] = calloc(1, (size_t)bytes[j] + 4096);
		if (!w->p[j]) {
			vaccel_log(VACCEL_LOG_ERROR, TAG,
				   "%s: cannot allocate %" PRIu64
				   " bytes of workspace",
				   cs->symbol, bytes[j]);
			work_free(w);
			return VACCEL_ENOMEM;
		}
		w->n = j + 1;
	}
	return VACCEL_OK;
}

static int cs_call(const struct ffi_priv *st, const struct vaccel_callspec *cs,
		   struct cs_slot *slot, const struct vaccel_op_desc *op,
		   struct vaccel_oparg *args)
{
	union cval vals[FFI_MAX_PARAMS];
	void *refs[FFI_MAX_PARAMS];
	void *avalues[FFI_MAX_PARAMS];
	/* stands in for an empty array's NULL, which some callees check */
	union rval empty;
	union rval rv;
	struct work w;
	int ret;

	if (cs->ret_ctype != VACCEL_CS_VOID &&
	    (!args[cs->ret_arg].buf ||
	     args[cs->ret_arg].len < ctype_size(cs->ret_ctype))) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "%s: '%s' cannot hold the %s result", cs->symbol,
			   op->args[cs->ret_arg].name,
			   ctype_name(cs->ret_ctype));
		return VACCEL_EINVAL;
	}
	ret = work_alloc(st, cs, op, args, &w);
	if (ret)
		return ret;

	memset(&empty, 0, sizeof(empty));
	for (unsigned int i = 0; i < cs->nr_params; i++) {
		const struct vaccel_cs_param *p = &cs->params[i];

		switch (p->ctype) {
		case VACCEL_CS_LEN:
			vals[i].len = 1;
			avalues[i] = &vals[i].len;
			continue;
		case VACCEL_CS_PTR: {
			int j = work_index(cs, p->arg);
			const struct vaccel_oparg *a = &args[p->arg];
			if (j >= 0) {
				vals[i].ptr = w.p[j];
			} else if (a->buf) {
				vals[i].ptr = a->buf;
			} else if (!a->len) {
				vals[i].ptr = &empty;
			} else {
				vaccel_log(VACCEL_LOG_ERROR, TAG,
					   "%s: '%s' has %" PRIu64
					   " bytes and no buffer",
					   cs->symbol, op->args[p->arg].name,
					   a->len);
				ret = VACCEL_EINVAL;
				goto out_work;
			}
			avalues[i] = &vals[i].ptr;
			continue;
		}
		default:
			ret = scalar_value(cs, &op->args[p->arg], &args[p->arg],
					   p->ctype, &vals[i]);
			if (ret)
				goto out_work;
			if (p->pass == VACCEL_CS_BYREF) {
				refs[i] = &vals[i];
				avalues[i] = &refs[i];
			} else {
				avalues[i] = &vals[i];
			}
		}
	}

	memset(&rv, 0, sizeof(rv));
	ffi_call(&slot->cif, slot->fn, &rv, avalues);

	if (cs->ret_ctype != VACCEL_CS_VOID)
		store_ret(cs->ret_ctype, &rv, args[cs->ret_arg].buf);
	/* the first element of a workspace the call reports a size in;
	 * the others' arguments have no room (their size rule is 0) */
	for (unsigned int j = 0; j < w.n; j++)
		if (args[cs->work[j].arg].len >= w.esize[j])
			memcpy(args[cs->work[j].arg].buf, w.p[j], w.esize[j]);
	ret = VACCEL_OK;
out_work:
	work_free(&w);
	return ret;
}

/* Every op of the table. */
static int op_ffi(void *priv, struct vaccel_session *sess,
		  const struct vaccel_op_desc *op, struct vaccel_oparg *args)
{
	struct ffi_priv *st = priv;
	(void)sess;

	long idx = cs_find(op->id);
	if (idx < 0) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "op '%s' (id %u) has no host call in this build",
			   op->name, op->id);
		return VACCEL_ENOTSUP;
	}
	const struct vaccel_callspec *cs = &vaccel_callspecs[idx];
	struct cs_slot *slot = &st->slots[idx];

	int ret = cs_prepare(st, cs, slot, op);
	if (ret)
		return ret;
	if (cs->check) {
		int pos = cs->check(args);
		if (pos) {
			vaccel_log(VACCEL_LOG_ERROR, TAG,
				   "%s: parameter %d has an illegal value "
				   "(the reference check fails)",
				   cs->symbol, pos);
			return VACCEL_EINVAL;
		}
	}
	ret = cs_resolve(st, cs, slot);
	if (ret)
		return ret;
	return cs_call(st, cs, slot, op, args);
}

/* ---- exec ------------------------------------------------------------- */

/* vAccel's exec function type. */
typedef int (*exec_fn)(struct vaccel_arg *read, size_t nr_read,
		       struct vaccel_arg *write, size_t nr_write);

/* Index of the allow-list entry that `path` resolves to, -1 if none. */
static long allow_find(const struct ffi_priv *st, const char *path)
{
	char real[PATH_MAX];

	if (!st->nr_allow || !path || !realpath(path, real))
		return -1;
	for (size_t i = 0; i < st->nr_allow; i++)
		if (strcmp(real, st->allow[i].path) == 0)
			return (long)i;
	return -1;
}

/*
 * Look up the function `symbol` of the loaded object `dl` (named `what`
 * in logs). dlsym also searches the objects `dl` depends on, which would
 * let a caller reach any function of libc through an allowed library
 * (`system`, called with a vaccel_arg array whose first bytes the caller
 * chose): only functions that `dl` itself defines are accepted
 * (VACCEL_EPERM otherwise). A data symbol is VACCEL_EINVAL: calling it
 * would crash the host.
 */
static int exec_lookup(void *dl, const char *what, const char *symbol,
		       void **out)
{
	struct link_map *own = NULL, *lm = NULL;
	const ElfW(Sym) *es = NULL;
	void *extra = NULL;
	Dl_info info;

	(void)dlerror();
	void *sym = dlsym(dl, symbol);
	if (!sym) {
		vaccel_log(VACCEL_LOG_ERROR, TAG, "exec: %s has no symbol %s",
			   what, symbol);
		return VACCEL_EINVAL;
	}
	if (dladdr1(sym, &info, &extra, RTLD_DL_LINKMAP))
		lm = extra;
	if (dlinfo(dl, RTLD_DI_LINKMAP, &own) != 0 || !own || lm != own) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "exec of %s refused: %s does not define it (%s "
			   "does)",
			   symbol, what,
			   lm && lm->l_name && *lm->l_name ? lm->l_name
							   : "another object");
		return VACCEL_EPERM;
	}
	/* (ELF32_ST_TYPE reads Elf64 symbols as well) */
	extra = NULL;
	if (dladdr1(sym, &info, &extra, RTLD_DL_SYMENT))
		es = extra;
	if (es && info.dli_saddr == sym &&
	    ELF32_ST_TYPE(es->st_info) != STT_FUNC &&
	    ELF32_ST_TYPE(es->st_info) != STT_GNU_IFUNC) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "exec: %s in %s is not a function", symbol, what);
		return VACCEL_EINVAL;
	}
	*out = sym;
	return VACCEL_OK;
}

/* Run fn on the call's argument lists; vAccel's convention: a non-zero
 * result is VACCEL_ENOEXEC. */
static int exec_run(void *sym, const char *what, const char *symbol,
		    struct vaccel_oparg *read, struct vaccel_oparg *write)
{
	union {
		void *p;
		exec_fn fn;
	} u = {.p = sym};

	int r =
	    u.fn(read->buf, (size_t)read->len, write->buf, (size_t)write->len);
	if (r) {
		vaccel_log(VACCEL_LOG_INFO, TAG, "exec: %s:%s returned %d",
			   what, symbol, r);
		return VACCEL_ENOEXEC;
	}
	return VACCEL_OK;
}

static int op_exec(void *priv, struct vaccel_session *sess,
		   const struct vaccel_op_desc *op, struct vaccel_oparg *args)
{
	struct ffi_priv *st = priv;
	const char *library = args[VACCEL_EXEC_LIBRARY].buf;
	const char *symbol = args[VACCEL_EXEC_SYMBOL].buf;
	(void)sess;
	(void)op;

	if (!st->nr_allow) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "exec of %s:%s refused: exec is off on this host "
			   "(no " ENV_EXEC_ALLOW ", vaccel-agent --exec-allow)",
			   library, symbol);
		return VACCEL_EPERM;
	}
	long i = allow_find(st, library);
	if (i < 0) {
		/* the same answer whether the file exists or not */
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "exec of %s:%s refused: %s is not on the "
			   "allow-list (" ENV_EXEC_ALLOW ")",
			   library, symbol, library);
		return VACCEL_EPERM;
	}
	struct exec_lib *lib = &st->allow[i];

	pthread_mutex_lock(&st->lock);
	if (!lib->dl) {
		lib->dl = dlopen(lib->path, RTLD_NOW | RTLD_LOCAL);
		if (!lib->dl) {
			const char *err = dlerror();
			vaccel_log(VACCEL_LOG_ERROR, TAG, "exec: %s: %s",
				   lib->path, err ? err : "cannot load");
			pthread_mutex_unlock(&st->lock);
			return VACCEL_EINVAL;
		}
	}
	void *dl = lib->dl;
	pthread_mutex_unlock(&st->lock);

	void *sym = NULL;
	int ret = exec_lookup(dl, lib->path, symbol, &sym);
	if (ret)
		return ret;
	return exec_run(sym, lib->path, symbol, &args[VACCEL_EXEC_READ],
			&args[VACCEL_EXEC_WRITE]);
}

/* One object of an exec_with_resource call. */
struct exec_obj {
	void *dl;
	/* the memfd an upload was loaded from, -1 for a host path */
	int fd;
};

/*
 * Load one file of a resource. `allowed` is its allow-list entry, or -1
 * for an upload, whose bytes go through a memfd (nothing is written to
 * disk) loaded as /proc/self/fd/N. The dynamic loader knows an object by
 * that name: the memfd stays open while the object is loaded (see
 * exec_obj_close), so no other upload can get the same number and be
 * taken for it.
 */
static int exec_obj_open(const struct ffi_priv *st, struct vaccel_file *f,
			 long allowed, int mode, struct exec_obj *o)
{
	const char *name = f->name ? f->name : "?";

	o->dl = NULL;
	o->fd = -1;
	if (allowed >= 0) {
		o->dl = dlopen(st->allow[allowed].path, mode);
		if (!o->dl) {
			const char *err = dlerror();
			vaccel_log(
			    VACCEL_LOG_ERROR, TAG, "exec_with_resource: %s: %s",
			    st->allow[allowed].path, err ? err : "cannot load");
			return VACCEL_EINVAL;
		}
		return VACCEL_OK;
	}

	size_t size = 0;
	const uint8_t *data = vaccel_file_data(f, &size);
	if (!data) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "exec_with_resource: cannot read file '%s'", name);
		return VACCEL_EIO;
	}
	o->fd = memfd_create("vaccel-exec", MFD_CLOEXEC);
	if (o->fd < 0) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "exec_with_resource: memfd_create: %s",
			   strerror(errno));
		return VACCEL_EIO;
	}
	for (size_t done = 0; done < size;) {
		ssize_t n = write(o->fd, data + done, size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			vaccel_log(VACCEL_LOG_ERROR, TAG,
				   "exec_with_resource: writing '%s': %s", name,
				   strerror(errno));
			close(o->fd);
			o->fd = -1;
			return VACCEL_EIO;
		}
		done += (size_t)n;
	}
	char path[32];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", o->fd);
	o->dl = dlopen(path, mode);
	if (!o->dl) {
		const char *err = dlerror();
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "exec_with_resource: '%s': %s", name,
			   err ? err : "cannot load");
		close(o->fd);
		o->fd = -1;
		return VACCEL_EINVAL;
	}
	return VACCEL_OK;
}

/*
 * Unload an object. An upload's memfd is closed only once the object is
 * gone: one the loader keeps (marked NODELETE, or still needed by another
 * object) keeps its name, and so its descriptor, for good.
 */
static void exec_obj_close(struct exec_obj *o)
{
	if (o->dl)
		dlclose(o->dl);
	o->dl = NULL;
	if (o->fd < 0)
		return;
	char path[32];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", o->fd);
	void *still = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
	if (still) {
		dlclose(still);
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   "exec_with_resource: an uploaded object stays "
			   "loaded after the call; keeping its descriptor %d",
			   o->fd);
	} else {
		close(o->fd);
	}
	o->fd = -1;
}

/*
 * vAccel's exec_with_resource: the resource's last file is the object to
 * run, the files before it are its dependencies, loaded first with
 * RTLD_GLOBAL so it links against them. A file created from a host path
 * that is on the allow-list is loaded from there; every other file (bytes
 * uploaded by a guest, or written out by vAccel) is an upload, loaded only
 * with VACCEL_EXEC_ALLOW_UPLOADS. Nothing is loaded until every file has
 * passed. The objects are unloaded after the call.
 */
static int op_exec_with_resource(void *priv, struct vaccel_session *sess,
				 const struct vaccel_op_desc *op,
				 struct vaccel_oparg *args)
{
	struct ffi_priv *st = priv;
	struct vaccel_resource *res =
	    args[VACCEL_EXEC_WITH_RESOURCE_OBJECT].buf;
	const char *symbol = args[VACCEL_EXEC_WITH_RESOURCE_SYMBOL].buf;
	(void)sess;
	(void)op;

	if (!res || !res->nr_files || !res->files) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "exec_with_resource: the resource has no files");
		return VACCEL_EINVAL;
	}
	const size_t nr = res->nr_files;
	long *allowed = calloc(nr, sizeof(*allowed));
	struct exec_obj *obj = calloc(nr, sizeof(*obj));
	size_t opened = 0;
	int ret = VACCEL_ENOMEM;
	if (!allowed || !obj)
		goto out_free;

	for (size_t i = 0; i < nr; i++) {
		struct vaccel_file *f = res->files[i];
		if (!f) {
			ret = VACCEL_EINVAL;
			goto out_free;
		}
		allowed[i] =
		    f->path && !f->path_owned ? allow_find(st, f->path) : -1;
		if (allowed[i] < 0 && !st->allow_uploads) {
			vaccel_log(VACCEL_LOG_ERROR, TAG,
				   "exec_with_resource of %s refused: "
				   "resource %lld file %zu ('%s') is an "
				   "uploaded object and uploads are off "
				   "(" ENV_EXEC_UPLOADS "=1, vaccel-agent "
				   "--exec-allow-uploads)",
				   symbol, (long long)res->id, i,
				   f->name ? f->name : "?");
			ret = VACCEL_EPERM;
			goto out_free;
		}
	}

	for (; opened < nr; opened++) {
		int mode =
		    RTLD_NOW | (opened + 1 < nr ? RTLD_GLOBAL : RTLD_LOCAL);
		ret = exec_obj_open(st, res->files[opened], allowed[opened],
				    mode, &obj[opened]);
		if (ret)
			goto out_close;
	}
	char what[64];
	snprintf(what, sizeof(what), "resource %lld", (long long)res->id);
	void *sym = NULL;
	ret = exec_lookup(obj[nr - 1].dl, what, symbol, &sym);
	if (ret)
		goto out_close;
	ret = exec_run(sym, what, symbol, &args[VACCEL_EXEC_WITH_RESOURCE_READ],
		       &args[VACCEL_EXEC_WITH_RESOURCE_WRITE]);
out_close:
	while (opened-- > 0)
		exec_obj_close(&obj[opened]);
out_free:
	free(obj);
	free(allowed);
	return ret;
}

/* ---- configuration ---------------------------------------------------- */

/* VACCEL_EXEC_ALLOW: ':'-separated absolute paths, kept by realpath. An
 * entry that is relative or does not resolve is skipped with a warning. */
static int parse_allow(struct ffi_priv *st, const char *list)
{
	if (!list || !*list)
		return VACCEL_OK;
	char *copy = strdup(list);
	if (!copy)
		return VACCEL_ENOMEM;
	size_t n = 1;
	for (const char *c = copy; *c; c++)
		n += *c == ':';
	st->allow = calloc(n, sizeof(*st->allow));
	if (!st->allow) {
		free(copy);
		return VACCEL_ENOMEM;
	}
	char *save = NULL;
	for (char *e = strtok_r(copy, ":", &save); e;
	     e = strtok_r(NULL, ":", &save)) {
		char real[PATH_MAX];
		if (e[0] != '/') {
			vaccel_log(VACCEL_LOG_WARN, TAG,
				   ENV_EXEC_ALLOW ": '%s' is not an absolute "
						  "path: ignored",
				   e);
			continue;
		}
		if (!realpath(e, real)) {
			vaccel_log(VACCEL_LOG_WARN, TAG,
				   ENV_EXEC_ALLOW ": '%s': %s: ignored", e,
				   strerror(errno));
			continue;
		}
		st->allow[st->nr_allow].path = strdup(real);
		if (!st->allow[st->nr_allow].path) {
			free(copy);
			return VACCEL_ENOMEM;
		}
		vaccel_log(VACCEL_LOG_INFO, TAG, "exec allowed: %s", real);
		st->nr_allow++;
	}
	free(copy);
	return VACCEL_OK;
}

/* ---- the plugin -------------------------------------------------------- */

/*
 * The ops table has room for every op id the core knows (each id at most
 * once); ffi_init fills its front. Entries left as {0, NULL} are skipped
 * by the core (no function).
 */
static struct vaccel_plugin_op ffi_ops[VACCEL_OPID_LIMIT];

static void ffi_fini(void *priv)
{
	struct ffi_priv *st = priv;

	for (unsigned int i = 0; st->slots && i < vaccel_callspecs_count; i++)
		free(st->slots[i].atypes);
	free(st->slots);
	st->slots = NULL;
	for (unsigned int i = 0; st->apis && i < vaccel_cs_apis_count; i++)
		if (st->apis[i].dl)
			dlclose(st->apis[i].dl);
	free(st->apis);
	st->apis = NULL;
	for (size_t i = 0; i < st->nr_allow; i++) {
		if (st->allow[i].dl)
			dlclose(st->allow[i].dl);
		free(st->allow[i].path);
	}
	free(st->allow);
	st->allow = NULL;
	st->nr_allow = 0;
	if (st->lock_ready)
		pthread_mutex_destroy(&st->lock);
	st->lock_ready = false;
}

static int ffi_init(void *priv)
{
	struct ffi_priv *st = priv;
	const unsigned int count = vaccel_callspecs_count;
	int ret;

	if (pthread_mutex_init(&st->lock, NULL))
		return VACCEL_ENOMEM;
	st->lock_ready = true;

	/* the binary search needs strictly increasing ids */
	for (unsigned int i = 0; i < count; i++) {
		uint32_t id = vaccel_callspecs[i].op_id;
		if ((i && id <= vaccel_callspecs[i - 1].op_id) ||
		    id == VACCEL_OPID_EXEC ||
		    id == VACCEL_OPID_EXEC_WITH_RESOURCE) {
			vaccel_log(VACCEL_LOG_ERROR, TAG,
				   "the call table is malformed at entry %u "
				   "(op id %u, %s): not sorted, a duplicate "
				   "or an exec id",
				   i, id,
				   vaccel_callspecs[i].symbol
				       ? vaccel_callspecs[i].symbol
				       : "?");
			ret = VACCEL_EINVAL;
			goto fail;
		}
	}

	/* before any library is opened: their xerbla_ binds to ours */
	ret = ffi_hooks_global();
	if (ret)
		goto fail;

	st->max_work = FFI_DEFAULT_MAX_WORK;
	const char *mw = getenv(ENV_MAX_WORK);
	if (mw && *mw && vaccel_config_parse_size(mw, &st->max_work)) {
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   ENV_MAX_WORK "='%s' is not a byte count (K, M, G "
					"suffixes allowed): using %llu",
			   mw, FFI_DEFAULT_MAX_WORK);
		st->max_work = FFI_DEFAULT_MAX_WORK;
	}

	ret = VACCEL_ENOMEM;
	if (count && !(st->slots = calloc(count, sizeof(*st->slots))))
		goto fail;
	if (vaccel_cs_apis_count &&
	    !(st->apis = calloc(vaccel_cs_apis_count, sizeof(*st->apis))))
		goto fail;
	ret = parse_allow(st, getenv(ENV_EXEC_ALLOW));
	if (ret)
		goto fail;
	const char *up = getenv(ENV_EXEC_UPLOADS);
	bool uploads = false;
	if (up && *up && vaccel_config_parse_bool(up, &uploads))
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   ENV_EXEC_UPLOADS "='%s' is not a boolean: uploads "
					    "stay refused",
			   up);
	st->allow_uploads = uploads;

	memset(ffi_ops, 0, sizeof(ffi_ops));
	size_t n = 0, unknown = 0;
	ffi_ops[n++] =
	    (struct vaccel_plugin_op){.op_id = VACCEL_OPID_EXEC, .fn = op_exec};
	ffi_ops[n++] =
	    (struct vaccel_plugin_op){.op_id = VACCEL_OPID_EXEC_WITH_RESOURCE,
				      .fn = op_exec_with_resource};
	for (unsigned int i = 0; i < count; i++) {
		uint32_t id = vaccel_callspecs[i].op_id;
		/* ids are unique and the exec ids are not among them, so
		 * everything below the limit fits */
		if (id >= VACCEL_OPID_LIMIT) {
			unknown++;
			continue;
		}
		ffi_ops[n++] =
		    (struct vaccel_plugin_op){.op_id = id, .fn = op_ffi};
	}
	if (unknown)
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   "%zu host calls name op ids this library does not "
			   "know (it is older than the call table): not served",
			   unknown);
	vaccel_log(VACCEL_LOG_INFO, TAG,
		   "%u host calls from %u apis; exec %s (%zu libraries), "
		   "uploads %s; workspace limit %" PRIu64 " bytes",
		   count - (unsigned int)unknown, vaccel_cs_apis_count,
		   st->nr_allow ? "allowed" : "off", st->nr_allow,
		   st->allow_uploads ? "allowed" : "off", st->max_work);
	return VACCEL_OK;

fail:
	ffi_fini(st);
	return ret;
}

/*
 * The libraries served here include optimised BLAS and LAPACK builds,
 * whose kernels read (never write) a little outside their arrays
 * (OpenBLAS 0.3.21: complex gesdd/gelsd up to a column past A, up to 304
 * bytes in the tests of docs/security.md). The host keeps this much
 * readable memory around every buffer.
 */
#define FFI_READ_SLACK (16u << 10)

VACCEL_PLUGIN_DEFINE(.name = "ffi", .version = "1.0",
		     .type = VACCEL_PLUGIN_CPU | VACCEL_PLUGIN_GENERIC,
		     .priv_size = sizeof(struct ffi_priv), .init = ffi_init,
		     .fini = ffi_fini, .ops = ffi_ops,
		     .nr_ops = sizeof(ffi_ops) / sizeof(ffi_ops[0]),
		     .read_slack = FFI_READ_SLACK);
