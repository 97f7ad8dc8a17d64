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
#include <map>
#include <memory>
#include <mutex>
#include <opencv2/core.hpp>
#include <string>
#include <vaccel/arg.h>
#include <vaccel/resource.h>
#include <vector>
#include <vaccel/remote/error.h>
#include <vaccel/remote/plugin.h>

/* The plugin's descriptor, given the generated op table. */
#define CV_HOST_PLUGIN(table)                                                  \
	VACCEL_PLUGIN_DEFINE(.name = "opencv", .version = "1.0",               \
			     .type = VACCEL_PLUGIN_CPU |                       \
				     VACCEL_PLUGIN_SOFTWARE,                   \
			     .init = cv_host::init, .fini = cv_host::fini,     \
			     .ops = table,                                     \
			     .nr_ops = sizeof(table) / sizeof((table)[0]),     \
			     .resource_unregister = cv_host::forget)

/* The ops of vAccel's API the plugin serves, after the generated ones in
 * its table: the generic opencv op and the image ops. */
#define CV_HOST_NATIVE_OPS                                                     \
	{VACCEL_OPID_OPENCV, cv_host::generic},                                \
	    {VACCEL_OPID_IMAGE_CLASSIFY, cv_host::image},                      \
	    {VACCEL_OPID_IMAGE_DETECT, cv_host::image},                        \
	    {VACCEL_OPID_IMAGE_SEGMENT, cv_host::image},                       \
	    {VACCEL_OPID_IMAGE_POSE, cv_host::image},                          \
	    {VACCEL_OPID_IMAGE_DEPTH, cv_host::image},

namespace cv_host {

enum { MAX_OUTPUTS = 8 };

/* An object of a followed class (a CascadeClassifier), loaded from the
 * file of a resource, kept while the resource is registered; calls on it
 * take turns. */
template <class T> struct Object {
	std::mutex lock;
	T value;
};

/*
 * In a host that charges calls (the agent), OpenCV's Mats are allocated
 * through an allocator that charges each one to the call's caller before
 * it is allocated (vaccel_call_charge) and gives it back when it is
 * freed; over the caller's limit it throws Refused, which the op turns
 * into VACCEL_ENOMEM. It becomes OpenCV's default allocator (Mat::create
 * falls back to the default one when another refuses) at the first
 * charged call; in-process nothing changes. Allocations on OpenCV's own
 * worker threads run for no caller and are not charged.
 */
struct Refused : std::exception {
	const char *what() const noexcept override
	{
		return "over the caller's memory limit";
	}
};
void charge_mats();
/* At fini: OpenCV's own allocator again. */
void uncharge_mats();

/* The path of a resource's one file, written out for OpenCV to load. */
bool resource_file(struct vaccel_resource *res, std::string &path);

/* The objects loaded from resources, by resource id. */
struct Objects {
	std::mutex lock;
	std::map<std::pair<vaccel_id_t, const void *>, std::shared_ptr<void>>
	    by_res;
};
Objects &objects();

/* One function of the spec, as generated: its op, what its outputs are
 * (kinds: i an image, r rectangles, k keypoints), whether it returns a value, whether
 * only the typed op can serve it (an object, a list, an output it
 * reads or one that is not an image). */
struct Fn {
	uint32_t op_id;
	vaccel_op_fn fn;
	const char *kinds;
	bool has_ret;
	bool typed_only;
};
extern const Fn fns[];
extern const size_t nr_fns;

/* vAccel's generic opencv op (vaccel_opencv), over the typed ops: the
 * convention is in docs/plugins.md. */
int generic(void *priv, struct vaccel_session *sess,
	    const struct vaccel_op_desc *op, struct vaccel_oparg *a);

/* vAccel's image ops on the models registered with the host
 * (VACCEL_OPENCV_MODELS, read by init; cvimage.cc, docs/plugins.md). */
int init(void *priv);
void fini(void *priv);
int image(void *priv, struct vaccel_session *sess,
	  const struct vaccel_op_desc *op, struct vaccel_oparg *a);

/* The plugin's resource_unregister hook: its objects go. */
int forget(void *priv, struct vaccel_resource *res,
	   struct vaccel_session *sess);

template <class T>
bool object_of(struct vaccel_resource *res, std::shared_ptr<Object<T>> &out)
{
	/* one key per class: the type's own tag */
	static const char tag = 0;
	auto key = std::make_pair(res->id, static_cast<const void *>(&tag));
	Objects &o = objects();
	{
		std::lock_guard<std::mutex> held(o.lock);
		auto it = o.by_res.find(key);
		if (it != o.by_res.end()) {
			out = std::static_pointer_cast<Object<T>>(it->second);
			return true;
		}
	}
	std::string path;
	auto obj = std::make_shared<Object<T>>();
	if (!resource_file(res, path) || !obj->value.load(path))
		return false;
	std::lock_guard<std::mutex> held(o.lock);
	auto ins = o.by_res.emplace(key, obj);
	out = std::static_pointer_cast<Object<T>>(ins.first->second);
	return true;
}

/* The message e was raised with: a multi-line one is kept prefixed
 * ("> " per line), which cv::Exception's constructor would prefix again
 * on the guest. */
std::string raw_err(const cv::Exception &e);

/* A Mat over an input tensor, or over input tensor list `arg` of a (one
 * tensor); false when it is not an image this side takes (the codec has
 * checked its span). */
bool mat_of(const struct vaccel_tensor *t, cv::Mat &m);
bool mat_of(const struct vaccel_oparg *a, uint32_t arg, cv::Mat &m);

class Call {
public:
	cv::Mat o[MAX_OUTPUTS];
	std::vector<cv::Rect> rects[MAX_OUTPUTS];
	std::vector<cv::KeyPoint> points[MAX_OUTPUTS];
	double r = 0;

	/* kinds: each output's (i an image, r a vector of rectangles, k of
	 * keypoints) */
	Call(struct vaccel_oparg *a, uint32_t outputs, const char *kinds,
	     bool has_ret);
	/* the outputs list is the one this op returns */
	bool ok() const { return ok_; }
	bool in(uint32_t arg, cv::Mat &m) { return mat_of(a_, arg, m); }
	/* a list of images (none empty), a vector of numbers */
	bool list(uint32_t arg, std::vector<cv::Mat> &v);
	bool list(uint32_t arg, std::vector<int> &v);
	bool list(uint32_t arg, std::vector<float> &v);
	/* output j starts as input `arg` holds (absent: empty) */
	bool prior(uint32_t arg, uint32_t j);
	template <class T>
	bool object(uint32_t arg, std::shared_ptr<Object<T>> &out)
	{
		return a_[arg].buf &&
		       object_of(static_cast<struct vaccel_resource *>(
				     a_[arg].buf),
				 out);
	}

	template <class F> int run(F call)
	{
		try {
			call();
		} catch (const Refused &) {
			return VACCEL_ENOMEM;
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
	const char *kinds_;
	bool has_ret_, ok_;
	int raised(int code, const std::string &func, const std::string &file,
		   const std::string &err, int line);
	int results();
	int vectors(uint32_t j, struct vaccel_tensor &t);
};

} // namespace cv_host
