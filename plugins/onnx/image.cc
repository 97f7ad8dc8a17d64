// SPDX-License-Identifier: Apache-2.0
/* The onnx plugin's image side: conf files and input blobs (image.h). */
#include "image.h"
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string trim(const std::string &s)
{
	size_t b = s.find_first_not_of(" \t\r");
	size_t e = s.find_last_not_of(" \t\r");
	return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

/* n numbers of v into x; false unless exactly n. */
bool numbers(const std::string &v, size_t n, double *x)
{
	std::istringstream in(v);
	std::string w;
	size_t k = 0;
	while (in >> w) {
		char *end = nullptr;
		errno = 0;
		double d = strtod(w.c_str(), &end);
		if (k == n || errno || end == w.c_str() || *end ||
		    !std::isfinite(d))
			return false;
		x[k++] = d;
	}
	return k == n;
}

char *dup(const std::string &s)
{
	char *p = static_cast<char *>(malloc(s.size() + 1));
	if (p)
		memcpy(p, s.c_str(), s.size() + 1);
	return p;
}

} // namespace

extern "C" int onnx_image_conf_read(const char *path,
				    struct onnx_image_conf *c, char *err,
				    size_t errlen)
{
	*c = onnx_image_conf{};
	c->scale = 1.0;
	std::string p(path), dir = p.substr(0, p.rfind('/') + 1);
	std::ifstream f(p);
	if (!f) {
		snprintf(err, errlen, "%s: cannot be read", path);
		return -1;
	}
	std::string line, model, labels;
	bool have_size = false;
	for (int no = 1; std::getline(f, line); no++) {
		line = trim(line.substr(0, line.find('#')));
		if (line.empty())
			continue;
		size_t eq = line.find('=');
		std::string k = trim(line.substr(0, eq));
		std::string v =
		    eq == std::string::npos ? "" : trim(line.substr(eq + 1));
		double x[3];
		auto file = [&](const std::string &s) {
			return s.empty() || s[0] == '/' ? s : dir + s;
		};
		if (eq != std::string::npos && k == "model" && !v.empty()) {
			model = file(v);
		} else if (eq != std::string::npos && k == "labels" &&
			   !v.empty()) {
			labels = file(v);
		} else if (k == "size" && numbers(v, 2, x) && x[0] >= 1 &&
			   x[1] >= 1 && x[0] <= 16384 && x[1] <= 16384) {
			c->width = (int)x[0];
			c->height = (int)x[1];
			have_size = true;
		} else if (k == "resize" && (v == "stretch" || v == "keep_aspect")) {
			c->keep_aspect = v == "keep_aspect";
		} else if (k == "scale" && numbers(v, 1, x) && x[0] != 0) {
			c->scale = x[0];
		} else if (k == "mean" && numbers(v, 3, x)) {
			memcpy(c->mean, x, sizeof(c->mean));
		} else if (k == "swap_rb" && (v == "0" || v == "1")) {
			c->swap_rb = v == "1";
		} else {
			snprintf(err, errlen,
				 "%s:%d: unknown key or bad value '%s' (keys: "
				 "model, labels, size, resize, scale, mean, "
				 "swap_rb)",
				 path, no, line.c_str());
			return -1;
		}
	}
	if (model.empty() || labels.empty() || !have_size) {
		snprintf(err, errlen,
			 "%s: classify takes 'model = FILE', 'labels = FILE' "
			 "and 'size = W H'",
			 path);
		return -1;
	}
	std::ifstream lf(labels);
	if (!lf) {
		snprintf(err, errlen, "%s: labels %s cannot be read", path,
			 labels.c_str());
		return -1;
	}
	std::vector<std::string> l;
	while (std::getline(lf, line))
		l.push_back(trim(line));
	c->model = dup(model);
	c->labels = static_cast<char **>(calloc(l.size() + 1, sizeof(char *)));
	if (!c->model || !c->labels) {
		onnx_image_conf_free(c);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (const std::string &s : l)
		if (!(c->labels[c->nr_labels++] = dup(s))) {
			onnx_image_conf_free(c);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	return 0;
}

extern "C" void onnx_image_conf_free(struct onnx_image_conf *c)
{
	for (size_t i = 0; c->labels && i < c->nr_labels; i++)
		free(c->labels[i]);
	free(c->labels);
	free(c->model);
	*c = onnx_image_conf{};
}

extern "C" int onnx_image_blob(const void *img, size_t len,
			       const struct onnx_image_conf *c, float *blob)
{
	if (len > INT32_MAX)
		return -1;
	try {
		cv::Mat m = cv::imdecode(
		    cv::Mat(1, (int)len, CV_8U, const_cast<void *>(img)),
		    cv::IMREAD_COLOR);
		if (m.empty())
			return -1;
		int w = c->width;
		if (c->keep_aspect)
			w = std::min(c->width,
				     std::max(1, (int)std::ceil(
						     c->height * (double)m.cols /
						     m.rows)));
		cv::Mat r;
		cv::resize(m, r, cv::Size(w, c->height), 0, 0,
			   cv::INTER_LINEAR);
		size_t plane = (size_t)c->height * c->width;
		memset(blob, 0, 3 * plane * sizeof(float));
		for (int y = 0; y < c->height; y++)
			for (int x = 0; x < w; x++) {
				const cv::Vec3b &p = r.at<cv::Vec3b>(y, x);
				for (int ch = 0; ch < 3; ch++) {
					int src = c->swap_rb ? 2 - ch : ch;
					blob[ch * plane +
					     (size_t)y * c->width + x] =
					    (float)((p[src] - c->mean[ch]) *
						    c->scale);
				}
			}
	} catch (const cv::Exception &) {
		return -1;
	}
	return 0;
}
