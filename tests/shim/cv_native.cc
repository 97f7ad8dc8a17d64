// SPDX-License-Identifier: Apache-2.0
/*
 * A vAccel program calling vAccel's generic opencv op (vaccel_opencv) as
 * the opencv plugin serves it (docs/plugins.md): GaussianBlur and
 * threshold against the same calls made directly, an OpenCV error in the
 * status with OpenCV's own code and text, and refusals. Run with
 * VACCEL_PLUGINS naming the plugin (in-process) or the rpc transport.
 */
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vaccel.h>
#include <vector>

namespace {

int failures;

void check(bool ok, const char *what)
{
	std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
	failures += !ok;
}

struct Header {
	int32_t rows, cols, type;
};

struct vaccel_arg arg(const void *p, size_t n)
{
	struct vaccel_arg a = {};
	a.buf = const_cast<void *>(p);
	a.size = (uint32_t)n;
	return a;
}

} // namespace

int main()
{
	struct vaccel_session s;
	if (vaccel_session_init(&s, 0) != VACCEL_OK) {
		std::fprintf(stderr, "no vAccel session\n");
		return 1;
	}
	cv::Mat img(300, 400, CV_8UC3);
	cv::randu(img, cv::Scalar::all(0), cv::Scalar::all(255));
	Header in = {img.rows, img.cols, img.type()};
	size_t bytes = img.total() * img.elemSize();

	/* GaussianBlur(src, dst, Size(9, 9), 2.0, 0, BORDER_DEFAULT) */
	const char name[] = "GaussianBlur";
	int32_t kw = 9, kh = 9, border = cv::BORDER_DEFAULT;
	double sx = 2.0, sy = 0;
	std::vector<struct vaccel_arg> rd = {
	    arg(name, sizeof(name)), arg(&in, sizeof(in)),
	    arg(img.data, bytes),    arg(&kw, 4),
	    arg(&kh, 4),             arg(&sx, 8),
	    arg(&sy, 8),             arg(&border, 4)};
	Header out = {};
	std::vector<unsigned char> pix(bytes);
	/* the status: OpenCV's error code, then its text */
	char msg[512] = "x";
	std::vector<struct vaccel_arg> wr = {arg(&out, sizeof(out)),
					     arg(pix.data(), pix.size()),
					     arg(msg, sizeof(msg))};
	int ret = vaccel_opencv(&s, rd.data(), (int)rd.size(), wr.data(),
				(int)wr.size());
	cv::Mat want;
	cv::GaussianBlur(img, want, cv::Size(9, 9), 2.0, 0);
	check(ret == VACCEL_OK, "GaussianBlur returns VACCEL_OK");
	check(out.rows == want.rows && out.cols == want.cols &&
		  out.type == want.type(),
	      "GaussianBlur's header is the output's shape and type");
	check(!std::memcmp(pix.data(), want.data, bytes),
	      "GaussianBlur's pixels are the direct call's, bit for bit");
	int32_t code;
	std::memcpy(&code, msg, 4);
	check(code == 0 && msg[4] == '\0', "status 0, no error text");

	/* threshold(gray, dst, 0, 255, BINARY | OTSU): its return value */
	cv::Mat gray;
	cv::cvtColor(img, gray, cv::COLOR_BGR2GRAY);
	Header gin = {gray.rows, gray.cols, gray.type()};
	const char tname[] = "threshold";
	double th = 0, maxval = 255, tret = -1;
	int32_t type = cv::THRESH_BINARY | cv::THRESH_OTSU;
	std::vector<struct vaccel_arg> trd = {
	    arg(tname, sizeof(tname)), arg(&gin, sizeof(gin)),
	    arg(gray.data, gray.total()), arg(&th, 8), arg(&maxval, 8),
	    arg(&type, 4)};
	std::vector<unsigned char> tpix(gray.total());
	std::vector<struct vaccel_arg> twr = {
	    arg(&out, sizeof(out)), arg(tpix.data(), tpix.size()),
	    arg(&tret, 8), arg(msg, sizeof(msg))};
	ret = vaccel_opencv(&s, trd.data(), (int)trd.size(), twr.data(),
			    (int)twr.size());
	cv::Mat twant;
	double tw = cv::threshold(gray, twant, 0, 255, type);
	check(ret == VACCEL_OK && tret == tw,
	      "threshold's return value is the direct call's");
	check(!std::memcmp(tpix.data(), twant.data, gray.total()),
	      "threshold's pixels are the direct call's");

	/* an even kernel: OpenCV's error, with OpenCV's text */
	kw = kh = 4;
	ret = vaccel_opencv(&s, rd.data(), (int)rd.size(), wr.data(),
			    (int)wr.size());
	std::string local;
	try {
		cv::GaussianBlur(img, want, cv::Size(4, 4), 2.0, 0);
	} catch (const cv::Exception &e) {
		local = e.what();
	}
	std::memcpy(&code, msg, 4);
	check(ret == VACCEL_OK && code == cv::Error::StsAssert,
	      "an OpenCV error: the call ran, status -215");
	check(!local.empty() && local == msg + 4,
	      "its text is the one OpenCV raises locally");

	/* a function the plugin does not have */
	const char nope[] = "fastNlMeansDenoising";
	rd[0] = arg(nope, sizeof(nope));
	ret = vaccel_opencv(&s, rd.data(), (int)rd.size(), wr.data(),
			    (int)wr.size());
	check(ret == VACCEL_ENOTSUP, "an unknown function is VACCEL_ENOTSUP");
	/* a wrong number of arguments */
	rd[0] = arg(name, sizeof(name));
	ret = vaccel_opencv(&s, rd.data(), (int)rd.size() - 1, wr.data(),
			    (int)wr.size());
	check(ret == VACCEL_EINVAL, "a missing argument is VACCEL_EINVAL");
	vaccel_session_release(&s);
	return failures ? 1 : 0;
}
