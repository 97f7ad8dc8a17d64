/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The part of ONNX Runtime's C API the onnx plugin uses, declared here
 * from its documented ABI (no header ships with the library). The library
 * exports one function, OrtGetApiBase; its GetApi(version) returns the
 * API table, an array of function pointers that only ever grows, so each
 * entry is found by its fixed position. Every entry used here exists
 * since API version 5 (ORT_API_NEEDED). Opaque types are only ever
 * pointed to.
 */

#include <stddef.h>
#include <stdint.h>
#include <vaccel/remote/op.h>

typedef struct OrtStatus OrtStatus;
typedef struct OrtEnv OrtEnv;
typedef struct OrtSession OrtSession;
typedef struct OrtSessionOptions OrtSessionOptions;
typedef struct OrtRunOptions OrtRunOptions;
typedef struct OrtValue OrtValue;
typedef struct OrtMemoryInfo OrtMemoryInfo;
typedef struct OrtTypeInfo OrtTypeInfo;
typedef struct OrtTensorTypeAndShapeInfo OrtTensorTypeAndShapeInfo;
typedef struct OrtAllocator OrtAllocator;
typedef struct OrtIoBinding OrtIoBinding;

/* element types (ONNXTensorElementDataType) */
enum ort_elem {
	ORT_ELEM_UNDEFINED = 0,
	ORT_ELEM_FLOAT = 1,
	ORT_ELEM_UINT8 = 2,
	ORT_ELEM_INT8 = 3,
	ORT_ELEM_UINT16 = 4,
	ORT_ELEM_INT16 = 5,
	ORT_ELEM_INT32 = 6,
	ORT_ELEM_INT64 = 7,
	ORT_ELEM_STRING = 8,
	ORT_ELEM_BOOL = 9,
	ORT_ELEM_FLOAT16 = 10,
	ORT_ELEM_DOUBLE = 11,
	ORT_ELEM_UINT32 = 12,
	ORT_ELEM_UINT64 = 13,
	ORT_ELEM_BFLOAT16 = 16,
};

/*
 * ONNX Runtime's element types that vAccel's tensors carry, and their
 * dtypes (vaccel/remote/op.h): X(element type, dtype). The one list;
 * the plugin, the shim and the tests map through ort_elem_of_dtype()
 * and ort_dtype_of_elem().
 */
#define ORT_VACCEL_DTYPES(X)                                                   \
	X(ORT_ELEM_FLOAT, VACCEL_DTYPE_F32)                                    \
	X(ORT_ELEM_DOUBLE, VACCEL_DTYPE_F64)                                   \
	X(ORT_ELEM_INT8, VACCEL_DTYPE_I8)                                      \
	X(ORT_ELEM_UINT8, VACCEL_DTYPE_U8)                                     \
	X(ORT_ELEM_INT16, VACCEL_DTYPE_I16)                                    \
	X(ORT_ELEM_UINT16, VACCEL_DTYPE_U16)                                   \
	X(ORT_ELEM_INT32, VACCEL_DTYPE_I32)                                    \
	X(ORT_ELEM_UINT32, VACCEL_DTYPE_U32)                                   \
	X(ORT_ELEM_INT64, VACCEL_DTYPE_I64)                                    \
	X(ORT_ELEM_UINT64, VACCEL_DTYPE_U64)                                   \
	X(ORT_ELEM_BOOL, VACCEL_DTYPE_BOOL)                                    \
	X(ORT_ELEM_FLOAT16, VACCEL_DTYPE_F16)                                  \
	X(ORT_ELEM_BFLOAT16, VACCEL_DTYPE_BF16)                                \
	X(ORT_ELEM_STRING, VACCEL_DTYPE_STRING)

/* -1 where there is none */
static inline int ort_elem_of_dtype(uint32_t dtype)
{
#define ORT_ELEM_CASE(elem, dt)                                                \
	if (dtype == (uint32_t)(dt))                                           \
		return elem;
	ORT_VACCEL_DTYPES(ORT_ELEM_CASE)
#undef ORT_ELEM_CASE
	return -1;
}

