#!/usr/bin/env python3
"""Coverage of real exporters' models: runs every corpus model (models/corpus/, script/corpus/gen.py)
and the ONNX project's own exporter tests (onnx/backend/test/data/{pytorch-converted,
pytorch-operator,simple} in the onnx wheel) through `zkinfer compile`, `setup`, `prove` and
`verify`, and compares the verified outputs with the float outputs (onnxruntime's for the
corpus, the test's own output protobuf for the ONNX tests).

Run: script/corpus/setup && .venv-corpus/bin/python script/corpus/coverage.py [--only SUBSTR] [--jobs N]
Writes docs/coverage.md and docs/coverage.json. Not part of CI (it proves a few hundred models).
"""
import argparse
import concurrent.futures as cf
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import numpy_helper

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ZKINFER = os.environ.get("ZKINFER_BIN", os.path.join(ROOT, "target", "debug", "zkinfer"))
TIMEOUT = 900


def tolerance(expected):
    """Accepted max abs error: 0.05, or 5% of the largest expected magnitude when larger."""
    m = max((abs(v) for v in expected), default=0.0)
    return max(0.05, 0.05 * m)


def corpus_cases():
    path = os.path.join(ROOT, "models", "corpus", "manifest.json")
    if not os.path.exists(path):
        return []
    cases = []
    for m in json.load(open(path)):
        base = os.path.join(ROOT, "models", "corpus", m["name"])
        exp = json.load(open(base + ".expected.json"))
        outputs = exp.get("outputs") or [exp.get("output", [])]
        cases.append({"name": f"corpus/{m['name']}", "source": m.get("exporter", "?"), "model": base + ".onnx",
                      "input": base + ".input.json", "expected": [float(v) for o in outputs for v in np.asarray(o).flatten()],
                      "outputs": len(outputs), "ops": m.get("ops", [])})
    return cases


def onnx_test_cases(work):
    data = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data")
    cases = []
    for group in ["pytorch-converted", "pytorch-operator", "simple"]:
        for d in sorted(glob.glob(os.path.join(data, group, "*"))):
            model = os.path.join(d, "model.onnx")
            sets = sorted(glob.glob(os.path.join(d, "test_data_set_0")))
            if not os.path.exists(model) or not sets:
                continue
            ins = sorted(glob.glob(os.path.join(sets[0], "input_*.pb")), key=lambda p: int(re.findall(r"\d+", os.path.basename(p))[0]))
            outs = sorted(glob.glob(os.path.join(sets[0], "output_*.pb")))
            tensors = []
            try:
                for p in ins:
                    t = onnx.TensorProto()
                    t.ParseFromString(open(p, "rb").read())
                    tensors.append(numpy_helper.to_array(t).astype(np.float64).flatten().tolist())
                expected = []
                for p in outs:  # every output, flattened and concatenated in graph order
                    t = onnx.TensorProto()
                    t.ParseFromString(open(p, "rb").read())
                    expected += numpy_helper.to_array(t).astype(np.float64).flatten().tolist()
            except (ValueError, TypeError):
                continue  # string tensors: not numeric models
            name = f"{group}/{os.path.basename(d)}"
            inp = os.path.join(work, name.replace("/", "__") + ".input.json")
            with open(inp, "w") as f:
                json.dump({"input_data": tensors}, f)
            ops = sorted({n.op_type for n in onnx.load(model).graph.node})
            cases.append({"name": name, "source": "onnx " + group, "model": model, "input": inp, "expected": expected,
                          "outputs": len(outs), "ops": ops})
    return cases


def run(cmd, cwd, timeout=TIMEOUT):
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def first_error(stderr):
    lines = [l.strip() for l in stderr.splitlines() if l.strip()]
    for l in lines:
        if l.startswith("error:"):
            return l[len("error:"):].strip()
    return lines[-1] if lines else "no message"


def classify(reason):
    """The refusal's class, from the error's wording."""
    m = re.search(r"uses unsupported op '([^']+)'", reason)
    if m:
        return f"unsupported op {m.group(1)}"
    r = reason.lower()
    rules = [
        ("is not a finite number", "a test input that is not finite (uninitialised memory in the test data)"),
        ("more than the", "a size limit (wires, terms)"),
        ("lowers to more than", "a size limit (wires, terms)"),
        ("custom domain", "ai.onnx.ml or another domain"),
        ("not computed from the input", "a graph output not computed from the input"),
        ("attribute '", "an attribute value"),
        ("one sample", "batch > 1, or 1-D/3-D spatial"),
        ("[1, c", "batch > 1, or 1-D/3-D spatial"),
        ("must be a constant", "an operand must be a constant"),
        ("must be an activation", "an operand must be an activation (e.g. an embedding lookup)"),
        ("must be the activation", "an operand must be an activation (e.g. an embedding lookup)"),
        ("neither input is an activation", "an operand must be an activation (e.g. an embedding lookup)"),
        ("table", "a table or range limit"),
        ("range", "a table or range limit"),
        ("no (non-initializer) input", "no graph input"),
    ]
    for needle, cls in rules:
        if needle in r:
            return cls
    return "other"


