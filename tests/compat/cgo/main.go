// SPDX-License-Identifier: Apache-2.0

// A cgo program against `pkg-config vaccel`, in the style of vAccel's Go
// bindings: C memory from C.malloc (cgo's pointer rules), the session and
// sgemm through the installed library. Exits 0 when every call succeeds.
package main

/*
#cgo pkg-config: vaccel
#include <vaccel.h>
*/
import "C"

import (
	"fmt"
	"os"
	"unsafe"
)

func main() {
	sess := (*C.struct_vaccel_session)(C.malloc(C.sizeof_struct_vaccel_session))
	defer C.free(unsafe.Pointer(sess))
	C.memset(unsafe.Pointer(sess), 0, C.sizeof_struct_vaccel_session)
	if ret := C.vaccel_session_init(sess, 0); ret != C.VACCEL_OK {
		fmt.Println("vaccel_session_init:", ret)
		os.Exit(1)
	}
	if ret := C.vaccel_noop(sess); ret != C.VACCEL_OK {
		fmt.Println("vaccel_noop:", ret)
		os.Exit(1)
	}
	const m, n, k = 2, 3, 4
	a := (*C.float)(C.malloc(C.size_t(4 * m * k)))
	b := (*C.float)(C.malloc(C.size_t(4 * k * n)))
	c := (*C.float)(C.malloc(C.size_t(4 * m * n)))
	defer C.free(unsafe.Pointer(a))
	defer C.free(unsafe.Pointer(b))
	defer C.free(unsafe.Pointer(c))
	if ret := C.vaccel_sgemm(sess, m, n, k, 1, a, k, b, n, 0, c, n); ret != C.VACCEL_OK {
		fmt.Println("vaccel_sgemm:", ret)
		os.Exit(1)
	}
	C.vaccel_session_release(sess)
	fmt.Println("cgo: session, noop and sgemm through the installed library: OK")
}
