// SPDX-License-Identifier: Apache-2.0
/*
 * An ordinary OpenCV program (no vAccel): filters on sub-regions of an
 * image cut with Mat(Rect), whose borders OpenCV takes from the image
 * around them, an in-place call on a sub-region, and a bad argument.
 * Writes every result's bytes and the exception's text to OUT, so that a
 * run under the opencv shim can be compared with a plain one.
 *
 *   cv-prog IMAGE OUT
 */
#include <cstdio>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

static void put(FILE *f, const char *name, const cv::Mat &m)
{
	std::fprintf(f, "%s %d %d %d\n", name, m.rows, m.cols, m.type());
	for (int y = 0; y < m.rows; y++)
		std::fwrite(m.ptr(y), m.elemSize(), (size_t)m.cols, f);
	std::fputc('\n', f);
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	cv::Mat img = cv::imread(argv[1]);
	FILE *f = std::fopen(argv[2], "wb");
	if (img.empty() || !f)
		return 2;
	cv::Mat roi = img(cv::Rect(40, 30, 300, 200));
	cv::Mat gray, out;
	cv::cvtColor(img, gray, cv::COLOR_BGR2GRAY);
	cv::Mat groi = gray(cv::Rect(1, 1, gray.cols - 2, gray.rows - 2));
	cv::GaussianBlur(roi, out, cv::Size(9, 9), 2.0);
	put(f, "GaussianBlur_roi", out);
	cv::medianBlur(roi, out, 5);
	put(f, "medianBlur_roi", out);
	cv::Sobel(groi, out, CV_16S, 1, 1, 3);
	put(f, "Sobel_roi", out);
	cv::erode(groi, out, cv::Mat(), cv::Point(-1, -1), 3);
	put(f, "erode_roi", out);
	cv::blur(roi, out, cv::Size(7, 7));
	put(f, "blur_roi", out);
	cv::resize(roi, out, cv::Size(), 0.5, 0.5);
	put(f, "resize_roi", out);
	cv::Canny(groi, out, 40, 120);
	put(f, "Canny_roi", out);
	/* in place, on a sub-region: the image around it is left as it was */
	cv::Mat copy = img.clone();
	cv::Mat croi = copy(cv::Rect(100, 80, 200, 150));
	cv::GaussianBlur(croi, croi, cv::Size(7, 7), 0);
	put(f, "inplace_roi", copy);
	try {
		cv::GaussianBlur(img, out, cv::Size(6, 6), 1.0);
		std::fprintf(f, "no exception\n");
	} catch (const cv::Exception &e) {
		std::fprintf(f, "exception %d %s\n", e.code, e.what());
	}
	std::fclose(f);
	return 0;
}
