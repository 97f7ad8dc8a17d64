// SPDX-License-Identifier: Apache-2.0
/*
 * An ordinary program on libc and CBLAS, nothing of vAccel in it: two
 * strided dot products (one with a negative increment), a strided scaling
 * in place whose gaps must stay as they were, and two strings read as
 * numbers; every result printed exactly (%a).
 *
 * Build: cc mixed_prog.c -lblas. tests/codegen/outoftree runs it plainly
 * and under the shim generated from mixed.spec.
 */
#include <stdio.h>
#include <stdlib.h>

double cblas_ddot(int n, const double *x, int incx, const double *y,
		  int incy);
void cblas_dscal(int n, double alpha, double *x, int incx);

int main(void)
{
	enum { N = 1000 };
	static double x[2 * N], y[3 * N];
	for (int i = 0; i < 2 * N; i++)
		x[i] = (double)(i % 17) / 8.0 - 1.0;
	for (int i = 0; i < 3 * N; i++)
		y[i] = (double)(i % 23) / 4.0 - 2.5;
	printf("ddot(x by 2, y by 3): %a\n", cblas_ddot(N, x, 2, y, 3));
	printf("ddot(x by -2, y by 1): %a\n", cblas_ddot(N, x, -2, y, 1));
	cblas_dscal(N, 0.5, x, 2);
	double scaled = 0, gaps = 0;
	for (int i = 0; i < 2 * N; i += 2)
		scaled += x[i];
	for (int i = 1; i < 2 * N; i += 2)
		gaps += x[i];
	printf("dscal(x by 2): scaled %a, gaps %a\n", scaled, gaps);
	printf("atof: %a %a\n", atof("3.25e2"), atof("  -0x1.8p1 tail"));
	return 0;
}
