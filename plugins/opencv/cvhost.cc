// SPDX-License-Identifier: Apache-2.0
/*
 * plugins/opencv: OpenCV's image processing on the host, one op per
 * function of codegen/specs/opencv.spec (the op functions are generated:
 * opencv_ops_gen.cc). This file: images in, results and exceptions out.
 */
#include "cvhost.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace cv_host {

namespace {

class Charged : public cv::MatAllocator {
public:
	cv::UMatData *allocate(int dims, const int *sizes, int type, void *data,
			       size_t *step, cv::AccessFlag flags,
			       cv::UMatUsageFlags usage) const override
	{
		const cv::MatAllocator *std = cv::Mat::getStdAllocator();
		uint64_t bytes = CV_ELEM_SIZE(type), ticket = 0;
		for (int d = 0; d < dims; d++)
			if (sizes[d] < 0 ||
			    __builtin_mul_overflow(bytes, (uint64_t)sizes[d],
						   &bytes))
				throw Refused();
		if (!data && vaccel_call_charge(bytes, &ticket))
			throw Refused();
		cv::UMatData *u;
		try {
			u = std->allocate(dims, sizes, type, data, step, flags,
					  usage);
		} catch (...) {
			vaccel_call_uncharge(ticket, bytes);
			throw;
		}
		u->currAllocator = this;
		u->userdata = reinterpret_cast<void *>(ticket);
		return u;
	}
	bool allocate(cv::UMatData *u, cv::AccessFlag flags,
		      cv::UMatUsageFlags usage) const override
	{
		return cv::Mat::getStdAllocator()->allocate(u, flags, usage);
	}
	void deallocate(cv::UMatData *u) const override
	{
		if (!u)
			return;
		uint64_t ticket = reinterpret_cast<uint64_t>(u->userdata);
		uint64_t bytes = u->size;
		bool own = !(u->flags & cv::UMatData::USER_ALLOCATED);
		cv::Mat::getStdAllocator()->deallocate(u);
		if (own)
			vaccel_call_uncharge(ticket, bytes);
	}
};

Charged charged;
std::once_flag charging;
bool installed;

} // namespace

void charge_mats()
{
	if (!vaccel_call_charged())
		return;
	std::call_once(charging, [] {
		cv::Mat::setDefaultAllocator(&charged);
		installed = true;
	});
}

void uncharge_mats()
{
	/* Mats it made may outlive the plugin's fini: the plugin stays
	 * mapped (-z nodelete) */
	if (installed)
		cv::Mat::setDefaultAllocator(cv::Mat::getStdAllocator());
}

std::string raw_err(const cv::Exception &e)
{
	if (e.err.find('\n') == std::string::npos)
		return e.err;
	/* undo formatMessage(): "> " before every line, and a newline at
	 * the end when the message had none */
	std::string raw;
	size_t pos = 0;
	bool ok = true;
	while (ok && pos < e.err.size()) {
		size_t nl = e.err.find('\n', pos);
		ok = !e.err.compare(pos, 2, "> ");
		size_t end = nl == std::string::npos ? e.err.size() : nl;
		raw.append(e.err, pos + 2, end - pos - 2);
		if (nl == std::string::npos)
			break;
		raw.push_back('\n');
		pos = nl + 1;
	}
	if (ok && !raw.empty() && raw.back() == '\n' &&
	    e.err.back() == '\n')
		raw.pop_back();
	/* kept only if the guest's constructor makes the same message */
	if (ok && cv::Exception(e.code, raw, e.func, e.file, e.line).msg == e.msg)
		return raw;
	return e.err;
}

