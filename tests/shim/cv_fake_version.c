// SPDX-License-Identifier: Apache-2.0
/*
 * Preloaded before the OpenCV shim, this says the program's OpenCV is
 * 4.99: the shim must disable itself with one line and run every call
 * locally (tests/shim opencv-cv2-version). The symbols are OpenCV's
 * cv::getVersionMajor() and cv::getVersionMinor().
 */
__attribute__((visibility("default"))) int _ZN2cv15getVersionMajorEv(void)
{
	return 4;
}

__attribute__((visibility("default"))) int _ZN2cv15getVersionMinorEv(void)
{
	return 99;
}
