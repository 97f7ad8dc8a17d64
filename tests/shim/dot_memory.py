# SPDX-License-Identifier: Apache-2.0
"""np.dot(v, v) on a large vector, with the peak and the shared memory of
the process read from /proc/self/status around it.

    dot_memory.py MIB

Prints the dot product's value, then `extra_peak_mib` (how far the peak
resident size rose above what the process held just before the call) and
`shmem_after_mib` (shared memory still resident after it). Without the
shim the call adds nothing; under it, the vector's one copy in the
transport's memfd is all a call may add, and the memfd is given back
after a call larger than VACCEL_RPC_MEMFD_KEEP.
"""
import sys

import numpy as np


def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    raise KeyError(key)


def main(argv):
    mib = int(argv[1])
    v = np.arange(mib * 131072, dtype=np.float64) % 7.0 - 3.0
    before = status("VmRSS")
    if status("VmHWM") > before:
        # the peak so far (arange's temporaries) must not hide the call's
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        before = status("VmRSS")
    d = np.dot(v, v)
    print("dot %r" % float(d))
    print("extra_peak_mib %.1f" % (status("VmHWM") - before))
    print("shmem_after_mib %.1f" % status("RssShmem"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
