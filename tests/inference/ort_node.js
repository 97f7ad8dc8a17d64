// SPDX-License-Identifier: Apache-2.0
//
// An ordinary Node.js program written for onnxruntime-node, no vAccel:
// it loads a model from a file, runs it on each float blob given
// (3 x 48 x 192: PaddleOCR's text-direction classifier) one at a time,
// prints each blob's class and probabilities exactly (a float32 printed
// as a double is exact), then a run with a wrongly shaped input and the
// first line of ONNX Runtime's message.
//
//   node ort_node.js MODEL BLOB...
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

async function main(model, blobs) {
  const session = await ort.InferenceSession.create(model);
  const input = session.inputNames[0];
  const output = session.outputNames[0];
  let data;
  for (const blob of blobs) {
    const bytes = fs.readFileSync(blob);
    data = new Float32Array(bytes.buffer, bytes.byteOffset,
                            bytes.length / 4);
    const tensor = new ort.Tensor('float32', data, [1, 3, 48, 192]);
    const result = await session.run({[input]: tensor});
    const p = result[output].data;
    console.log(`${path.basename(blob)}: class ${p[1] > p[0] ? 1 : 0} ` +
                `p ${p[0]} ${p[1]}`);
  }
  // a run ONNX Runtime refuses: a 2-dimensional input
  try {
    await session.run({[input]: new ort.Tensor('float32', data,
                                               [3, 48 * 192])});
    console.log('not refused');
  } catch (e) {
    console.log(`refused: ${String(e.message).split('\n')[0]}`);
  }
  await session.release();
}

if (process.argv.length < 4) {
  console.error('usage: node ort_node.js MODEL BLOB...');
  process.exit(2);
}
main(process.argv[2], process.argv.slice(3)).catch((e) => {
  console.error(`ort_node: ${e.message}`);
  process.exit(2);
});
