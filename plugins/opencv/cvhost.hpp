// SPDX-License-Identifier: Apache-2.0
#pragma once

/*
 * What the generated op functions of plugins/opencv (opencv_ops_gen.cc)
 * call: images from tensors (a strided view keeps the image around it,
 * so that OpenCV reads the same neighbours as on the guest), the call run
 * under a catch of cv::Exception, and its results as the raw tensor list
 * cvwire.h describes.
 */

#include "cvwire.h"
#include <opencv2/core.hpp>
#include <vaccel/remote/error.h>
#include <vaccel/remote/plugin.h>

/* The plugin's descriptor, given the generated op table. */
#define CV_HOST_PLUGIN(table)                                                    \
	VACCEL_PLUGIN_DEFINE(.name = "opencv", .version = "1.0",               \
			     .type = VACCEL_PLUGIN_CPU |                       \
				     VACCEL_PLUGIN_SOFTWARE,                   \
			     .ops = table,                                     \
			     .nr_ops = sizeof(table) / sizeof((table)[0]))

namespace cv_host {

enum { MAX_OUTPUTS = 8 };

/* The message e was raised with: a multi-line one is kept prefixed
 * ("> " per line), which cv::Exception's constructor would prefix again
 * on the guest. */
std::string raw_err(const cv::Exception &e);

/* A Mat over input tensor list `arg` of a (one tensor); false when it is
 * not an image this side takes (the codec has checked its span). */
bool mat_of(const struct vaccel_oparg *a, uint32_t arg, cv::Mat &m);

class Call {
public:
	cv::Mat o[MAX_OUTPUTS];
	double r = 0;

	Call(struct vaccel_oparg *a, uint32_t outputs, uint32_t nr_images,
	     bool has_ret);
	/* the outputs list is the one this op returns */
	bool ok() const { return ok_; }
	bool in(uint32_t arg, cv::Mat &m) { return mat_of(a_, arg, m); }

	template <class F> int run(F call)
	{
		try {
			call();
		} catch (const cv::Exception &e) {
			return raised(e.code, e.func, e.file, raw_err(e),
				      e.line);
		} catch (const std::exception &e) {
			return raised(cv::Error::StsError, "", "", e.what(), 0);
		}
		return results();
	}

private:
	struct vaccel_oparg *a_;
	uint32_t outputs_, nr_images_;
	bool has_ret_, ok_;
	int raised(int code, const std::string &func, const std::string &file,
		   const std::string &err, int line);
	int results();
};

} // namespace cv_host
