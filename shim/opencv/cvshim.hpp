// SPDX-License-Identifier: Apache-2.0
#pragma once

/*
 * The C++ side of the OpenCV family's runtime piece: what a generated
 * wrapper (shim_opencv_wrap.cc) calls. OpenCV itself is reached only
 * through functions it exports, looked up in the program's own library
 * when first needed (the shim links no OpenCV): the proxies' kind(),
 * getMat_() and create(), Mat's destructor, cv::error(). The headers give
 * types and data layouts only.
 */

#include "opencv.h"
#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#define SHIM_CV_EXPORT __attribute__((visibility("default")))

namespace shim_cv {

/* Offload this call of function k? Not from inside another intercepted
 * call, not for a class that is off, not when the program's OpenCV is not
 * the one the shim was built for, and (unless VACCEL_SHIM_OPENCV_CALLERS=all)
 * not from OpenCV calling itself. */
bool wants(unsigned int k, const void *caller);
void *real(unsigned int k);

/* The local call of function k, counted; the depth it holds is released
 * however the call ends (an exception included). */
struct Local {
	explicit Local(unsigned int k) { shim_cv_bridge_local_enter(k); }
	~Local() { shim_cv_bridge_local_leave(); }
	Local(const Local &) = delete;
	Local &operator=(const Local &) = delete;
};

/* An object of a followed class (the spec's `class NAME file`) now holds
 * what the file at `path` holds (ok), or nothing the shim knows of. */
void objects_loaded(const void *self, const std::string &path, bool ok);
void objects_gone(const void *self);

struct Blob;

enum { MAX_ARGS = 32, MAX_INPUTS = 16, MAX_TENSORS = 8 };

/* One remote call: the wrapper fills a[] with the call's scalars, in()
 * and out() its images; run() sends it and, once it is done, writes the
 * outputs through their proxies or raises the host's exception. */
class Call {
public:
	struct vaccel_oparg a[MAX_ARGS];

	/* kinds: each output's, in order (i an image, r a vector of
	 * rectangles, k of keypoints) */
	Call(unsigned int k, uint32_t op_id, uint32_t nr_args,
	     const char *kinds, bool has_ret);
	~Call();
	Call(const Call &) = delete;
	Call &operator=(const Call &) = delete;

	/* false: this array cannot travel (the call runs locally) */
	bool in(uint32_t arg, const cv::_InputArray &x);
	/* a list of images (InputArrayOfArrays), a vector of numbers */
	bool ins(uint32_t arg, const cv::_InputArray &x);
	bool vec(uint32_t arg, const std::vector<int> &v);
	bool vec(uint32_t arg, const std::vector<float> &v);
	/* what output x holds before the call, which it reads when reads
	 * (the spec's inout=OUT:FLAG); absent when not */
	bool prior(uint32_t arg, const cv::_OutputArray &x, bool reads);
	bool out(uint32_t j, const cv::_OutputArray &x);
	bool result(uint32_t j, std::vector<cv::Rect> &x);
	bool result(uint32_t j, std::vector<cv::KeyPoint> &x);
	/* the resource of a followed object (uploaded on first use) */
	bool object(uint32_t arg, const void *self);
	/* 0: done (outputs written); else run locally. Raises the host's
	 * cv::Exception through the program's cv::error(). */
	int run(double cost_per_elem);
	double ret() const { return r_; }

private:
	unsigned int k_;
	uint32_t op_id_, nr_args_, nr_results_;
	bool has_ret_, bad_;
	uint32_t nr_in_;
	double elems_;
	double r_;
	struct vaccel_tensor tin_[MAX_INPUTS];
	struct vaccel_tensor tout_[MAX_TENSORS];
	const cv::_OutputArray *outs_[MAX_TENSORS];
	std::vector<cv::Rect> *rects_[MAX_TENSORS];
	std::vector<cv::KeyPoint> *points_[MAX_TENSORS];
	const char *kinds_;
	uint32_t nr_outputs_;
	std::shared_ptr<Blob> blob_;
	bool write_vector(uint32_t j, const struct vaccel_tensor *t, bool check);
	bool image(struct vaccel_tensor *t, const cv::_InputArray &x, int i);
	struct vaccel_tensor *take(uint32_t arg, uint32_t n);
	void write_image(uint32_t j, const struct vaccel_tensor *t);
};

} // namespace shim_cv