bool mat_of(const struct vaccel_tensor *t, cv::Mat &m)
{
	if (t->ndim == 1 && t->dims[0] == 0) {
		m = cv::Mat(); /* an absent array */
		return true;
	}
	if (!cv_wire_image(t))
		return false;
	int nd = (int)t->ndim - 1;
	int type = CV_MAKETYPE(cv_wire_depth(t->dtype), (int)t->dims[nd]);
	uchar *base = static_cast<uchar *>(t->data);
	if (nd > 2) {
		/* n-dimensional: dense only */
		int size[VACCEL_TENSOR_MAX_DIMS];
		for (int d = 0; d < nd; d++)
			size[d] = (int)t->dims[d];
		if (vaccel_tensor_strided(t) || !t->size ||
		    (double)t->size != cv_wire_bytes(t))
			return false;
		m = cv::Mat(nd, size, type, base);
		return true;
	}
	int rows = (int)t->dims[0], cols = (int)t->dims[1];
	if (!rows || !cols) {
		m = cv::Mat(rows, cols, type);
		return true;
	}
	size_t esz1 = vaccel_dtype_size(t->dtype);
	size_t esz = esz1 * (size_t)t->dims[2];
	if (!vaccel_tensor_strided(t)) {
		m = cv::Mat(rows, cols, type, base);
		return true;
	}
	/* a view: pixels a row apart, a pixel's channels together, as a Mat
	 * is laid out; the codec has checked that its span is in data */
	if (t->strides[1] != (int64_t)esz || t->strides[2] != (int64_t)esz1 ||
	    t->strides[0] < (int64_t)((size_t)cols * esz) ||
	    t->offset % esz1)
		return false;
	m = cv::Mat(rows, cols, type, base + t->offset, (size_t)t->strides[0]);
	/* the image it was cut from, which locateROI() and the filters'
	 * borders see, as the guest's Mat has it */
	m.datastart = base;
	m.dataend = base + t->size;
	m.datalimit = m.dataend;
	/* and the flag that makes them look there, which a Mat cut with
	 * Mat(Rect) has when it is smaller than its image */
	size_t view = (size_t)(rows - 1) * (size_t)t->strides[0] +
		      (size_t)cols * esz;
	if (t->offset || t->size > view)
		m.flags |= cv::Mat::SUBMATRIX_FLAG;
	return true;
}

bool mat_of(const struct vaccel_oparg *a, uint32_t arg, cv::Mat &m)
{
	return a[arg].len == 1 &&
	       mat_of(static_cast<const struct vaccel_tensor *>(a[arg].buf), m);
}

bool Call::list(uint32_t arg, std::vector<cv::Mat> &v)
{
	const struct vaccel_tensor *t =
	    static_cast<const struct vaccel_tensor *>(a_[arg].buf);
	v.resize(a_[arg].len);
	for (size_t i = 0; i < v.size(); i++)
		if (!mat_of(&t[i], v[i]) || v[i].empty())
			return false;
	return !v.empty();
}

template <class T>
static bool numbers(const struct vaccel_oparg &x, uint32_t dtype,
		    std::vector<T> &v)
{
	const struct vaccel_tensor *t =
	    static_cast<const struct vaccel_tensor *>(x.buf);
	if (x.len != 1 || t->dtype != dtype || t->ndim != 1 ||
	    vaccel_tensor_strided(t) ||
	    t->size != (uint64_t)t->dims[0] * sizeof(T))
		return false;
	const T *p = static_cast<const T *>(t->data);
	v.assign(p, p + t->dims[0]);
	return true;
}

bool Call::list(uint32_t arg, std::vector<int> &v)
{
	return numbers(a_[arg], VACCEL_DTYPE_I32, v);
}

bool Call::list(uint32_t arg, std::vector<float> &v)
{
	return numbers(a_[arg], VACCEL_DTYPE_F32, v);
}

bool Call::prior(uint32_t arg, uint32_t j)
{
	cv::Mat m;
	if (j >= nr_images_ || kinds_[j] != 'i' || !mat_of(a_, arg, m))
		return false;
	/* the output starts as what it held on the guest */
	if (!m.empty())
		m.copyTo(o[j]);
	return true;
}

Objects &objects()
{
	/* never destroyed: the core may unregister resources at exit */
	static Objects *o = new Objects;
	return *o;
}

int forget(void *, struct vaccel_resource *res, struct vaccel_session *)
{
	Objects &o = objects();
	std::lock_guard<std::mutex> held(o.lock);
	for (auto it = o.by_res.begin(); it != o.by_res.end();)
		it = it->first.first == res->id ? o.by_res.erase(it) : ++it;
	return VACCEL_OK;
}

