/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The onnx plugin's image side (image.cc, OpenCV): a task's conf file
 * and an encoded image made into the model's input blob.
 */

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct onnx_image_conf {
	/* the model file (absolute) */
	char *model;
	char **labels;
	size_t nr_labels;
	/* the input: width x height, 3 channels, NCHW floats */
	int width, height;
	/* keep the aspect: resize to the height (width at most `width`),
	 * zero-pad on the right; else stretch to width x height */
	bool keep_aspect;
	/* each value (pixel - mean[c]) * scale, channels B G R or, with
	 * swap_rb, R G B */
	double scale, mean[3];
	bool swap_rb;
};

/* Read the conf at path (relative names are its directory's); 0, or -1
 * with err set (the file and line). */
int onnx_image_conf_read(const char *path, struct onnx_image_conf *c, char *err,
			 size_t errlen);
void onnx_image_conf_free(struct onnx_image_conf *c);
/* Decode len bytes of an encoded image into blob (3 x height x width
 * floats); 0, or -1 when they are not an image OpenCV decodes. */
int onnx_image_blob(const void *img, size_t len,
		    const struct onnx_image_conf *c, float *blob);

#ifdef __cplusplus
}
#endif
