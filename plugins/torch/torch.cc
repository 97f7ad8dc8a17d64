// SPDX-License-Identifier: Apache-2.0
/*
 * plugins/torch: vAccel's Torch ops on libtorch (Debian's libtorch-dev).
 *
 * torch_jitload_forward: the resource's one file is a TorchScript module
 * (torch.jit.save / Module::save), loaded from its bytes once per
 * resource and kept until the resource is unregistered; forward() runs
 * on the inputs, and its result (a tensor, or a tuple or list of them)
 * is the outputs. torch_sgemm: out = A B + C (addmm) for float matrices
 * A (M x K), B (K x N), C (M x N). Tensors are raw lists: the dtype is
 * vAccel's Torch type code (vaccel/ops/torch.h), outputs allocated here
 * (charged to the caller) and owned by the caller after the call.
 */
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <torch/script.h>
#include <torch/version.h>
#include <vaccel.h>
#include <vaccel/remote.h>
#include <vector>
#include "ops_internal_gen.h"

namespace {

const char *const TAG = "torch";

/* vAccel's Torch type codes and libtorch's scalar types */
struct Type {
	uint32_t code;
	c10::ScalarType type;
};
const Type types[] = {
    {VACCEL_TORCH_BYTE, torch::kUInt8}, {VACCEL_TORCH_CHAR, torch::kInt8},
    {VACCEL_TORCH_SHORT, torch::kInt16}, {VACCEL_TORCH_INT, torch::kInt32},
    {VACCEL_TORCH_LONG, torch::kInt64},	 {VACCEL_TORCH_HALF, torch::kHalf},
    {VACCEL_TORCH_FLOAT, torch::kFloat},
};

bool type_of(uint32_t code, c10::ScalarType &t)
{
	for (const Type &x : types)
		if (x.code == code) {
			t = x.type;
			return true;
		}
	return false;
}

bool code_of(c10::ScalarType t, uint32_t &code)
{
	for (const Type &x : types)
		if (x.type == t) {
			code = x.code;
			return true;
		}
	return false;
}

/* A tensor over an input's bytes (no copy); false when its dtype is no
 * Torch type or its size not its shape's. */
bool tensor_in(const struct vaccel_tensor &v, torch::Tensor &t)
{
	c10::ScalarType type;
	if (!type_of(v.dtype, type) || v.ndim > VACCEL_TENSOR_MAX_DIMS ||
	    vaccel_tensor_strided(&v))
		return false;
	uint64_t bytes;
	if (vaccel_tensor_span(&v, c10::elementSize(type), &bytes) ||
	    bytes != v.size)
		return false;
	std::vector<int64_t> dims(v.dims, v.dims + v.ndim);
	static char empty;
	t = torch::from_blob(v.data ? v.data : &empty, dims,
			     torch::TensorOptions().dtype(type));
	return true;
}

/* t into output o: a new buffer (charged to the caller), its type code
 * and shape. */
int tensor_out(const torch::Tensor &t, struct vaccel_tensor &o)
{
	uint32_t code;
	torch::Tensor c = t.contiguous().cpu();
	if (!code_of(c.scalar_type(), code) ||
	    (size_t)c.dim() > VACCEL_TENSOR_MAX_DIMS) {
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   "an output of type %s and %lld dims has no vAccel "
			   "Torch tensor",
			   c10::toString(c.scalar_type()), (long long)c.dim());
		return VACCEL_ENOTSUP;
	}
	size_t bytes = c.numel() * c.element_size();
	uint64_t ticket;
	if (vaccel_call_charge(bytes, &ticket))
		return VACCEL_ENOMEM;
	void *p = malloc(bytes ? bytes : 1);
	if (!p)
		return VACCEL_ENOMEM;
	if (bytes)
		memcpy(p, c.data_ptr(), bytes);
	o.data = p;
	o.size = bytes;
	o.dtype = code;
	o.ndim = (uint32_t)c.dim();
	for (int64_t d = 0; d < c.dim(); d++)
		o.dims[d] = c.size(d);
	return VACCEL_OK;
}

