// SPDX-License-Identifier: Apache-2.0
/*
 * vaccel-bench-cv: an ordinary OpenCV program (no vAccel) timing one
 * function on a synthetic color image; scripts/bench runs it plainly and
 * under the OpenCV shim.
 *
 *   vaccel-bench-cv FUNC WIDTH HEIGHT REPS
 *
 * FUNC: resize (to half size), GaussianBlur (9 x 9, sigma 2), cvtColor
 * (BGR to gray), Canny (on the gray image, 50/150). Prints one line:
 * fn=FUNC w=W h=H reps=N p50_ms= min_ms= max_ms= threads= bytes= memcpy_ms=
 * (bytes: the input and output images' bytes, which a remote call moves;
 * memcpy_ms: one memcpy of that many bytes, the floor of a copy)
 */
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <opencv2/imgproc.hpp>
#include <vector>

int main(int argc, char **argv)
{
	if (argc != 5) {
		std::fprintf(stderr, "usage: %s FUNC WIDTH HEIGHT REPS\n",
			     argv[0]);
		return 2;
	}
	const char *fn = argv[1];
	int w = std::atoi(argv[2]), h = std::atoi(argv[3]);
	int reps = std::atoi(argv[4]);
	if (w < 8 || h < 8 || reps < 1)
		return 2;
	cv::Mat img(h, w, CV_8UC3), gray, out;
	cv::randu(img, cv::Scalar::all(0), cv::Scalar::all(255));
	/* something with edges for Canny: blurred noise */
	cv::blur(img, img, cv::Size(5, 5));
	cv::cvtColor(img, gray, cv::COLOR_BGR2GRAY);
	auto once = [&] {
		if (!std::strcmp(fn, "resize"))
			cv::resize(img, out, cv::Size(w / 2, h / 2));
		else if (!std::strcmp(fn, "GaussianBlur"))
			cv::GaussianBlur(img, out, cv::Size(9, 9), 2.0);
		else if (!std::strcmp(fn, "cvtColor"))
			cv::cvtColor(img, out, cv::COLOR_BGR2GRAY);
		else if (!std::strcmp(fn, "Canny"))
			cv::Canny(gray, out, 50, 150);
		else
			return false;
		return true;
	};
	if (!once())
		return 2;
	std::vector<double> ms;
	for (int i = 0; i < reps; i++) {
		auto t0 = std::chrono::steady_clock::now();
		once();
		auto t1 = std::chrono::steady_clock::now();
		ms.push_back(
		    std::chrono::duration<double, std::milli>(t1 - t0).count());
	}
	std::sort(ms.begin(), ms.end());
	/* the floor: one memcpy of the bytes a remote call moves (the input
	 * image out, the output back), in this process, now */
	const cv::Mat &in = !std::strcmp(fn, "Canny") ? gray : img;
	size_t bytes = in.total() * in.elemSize() + out.total() * out.elemSize();
	std::vector<unsigned char> a(bytes, 1), b(bytes);
	std::vector<double> cp;
	for (int i = 0; i < reps; i++) {
		auto t0 = std::chrono::steady_clock::now();
		std::memcpy(b.data(), a.data(), bytes);
		auto t1 = std::chrono::steady_clock::now();
		cp.push_back(
		    std::chrono::duration<double, std::milli>(t1 - t0).count());
	}
	std::sort(cp.begin(), cp.end());
	std::printf("fn=%s w=%d h=%d reps=%d p50_ms=%.3f min_ms=%.3f "
		    "max_ms=%.3f threads=%d bytes=%zu memcpy_ms=%.3f\n",
		    fn, w, h, reps, ms[ms.size() / 2], ms.front(), ms.back(),
		    cv::getNumThreads(), bytes, cp[cp.size() / 2]);
	return 0;
}