static inline int ort_dtype_of_elem(int elem)
{
#define ORT_DTYPE_CASE(el, dt)                                                 \
	if (elem == (el))                                                      \
		return (int)(dt);
	ORT_VACCEL_DTYPES(ORT_DTYPE_CASE)
#undef ORT_DTYPE_CASE
	return -1;
}

/* value kinds (ONNXType) */
enum ort_type { ORT_TYPE_TENSOR = 1 };

/* OrtLoggingLevel: 2 is warnings and worse */
#define ORT_LOG_WARNING 2
/* OrtAllocatorType, OrtMemType: a CPU arena, default memory */
#define ORT_ARENA_ALLOCATOR 1
#define ORT_MEM_DEFAULT 0

/* OrtApiBase: what OrtGetApiBase returns */
struct ort_api_base {
	const void *const *(*get_api)(uint32_t version);
	const char *(*get_version_string)(void);
};

/*
 * The entries used: X(position, return type, name, parameters).
 */
#define ORT_API_ENTRIES(X)                                                     \
	X(0, OrtStatus *, CreateStatus, (int code, const char *msg))           \
	X(1, int, GetErrorCode, (const OrtStatus *))                           \
	X(2, const char *, GetErrorMessage, (const OrtStatus *))               \
	X(3, OrtStatus *, CreateEnv, (int level, const char *id, OrtEnv **))   \
	X(6, OrtStatus *, DisableTelemetryEvents, (const OrtEnv *))            \
	X(7, OrtStatus *, CreateSession,                                       \
	  (const OrtEnv *, const char *path, const OrtSessionOptions *,        \
	   OrtSession **))                                                     \
	X(8, OrtStatus *, CreateSessionFromArray,                              \
	  (const OrtEnv *, const void *data, size_t len,                       \
	   const OrtSessionOptions *, OrtSession **))                          \
	X(9, OrtStatus *, Run,                                                 \
	  (OrtSession *, const OrtRunOptions *, const char *const *in_names,   \
	   const OrtValue *const *in, size_t nr_in,                            \
	   const char *const *out_names, size_t nr_out, OrtValue **out))       \
	X(10, OrtStatus *, CreateSessionOptions, (OrtSessionOptions **))       \
	X(24, OrtStatus *, SetIntraOpNumThreads, (OrtSessionOptions *, int))   \
	X(25, OrtStatus *, SetInterOpNumThreads, (OrtSessionOptions *, int))   \
	X(30, OrtStatus *, SessionGetInputCount,                               \
	  (const OrtSession *, size_t *))                                      \
	X(31, OrtStatus *, SessionGetOutputCount,                              \
	  (const OrtSession *, size_t *))                                      \
	X(33, OrtStatus *, SessionGetInputTypeInfo,                            \
	  (const OrtSession *, size_t, OrtTypeInfo **))                        \
	X(34, OrtStatus *, SessionGetOutputTypeInfo,                           \
	  (const OrtSession *, size_t, OrtTypeInfo **))                        \
	X(36, OrtStatus *, SessionGetInputName,                                \
	  (const OrtSession *, size_t, OrtAllocator *, char **))               \
	X(37, OrtStatus *, SessionGetOutputName,                               \
	  (const OrtSession *, size_t, OrtAllocator *, char **))               \
	X(48, OrtStatus *, CreateTensorAsOrtValue,                             \
	  (OrtAllocator *, const int64_t *shape, size_t ndim, int elem,        \
	   OrtValue **))                                                       \
	X(49, OrtStatus *, CreateTensorWithDataAsOrtValue,                     \
	  (const OrtMemoryInfo *, void *data, size_t len,                      \
	   const int64_t *shape, size_t ndim, int elem, OrtValue **))          \
	X(50, OrtStatus *, IsTensor, (const OrtValue *, int *))                \
	X(51, OrtStatus *, GetTensorMutableData, (OrtValue *, void **))        \
	X(52, OrtStatus *, FillStringTensor,                                   \
	  (OrtValue *, const char *const *s, size_t n))                        \
	X(53, OrtStatus *, GetStringTensorDataLength,                          \
	  (const OrtValue *, size_t *))                                        \
	X(54, OrtStatus *, GetStringTensorContent,                             \
	  (const OrtValue *, void *s, size_t len, size_t *offsets, size_t n))  \
	X(55, OrtStatus *, CastTypeInfoToTensorInfo,                           \
	  (const OrtTypeInfo *, const OrtTensorTypeAndShapeInfo **))           \
	X(56, OrtStatus *, GetOnnxTypeFromTypeInfo,                            \
	  (const OrtTypeInfo *, int *))                                        \
	X(60, OrtStatus *, GetTensorElementType,                               \
	  (const OrtTensorTypeAndShapeInfo *, int *))                          \
	X(61, OrtStatus *, GetDimensionsCount,                                 \
	  (const OrtTensorTypeAndShapeInfo *, size_t *))                       \
	X(62, OrtStatus *, GetDimensions,                                      \
	  (const OrtTensorTypeAndShapeInfo *, int64_t *, size_t))              \
	X(64, OrtStatus *, GetTensorShapeElementCount,                         \
	  (const OrtTensorTypeAndShapeInfo *, size_t *))                       \
	X(65, OrtStatus *, GetTensorTypeAndShape,                              \
	  (const OrtValue *, OrtTensorTypeAndShapeInfo **))                    \
	X(69, OrtStatus *, CreateCpuMemoryInfo,                                \
	  (int alloc_type, int mem_type, OrtMemoryInfo **))                    \
	X(71, OrtStatus *, MemoryInfoGetName,                                  \
	  (const OrtMemoryInfo *, const char **))                              \
	X(76, OrtStatus *, AllocatorFree, (OrtAllocator *, void *))            \
	X(78, OrtStatus *, GetAllocatorWithDefaultOptions, (OrtAllocator **))  \
	X(92, void, ReleaseEnv, (OrtEnv *))                                    \
	X(93, void, ReleaseStatus, (OrtStatus *))                              \
	X(94, void, ReleaseMemoryInfo, (OrtMemoryInfo *))                      \
	X(95, void, ReleaseSession, (OrtSession *))                            \
	X(96, void, ReleaseValue, (OrtValue *))                                \
	X(98, void, ReleaseTypeInfo, (OrtTypeInfo *))                          \
	X(99, void, ReleaseTensorTypeAndShapeInfo,                             \
	  (OrtTensorTypeAndShapeInfo *))                                       \
	X(100, void, ReleaseSessionOptions, (OrtSessionOptions *))             \
	X(133, OrtStatus *, RunWithBinding,                                    \
	  (OrtSession *, const OrtRunOptions *, const OrtIoBinding *))         \
	X(134, OrtStatus *, CreateIoBinding, (OrtSession *, OrtIoBinding **))  \
	X(135, void, ReleaseIoBinding, (OrtIoBinding *))                       \
	X(136, OrtStatus *, BindInput,                                         \
	  (OrtIoBinding *, const char *, const OrtValue *))                    \
	X(137, OrtStatus *, BindOutput,                                        \
	  (OrtIoBinding *, const char *, const OrtValue *))                    \
	X(138, OrtStatus *, BindOutputToDevice,                                \
	  (OrtIoBinding *, const char *, const OrtMemoryInfo *))               \
	X(140, OrtStatus *, GetBoundOutputValues,                              \
	  (const OrtIoBinding *, OrtAllocator *, OrtValue ***, size_t *))      \
	X(141, void, ClearBoundInputs, (OrtIoBinding *))                       \
	X(142, void, ClearBoundOutputs, (OrtIoBinding *))

/* The API version these positions need (the IoBinding entries: 5). */
#define ORT_API_NEEDED 5

/* each entry's position: ORT_POS_<name> */
#define ORT_API_POS(pos, ret, name, params) ORT_POS_##name = (pos),
enum ort_pos { ORT_API_ENTRIES(ORT_API_POS) };
#undef ORT_API_POS

#define ORT_API_MEMBER(pos, ret, name, params) ret(*name) params;
struct ort_api {
	ORT_API_ENTRIES(ORT_API_MEMBER)
};
#undef ORT_API_MEMBER

/* Fill api from the table GetApi returned. */
static inline void ort_api_bind(struct ort_api *api, const void *const *table)
{
#define ORT_API_BIND(pos, ret, name, params)                                   \
	*(const void **)&api->name = table[pos];
	ORT_API_ENTRIES(ORT_API_BIND)
#undef ORT_API_BIND
}