bool resource_file(struct vaccel_resource *res, std::string &path)
{
	if (res->nr_files != 1 || !res->files[0]->name)
		return false;
	char dir[4096];
	char *alloc = nullptr;
	if (vaccel_resource_directory(res, dir, sizeof(dir), &alloc))
		return false;
	path = std::string(alloc ? alloc : dir) + "/" + res->files[0]->name;
	free(alloc);
	return true;
}

Call::Call(struct vaccel_oparg *a, uint32_t outputs, const char *kinds,
	   bool has_ret)
    : a_(a), outputs_(outputs), nr_images_((uint32_t)strlen(kinds)),
      kinds_(kinds), has_ret_(has_ret)
{
	charge_mats();
	ok_ = nr_images_ <= MAX_OUTPUTS &&
	      a[outputs].len == nr_images_ + (has_ret ? 1 : 0) + 1;
}

/* An output's bytes, charged to the caller until its reply has gone. */
static void *output_alloc(size_t n)
{
	uint64_t ticket;
	if (vaccel_call_charge(n, &ticket))
		return nullptr;
	return malloc(n ? n : 1);
}

static void *copy_of(const void *p, size_t n)
{
	void *q = output_alloc(n);
	if (q)
		memcpy(q, p, n);
	return q;
}

int Call::raised(int code, const std::string &func, const std::string &file,
		 const std::string &err, int line)
{
	struct vaccel_tensor *t =
	    static_cast<struct vaccel_tensor *>(a_[outputs_].buf);
	struct vaccel_tensor *exc = &t[a_[outputs_].len - 1];
	std::string text = func;
	text.push_back('\0');
	text += file;
	text.push_back('\0');
	text += err;
	text.push_back('\0');
	exc->data = copy_of(text.data(), text.size());
	if (!exc->data)
		return VACCEL_ENOMEM;
	exc->size = text.size();
	exc->dtype = (uint32_t)code;
	exc->ndim = 1;
	exc->dims[0] = line;
	return VACCEL_OK;
}

/* Output j, a vector of rectangles (I32 {n, 4}: x, y, width, height)
 * or of keypoints (F64 {n, 7}: x, y, size, angle, response, octave,
 * class_id). */
int Call::vectors(uint32_t j, struct vaccel_tensor &t)
{
	bool r = kinds_[j] == 'r';
	size_t n = r ? rects[j].size() : points[j].size();
	size_t w = r ? 4 : 7, esz = r ? sizeof(int32_t) : sizeof(double);
	void *p = output_alloc(n * w * esz);
	if (!p)
		return VACCEL_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (r) {
			const cv::Rect &x = rects[j][i];
			int32_t *q = static_cast<int32_t *>(p) + w * i;
			q[0] = x.x;
			q[1] = x.y;
			q[2] = x.width;
			q[3] = x.height;
		} else {
			const cv::KeyPoint &k = points[j][i];
			double *q = static_cast<double *>(p) + w * i;
			q[0] = k.pt.x;
			q[1] = k.pt.y;
			q[2] = k.size;
			q[3] = k.angle;
			q[4] = k.response;
			q[5] = k.octave;
			q[6] = k.class_id;
		}
	}
	t.data = p;
	t.size = n * w * esz;
	t.dtype = r ? VACCEL_DTYPE_I32 : VACCEL_DTYPE_F64;
	t.ndim = 2;
	t.dims[0] = (int64_t)n;
	t.dims[1] = (int64_t)w;
	return VACCEL_OK;
}

