// SPDX-License-Identifier: Apache-2.0
/*
 * The OpenCV family's runtime piece, C++ side (cvshim.hpp): images into
 * tensors through their proxies, results back through the outputs' own
 * create(), and the host's exceptions raised by the program's OpenCV.
 */
#include "cvshim.hpp"
#include "cvwire.h"

#include <dlfcn.h>
#include <atomic>
#include <fstream>
#include <sstream>
#include <unordered_map>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <string>

namespace shim_cv {
namespace {

/* OpenCV's exported functions the shim calls, member functions as the
 * Itanium C++ ABI passes them (this first; a class returned by value
 * through a hidden pointer before it). */
struct Rt {
	int (*version_major)();
	int (*version_minor)();
	int (*kind)(const cv::_InputArray *self);
	size_t (*total)(const cv::_InputArray *self, int i);
	void (*get_mat)(cv::Mat *ret, const cv::_InputArray *self, int i);
	void (*create)(const cv::_OutputArray *self, int rows, int cols,
		       int type, int i, bool allow_transposed, int depth_mask);
	void (*create_nd)(const cv::_OutputArray *self, int dims,
			  const int *size, int type, int i,
			  bool allow_transposed, int depth_mask);
	void (*mat_free)(cv::Mat *self);
	void (*error)(int code, const std::string &err, const char *func,
		      const char *file, int line);
};

Rt rt;
/* 0 not looked up yet, 1 ready, -1 off for the rest of the process */
std::atomic<int> state{0};
std::once_flag once;
bool all_callers;

template <class F> bool lookup(unsigned int k, F &slot, const char *name)
{
	slot = reinterpret_cast<F>(shim_cv_bridge_sym(k, name));
	return slot != nullptr;
}

void set_up(unsigned int k)
{
	const char *v = getenv("VACCEL_SHIM_OPENCV_CALLERS");
	all_callers = v && !strcmp(v, "all");
	if (v && *v && !all_callers && strcmp(v, "outside"))
		shim_cv_bridge_say("VACCEL_SHIM_OPENCV_CALLERS is not outside "
				   "or all; using outside");
	bool found =
	    lookup(k, rt.version_major, "_ZN2cv15getVersionMajorEv") &&
	    lookup(k, rt.version_minor, "_ZN2cv15getVersionMinorEv") &&
	    lookup(k, rt.kind, "_ZNK2cv11_InputArray4kindEv") &&
	    lookup(k, rt.total, "_ZNK2cv11_InputArray5totalEi") &&
	    lookup(k, rt.get_mat, "_ZNK2cv11_InputArray7getMat_Ei") &&
	    lookup(k, rt.create,
		   "_ZNK2cv12_OutputArray6createEiiiibNS0_9DepthMaskE") &&
	    lookup(k, rt.create_nd,
		   "_ZNK2cv12_OutputArray6createEiPKiiibNS0_9DepthMaskE") &&
	    lookup(k, rt.mat_free, "_ZN2cv3MatD1Ev") &&
	    lookup(k, rt.error,
		   "_ZN2cv5errorEiRKNSt7__cxx1112basic_stringIcSt11char_"
		   "traitsIcESaIcEEEPKcS9_i");
	if (!found) {
		shim_cv_bridge_say("the program's OpenCV does not export what "
				   "the shim needs; every call runs locally");
		state = -1;
		return;
	}
	int major = rt.version_major(), minor = rt.version_minor();
	if (major != CV_VERSION_MAJOR || minor != CV_VERSION_MINOR) {
		char msg[160];
		snprintf(msg, sizeof(msg),
			 "the program's OpenCV is %d.%d, the shim was built for "
			 "%d.%d; every call runs locally",
			 major, minor, CV_VERSION_MAJOR, CV_VERSION_MINOR);
		shim_cv_bridge_say(msg);
		state = -1;
		return;
	}
	state = 1;
}

/* The caller is one of OpenCV's own libraries. */
bool from_opencv(const void *caller)
{
	Dl_info info;
	if (!dladdr(caller, &info) || !info.dli_fname)
		return false;
	const char *base = strrchr(info.dli_fname, '/');
	base = base ? base + 1 : info.dli_fname;
	return !strncmp(base, "libopencv_", 10);
}

/* A Mat header from a proxy (of its i-th array, for a list), destroyed
 * by OpenCV's own destructor. */
class MatRef {
public:
	MatRef(const cv::_InputArray *x, int i = -1)
	{
		rt.get_mat(reinterpret_cast<cv::Mat *>(buf_), x, i);
	}
	~MatRef() { rt.mat_free(reinterpret_cast<cv::Mat *>(buf_)); }
	MatRef(const MatRef &) = delete;
	MatRef &operator=(const MatRef &) = delete;
	const cv::Mat *operator->() const
	{
		return reinterpret_cast<const cv::Mat *>(buf_);
	}

private:
	alignas(cv::Mat) unsigned char buf_[sizeof(cv::Mat)];
};

} // namespace

bool wants(unsigned int k, const void *caller)
{
	if (!shim_cv_bridge_wants(k))
		return false;
	if (state.load(std::memory_order_acquire) == 0)
		std::call_once(once, set_up, k);
	if (state.load(std::memory_order_acquire) != 1)
		return false;
	return all_callers || !from_opencv(caller);
}

void *real(unsigned int k)
{
	return shim_cv_bridge_real(k);
}

/* ---- followed objects ------------------------------------------------ */

/* The file a followed object was loaded from, and the resource it went to
 * the host as (on first use; dropped with the last object holding it). */
struct Blob {
	std::string name, data;
	std::mutex lock;
	struct vaccel_resource *res = nullptr;
	~Blob()
	{
		if (res)
			shim_cv_bridge_drop(res);
	}
};

namespace {
std::mutex objects_lock;
/* never destroyed: objects may be destroyed after static destructors */
auto *objects = new std::unordered_map<const void *, std::shared_ptr<Blob>>;
} // namespace

void objects_loaded(const void *self, const std::string &path, bool ok)
{
	std::shared_ptr<Blob> b;
	if (ok) {
		std::ifstream f(path, std::ios::binary);
		std::ostringstream text;
		text << f.rdbuf();
		b = std::make_shared<Blob>();
		b->data = text.str();
		size_t slash = path.rfind('/');
		b->name = slash == std::string::npos ? path
						      : path.substr(slash + 1);
		/* a file that cannot be read here is not offloaded */
		if (!f || b->data.empty() || b->name.empty())
			b.reset();
	}
	std::lock_guard<std::mutex> held(objects_lock);
	if (b)
		(*objects)[self] = b;
	else
		objects->erase(self);
}

void objects_gone(const void *self)
{
	std::shared_ptr<Blob> b;
	{
		std::lock_guard<std::mutex> held(objects_lock);
		auto it = objects->find(self);
		if (it == objects->end())
			return;
		b = std::move(it->second);
		objects->erase(it);
	}
	/* b, if the last holder, drops the resource here, unlocked */
}

/* ---- calls --------------------------------------------------------------- */

Call::Call(unsigned int k, uint32_t op_id, uint32_t nr_args,
	   const char *kinds, bool has_ret)
    : k_(k), op_id_(op_id), nr_args_(nr_args),
      nr_results_((uint32_t)strlen(kinds) + (has_ret ? 1 : 0) + 1),
      has_ret_(has_ret), bad_(nr_args > MAX_ARGS || !nr_args),
      nr_in_(0), elems_(-1), r_(0), kinds_(kinds),
      nr_outputs_((uint32_t)strlen(kinds))
{
	bad_ = bad_ || nr_results_ > MAX_TENSORS;
	memset(a, 0, sizeof(a));
	memset(tin_, 0, sizeof(tin_));
	memset(tout_, 0, sizeof(tout_));
	memset(outs_, 0, sizeof(outs_));
	memset(rects_, 0, sizeof(rects_));
	memset(points_, 0, sizeof(points_));
}

bool Call::result(uint32_t j, std::vector<cv::Rect> &x)
{
	if (bad_ || j >= nr_outputs_ || kinds_[j] != 'r')
		return false;
	rects_[j] = &x;
	return true;
}

bool Call::result(uint32_t j, std::vector<cv::KeyPoint> &x)
{
	if (bad_ || j >= nr_outputs_ || kinds_[j] != 'k')
		return false;
	points_[j] = &x;
	return true;
}

bool Call::object(uint32_t arg, const void *self)
{
	if (bad_ || arg >= nr_args_)
		return false;
	{
		std::lock_guard<std::mutex> held(objects_lock);
		auto it = objects->find(self);
		if (it == objects->end())
			return false; /* not loaded from a file seen here */
		blob_ = it->second;
	}
	std::lock_guard<std::mutex> held(blob_->lock);
	if (!blob_->res &&
	    shim_cv_bridge_upload(blob_->name.c_str(), blob_->data.data(),
				  blob_->data.size(), &blob_->res))
		return false;
	a[arg].buf = blob_->res;
	return true;
}

/* A vector of rectangles (I32 {n, 4}) or of keypoints (F64 {n, 7}) from
 * its tensor (cvwire.h); with check, only whether it is one. */
bool Call::write_vector(uint32_t j, const struct vaccel_tensor *t,
			bool check)
{
	bool r = kinds_[j] == 'r';
	uint32_t dtype = r ? VACCEL_DTYPE_I32 : VACCEL_DTYPE_F64;
	int64_t w = r ? 4 : 7;
	size_t esz = r ? sizeof(int32_t) : sizeof(double);
	if (t->dtype != dtype || t->ndim != 2 || t->dims[1] != w ||
	    t->dims[0] < 0 || t->dims[0] > INT32_MAX ||
	    t->size != (uint64_t)t->dims[0] * (uint64_t)w * esz ||
	    !(r ? (void *)rects_[j] : (void *)points_[j]))
		return false;
	if (check)
		return true;
	size_t n = (size_t)t->dims[0];
	if (r) {
		const int32_t *v = static_cast<const int32_t *>(t->data);
		std::vector<cv::Rect> &out = *rects_[j];
		out.resize(n);
		for (size_t i = 0; i < n; i++)
			out[i] = cv::Rect(v[4 * i], v[4 * i + 1], v[4 * i + 2],
					  v[4 * i + 3]);
		return true;
	}
	const double *v = static_cast<const double *>(t->data);
	std::vector<cv::KeyPoint> &out = *points_[j];
	out.resize(n);
	for (size_t i = 0; i < n; i++) {
		const double *q = v + 7 * i;
		out[i] = cv::KeyPoint((float)q[0], (float)q[1], (float)q[2],
				      (float)q[3], (float)q[4], (int)q[5],
				      (int)q[6]);
	}
	return true;
}

/* Output j from its tensor (checked by cv_wire_image), through its
 * proxy's create(). */
void Call::write_image(uint32_t j, const struct vaccel_tensor *t)
{
	int nd = (int)t->ndim - 1;
	int size[VACCEL_TENSOR_MAX_DIMS];
	for (int d = 0; d < nd; d++)
		size[d] = (int)t->dims[d];
	int type = CV_MAKETYPE(cv_wire_depth(t->dtype), (int)t->dims[nd]);
	if (nd == 2)
		rt.create(outs_[j], size[0], size[1], type, -1, false, 0);
	else
		rt.create_nd(outs_[j], nd, size, type, -1, false, 0);
	MatRef m(outs_[j]);
	size_t row = (size_t)size[nd - 1] * vaccel_dtype_size(t->dtype) *
		     (size_t)t->dims[nd];
	bool same = m->dims == nd && CV_MAT_TYPE(m->flags) == type;
	for (int d = 0; same && d < nd; d++)
		same = m->size.p[d] == size[d];
	if (!same) {
		shim_cv_bridge_say("an output could not take the agent's "
				   "result");
		abort();
	}
	/* row by row (a row: the last dimension), each where the output's
	 * steps put it */
	const uchar *src = static_cast<const uchar *>(t->data);
	size_t rows = row ? t->size / row : 0;
	for (size_t r = 0; r < rows; r++) {
		size_t rest = r, off = 0;
		for (int d = nd - 2; d >= 0; d--) {
			off += (rest % (size_t)size[d]) * m->step.p[d];
			rest /= (size_t)size[d];
		}
		memcpy(m->data + off, src + r * row, row);
	}
}

Call::~Call()
{
	for (uint32_t j = 0; j < nr_results_ && j < MAX_TENSORS; j++)
		free(tout_[j].data);
}

/* Tensor t over image i of proxy x (cvwire.h); false when it cannot
 * travel. */
bool Call::image(struct vaccel_tensor *t, const cv::_InputArray &x, int i)
{
	MatRef m(&x, i);
	int depth = CV_MAT_DEPTH(m->flags), cn = CV_MAT_CN(m->flags);
	int dtype = cv_wire_dtype(depth);
	if (dtype < 0 || m->dims >= VACCEL_TENSOR_MAX_DIMS)
		return false;
	size_t esz1 = vaccel_dtype_size((uint32_t)dtype);
	size_t esz = esz1 * (size_t)cn;
	/* an empty Mat (dims 0) is 0 x 0 */
	int nd = m->dims < 2 ? 2 : m->dims;
	t->dtype = (uint32_t)dtype;
	t->ndim = (uint32_t)nd + 1;
	double elems = cn;
	for (int d = 0; d < nd; d++) {
		t->dims[d] = m->dims < 2 ? 0 : m->size.p[d];
		elems *= (double)t->dims[d];
	}
	t->dims[nd] = cn;
	if (elems_ < 0)
		elems_ = elems;
	if (!elems)
		return true;
	const uchar *start = m->datastart, *end = m->dataend;
	if (m->dims > 2) {
		/* an n-dimensional array travels only whole and dense */
		if (!(m->flags & cv::Mat::CONTINUOUS_FLAG) ||
		    m->data != start)
			return false;
		t->data = const_cast<uchar *>(start);
		t->size = (uint64_t)elems * esz1;
		return true;
	}
	size_t rows = (size_t)m->rows, cols = (size_t)m->cols;
	size_t step = m->step.p[0];
	if (m->data == start && step == cols * esz &&
	    end == m->data + rows * step) {
		t->data = const_cast<uchar *>(start);
		t->size = rows * step;
		return true;
	}
	/* a view: the whole image it was cut from travels, for the pixels
	 * around it that OpenCV reads (locateROI) */
	t->data = const_cast<uchar *>(start);
	t->size = (uint64_t)(end - start);
	t->offset = (uint64_t)(m->data - start);
	t->strides[0] = (int64_t)step;
	t->strides[1] = (int64_t)esz;
	t->strides[2] = (int64_t)esz1;
	return true;
}

/* n free input tensors for argument arg; null when there are not */
struct vaccel_tensor *Call::take(uint32_t arg, uint32_t n)
{
	if (bad_ || arg >= nr_args_ || n > MAX_INPUTS - nr_in_)
		return nullptr;
	struct vaccel_tensor *t = &tin_[nr_in_];
	nr_in_ += n;
	a[arg].buf = t;
	a[arg].len = n;
	return t;
}

/* an absent array (noArray()): a tensor of no elements, one dim */
static void absent(struct vaccel_tensor *t)
{
	t->dtype = VACCEL_DTYPE_U8;
	t->ndim = 1;
}

bool Call::in(uint32_t arg, const cv::_InputArray &x)
{
	struct vaccel_tensor *t = take(arg, 1);
	if (!t)
		return false;
	int kind = rt.kind(&x) & cv::_InputArray::KIND_MASK;
	if (kind == cv::_InputArray::NONE) {
		absent(t);
		return true;
	}
	if (kind != cv::_InputArray::MAT && kind != cv::_InputArray::MATX &&
	    kind != cv::_InputArray::STD_VECTOR)
		return false; /* UMat, GpuMat, lists of arrays: local */
	return image(t, x, -1);
}

bool Call::ins(uint32_t arg, const cv::_InputArray &x)
{
	int kind = rt.kind(&x) & cv::_InputArray::KIND_MASK;
	if (kind == cv::_InputArray::MAT)
		return in(arg, x); /* one image is a list of one */
	if (kind != cv::_InputArray::STD_VECTOR_MAT &&
	    kind != cv::_InputArray::STD_ARRAY_MAT)
		return false;
	size_t n = rt.total(&x, -1);
	struct vaccel_tensor *t =
	    n && n <= MAX_INPUTS ? take(arg, (uint32_t)n) : nullptr;
	for (size_t i = 0; t && i < n; i++)
		if (!image(&t[i], x, (int)i))
			return false;
	return t != nullptr;
}

template <class T>
static bool numbers(struct vaccel_tensor *t, const std::vector<T> &v,
		    uint32_t dtype)
{
	if (!t)
		return false;
	t->dtype = dtype;
	t->ndim = 1;
	t->dims[0] = (int64_t)v.size();
	t->data = const_cast<T *>(v.data());
	t->size = v.size() * sizeof(T);
	return true;
}

bool Call::vec(uint32_t arg, const std::vector<int> &v)
{
	return numbers(take(arg, 1), v, VACCEL_DTYPE_I32);
}

bool Call::vec(uint32_t arg, const std::vector<float> &v)
{
	return numbers(take(arg, 1), v, VACCEL_DTYPE_F32);
}

bool Call::prior(uint32_t arg, const cv::_OutputArray &x, bool reads)
{
	struct vaccel_tensor *t = take(arg, 1);
	if (!t)
		return false;
	if (!reads) {
		absent(t);
		return true;
	}
	int kind = rt.kind(&x) & cv::_InputArray::KIND_MASK;
	return kind == cv::_InputArray::MAT && image(t, x, -1);
}

bool Call::out(uint32_t j, const cv::_OutputArray &x)
{
	if (bad_ || j >= nr_outputs_ || kinds_[j] != 'i')
		return false;
	/* a Mat, which the program's create() sizes and allocates */
	if ((rt.kind(&x) & cv::_InputArray::KIND_MASK) != cv::_InputArray::MAT)
		return false;
	outs_[j] = &x;
	return true;
}

int Call::run(double cost_per_elem)
{
	if (bad_ || !shim_cv_bridge_worth(cost_per_elem * elems_))
		return -1;
	uint32_t nr_images = nr_outputs_;
	a[nr_args_ - 1].buf = tout_;
	a[nr_args_ - 1].len = nr_results_;
	if (shim_cv_bridge_call(k_, op_id_, a, nr_args_,
				cost_per_elem * elems_))
		return -1;
	const struct vaccel_tensor *exc = &tout_[nr_results_ - 1];
	if (exc->size) {
		/* as the host caught it (cvwire.h) */
		const char *func, *file, *msg;
		if (cv_wire_exception(exc, &func, &file, &msg)) {
			shim_cv_bridge_say("a malformed exception from the agent; "
					   "running locally");
			return -1;
		}
		std::string err(msg), f(func), fl(file);
		int code = (int)exc->dtype;
		int line = (int)exc->dims[0];
		for (uint32_t j = 0; j < nr_results_; j++) {
			free(tout_[j].data);
			tout_[j].data = nullptr;
		}
		rt.error(code, err, f.c_str(), fl.c_str(), line);
		abort(); /* cv::error does not return */
	}
	/* check every output before writing any: an in-place call's input
	 * is its output, and a refused reply must leave it to run locally */
	for (uint32_t j = 0; j < nr_images; j++) {
		const struct vaccel_tensor *t = &tout_[j];
		if (kinds_[j] != 'i') {
			if (!write_vector(j, t, true)) {
				shim_cv_bridge_say("a malformed result from the "
						   "agent; running locally");
				return -1;
			}
			continue;
		}
		if (!outs_[j] || !cv_wire_image(t) ||
		    (double)t->size != cv_wire_bytes(t)) {
			shim_cv_bridge_say("a malformed result from the agent; "
					   "running locally");
			return -1;
		}
	}
	if (has_ret_) {
		const struct vaccel_tensor *t = &tout_[nr_images];
		if (t->size != sizeof(double) || t->dtype != VACCEL_DTYPE_F64)
			return -1;
		memcpy(&r_, t->data, sizeof(double));
	}
	for (uint32_t j = 0; j < nr_images; j++) {
		const struct vaccel_tensor *t = &tout_[j];
		if (kinds_[j] != 'i') {
			write_vector(j, t, false);
			continue;
		}
		write_image(j, t);
	}
	return 0;
}

} // namespace shim_cv
