// SPDX-License-Identifier: Apache-2.0
/*
 * The OpenCV family's runtime piece, C side (opencv.h): its struct
 * shim_family and the bridge the C++ side (cvshim.cc) reaches the common
 * runtime through.
 */
#include "opencv.h"

#include <vaccel/error.h>
#include <vaccel/resource.h>

const struct shim_family shim_opencv_family = {
    .name = "opencv",
    /* the classes are the spec's class= values; every one by default */
    .classes_env = "VACCEL_SHIM_OPENCV_CLASSES",
    .default_classes = "all",
};

bool shim_cv_bridge_wants(unsigned int k)
{
	return !shim_depth && (shim_policy.classes >> shim_fns[k].cls & 1u);
}

bool shim_cv_bridge_worth(double cost)
{
	return cost >= shim_policy.min_flops;
}

void *shim_cv_bridge_real(unsigned int k)
{
	return shim_real(&shim_fns[k]);
}

void shim_cv_bridge_local_enter(unsigned int k)
{
	shim_local_enter(&shim_fns[k]);
}

void shim_cv_bridge_local_leave(void)
{
	shim_local_leave();
}

int shim_cv_bridge_call(unsigned int k, uint32_t op_id,
			struct vaccel_oparg *a, uint32_t nr_args, double cost)
{
	return shim_call(&shim_fns[k], op_id, a, nr_args, cost);
}

void *shim_cv_bridge_sym(unsigned int k, const char *name)
{
	return shim_local_sym(&shim_fns[k], name);
}

void shim_cv_bridge_say(const char *msg)
{
	shim_say("%s", msg);
}

int shim_cv_bridge_upload(const char *name, const void *data, size_t size,
			  struct vaccel_resource **res)
{
	struct vaccel_session *s = shim_session();
	if (!s)
		return VACCEL_ENOENT;
	struct vaccel_resource *r;
	int ret = vaccel_resource_from_buf(&r, data, size, VACCEL_RESOURCE_DATA,
					   name);
	if (ret)
		return ret;
	ret = vaccel_resource_register(r, s);
	if (ret) {
		vaccel_resource_delete(r);
		return ret;
	}
	*res = r;
	return VACCEL_OK;
}

void shim_cv_bridge_drop(struct vaccel_resource *res)
{
	struct vaccel_session *s = shim_session();
	if (s)
		vaccel_resource_unregister(res, s);
	vaccel_resource_delete(res);
}