int Call::results()
{
	struct vaccel_tensor *t =
	    static_cast<struct vaccel_tensor *>(a_[outputs_].buf);
	int ret = VACCEL_OK;
	for (uint32_t j = 0; j < nr_images_ && !ret; j++) {
		if (kinds_[j] == 'r' || kinds_[j] == 'k') {
			ret = vectors(j, t[j]);
			continue;
		}
		const cv::Mat &m = o[j];
		int dtype = cv_wire_dtype(m.depth());
		if (m.dims < 2 || m.dims >= VACCEL_TENSOR_MAX_DIMS ||
		    dtype < 0 || (m.dims > 2 && !m.isContinuous())) {
			ret = VACCEL_ENOTSUP;
			break;
		}
		size_t n = m.total() * m.elemSize();
		uchar *p = static_cast<uchar *>(output_alloc(n));
		if (!p) {
			ret = VACCEL_ENOMEM;
			break;
		}
		if (m.dims > 2) {
			memcpy(p, m.data, n);
		} else {
			size_t row = (size_t)m.cols * m.elemSize();
			for (int y = 0; y < m.rows; y++)
				memcpy(p + (size_t)y * row, m.ptr(y), row);
		}
		t[j].data = p;
		t[j].size = n;
		t[j].dtype = (uint32_t)dtype;
		t[j].ndim = (uint32_t)m.dims + 1;
		for (int d = 0; d < m.dims; d++)
			t[j].dims[d] = m.size[d];
		t[j].dims[m.dims] = m.channels();
	}
	if (!ret && has_ret_) {
		struct vaccel_tensor *rt = &t[nr_images_];
		rt->data = copy_of(&r, sizeof(r));
		if (!rt->data)
			ret = VACCEL_ENOMEM;
		rt->size = sizeof(r);
		rt->dtype = VACCEL_DTYPE_F64;
		rt->ndim = 1;
		rt->dims[0] = 1;
	}
	if (ret) {
		/* on an error nothing is left allocated */
		for (uint64_t j = 0; j < a_[outputs_].len; j++) {
			free(t[j].data);
			t[j] = (struct vaccel_tensor){};
		}
	}
	return ret;
}

} // namespace cv_host

/* ---- vAccel's generic opencv op ------------------------------------------ */

