/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * How OpenCV's images and exceptions travel, for both peers (the shim and
 * plugins/opencv): an image is a tensor of dims {rows, cols, channels}
 * whose dtype is the depth's (a sub-region a strided view into the image
 * it was cut from; an n-dimensional array, dense, {d0, .., dn-1,
 * channels}), an absent one (noArray()) a U8 tensor of dims {0}; a list
 * of images a tensor list, a vector of numbers a 1-d I32 or F32 tensor,
 * a vector of rectangles I32 {n, 4} (x, y, width, height), of keypoints
 * F64 {n, 7} (x, y, size, angle, response, octave, class_id);
 * a function's results are one raw tensor list: its
 * output images, then its return value (one F64) if it has one, then the
 * exception it raised: empty when none, else dtype the error code (as
 * uint32), dims {line} and the bytes "func\0file\0message\0".
 */

#include <stdint.h>
#include <string.h>
#include <vaccel/remote/op.h>

/* OpenCV's depths (CV_8U .. CV_16F, 0..7) by their VACCEL_DTYPE */
#define CV_WIRE_DEPTHS(X)                                                      \
	X(0, U8) X(1, I8) X(2, U16) X(3, I16) X(4, I32) X(5, F32) X(6, F64)    \
	    X(7, F16)

/* The dtype of an OpenCV depth; -1 for none. */
static inline int cv_wire_dtype(int depth)
{
#define CV_WIRE_TO(d, t)                                                       \
	if (depth == (d))                                                      \
		return VACCEL_DTYPE_##t;
	CV_WIRE_DEPTHS(CV_WIRE_TO)
#undef CV_WIRE_TO
	return -1;
}

/* The OpenCV depth of a dtype; -1 for none. */
static inline int cv_wire_depth(uint32_t dtype)
{
#define CV_WIRE_FROM(d, t)                                                     \
	if (dtype == VACCEL_DTYPE_##t)                                         \
		return (d);
	CV_WIRE_DEPTHS(CV_WIRE_FROM)
#undef CV_WIRE_FROM
	return -1;
}

/* The three strings of an exception tensor ("func\0file\0message\0");
 * 0, or -1 when it is not one. */
static inline int cv_wire_exception(const struct vaccel_tensor *t,
				    const char **func, const char **file,
				    const char **msg)
{
	const char *p = (const char *)t->data;
	const char *end = p + t->size;
	const char *s[3];
	if (!p || t->ndim != 1)
		return -1;
	for (int i = 0; i < 3; i++) {
		const char *z =
		    p < end ? (const char *)memchr(p, 0, (size_t)(end - p))
			    : NULL;
		if (!z)
			return -1;
		s[i] = p;
		p = z + 1;
	}
	*func = s[0];
	*file = s[1];
	*msg = s[2];
	return 0;
}

/* The most channels an image may have (OpenCV's CV_CN_MAX). */
#define CV_WIRE_MAX_CN 512

/* 1 when t has an image's shape: 2 to 7 dims each an int, then 1 to
 * CV_WIRE_MAX_CN channels, of a depth OpenCV has. */
static inline int cv_wire_image(const struct vaccel_tensor *t)
{
	if (t->ndim < 3 || t->ndim > VACCEL_TENSOR_MAX_DIMS ||
	    cv_wire_depth(t->dtype) < 0 || t->dims[t->ndim - 1] < 1 ||
	    t->dims[t->ndim - 1] > CV_WIRE_MAX_CN)
		return 0;
	for (uint32_t d = 0; d + 1 < t->ndim; d++)
		if (t->dims[d] < 0 || t->dims[d] > INT32_MAX)
			return 0;
	return 1;
}

/* The bytes of a dense image of t's shape (as a double: no overflow). */
static inline double cv_wire_bytes(const struct vaccel_tensor *t)
{
	double n = (double)vaccel_dtype_size(t->dtype);
	for (uint32_t d = 0; d < t->ndim; d++)
		n *= (double)t->dims[d];
	return n;
}