/* Outputs written so far go again on an error. */
void outputs_free(struct vaccel_oparg &a)
{
	struct vaccel_tensor *t = static_cast<struct vaccel_tensor *>(a.buf);
	for (uint64_t i = 0; i < a.len; i++) {
		free(t[i].data);
		t[i].data = nullptr;
		t[i].size = 0;
	}
}

/* The modules loaded, by resource id; calls on one take turns (a
 * Module's forward is not documented thread-safe). */
struct Loaded {
	std::mutex lock;
	torch::jit::Module module;
};
std::mutex modules_lock;
std::map<vaccel_id_t, std::shared_ptr<Loaded>> *modules;

int module_of(struct vaccel_resource *res, std::shared_ptr<Loaded> &out)
{
	{
		std::lock_guard<std::mutex> held(modules_lock);
		auto it = modules->find(res->id);
		if (it != modules->end()) {
			out = it->second;
			return VACCEL_OK;
		}
	}
	size_t len = 0;
	const uint8_t *data =
	    res->nr_files == 1 ? vaccel_file_data(res->files[0], &len) : nullptr;
	if (!data || !len) {
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   "torch_jitload_forward: the model resource must "
			   "hold one file, a TorchScript module");
		return VACCEL_EINVAL;
	}
	auto l = std::make_shared<Loaded>();
	try {
		std::istringstream in(
		    std::string(reinterpret_cast<const char *>(data), len));
		l->module = torch::jit::load(in);
		l->module.eval();
	} catch (const std::exception &e) {
		std::string msg = e.what();
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   "torch_jitload_forward: the module does not load: "
			   "%s",
			   msg.substr(0, msg.find('\n')).c_str());
		return VACCEL_EINVAL;
	}
	std::lock_guard<std::mutex> held(modules_lock);
	out = modules->emplace(res->id, l).first->second;
	return VACCEL_OK;
}

int jitload_forward(void *, struct vaccel_session *,
		    const struct vaccel_op_desc *, struct vaccel_oparg *a)
{
	struct vaccel_resource *res = static_cast<struct vaccel_resource *>(
	    a[VACCEL_TORCH_JITLOAD_FORWARD_MODEL].buf);
	struct vaccel_oparg &ins = a[VACCEL_TORCH_JITLOAD_FORWARD_INPUTS];
	struct vaccel_oparg &outs = a[VACCEL_TORCH_JITLOAD_FORWARD_OUTPUTS];
	if (!res)
		return VACCEL_EINVAL;
	std::shared_ptr<Loaded> l;
	int ret = module_of(res, l);
	if (ret)
		return ret;
	const struct vaccel_tensor *in =
	    static_cast<const struct vaccel_tensor *>(ins.buf);
	std::vector<torch::jit::IValue> args;
	for (uint64_t i = 0; i < ins.len; i++) {
		torch::Tensor t;
		if (!tensor_in(in[i], t)) {
			vaccel_log(VACCEL_LOG_WARN, TAG,
				   "torch_jitload_forward: input %llu: a "
				   "dense tensor of a Torch type, its size its "
				   "shape's",
				   (unsigned long long)i);
			return VACCEL_EINVAL;
		}
		args.emplace_back(t);
	}
	struct vaccel_tensor *out = static_cast<struct vaccel_tensor *>(outs.buf);
	try {
		torch::NoGradGuard no_grad;
		torch::jit::IValue r;
		{
			std::lock_guard<std::mutex> held(l->lock);
			r = l->module.forward(args);
		}
		std::vector<torch::Tensor> results;
		if (r.isTensor()) {
			results.push_back(r.toTensor());
		} else if (r.isTuple()) {
			for (const auto &e : r.toTupleRef().elements())
				if (e.isTensor())
					results.push_back(e.toTensor());
		} else if (r.isTensorList()) {
			for (const torch::Tensor &t : r.toTensorVector())
				results.push_back(t);
		}
		if (results.size() < outs.len) {
			vaccel_log(VACCEL_LOG_WARN, TAG,
				   "torch_jitload_forward: %zu outputs asked "
				   "for, forward() gave %zu tensors",
				   (size_t)outs.len, results.size());
			return VACCEL_EINVAL;
		}
		for (uint64_t i = 0; i < outs.len && !ret; i++)
			ret = tensor_out(results[i], out[i]);
	} catch (const std::exception &e) {
		std::string msg = e.what();
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   "torch_jitload_forward: forward: %s",
			   msg.substr(0, msg.find('\n')).c_str());
		ret = VACCEL_EINVAL;
	}
	if (ret)
		outputs_free(outs);
	return ret;
}