namespace cv_host {

namespace {

/* An image header of the generic op: rows, cols, OpenCV type. */
struct Header {
	int32_t rows, cols, type;
};

const Fn *fn_named(const char *name, const struct vaccel_op_desc **desc)
{
	std::string op = std::string("cv_") + name;
	for (size_t i = op.find("::"); i != std::string::npos;
	     i = op.find("::"))
		op.replace(i, 2, "_");
	*desc = vaccel_op_desc_by_name(op.c_str());
	for (size_t i = 0; *desc && i < nr_fns; i++)
		if (fns[i].op_id == (*desc)->id)
			return &fns[i];
	return nullptr;
}

/* The text cv::Exception gives what the typed op caught. */
std::string exception_text(const struct vaccel_tensor *exc)
{
	const char *func = "", *file = "", *err = "";
	cv_wire_exception(exc, &func, &file, &err); /* ours: well formed */
	return cv::Exception((int)exc->dtype, err, func, file,
			     (int)exc->dims[0])
	    .msg;
}

} // namespace

int generic(void *priv, struct vaccel_session *sess,
	    const struct vaccel_op_desc *, struct vaccel_oparg *a)
{
	struct vaccel_arg *rd = static_cast<struct vaccel_arg *>(
	    a[VACCEL_OPENCV_READ].buf);
	struct vaccel_arg *wr = static_cast<struct vaccel_arg *>(
	    a[VACCEL_OPENCV_WRITE].buf);
	uint64_t n_rd = a[VACCEL_OPENCV_READ].len;
	uint64_t n_wr = a[VACCEL_OPENCV_WRITE].len;
	if (!n_rd || !rd[0].size ||
	    static_cast<const char *>(rd[0].buf)[rd[0].size - 1])
		return VACCEL_EINVAL; /* read[0]: the function's name */
	const struct vaccel_op_desc *d = nullptr;
	const Fn *f = fn_named(static_cast<const char *>(rd[0].buf), &d);
	if (!f || f->typed_only)
		return VACCEL_ENOTSUP; /* not one of ours, or needs an object */
	size_t nr_images = strlen(f->kinds);
	size_t nr_results = nr_images + f->has_ret + 1;
	if (n_wr != 2 * nr_images + f->has_ret + 1)
		return VACCEL_EINVAL;
	std::vector<struct vaccel_oparg> args(d->nr_args);
	std::vector<struct vaccel_tensor> tin(d->nr_args);
	std::vector<struct vaccel_tensor> tout(nr_results);
	uint64_t k = 1;
	for (uint32_t i = 0; i < d->nr_args; i++) {
		struct vaccel_oparg &x = args[i];
		x = {};
		switch (d->args[i].kind) {
		case VACCEL_ARGK_SCALAR: {
			bool f64 = d->args[i].type == VACCEL_ARGT_F64;
			if (k >= n_rd || rd[k].size != (f64 ? 8u : 4u))
				return VACCEL_EINVAL;
			if (f64) {
				memcpy(&x.v.f64, rd[k].buf, 8);
			} else {
				int32_t v;
				memcpy(&v, rd[k].buf, 4);
				x.v.i = v;
			}
			k++;
			break;
		}
		case VACCEL_ARGK_TENSORS_IN: {
			if (k + 1 >= n_rd || rd[k].size != sizeof(Header))
				return VACCEL_EINVAL;
			Header h;
			memcpy(&h, rd[k].buf, sizeof(h));
			struct vaccel_tensor &t = tin[i];
			t = {};
			int dtype = cv_wire_dtype(CV_MAT_DEPTH(h.type));
			if (h.rows < 0 || h.cols < 0 || dtype < 0)
				return VACCEL_EINVAL;
			if (!h.rows && !h.cols) {
				t.dtype = VACCEL_DTYPE_U8; /* absent */
				t.ndim = 1;
			} else {
				t.dtype = (uint32_t)dtype;
				t.ndim = 3;
				t.dims[0] = h.rows;
				t.dims[1] = h.cols;
				t.dims[2] = CV_MAT_CN(h.type);
				t.data = rd[k + 1].buf;
				t.size = rd[k + 1].size;
				uint64_t want = 0;
				if (vaccel_tensor_span(&t,
						       vaccel_dtype_size(t.dtype),
						       &want) ||
				    want != t.size)
					return VACCEL_EINVAL;
			}
			x.buf = &t;
			x.len = 1;
			k += 2;
			break;
		}
		case VACCEL_ARGK_TENSORS_OUT:
			x.buf = tout.data();
			x.len = nr_results;
			break;
		default:
			return VACCEL_ENOTSUP;
		}
	}
	if (k != n_rd)
		return VACCEL_EINVAL;
	int ret = f->fn(priv, sess, d, args.data());
	if (ret)
		return ret;
	/* the status, last: OpenCV's error code (0: none) and its own text,
	 * which a call that ran returns with VACCEL_OK, as a failed call's
	 * outputs do not travel */
	const struct vaccel_tensor *exc = &tout[nr_results - 1];
	struct vaccel_arg *st = &wr[n_wr - 1];
	if (st->size < sizeof(int32_t) + 1) {
		ret = VACCEL_EINVAL;
	} else if (exc->size) {
		std::string text = exception_text(exc);
		int32_t code = (int32_t)exc->dtype;
		size_t n = std::min<size_t>(text.size(),
					    st->size - sizeof(code) - 1);
		char *p = static_cast<char *>(st->buf);
		memcpy(p, &code, sizeof(code));
		memcpy(p + sizeof(code), text.data(), n);
		p[sizeof(code) + n] = '\0';
	} else {
		memset(st->buf, 0, sizeof(int32_t) + 1);
		for (size_t j = 0; j < nr_images && !ret; j++) {
			const struct vaccel_tensor &t = tout[j];
			if (t.ndim != 3) {
				ret = VACCEL_ENOTSUP; /* not rows x cols */
				break;
			}
			Header h = {(int32_t)t.dims[0], (int32_t)t.dims[1],
				    CV_MAKETYPE(cv_wire_depth(t.dtype),
						(int)t.dims[2])};
			if (wr[2 * j].size != sizeof(h) ||
			    wr[2 * j + 1].size < t.size) {
				ret = VACCEL_ENOSPC;
				break;
			}
			memcpy(wr[2 * j].buf, &h, sizeof(h));
			memcpy(wr[2 * j + 1].buf, t.data, t.size);
		}
		if (!ret && f->has_ret) {
			const struct vaccel_tensor &t = tout[nr_images];
			if (wr[2 * nr_images].size != sizeof(double))
				ret = VACCEL_EINVAL;
			else
				memcpy(wr[2 * nr_images].buf, t.data,
				       sizeof(double));
		}
	}
	for (auto &t : tout)
		free(t.data);
	return ret;
}

} // namespace cv_host
