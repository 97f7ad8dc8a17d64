# SPDX-License-Identifier: Apache-2.0
"""Models for the opencv plugin's image ops, made at test time: tiny
Darknet networks (a .cfg and its .weights, which OpenCV's DNN module
reads) whose weights are chosen so that each answer is known, and the
TASK.conf files that register them (docs/plugins.md).

  cv_models.py DIR served CASCADE    every task registered
  cv_models.py DIR declined          classify.conf broken (line 3), no
                                     other task

Every network takes an 8 x 8 image with pixels scaled to 0..1 and swaps
no channels, so plane c is OpenCV's channel c (B, G, R):
  classify  1x1 conv (10 x identity), global average, softmax: the
            dominant colour, labels blue, green, red
  segment   1x1 conv (identity): each pixel's dominant colour
  pose      1x1 conv (identity): a keypoint per channel, where it peaks
  depth     1x1 conv (the channels' mean): brightness
"""

import os
import struct
import sys


def darknet(path, filters, weights, tail=""):
    """NAME.cfg and NAME.weights: one 1x1 convolution over 3 channels
    (weights: filters x 3 numbers, biases 0), then `tail`'s layers."""
    with open(path + ".cfg", "w") as f:
        f.write("[net]\nwidth=8\nheight=8\nchannels=3\n\n"
                "[convolutional]\nfilters=%d\nsize=1\nstride=1\npad=0\n"
                "activation=linear\n%s" % (filters, tail))
    with open(path + ".weights", "wb") as f:
        # major, minor, revision, images seen (64-bit from version 0.2)
        f.write(struct.pack("<iiiQ", 0, 2, 0, 0))
        f.write(struct.pack("<%df" % filters, *([0.0] * filters)))
        f.write(struct.pack("<%df" % len(weights), *weights))


def conf(d, task, lines):
    with open(os.path.join(d, task + ".conf"), "w") as f:
        f.write("# %s, made by cv_models.py\n" % task)
        f.write("".join(line + "\n" for line in lines))


NET = ["size = 8 8", "scale = 0.00392156862745098", "mean = 0 0 0",
       "swap_rb = 0"]


def served(d, cascade):
    eye = [1.0, 0, 0, 0, 1.0, 0, 0, 0, 1.0]
    darknet(os.path.join(d, "classify"), 3, [10 * w for w in eye],
            "\n[avgpool]\n\n[softmax]\n")
    darknet(os.path.join(d, "ident"), 3, eye)
    darknet(os.path.join(d, "mean"), 1, [1 / 3.0] * 3)
    with open(os.path.join(d, "colours.txt"), "w") as f:
        f.write("blue\ngreen\nred\n")
    conf(d, "classify", ["model = classify.weights",
                         "config = classify.cfg",
                         "labels = colours.txt"] + NET)
    conf(d, "segment", ["model = ident.weights", "config = ident.cfg"] + NET)
    conf(d, "pose", ["model = ident.weights", "config = ident.cfg"] + NET)
    conf(d, "depth", ["model = mean.weights", "config = mean.cfg"] + NET)
    with open(os.path.join(d, "face.txt"), "w") as f:
        f.write("face\n")
    conf(d, "detect", ["cascade = " + cascade, "labels = face.txt",
                       "scale_factor = 1.1", "min_neighbors = 3"])


def declined(d):
    conf(d, "classify", ["model = none.weights", "colour = red"])


def main():
    d, mode = sys.argv[1], sys.argv[2]
    os.makedirs(d, exist_ok=True)
    if mode == "served":
        served(d, sys.argv[3])
    else:
        declined(d)
    return 0


if __name__ == "__main__":
    sys.exit(main())