/* The one float matrix of tensor list a, rows x cols. */
bool matrix(const struct vaccel_oparg &a, int64_t rows, int64_t cols,
	    torch::Tensor &t)
{
	const struct vaccel_tensor *v =
	    static_cast<const struct vaccel_tensor *>(a.buf);
	return a.len == 1 && v[0].dtype == VACCEL_TORCH_FLOAT &&
	       tensor_in(v[0], t) && t.numel() == rows * cols &&
	       (t = t.reshape({rows, cols}), true);
}

int sgemm(void *, struct vaccel_session *, const struct vaccel_op_desc *,
	  struct vaccel_oparg *a)
{
	int64_t m = a[VACCEL_TORCH_SGEMM_M].v.i, n = a[VACCEL_TORCH_SGEMM_N].v.i,
		k = a[VACCEL_TORCH_SGEMM_K].v.i;
	torch::Tensor A, B, C;
	struct vaccel_oparg &out = a[VACCEL_TORCH_SGEMM_OUT];
	if (m < 0 || n < 0 || k < 0 || out.len != 1 ||
	    !matrix(a[VACCEL_TORCH_SGEMM_A], m, k, A) ||
	    !matrix(a[VACCEL_TORCH_SGEMM_B], k, n, B) ||
	    !matrix(a[VACCEL_TORCH_SGEMM_C], m, n, C)) {
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   "torch_sgemm: A (M x K), B (K x N) and C (M x N) "
			   "are one float tensor each, one output");
		return VACCEL_EINVAL;
	}
	try {
		torch::NoGradGuard no_grad;
		int ret = tensor_out(torch::addmm(C, A, B),
				     *static_cast<struct vaccel_tensor *>(
					 out.buf));
		if (ret)
			outputs_free(out);
		return ret;
	} catch (const std::exception &e) {
		vaccel_log(VACCEL_LOG_WARN, TAG, "torch_sgemm: %s", e.what());
		return VACCEL_EINVAL;
	}
}

int forget(void *, struct vaccel_resource *res, struct vaccel_session *)
{
	std::lock_guard<std::mutex> held(modules_lock);
	modules->erase(res->id);
	return VACCEL_OK;
}

int init(void *)
{
	/* never destroyed: the core may unregister resources at exit */
	if (!modules)
		modules = new std::map<vaccel_id_t, std::shared_ptr<Loaded>>;
	vaccel_log(VACCEL_LOG_INFO, TAG, "libtorch %s", TORCH_VERSION);
	return VACCEL_OK;
}

void fini(void *)
{
	std::lock_guard<std::mutex> held(modules_lock);
	modules->clear();
}

const struct vaccel_plugin_op ops[] = {
    {VACCEL_OPID_TORCH_JITLOAD_FORWARD, jitload_forward},
    {VACCEL_OPID_TORCH_SGEMM, sgemm},
};

} // namespace

VACCEL_PLUGIN_DEFINE(.name = "torch", .version = "1.0",
		     .type = VACCEL_PLUGIN_CPU | VACCEL_PLUGIN_TORCH,
		     .init = init, .fini = fini, .ops = ops,
		     .nr_ops = sizeof(ops) / sizeof(ops[0]),
		     .resource_unregister = forget);