def check(case, work, compile_args=(), budget_s=None):
    """One case through compile/setup/prove/verify. compile_args go to `zkinfer compile`; budget_s caps
    the four steps' total time (subprocess.TimeoutExpired past it; default TIMEOUT per step). Each
    step's wall time is in out["step_s"]."""
    t0 = time.time()
    d = tempfile.mkdtemp(dir=work)
    out = {"name": case["name"], "source": case["source"], "ops": case["ops"], "step_s": {}}

    def step_run(step):
        left = TIMEOUT if budget_s is None else max(1.0, budget_s - (time.time() - t0))
        s0 = time.time()
        res = run([ZKINFER] + step, ROOT, timeout=left)
        out["step_s"][step[0]] = round(time.time() - s0, 3)
        return res

    code, _, err = step_run(["compile", case["model"], "--calibrate", case["input"], *compile_args, "--dir", d])
    if code != 0:
        out.update(status="refused", reason=first_error(err), class_=classify(first_error(err)))
        return out
    for step in (["setup", "--dir", d], ["prove", "--dir", d, "--input", case["input"]], ["verify", "--dir", d]):
        code, _, err = step_run(step)
        if code != 0:
            out.update(status="failed", reason=f"{step[0]}: {first_error(err)}", class_=step[0])
            return out
    proof = json.load(open(os.path.join(d, "proof.json")))
    got = [float(v) for v in proof.get("outputs", [])]
    exp = case["expected"]
    out["prove_s"] = round(time.time() - t0, 1)
    try:
        circuit = json.load(open(os.path.join(d, "circuit.json")))
        out["k"], out["scale_bits"] = circuit["plan"]["k"], circuit["model"]["params"]["scale_bits"]
    except Exception:
        pass
    if len(got) != len(exp):
        out.update(status="failed", reason=f"{len(got)} outputs, expected {len(exp)}", class_="outputs")
        return out
    err = max((abs(a - b) for a, b in zip(got, exp)), default=0.0)
    out["max_abs_err"] = round(err, 5)
    tol = tolerance(exp)
    out["status"] = "proved" if err <= tol else "wrong"
    if err > tol:
        out["reason"] = f"max abs error {err:.4f} > {tol:.4f}"
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="")
    ap.add_argument("--jobs", type=int, default=1)
    args = ap.parse_args()
    if not os.path.exists(ZKINFER):
        sys.exit(f"{ZKINFER} is missing: cargo build -p zkinfer first")
    work = tempfile.mkdtemp(prefix="zkinfer-coverage-")
    cases = [c for c in corpus_cases() + onnx_test_cases(work) if args.only in c["name"]]
    results = []
    with cf.ThreadPoolExecutor(args.jobs) as ex:
        for r in ex.map(lambda c: check(c, work), cases):
            print(f"{r['status']:8} {r['name']}: {r.get('reason', r.get('max_abs_err', ''))}", flush=True)
            results.append(r)
    if args.only:
        return
    counts = {}
    for r in results:
        counts.setdefault(r["source"], {}).setdefault(r["status"], 0)
        counts[r["source"]][r["status"]] += 1
    classes = {}
    for r in results:
        if r["status"] == "refused":
            classes[r["class_"]] = classes.get(r["class_"], 0) + 1
    json.dump({"results": results, "counts": counts, "refusals": classes}, open(os.path.join(ROOT, "docs", "coverage.json"), "w"), indent=1)
    with open(os.path.join(ROOT, "docs", "coverage.md"), "w") as f:
        f.write("# Coverage of exporters' models\n\nGenerated by `script/corpus/coverage.py`: every model through `zkinfer compile`, `setup`, "
                "`prove` and `verify`, its verified outputs compared with the float outputs (tolerance 0.05, or 5% of the largest output).\n\n")
        f.write("| source | proved | wrong | refused | failed |\n|---|---|---|---|---|\n")
        for s, c in sorted(counts.items()):
            f.write(f"| {s} | {c.get('proved', 0)} | {c.get('wrong', 0)} | {c.get('refused', 0)} | {c.get('failed', 0)} |\n")
        tot = {k: sum(c.get(k, 0) for c in counts.values()) for k in ["proved", "wrong", "refused", "failed"]}
        f.write(f"| **all {len(results)}** | {tot['proved']} | {tot['wrong']} | {tot['refused']} | {tot['failed']} |\n\n")
        f.write("## Refusals by class\n\n| class | models |\n|---|---|\n")
        for k, v in sorted(classes.items(), key=lambda kv: -kv[1]):
            f.write(f"| {k} | {v} |\n")
        f.write("\n## Per model\n\n| model | status | max abs error | prove s | what |\n|---|---|---|---|---|\n")
        for r in results:
            what = (r.get("reason") or "").replace("|", "\\|")[:160]
            f.write(f"| {r['name']} | {r['status']} | {r.get('max_abs_err', '')} | {r.get('prove_s', '')} | {what} |\n")
    print(json.dumps(counts, indent=1))


if __name__ == "__main__":
    main()
