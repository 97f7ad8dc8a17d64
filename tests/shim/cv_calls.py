# SPDX-License-Identifier: Apache-2.0
"""Every OpenCV function the opencv shim intercepts, called through cv2 on
opencv-doc's sample images: whole images, sub-regions (numpy views, whose
rows lie a parent's stride apart), in-place calls (dst is src) and bad
arguments. Writes every result to OUT.npz and every error's text to
OUT.errors, so that a run under the shim can be compared with a plain
one bit for bit.

  cv_calls.py DATA_DIR OUT [cascade-only]

It also finds the faces in messi5.jpg with opencv-data's frontal-face
cascade (CascadeClassifier, whose file goes to the host once), twice.
"""

import json
import os
import sys

import cv2
import numpy as np


HAAR = "/usr/share/opencv4/haarcascades"


def faces(data):
    """Faces in messi5.jpg by the frontal-face cascade, sorted (the order
    of detections is not part of the result)."""
    cascade = cv2.CascadeClassifier(
        os.path.join(HAAR, "haarcascade_frontalface_default.xml"))
    img = cv2.cvtColor(cv2.imread(os.path.join(data, "messi5.jpg")),
                       cv2.COLOR_BGR2GRAY)
    found = cascade.detectMultiScale(img, 1.1, 3)
    rects = sorted(tuple(int(v) for v in r) for r in found)
    # a second detection with the same object: the cascade is not sent
    # again
    again = sorted(tuple(int(v) for v in r)
                   for r in cascade.detectMultiScale(img, 1.2, 4,
                                                     minSize=(20, 20)))
    return (np.array(rects, np.int32).reshape(-1, 4),
            np.array(again, np.int32).reshape(-1, 4))


def cascade_only(data, out):
    """The detection and one resize of the program's own: OpenCV's calls
    to itself (the cascade's pyramid) are not the program's."""
    res = {}
    res["faces"], res["faces_again"] = faces(data)
    img = cv2.imread(os.path.join(data, "messi5.jpg"))
    res["resize"] = cv2.resize(img, (200, 120))
    np.savez(out + ".npz", **res)
    with open(out + ".errors", "w") as f:
        json.dump({}, f)
    print("%d faces" % len(res["faces"]))
    return 0


