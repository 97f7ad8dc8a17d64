// SPDX-License-Identifier: Apache-2.0
/*
 * A vAccel program calling vAccel's image ops as the opencv plugin serves
 * them, on the models tests/shim/cv_models.py registers (docs/plugins.md):
 * answers the tiny networks' weights make known, faces found as the
 * program's own CascadeClassifier finds them, and refusals. Run with
 * VACCEL_PLUGINS naming the plugin (in-process) or the rpc transport.
 *
 *   cv-image served FACES.jpg CASCADE.xml
 *   cv-image declined
 */
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <sstream>
#include <string>
#include <vaccel.h>
#include <vector>

namespace {

int failures;

void check(bool ok, const std::string &what)
{
	std::printf("%s %s\n", ok ? "ok  " : "FAIL", what.c_str());
	failures += !ok;
}

std::vector<uchar> png(const cv::Mat &img)
{
	std::vector<uchar> out;
	cv::imencode(".png", img, out);
	return out;
}

cv::Mat solid(int rows, int cols, const cv::Scalar &bgr)
{
	return cv::Mat(rows, cols, CV_8UC3, bgr);
}

int classify(struct vaccel_session *s, const cv::Mat &img, std::string &label,
	     std::string &detail, size_t text_len = 64)
{
	std::vector<uchar> in = png(img);
	std::vector<unsigned char> text(text_len, 'x'), name(64, 'x');
	int ret = vaccel_image_classification(s, in.data(), text.data(),
					      name.data(), in.size(),
					      text.size(), name.size());
	label.assign((const char *)text.data(),
		     strnlen((const char *)text.data(), text.size()));
	detail.assign((const char *)name.data(),
		      strnlen((const char *)name.data(), name.size()));
	return ret;
}

/* An image op whose answer is a PNG, decoded as it was written. */
int image_out(int (*op)(struct vaccel_session *, const void *,
			unsigned char *, size_t, size_t),
	      struct vaccel_session *s, const cv::Mat &img, cv::Mat &out)
{
	std::vector<uchar> in = png(img);
	std::vector<unsigned char> buf(1 << 16, 0);
	int ret = op(s, in.data(), buf.data(), in.size(), buf.size());
	if (!ret)
		out = cv::imdecode(buf, cv::IMREAD_UNCHANGED);
	return ret;
}

int text_out(int (*op)(struct vaccel_session *, const void *,
		       unsigned char *, size_t, size_t),
	     struct vaccel_session *s, const std::vector<uchar> &in,
	     std::string &text)
{
	std::vector<unsigned char> buf(4096, 'x');
	int ret = op(s, in.data(), buf.data(), in.size(), buf.size());
	text.assign((const char *)buf.data(),
		    strnlen((const char *)buf.data(), buf.size()));
	return ret;
}

void served(struct vaccel_session *s, const char *faces, const char *cascade)
{
	std::string label, detail;
	const struct {
		cv::Scalar bgr;
		const char *label;
	} colours[] = {{cv::Scalar(0, 0, 255), "red"},
		       {cv::Scalar(30, 200, 40), "green"},
		       {cv::Scalar(250, 10, 90), "blue"}};
	for (const auto &c : colours) {
		int ret = classify(s, solid(16, 16, c.bgr), label, detail);
		check(ret == VACCEL_OK && label == c.label &&
			  detail.rfind("class ", 0) == 0,
		      std::string("classification of a ") + c.label +
			  " image: '" + label + "' (" + detail + ")");
	}
	check(classify(s, solid(16, 16, cv::Scalar(0, 0, 255)), label, detail,
		       3) == VACCEL_ENOSPC,
	      "classification into a 3-byte text: VACCEL_ENOSPC");
	std::vector<unsigned char> junk(100, 0x5a), text(64), name(64);
	check(vaccel_image_classification(s, junk.data(), text.data(),
					  name.data(), junk.size(),
					  text.size(),
					  name.size()) == VACCEL_EINVAL,
	      "classification of bytes that are no image: VACCEL_EINVAL");

	/* left half red, right half blue: classes 2 and 0 */
	cv::Mat halves = solid(16, 16, cv::Scalar(255, 0, 0));
	halves(cv::Rect(0, 0, 8, 16)).setTo(cv::Scalar(0, 0, 255));
	cv::Mat map;
	int ret = image_out(vaccel_image_segmentation, s, halves, map);
	bool seg = ret == VACCEL_OK && map.type() == CV_8UC1 &&
		   map.rows == 16 && map.cols == 16;
	for (int y = 0; seg && y < 16; y++)
		for (int x = 0; seg && x < 16; x++)
			seg = map.at<uchar>(y, x) == (x < 8 ? 2 : 0);
	check(seg, "segmentation: a 16 x 16 class map, 2 (red) left, 0 "
		   "(blue) right");

	/* brighter to the right: depth rises from 0 to 65535 */
	cv::Mat ramp(8, 8, CV_8UC3);
	for (int x = 0; x < 8; x++)
		ramp.col(x).setTo(cv::Scalar::all(x * 30));
	cv::Mat depth;
	ret = image_out(vaccel_image_depth, s, ramp, depth);
	bool dep = ret == VACCEL_OK && depth.type() == CV_16UC1 &&
		   depth.rows == 8 && depth.cols == 8 &&
		   depth.at<uint16_t>(3, 0) == 0 &&
		   depth.at<uint16_t>(3, 7) == 65535;
	for (int x = 1; dep && x < 8; x++)
		dep = depth.at<uint16_t>(3, x) > depth.at<uint16_t>(3, x - 1);
	check(dep, "depth: a 16-bit map rising from 0 to 65535 with the "
		   "brightness");

	/* a red dot at (5, 2) and a blue one at (1, 6): keypoints 2 and 0 */
	cv::Mat dots = solid(8, 8, cv::Scalar(0, 0, 0));
	dots.at<cv::Vec3b>(2, 5) = cv::Vec3b(0, 0, 255);
	dots.at<cv::Vec3b>(6, 1) = cv::Vec3b(255, 0, 0);
	std::string pose;
	ret = text_out(vaccel_image_pose, s, png(dots), pose);
	std::istringstream lines(pose);
	int k[3], px[3], py[3];
	double v[3];
	bool ok = ret == VACCEL_OK;
	for (int i = 0; ok && i < 3; i++)
		ok = (bool)(lines >> k[i] >> px[i] >> py[i] >> v[i]) &&
		     k[i] == i;
	check(ok && px[2] == 5 && py[2] == 2 && px[0] == 1 && py[0] == 6 &&
		  v[0] > 0.99 && v[2] > 0.99 && v[1] == 0,
	      "pose: keypoint 2 at (5, 2), keypoint 0 at (1, 6): " + pose);

	/* the faces the program's own cascade finds */
	std::FILE *f = std::fopen(faces, "rb");
	std::vector<uchar> jpg;
	if (f) {
		int c;
		while ((c = std::fgetc(f)) != EOF)
			jpg.push_back((uchar)c);
		std::fclose(f);
	}
	cv::Mat gray = cv::imread(faces, cv::IMREAD_GRAYSCALE);
	cv::CascadeClassifier cc(cascade);
	std::vector<cv::Rect> want;
	cc.detectMultiScale(gray, want, 1.1, 3);
	std::vector<std::string> want_lines, got_lines;
	for (const cv::Rect &r : want) {
		char line[96];
		std::snprintf(line, sizeof(line), "face %d %d %d %d", r.x,
			      r.y, r.width, r.height);
		want_lines.push_back(line);
	}
	std::string found;
	ret = text_out(vaccel_image_detection, s, jpg, found);
	std::istringstream fl(found);
	for (std::string line; std::getline(fl, line);)
		got_lines.push_back(line);
	std::sort(want_lines.begin(), want_lines.end());
	std::sort(got_lines.begin(), got_lines.end());
	check(ret == VACCEL_OK && !want.empty() && got_lines == want_lines,
	      "detection: the faces the program's own cascade finds (" +
		  std::to_string(want.size()) + ")");
}

void declined(struct vaccel_session *s)
{
	std::string label, detail;
	check(classify(s, solid(16, 16, cv::Scalar(0, 0, 255)), label,
		       detail) == VACCEL_ENOTSUP,
	      "classification with a broken conf: VACCEL_ENOTSUP");
	std::string text;
	check(text_out(vaccel_image_detection, s, png(solid(8, 8, {})),
		       text) == VACCEL_ENOTSUP,
	      "detection with no model registered: VACCEL_ENOTSUP");
}

} // namespace

int main(int argc, char **argv)
{
	bool serve = argc == 4 && !std::strcmp(argv[1], "served");
	if (!serve && !(argc == 2 && !std::strcmp(argv[1], "declined"))) {
		std::fprintf(stderr, "usage: cv-image served FACES CASCADE | "
				     "declined\n");
		return 2;
	}
	struct vaccel_session s;
	if (vaccel_session_init(&s, 0) != VACCEL_OK) {
		std::fprintf(stderr, "no vAccel session\n");
		return 1;
	}
	if (serve)
		served(&s, argv[2], argv[3]);
	else
		declined(&s);
	vaccel_session_release(&s);
	std::printf("%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
