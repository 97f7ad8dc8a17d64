// SPDX-License-Identifier: Apache-2.0
/*
 * An ordinary ONNX Runtime program, written against its C API (the ABI
 * plugins/onnx/ort.h declares), linked with libonnxruntime.so.1, no
 * vAccel: it loads a model from a file, runs it on each float blob given
 * (3 x 48 x 192: PaddleOCR's text-direction classifier) one at a time,
 * and prints each blob's class and probabilities exactly, then the same
 * through an IoBinding (RunWithBinding), then a run with a wrongly shaped
 * input and ONNX Runtime's error code and message.
 *
 *   ort-prog MODEL BLOB...
 */
#include "ort.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct ort_api_base *OrtGetApiBase(void);

static struct ort_api api;

static void check(OrtStatus *s, const char *what)
{
	if (!s)
		return;
	fprintf(stderr, "ort-prog: %s: %s\n", what, api.GetErrorMessage(s));
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: ort-prog MODEL BLOB...\n");
		return 2;
	}
	const void *const *table = OrtGetApiBase()->get_api(ORT_API_NEEDED);
	if (!table)
		return 2;
	ort_api_bind(&api, table);
	OrtEnv *env;
	OrtSession *sess;
	OrtMemoryInfo *cpu;
	OrtAllocator *alloc;
	check(api.CreateEnv(3, "ort-prog", &env), "CreateEnv");
	check(api.CreateSession(env, argv[1], NULL, &sess), "CreateSession");
	check(
	    api.CreateCpuMemoryInfo(ORT_ARENA_ALLOCATOR, ORT_MEM_DEFAULT, &cpu),
	    "CreateCpuMemoryInfo");
	check(api.GetAllocatorWithDefaultOptions(&alloc), "allocator");
	char *in_name, *out_name;
	check(api.SessionGetInputName(sess, 0, alloc, &in_name), "input name");
	check(api.SessionGetOutputName(sess, 0, alloc, &out_name),
	      "output name");
	const int64_t dims[4] = {1, 3, 48, 192};
	size_t n = 3 * 48 * 192;
	float *blob = malloc(n * sizeof(float));
	for (int i = 2; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f || fread(blob, sizeof(float), n, f) != n)
			return 2;
		fclose(f);
		OrtValue *in = NULL, *out = NULL;
		check(api.CreateTensorWithDataAsOrtValue(
			  cpu, blob, n * sizeof(float), dims, 4, ORT_ELEM_FLOAT,
			  &in),
		      "input");
		const char *ins[] = {in_name}, *outs[] = {out_name};
		check(api.Run(sess, NULL, ins, (const OrtValue *const *)&in, 1,
			      outs, 1, &out),
		      "Run");
		float *p;
		check(api.GetTensorMutableData(out, (void **)&p), "output");
		const char *name = strrchr(argv[i], '/');
		printf("%s: class %d p %a %a\n", name ? name + 1 : argv[i],
		       p[1] > p[0], p[0], p[1]);
		api.ReleaseValue(in);
		api.ReleaseValue(out);
	}
	/* again through an IoBinding: the output made by the run (bound to
	 * the CPU device) for even blobs, into the program's own tensor for
	 * odd ones */
	OrtIoBinding *bind;
	check(api.CreateIoBinding(sess, &bind), "CreateIoBinding");
	float probs[2];
	const int64_t pdims[2] = {1, 2};
	OrtValue *given;
	check(api.CreateTensorWithDataAsOrtValue(
		  cpu, probs, sizeof(probs), pdims, 2, ORT_ELEM_FLOAT, &given),
	      "output");
	for (int i = 2; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f || fread(blob, sizeof(float), n, f) != n)
			return 2;
		fclose(f);
		OrtValue *in = NULL;
		check(api.CreateTensorWithDataAsOrtValue(
			  cpu, blob, n * sizeof(float), dims, 4, ORT_ELEM_FLOAT,
			  &in),
		      "input");
		check(api.BindInput(bind, in_name, in), "BindInput");
		/* the binding holds its own reference */
		api.ReleaseValue(in);
		if (i % 2)
			check(api.BindOutput(bind, out_name, given),
			      "BindOutput");
		else
			check(api.BindOutputToDevice(bind, out_name, cpu),
			      "BindOutputToDevice");
		memset(probs, 0, sizeof(probs));
		check(api.RunWithBinding(sess, NULL, bind), "RunWithBinding");
		OrtValue **outv;
		size_t nr_out;
		check(api.GetBoundOutputValues(bind, alloc, &outv, &nr_out),
		      "GetBoundOutputValues");
		float *p;
		check(api.GetTensorMutableData(outv[0], (void **)&p), "output");
		if (i % 2 && p != probs)
			return 1;
		const char *name = strrchr(argv[i], '/');
		printf("bound %s: class %d p %a %a\n",
		       name ? name + 1 : argv[i], p[1] > p[0], p[0], p[1]);
		for (size_t k = 0; k < nr_out; k++)
			api.ReleaseValue(outv[k]);
		api.AllocatorFree(alloc, outv);
		api.ClearBoundInputs(bind);
		api.ClearBoundOutputs(bind);
	}
	api.ReleaseValue(given);
	api.ReleaseIoBinding(bind);
	/* a run ONNX Runtime refuses: a 2-dimensional input */
	OrtValue *bad = NULL, *out = NULL;
	const int64_t flat[2] = {3, 48 * 192};
	check(api.CreateTensorWithDataAsOrtValue(cpu, blob, n * sizeof(float),
						 flat, 2, ORT_ELEM_FLOAT, &bad),
	      "input");
	const char *ins[] = {in_name}, *outs[] = {out_name};
	OrtStatus *s = api.Run(sess, NULL, ins, (const OrtValue *const *)&bad,
			       1, outs, 1, &out);
	if (!s)
		return 1;
	const char *msg = api.GetErrorMessage(s);
	/* the first line: ONNX Runtime adds where it was raised after */
	printf("refused: code %d: %.*s\n", api.GetErrorCode(s),
	       (int)strcspn(msg, "\n"), msg);
	api.ReleaseStatus(s);
	api.ReleaseValue(bad);
	api.AllocatorFree(alloc, in_name);
	api.AllocatorFree(alloc, out_name);
	api.ReleaseSession(sess);
	api.ReleaseMemoryInfo(cpu);
	api.ReleaseEnv(env);
	free(blob);
	return 0;
}
