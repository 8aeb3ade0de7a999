#!/usr/bin/env python3
"""Re-run onnxruntime on every corpus model with its committed input and compare with expected.json.

Run: .venv-corpus/bin/python script/corpus/check.py [CORPUS_DIR]   (default models/corpus)
A model passes when every output has the recorded shape and |got - expected| <= 1e-5 * max(1, |expected|)
element-wise (an absolute 1e-5 for values up to 1 in magnitude; relative beyond, for the regression
outputs in the hundreds, where one float32 step is already about 1e-5). Exit status 1 on any mismatch.
"""
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort

ort.set_default_logger_severity(3)
HERE = os.path.dirname(os.path.abspath(__file__))
DIR = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "models", "corpus"))
TOL = 1e-5


def numeric(o):
    if isinstance(o, list) and o and isinstance(o[0], dict):  # ZipMap: values in sorted key order
        return np.array([[d[k] for k in sorted(d)] for d in o], dtype=np.float64)
    return np.asarray(o).astype(np.float64)


def check(name):
    model = onnx.load(os.path.join(DIR, f"{name}.onnx"))
    inits = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in inits]
    with open(os.path.join(DIR, f"{name}.input.json")) as f:
        data = json.load(f)["input_data"]
    with open(os.path.join(DIR, f"{name}.expected.json")) as f:
        exp = json.load(f)
    if len(data) != len(inputs):
        return f"{len(data)} inputs in input.json, graph has {len(inputs)}"
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    feed = {}
    for vi, vals in zip(inputs, data):
        tt = vi.type.tensor_type
        shape = [d.dim_value if d.dim_value else -1 for d in tt.shape.dim]
        if -1 in shape:  # symbolic batch: the sample has batch 1
            shape = [1 if s == -1 else s for s in shape]
        dt = onnx.helper.tensor_dtype_to_np_dtype(tt.elem_type)
        feed[vi.name] = np.asarray(vals, dtype=np.float64).astype(dt).reshape(shape)
    outs = sess.run(None, feed)
    if [o.name for o in sess.get_outputs()] != exp["output_names"]:
        return f"output names {[o.name for o in sess.get_outputs()]} != {exp['output_names']}"
    worst = 0.0
    for o, e, shp, oname in zip(outs, exp["outputs"], exp["output_shapes"], exp["output_names"]):
        got = numeric(o)
        if list(got.shape) != list(shp):
            return f"output {oname}: shape {list(got.shape)} != {shp}"
        want = np.asarray(e, dtype=np.float64)
        err = np.abs(got.ravel() - want) / np.maximum(1.0, np.abs(want))
        worst = max(worst, float(err.max()) if err.size else 0.0)
        if err.size and err.max() > TOL:
            i = int(err.argmax())
            return f"output {oname}[{i}]: got {float(got.ravel()[i])!r}, expected {float(want[i])!r}"
    return worst


def main():
    with open(os.path.join(DIR, "manifest.json")) as f:
        manifest = json.load(f)
    names = [m["name"] for m in manifest]
    on_disk = sorted(fn[: -len(".onnx")] for fn in os.listdir(DIR) if fn.endswith(".onnx"))
    bad = []
    if sorted(names) != on_disk:
        bad.append(("manifest", f"manifest and .onnx files differ: {sorted(set(names) ^ set(on_disk))}"))
    worst = 0.0
    for name in names:
        try:
            r = check(name)
        except Exception as ex:  # a model that no longer loads or runs is a failure too
            r = repr(ex)
        if isinstance(r, str):
            bad.append((name, r))
            print(f"FAIL {name}: {r}")
        else:
            worst = max(worst, r)
    print(f"checked {len(names)} models in {DIR}; worst scaled difference {worst:.3g}")
    print(f"{len(names) - len([b for b in bad if b[0] != 'manifest'])} passed, {len(bad)} failed")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
