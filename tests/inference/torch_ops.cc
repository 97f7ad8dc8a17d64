// SPDX-License-Identifier: Apache-2.0
/*
 * vAccel's Torch ops against libtorch run directly. The test makes its
 * own TorchScript modules from source (no downloaded weights), saves
 * them, and for each compares vaccel_torch_jitload_forward's outputs
 * (served by whatever VACCEL_PLUGINS names: the torch plugin in-process,
 * or the rpc transport to an agent that runs it) with the same module's
 * forward() called here; then vaccel_torch_sgemm with torch::addmm, and
 * two bad calls. Results must be bitwise the same (one libtorch on both
 * sides).
 *
 *   torch-ops DIR       (DIR: where the modules are written)
 *
 * Exit 0 when every check passes, 1 if one fails, 2 on an error.
 */
#include <cstdio>
#include <cstring>
#include <string>
#include <torch/script.h>
#include <vaccel.h>
#include <vaccel/remote.h>
#include <vector>

namespace {

int failures;

void check(bool ok, const std::string &what)
{
	std::printf("%s %s\n", ok ? "ok" : "FAIL", what.c_str());
	failures += !ok;
}

struct Module {
	const char *name, *source;
	/* an input's dims and type */
	std::vector<int64_t> dims;
	c10::ScalarType type;
	enum vaccel_torch_data_type code;
	int nr_out;
};

const Module modules[] = {
    /* two outputs, a parameter and a buffer of its own */
    {"affine", R"(
def forward(self, x):
    y = torch.matmul(x, self.w) + self.b
    return (torch.relu(y), y.sum(dim=1))
)",
     {4, 6}, torch::kFloat, VACCEL_TORCH_FLOAT, 2},
    /* integers */
    {"ints", R"(
def forward(self, x):
    return x * 3 - 7
)",
     {2, 3, 5}, torch::kInt64, VACCEL_TORCH_LONG, 1},
};

/* A torch tensor's bytes in a vAccel Torch tensor (borrowed). */
struct vaccel_torch_tensor *to_vaccel(const torch::Tensor &t,
				      enum vaccel_torch_data_type code)
{
	std::vector<int64_t> dims(t.sizes().begin(), t.sizes().end());
	struct vaccel_torch_tensor *v;
	if (vaccel_torch_tensor_new(&v, (int64_t)dims.size(), dims.data(),
				    code))
		return nullptr;
	vaccel_torch_tensor_set_data(v, t.data_ptr(),
				     t.numel() * t.element_size());
	return v;
}

bool same(const torch::Tensor &want, const struct vaccel_torch_tensor *got)
{
	if (!got || got->nr_dims != want.dim() ||
	    got->size != (size_t)(want.numel() * want.element_size()))
		return false;
	for (int64_t d = 0; d < want.dim(); d++)
		if (got->dims[d] != want.size(d))
			return false;
	return !std::memcmp(got->data, want.contiguous().data_ptr(),
			    got->size);
}

void jitload(struct vaccel_session *sess, const std::string &dir,
	     const Module &m)
{
	torch::manual_seed(7);
	torch::jit::Module mod(m.name);
	if (!std::strcmp(m.name, "affine")) {
		mod.register_parameter("w", torch::randn({6, 3}), false);
		mod.register_buffer("b", torch::randn({3}));
	}
	mod.define(m.source);
	std::string path = dir + "/" + m.name + ".pt";
	mod.save(path);
	torch::Tensor x = m.type == torch::kFloat
			      ? torch::randn(m.dims)
			      : torch::randint(-50, 50, m.dims, torch::kInt64);

	/* libtorch directly, from the saved file */
	torch::jit::Module direct = torch::jit::load(path);
	std::vector<torch::jit::IValue> args{x};
	torch::jit::IValue r = direct.forward(args);
	std::vector<torch::Tensor> want;
	if (r.isTuple())
		for (const auto &e : r.toTupleRef().elements())
			want.push_back(e.toTensor());
	else
		want.push_back(r.toTensor());

	struct vaccel_resource res;
	int ret = vaccel_resource_init(&res, path.c_str(),
				       VACCEL_RESOURCE_MODEL);
	if (!ret)
		ret = vaccel_resource_register(&res, sess);
	check(!ret, std::string(m.name) + ": resource registered");
	if (ret)
		return;
	struct vaccel_torch_buffer opts = {};
	struct vaccel_torch_tensor *in = to_vaccel(x, m.code);
	/* twice: the second run finds the module loaded */
	for (int run = 0; run < 2; run++) {
		std::vector<struct vaccel_torch_tensor *> out(m.nr_out);
		ret = vaccel_torch_jitload_forward(sess, &res, &opts, &in, 1,
						   out.data(), m.nr_out);
		check(!ret, std::string(m.name) + ": jitload_forward " +
				(ret ? vaccel_strerror(ret) : "ran"));
		for (int i = 0; !ret && i < m.nr_out; i++) {
			check(same(want[i], out[i]),
			      std::string(m.name) + ": output " +
				  std::to_string(i) +
				  " bitwise libtorch's (run " +
				  std::to_string(run + 1) + ")");
			vaccel_torch_tensor_delete(out[i]);
		}
	}
	/* an input whose bytes are not its shape's */
	in->size -= 1;
	struct vaccel_torch_tensor *out = nullptr;
	ret = vaccel_torch_jitload_forward(sess, &res, &opts, &in, 1, &out, 1);
	check(ret == VACCEL_EINVAL,
	      std::string(m.name) + ": a short input refused (" +
		  vaccel_strerror(ret) + ")");
	vaccel_torch_tensor_delete(in);
	vaccel_resource_unregister(&res, sess);
	vaccel_resource_release(&res);
}

void sgemm(struct vaccel_session *sess)
{
	const int M = 17, N = 13, K = 11;
	torch::manual_seed(3);
	torch::Tensor A = torch::randn({M, K}), B = torch::randn({K, N}),
		      C = torch::randn({M, N});
	torch::Tensor want = torch::addmm(C, A, B);
	struct vaccel_torch_tensor *a = to_vaccel(A, VACCEL_TORCH_FLOAT),
				   *b = to_vaccel(B, VACCEL_TORCH_FLOAT),
				   *c = to_vaccel(C, VACCEL_TORCH_FLOAT),
				   *out = nullptr;
	int ret = vaccel_torch_sgemm(sess, &a, &b, &c, M, N, K, &out);
	check(!ret && same(want, out),
	      std::string("sgemm 17 x 13 x 11: bitwise torch::addmm's (") +
		  vaccel_strerror(ret) + ")");
	if (out)
		vaccel_torch_tensor_delete(out);
	out = nullptr;
	/* shapes that do not match M, N, K */
	ret = vaccel_torch_sgemm(sess, &a, &b, &c, M, N, K + 1, &out);
	check(ret == VACCEL_EINVAL,
	      std::string("sgemm with a wrong K refused (") +
		  vaccel_strerror(ret) + ")");
	vaccel_torch_tensor_delete(a);
	vaccel_torch_tensor_delete(b);
	vaccel_torch_tensor_delete(c);
}

} // namespace

int main(int argc, char **argv)
{
	if (argc != 2) {
		std::fprintf(stderr, "usage: torch-ops DIR\n");
		return 2;
	}
	struct vaccel_session sess;
	int ret = vaccel_session_init(&sess, 0);
	if (ret) {
		std::fprintf(stderr, "torch-ops: %s\n", vaccel_strerror(ret));
		return 2;
	}
	for (const Module &m : modules)
		jitload(&sess, argv[1], m);
	sgemm(&sess);
	vaccel_session_release(&sess);
	std::printf("%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
