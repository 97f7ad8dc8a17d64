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
#include <opencv2/features2d.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

static void put(FILE *f, const char *name, const cv::Mat &m)
{
	std::fprintf(f, "%s %d %d %d\n", name, m.rows, m.cols, m.type());
	for (int y = 0; y < m.rows; y++)
		std::fwrite(m.ptr(y), m.elemSize(), (size_t)m.cols, f);
	std::fputc('\n', f);
}

/* every field of every keypoint, exactly (%a) */
static void put_points(FILE *f, const char *name,
		       const std::vector<cv::KeyPoint> &kps)
{
	std::fprintf(f, "%s %zu\n", name, kps.size());
	for (const cv::KeyPoint &k : kps)
		std::fprintf(f, "%a %a %a %a %a %d %d\n", k.pt.x, k.pt.y,
			     k.size, k.angle, k.response, k.octave,
			     k.class_id);
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
	/* the rest of the intercepted functions, on the whole image, with
	 * the arguments a C++ program passes: Matx, Scalar, Point */
	cv::cvtColor(img, out, cv::COLOR_BGR2HSV);
	put(f, "cvtColor", out);
	cv::boxFilter(gray, out, CV_32F, cv::Size(4, 4), cv::Point(-1, -1),
		      false);
	put(f, "boxFilter", out);
	cv::bilateralFilter(roi, out, 7, 50, 50);
	put(f, "bilateralFilter", out);
	double t = cv::threshold(gray, out, 0, 255,
				 cv::THRESH_BINARY | cv::THRESH_OTSU);
	put(f, "threshold", out);
	std::fprintf(f, "threshold %.17g\n", t);
	cv::adaptiveThreshold(groi, out, 255, cv::ADAPTIVE_THRESH_MEAN_C,
			      cv::THRESH_BINARY_INV, 15, 3);
	put(f, "adaptiveThreshold_roi", out);
	cv::Scharr(gray, out, CV_32F, 1, 0, 0.5, 3);
	put(f, "Scharr", out);
	cv::Laplacian(groi, out, CV_16S, 5);
	put(f, "Laplacian_roi", out);
	cv::Matx33f sharpen(0, -1, 0, -1, 5, -1, 0, -1, 0);
	cv::filter2D(roi, out, -1, sharpen, cv::Point(-1, -1), 4.0);
	put(f, "filter2D_roi_matx", out);
	cv::Mat cross = cv::getStructuringElement(cv::MORPH_CROSS,
						  cv::Size(5, 5));
	cv::dilate(roi, out, cross, cv::Point(1, 1), 2, cv::BORDER_CONSTANT,
		   cv::Scalar(5, 100, 200));
	put(f, "dilate_roi", out);
	cv::morphologyEx(groi, out, cv::MORPH_TOPHAT, cross);
	put(f, "morphologyEx_roi", out);
	cv::Matx23d rot(0.9, -0.2, 30, 0.2, 0.9, -10);
	cv::warpAffine(img, out, rot, cv::Size(400, 300), cv::INTER_CUBIC,
		       cv::BORDER_REFLECT101);
	put(f, "warpAffine_matx", out);
	cv::Matx33d persp(1, 0.1, 5, 0.05, 1, 3, 0.0002, 0.0001, 1);
	cv::warpPerspective(roi, out, persp, roi.size(), cv::INTER_LINEAR,
			    cv::BORDER_CONSTANT, cv::Scalar(1, 2, 3));
	put(f, "warpPerspective_roi", out);
	cv::Mat mx(groi.size(), CV_32F), my(groi.size(), CV_32F);
	for (int y = 0; y < mx.rows; y++)
		for (int x = 0; x < mx.cols; x++) {
			mx.at<float>(y, x) = (float)(mx.cols - x) * 0.9f;
			my.at<float>(y, x) = (float)y * 1.1f;
		}
	cv::remap(groi, out, mx, my, cv::INTER_LINEAR);
	put(f, "remap_roi", out);
	cv::equalizeHist(groi, out);
	put(f, "equalizeHist_roi", out);
	cv::Mat templ = gray(cv::Rect(60, 50, 40, 30)).clone();
	cv::matchTemplate(groi, templ, out, cv::TM_SQDIFF);
	put(f, "matchTemplate_roi", out);
	cv::medianBlur(gray, out, 7);
	put(f, "medianBlur", out);
	/* histograms (the list form, as a vector of images): a sub-region
	 * under a mask, three channels into three dimensions, and one added
	 * to */
	cv::Mat hmask = cv::Mat::zeros(groi.size(), CV_8U);
	hmask(cv::Rect(10, 10, 200, 100)).setTo(255);
	cv::calcHist(std::vector<cv::Mat>{groi}, std::vector<int>{0}, hmask,
		     out, std::vector<int>{64}, std::vector<float>{0, 256});
	put(f, "calcHist_roi_mask", out);
	cv::Mat h3;
	cv::calcHist(std::vector<cv::Mat>{img}, std::vector<int>{0, 1, 2},
		     cv::noArray(), h3, std::vector<int>{4, 5, 6},
		     std::vector<float>{0, 256, 0, 256, 0, 256});
	std::fprintf(f, "calcHist_3d %d %d %d %d %d\n", h3.dims, h3.size[0],
		     h3.size[1], h3.size[2], h3.type());
	std::fwrite(h3.data, h3.elemSize(), h3.total(), f);
	std::fputc('\n', f);
	cv::calcHist(std::vector<cv::Mat>{roi}, std::vector<int>{2},
		     cv::noArray(), out, std::vector<int>{64},
		     std::vector<float>{0, 256}, true);
	put(f, "calcHist_accumulate", out);
	/* keypoints, which cv2 cannot ask for: every field written back */
	std::vector<cv::KeyPoint> kps;
	cv::FAST(groi, kps, 30, true);
	put_points(f, "FAST_roi", kps);
	cv::AGAST(gray, kps, 25, false);
	put_points(f, "AGAST", kps);
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
