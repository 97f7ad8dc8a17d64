// SPDX-License-Identifier: Apache-2.0
/*
 * vAccel's image ops (vaccel_image_classification, _detection,
 * _segmentation, _pose, _depth) on models registered with the host:
 * VACCEL_OPENCV_MODELS names a directory holding TASK.conf for each task
 * served, read once when the plugin loads. A network runs in OpenCV's DNN
 * module; detection runs a cascade. The contract (configuration,
 * pre-processing, what each op writes) is in docs/plugins.md.
 */
#include "cvhost.hpp"

#include <cerrno>
#include <cfloat>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <opencv2/dnn.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <sstream>
#include <unistd.h>
#include <vaccel/log.h>

namespace cv_host {

namespace {

#define CV_TASKS(X)                                                            \
	X(CLASSIFY, "classify", VACCEL_OPID_IMAGE_CLASSIFY)                    \
	X(DETECT, "detect", VACCEL_OPID_IMAGE_DETECT)                          \
	X(SEGMENT, "segment", VACCEL_OPID_IMAGE_SEGMENT)                       \
	X(POSE, "pose", VACCEL_OPID_IMAGE_POSE)                                \
	X(DEPTH, "depth", VACCEL_OPID_IMAGE_DEPTH)

enum Task {
#define CV_TASK_ENUM(e, name, op) e,
	CV_TASKS(CV_TASK_ENUM)
#undef CV_TASK_ENUM
	    NR_TASKS
};

struct TaskInfo {
	const char *name;
	uint32_t op_id;
};

const TaskInfo tasks[] = {
#define CV_TASK_INFO(e, name, op) {name, op},
    CV_TASKS(CV_TASK_INFO)
#undef CV_TASK_INFO
};

/* A registered model and how its input is made (cv::dnn::blobFromImage's
 * arguments); calls take turns on it (a Net is not reentrant). */
struct Model {
	std::mutex lock;
	cv::dnn::Net net;
	cv::CascadeClassifier cascade;
	bool is_cascade = false;
	std::vector<std::string> labels;
	cv::Size size;
	double scale = 1.0;
	cv::Scalar mean;
	bool swap_rb = false;
	double scale_factor = 1.1;
	int min_neighbors = 3;
};

Model *models[NR_TASKS];

const char *const ENV_MODELS = "VACCEL_OPENCV_MODELS";

std::string trim(const std::string &s)
{
	size_t b = s.find_first_not_of(" \t\r");
	size_t e = s.find_last_not_of(" \t\r");
	return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

/* Numbers, exactly n of them (a word that is not one fails). */
bool numbers(const std::string &v, size_t n, double *out)
{
	std::istringstream in(v);
	size_t k = 0;
	std::string w;
	while (in >> w) {
		char *end = nullptr;
		errno = 0;
		double x = strtod(w.c_str(), &end);
		if (k == n || errno || end == w.c_str() || *end)
			return false;
		out[k++] = x;
	}
	return k == n;
}

/* Task t's model from the conf file at path; false with err set. */
bool load(Task t, const std::string &dir, const std::string &path, Model &m,
	  std::string &err)
{
	std::ifstream f(path);
	if (!f) {
		err = path + ": cannot be read";
		return false;
	}
	std::string line, model, config, cascade, labels;
	bool have_size = false;
	for (int no = 1; std::getline(f, line); no++) {
		std::string where = path + ":" + std::to_string(no) + ": ";
		size_t hash = line.find('#');
		line = trim(line.substr(0, hash));
		if (line.empty())
			continue;
		size_t eq = line.find('=');
		if (eq == std::string::npos) {
			err = where + "expected 'key = value'";
			return false;
		}
		std::string k = trim(line.substr(0, eq));
		std::string v = trim(line.substr(eq + 1));
		double x[3];
		auto file = [&](const std::string &p) {
			return p.empty() || p[0] == '/' ? p : dir + "/" + p;
		};
		if (k == "model" || k == "config" || k == "cascade" ||
		    k == "labels") {
			if (v.empty()) {
				err = where + k + " names no file";
				return false;
			}
			(k == "model"	  ? model
			 : k == "config"  ? config
			 : k == "cascade" ? cascade
					  : labels) = file(v);
		} else if (k == "size" && numbers(v, 2, x) && x[0] >= 1 &&
			   x[1] >= 1 && x[0] <= 16384 && x[1] <= 16384) {
			m.size = cv::Size((int)x[0], (int)x[1]);
			have_size = true;
		} else if (k == "scale" && numbers(v, 1, x) && x[0] > 0) {
			m.scale = x[0];
		} else if (k == "mean" && numbers(v, 3, x)) {
			m.mean = cv::Scalar(x[0], x[1], x[2]);
		} else if (k == "swap_rb" && (v == "0" || v == "1")) {
			m.swap_rb = v == "1";
		} else if (k == "scale_factor" && numbers(v, 1, x) &&
			   x[0] > 1) {
			m.scale_factor = x[0];
		} else if (k == "min_neighbors" && numbers(v, 1, x) &&
			   x[0] >= 0 && x[0] <= 1000) {
			m.min_neighbors = (int)x[0];
		} else {
			err = where + "unknown key or bad value '" + line +
			      "' (keys: model, config, cascade, labels, size, "
			      "scale, mean, swap_rb, scale_factor, "
			      "min_neighbors)";
			return false;
		}
	}
	if (!labels.empty()) {
		std::ifstream lf(labels);
		if (!lf) {
			err = path + ": labels " + labels + " cannot be read";
			return false;
		}
		while (std::getline(lf, line))
			m.labels.push_back(trim(line));
	}
	if (t == DETECT) {
		/* a cascade: a network's boxes are model-specific */
		if (cascade.empty() || !model.empty()) {
			err = path + ": detect takes 'cascade = FILE.xml' and no "
				     "model";
			return false;
		}
		m.is_cascade = true;
		try {
			if (!m.cascade.load(cascade)) {
				err = path + ": cascade " + cascade +
				      " does not load";
				return false;
			}
		} catch (const cv::Exception &e) {
			err = path + ": cascade " + cascade + ": " + e.what();
			return false;
		}
		return true;
	}
	if (model.empty() || !cascade.empty() || !have_size) {
		err = path + ": " + tasks[t].name +
		      " takes 'model = FILE', 'size = W H' and no cascade";
		return false;
	}
	if (t == CLASSIFY && m.labels.empty()) {
		err = path + ": classify takes 'labels = FILE' (one a line)";
		return false;
	}
	try {
		m.net = cv::dnn::readNet(model, config);
	} catch (const cv::Exception &e) {
		err = path + ": model " + model + ": " + e.what();
		return false;
	}
	if (m.net.empty()) {
		err = path + ": model " + model + " does not load";
		return false;
	}
	return true;
}

/* Text into an out buffer, NUL-terminated; VACCEL_ENOSPC when it does
 * not fit. */
int put_text(struct vaccel_oparg &a, const std::string &text)
{
	if (!a.buf || a.len < text.size() + 1)
		return VACCEL_ENOSPC;
	memcpy(a.buf, text.c_str(), text.size() + 1);
	return VACCEL_OK;
}

/* An image into an out buffer as PNG bytes from its start. */
int put_png(struct vaccel_oparg &a, const cv::Mat &img)
{
	std::vector<uchar> png;
	if (!cv::imencode(".png", img, png))
		return VACCEL_EINVAL;
	if (!a.buf || a.len < png.size())
		return VACCEL_ENOSPC;
	memcpy(a.buf, png.data(), png.size());
	return VACCEL_OK;
}

/* The network's output planes for img: {channels, rows, cols} of the
 * first output (a 2-d output is one plane of one row). */
bool forward(Model &m, const cv::Mat &img, cv::Mat &out)
{
	cv::Mat blob = cv::dnn::blobFromImage(img, m.scale, m.size, m.mean,
					      m.swap_rb, false, CV_32F);
	m.net.setInput(blob);
	cv::Mat o = m.net.forward();
	if (o.dims == 4 && o.size[0] == 1) {
		int sz[3] = {o.size[1], o.size[2], o.size[3]};
		out = o.reshape(1, 3, sz);
	} else if (o.dims == 2 && o.rows == 1) {
		int sz[3] = {1, 1, o.cols};
		out = o.reshape(1, 3, sz);
	} else {
		return false;
	}
	return true;
}

cv::Mat plane(const cv::Mat &planes, int c)
{
	return cv::Mat(planes.size[1], planes.size[2], CV_32F,
		       const_cast<uchar *>(planes.ptr(c)));
}

std::string label_of(const Model &m, size_t i)
{
	return i < m.labels.size() ? m.labels[i] : "class " + std::to_string(i);
}

int run_task(Task t, Model &m, const cv::Mat &img, struct vaccel_oparg *a)
{
	char line[160];
	if (t == DETECT) {
		cv::Mat gray;
		if (img.channels() == 3)
			cv::cvtColor(img, gray, cv::COLOR_BGR2GRAY);
		else
			gray = img;
		std::vector<cv::Rect> found;
		m.cascade.detectMultiScale(gray, found, m.scale_factor,
					   m.min_neighbors);
		std::string text, label = label_of(m, 0);
		for (const cv::Rect &r : found) {
			snprintf(line, sizeof(line), "%s %d %d %d %d\n",
				 label.c_str(), r.x, r.y, r.width, r.height);
			text += line;
		}
		return put_text(a[1], text);
	}
	cv::Mat planes;
	if (!forward(m, img, planes))
		return VACCEL_ENOTSUP; /* an output shape of no known kind */
	int nc = planes.size[0], h = planes.size[1], w = planes.size[2];
	if (t == CLASSIFY) {
		/* the best score of all planes' values, as classes */
		cv::Mat scores = planes.reshape(1, 1);
		cv::Point best;
		double p;
		cv::minMaxLoc(scores, nullptr, &p, nullptr, &best);
		int ret = put_text(a[1], label_of(m, (size_t)best.x));
		snprintf(line, sizeof(line), "class %d score %.6g", best.x, p);
		return ret ? ret : put_text(a[2], line);
	}
	if (t == POSE) {
		/* one keypoint a plane: where it peaks, in the image's
		 * pixels */
		std::string text;
		for (int c = 0; c < nc; c++) {
			cv::Point at;
			double v;
			cv::minMaxLoc(plane(planes, c), nullptr, &v, nullptr,
				      &at);
			snprintf(line, sizeof(line), "%d %d %d %.6g\n", c,
				 (int)((at.x + 0.5) * img.cols / w),
				 (int)((at.y + 0.5) * img.rows / h), v);
			text += line;
		}
		return put_text(a[1], text);
	}
	cv::Mat out;
	if (t == SEGMENT) {
		/* each pixel's best plane: an 8-bit class map */
		if (nc > 256)
			return VACCEL_ENOTSUP;
		cv::Mat best(h, w, CV_32F, cv::Scalar(-FLT_MAX));
		cv::Mat cls(h, w, CV_8U, cv::Scalar(0));
		for (int c = 0; c < nc; c++) {
			cv::Mat p = plane(planes, c);
			cv::Mat more = p > best;
			p.copyTo(best, more);
			cls.setTo(c, more);
		}
		cv::resize(cls, out, img.size(), 0, 0, cv::INTER_NEAREST);
	} else {
		/* the first plane, stretched to 16 bits (nearer: higher) */
		cv::Mat d;
		cv::resize(plane(planes, 0), d, img.size(), 0, 0,
			   cv::INTER_LINEAR);
		cv::normalize(d, d, 0, 65535, cv::NORM_MINMAX);
		d.convertTo(out, CV_16U);
	}
	return put_png(a[1], out);
}

} // namespace

int init(void *)
{
	const char *dir = getenv(ENV_MODELS);
	if (!dir || !*dir)
		return VACCEL_OK; /* no models: the image ops decline */
	for (int t = 0; t < NR_TASKS; t++) {
		std::string path = std::string(dir) + "/" + tasks[t].name +
				   ".conf";
		if (access(path.c_str(), F_OK))
			continue;
		Model *m = new Model;
		std::string err;
		if (!load((Task)t, dir, path, *m, err)) {
			/* the other ops are served; this one declines */
			vaccel_log(VACCEL_LOG_ERROR, "opencv", "%s: %s",
				   tasks[t].name, err.c_str());
			delete m;
			continue;
		}
		vaccel_log(VACCEL_LOG_INFO, "opencv", "%s: model from %s",
			   tasks[t].name, path.c_str());
		models[t] = m;
	}
	return VACCEL_OK;
}

void fini(void *)
{
	uncharge_mats();
	for (Model *&m : models) {
		delete m;
		m = nullptr;
	}
}

int image(void *, struct vaccel_session *, const struct vaccel_op_desc *op,
	  struct vaccel_oparg *a)
{
	int t = 0;
	while (t < NR_TASKS && tasks[t].op_id != op->id)
		t++;
	if (t == NR_TASKS || !models[t]) {
		vaccel_log(VACCEL_LOG_DEBUG, "opencv",
			   "%s: no model registered (%s/%s.conf)", op->name,
			   ENV_MODELS, t < NR_TASKS ? tasks[t].name : "?");
		return VACCEL_ENOTSUP;
	}
	if (!a[0].buf || !a[0].len || a[0].len > INT32_MAX)
		return VACCEL_EINVAL;
	Model &m = *models[t];
	charge_mats();
	try {
		cv::Mat img = cv::imdecode(
		    cv::Mat(1, (int)a[0].len, CV_8U, a[0].buf),
		    cv::IMREAD_COLOR);
		if (img.empty())
			return VACCEL_EINVAL; /* not an image OpenCV decodes */
		std::lock_guard<std::mutex> held(m.lock);
		return run_task((Task)t, m, img, a);
	} catch (const Refused &) {
		return VACCEL_ENOMEM;
	} catch (const cv::Exception &e) {
		vaccel_log(VACCEL_LOG_ERROR, "opencv", "%s: %s", op->name,
			   e.what());
		return VACCEL_EINVAL;
	}
}

} // namespace cv_host