def main(data, out):
    color = cv2.imread(os.path.join(data, "baboon.jpg"))
    fruits = cv2.imread(os.path.join(data, "fruits.jpg"))
    if color is None or fruits is None:
        print("cannot read the sample images in %s" % data, file=sys.stderr)
        return 2
    gray = cv2.cvtColor(fruits, cv2.COLOR_BGR2GRAY)
    f32 = gray.astype(np.float32) / 255.0
    # views: rows a parent's stride apart, with pixels around them that
    # filters read at the view's edges
    csub = color[37:301, 51:420]
    gsub = gray[13:250, 7:333]
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    k2d = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], np.float32)
    h, w = gray.shape
    m_aff = cv2.getRotationMatrix2D((w / 2, h / 2), 17, 0.9)
    m_persp = cv2.getPerspectiveTransform(
        np.float32([[0, 0], [w, 0], [w, h], [0, h]]),
        np.float32([[10, 20], [w - 30, 5], [w - 5, h - 15], [25, h - 10]]))
    ys, xs = np.indices((h, w), dtype=np.float32)
    map1 = xs + 3.0 * np.sin(ys / 17.0)
    map2 = ys + 2.0 * np.cos(xs / 23.0)
    templ = gray[100:140, 200:260].copy()

    res = {}
    res["resize"] = cv2.resize(color, (333, 211))
    res["resize_fx"] = cv2.resize(csub, None, fx=1.7, fy=0.6,
                                  interpolation=cv2.INTER_CUBIC)
    res["resize_area"] = cv2.resize(gray, (100, 70),
                                    interpolation=cv2.INTER_AREA)
    res["cvtColor"] = cv2.cvtColor(color, cv2.COLOR_BGR2HSV)
    res["cvtColor_sub"] = cv2.cvtColor(csub, cv2.COLOR_BGR2GRAY)
    res["cvtColor_lab"] = cv2.cvtColor(fruits, cv2.COLOR_BGR2Lab)
    res["GaussianBlur"] = cv2.GaussianBlur(color, (7, 7), 1.5)
    res["GaussianBlur_sub"] = cv2.GaussianBlur(csub, (9, 9), 0)
    res["GaussianBlur_f32"] = cv2.GaussianBlur(f32, (5, 5), 2.0, sigmaY=0.7,
                                               borderType=cv2.BORDER_REFLECT)
    res["medianBlur"] = cv2.medianBlur(color, 5)
    res["medianBlur_sub"] = cv2.medianBlur(gsub, 3)
    res["blur"] = cv2.blur(color, (5, 3))
    res["blur_sub"] = cv2.blur(gsub, (7, 7), anchor=(1, 2))
    res["boxFilter"] = cv2.boxFilter(gray, cv2.CV_32F, (4, 4),
                                     normalize=False)
    res["bilateralFilter"] = cv2.bilateralFilter(csub, 9, 75, 75)
    t, res["threshold"] = cv2.threshold(gray, 127, 255, cv2.THRESH_BINARY)
    res["threshold_ret"] = np.float64(t)
    t, res["threshold_otsu"] = cv2.threshold(gsub, 0, 255,
                                             cv2.THRESH_BINARY |
                                             cv2.THRESH_OTSU)
    res["threshold_otsu_ret"] = np.float64(t)
    res["adaptiveThreshold"] = cv2.adaptiveThreshold(
        gray, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, 11, 2)
    res["Canny"] = cv2.Canny(gray, 50, 150)
    res["Canny_sub"] = cv2.Canny(gsub, 30, 90, apertureSize=5,
                                 L2gradient=True)
    res["Sobel"] = cv2.Sobel(gray, cv2.CV_16S, 1, 0, ksize=3)
    res["Sobel_sub"] = cv2.Sobel(gsub, cv2.CV_32F, 1, 1, ksize=5, scale=0.5)
    res["Scharr"] = cv2.Scharr(gray, cv2.CV_32F, 0, 1)
    res["Laplacian"] = cv2.Laplacian(gray, cv2.CV_16S, ksize=3)
    res["filter2D"] = cv2.filter2D(color, -1, k2d)
    res["erode"] = cv2.erode(gray, kernel, iterations=2)
    res["erode_sub"] = cv2.erode(gsub, None)
    res["dilate"] = cv2.dilate(color, kernel, borderType=cv2.BORDER_CONSTANT,
                               borderValue=(10, 20, 30))
    res["morphologyEx"] = cv2.morphologyEx(gray, cv2.MORPH_GRADIENT, kernel)
    res["warpAffine"] = cv2.warpAffine(gray, m_aff, (w, h))
    res["warpPerspective"] = cv2.warpPerspective(
        color, m_persp, (fruits.shape[1], fruits.shape[0]),
        borderMode=cv2.BORDER_REFLECT)
    res["remap"] = cv2.remap(gray, map1, map2, cv2.INTER_LINEAR)
    res["equalizeHist"] = cv2.equalizeHist(gray)
    res["equalizeHist_sub"] = cv2.equalizeHist(gsub)
    res["matchTemplate"] = cv2.matchTemplate(gray, templ, cv2.TM_CCOEFF_NORMED)
    res["calcHist"] = cv2.calcHist([gray], [0], None, [256], [0, 256])
    # two channels of a view, under a mask, as a 2-d histogram
    mask = np.zeros(csub.shape[:2], np.uint8)
    mask[30:200, 40:300] = 255
    res["calcHist_2d"] = cv2.calcHist([csub], [0, 2], mask, [30, 32],
                                      [0, 256, 0, 256])
    # three channels: a 3-dimensional histogram
    res["calcHist_3d"] = cv2.calcHist([color], [0, 1, 2], None, [8, 8, 8],
                                      [0, 256, 0, 256, 0, 256])
    # two images of one size, the second's channel counted after the
    # first's, and a histogram accumulated over two calls
    acc = cv2.calcHist([gray, np.ascontiguousarray(gray[::-1])], [0, 1],
                       None, [16, 16],
                       [0, 256, 0, 256])
    res["calcHist_two"] = acc.copy()
    h1 = cv2.calcHist([gray], [0], None, [64], [0, 256])
    cv2.calcHist([fruits], [1], None, [64], [0, 256], hist=h1,
                 accumulate=True)
    res["calcHist_accumulate"] = h1
    res["faces"], res["faces_again"] = faces(data)
    if len(res["faces"]) == 0:
        print("no face found in messi5.jpg", file=sys.stderr)
        return 1
    # in place: dst is src (a whole image and a view)
    x = color.copy()
    cv2.GaussianBlur(x, (5, 5), 1.2, dst=x)
    res["inplace_GaussianBlur"] = x
    y = gray.copy()
    v = y[20:200, 30:300]
    cv2.medianBlur(v, 5, dst=v)
    res["inplace_medianBlur_view"] = y
    z = gray.copy()
    cv2.threshold(z, 90, 255, cv2.THRESH_TOZERO, dst=z)
    res["inplace_threshold"] = z

    errors = {}
    bad = {
        "GaussianBlur_even_ksize": lambda: cv2.GaussianBlur(color, (4, 4), 1),
        "cvtColor_channels": lambda: cv2.cvtColor(gray, cv2.COLOR_BGR2GRAY),
        "medianBlur_even": lambda: cv2.medianBlur(color, 4),
        "Sobel_ksize": lambda: cv2.Sobel(gray, cv2.CV_16S, 1, 0, ksize=4),
        "adaptiveThreshold_block": lambda: cv2.adaptiveThreshold(
            gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 4, 2),
        "equalizeHist_color": lambda: cv2.equalizeHist(color),
        "calcHist_channel": lambda: cv2.calcHist([gray], [3], None, [16],
                                                 [0, 256]),
    }
    for name, call in bad.items():
        try:
            call()
            errors[name] = None
        except cv2.error as e:
            errors[name] = [e.code, str(e)]
    np.savez(out + ".npz", **res)
    with open(out + ".errors", "w") as f:
        json.dump(errors, f, indent=1, sort_keys=True)
    print("%d results, %d errors" % (len(res),
                                     sum(v is not None for v in
                                         errors.values())))
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[3] == "cascade-only":
        sys.exit(cascade_only(sys.argv[1], sys.argv[2]))
    sys.exit(main(sys.argv[1], sys.argv[2]))
