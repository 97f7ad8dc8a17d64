# SPDX-License-Identifier: Apache-2.0
"""cv2.resize of opencv-doc's baboon.jpg (512 x 512, 3 channels) to
600 x 600 (1 MB) and then to 6000 x 6000 (108 MB). Prints each result's
shape and SHA-256. Under the opencv shim both are offloaded; against an
agent whose --max-memory is below the second, the host refuses to
allocate that output (the opencv plugin charges every Mat it makes to
the guest first) and the call runs locally, with the same result.

  cv_budget.py DATA_DIR
"""

import hashlib
import os
import sys

import cv2

img = cv2.imread(os.path.join(sys.argv[1], "baboon.jpg"))
if img is None:
    sys.exit("cannot read baboon.jpg")
for side in (600, 6000):
    out = cv2.resize(img, (side, side), interpolation=cv2.INTER_LINEAR)
    print("resize %d: %s %s" % (side, out.shape,
                                hashlib.sha256(out.tobytes()).hexdigest()))
