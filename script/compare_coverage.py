#!/usr/bin/env python3
"""Coverage side by side: zkinfer and ezkl on every corpus model and ONNX exporter test, in one run
(driven by `./script/compare --coverage`; run that, not this).

    ./script/compare --coverage [--only SUBSTR] [--jobs N] [--gas] [--resume] [--budget S]
    ./script/compare --coverage --report     # only regenerate the markdown from the json

Cases, tolerance and the zkinfer runner come from script/corpus/coverage.py; ezkl's steps, the
measured child processes, the SRS cache and the EVM verifier come from script/compare_ezkl.py.
For every case, one after the other on this machine:

  zkinfer  `zkinfer compile MODEL --calibrate INPUT --visibility input=public` (output public and
           weights fixed are its defaults), then `setup`, `prove`, `verify` (coverage.check).
  ezkl     gen_settings (input public, output public, params fixed; symbolic dims bound to 1) ->
           calibrate_settings(target "resources", the case's input) -> compile_circuit -> gen_srs
           (insecure, cached per k; counted in the budget when generated) -> setup -> gen_witness -> prove -> verify.
           Its outputs are the proof's `pretty_public_inputs.rescaled_outputs` (the same values as
           the witness's `pretty_elements.rescaled_outputs`).

Both are scored with coverage.tolerance against the float outputs: proved (verified, max abs error
within tolerance), wrong (verified, error above it), refused (an error before proving), failed
(an error while proving or verifying, a crash, or the per-system budget spent: "timeout").
With --gas, the GAS_MODELS also get a real verifyProof transaction on a local anvil for both
systems (zkinfer: `zkinfer bench --json`; ezkl: compare_ezkl.ezkl_evm_verify).

Writes docs/compare-coverage/coverage.json (after every case, so a run can be resumed with --resume) and
docs/comparison-coverage.md. Work files: target/compare-coverage/<case>/ (files over 1 MB removed).
"""
import argparse
import concurrent.futures as cf
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.realpath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "corpus")]
import compare_ezkl as ce  # noqa: E402  (stdlib only at import)

ROOT = ce.ROOT
WORK = os.path.join(ROOT, "target", "compare-coverage")
OUT_JSON = os.path.join(ROOT, "docs", "compare-coverage", "coverage.json")
OUT_MD = os.path.join(ROOT, "docs", "comparison-coverage.md")
ZKINFER_COMPILE_ARGS = ("--visibility", "input=public")
BUDGET_S = 600
# The corpus' full networks: the verify-gas subset (--gas).
GAS_MODELS = ["corpus/" + n for n in (
    "t_gpt_block", "t_lstm_classifier", "t_depthwise_separable_cnn", "t_gan_generator", "t_cnn_bn_maxpool_digits",
    "skl_gb_clf_credit", "omt_xgb_clf_credit", "skl_rf_clf_wine", "skl_svc_rbf_iris", "skl_logreg_credit_pipeline",
    "skl_mlp_clf_digits_pipeline", "tf_lstm", "hb_gb_clf_credit_tree_trav", "hb_rf_clf_wine_tree_trav")]
BEFORE_PROVE = ("gen_settings", "calibrate_settings", "compile_circuit", "setup", "gen_witness")
STATUSES = ("proved", "wrong", "refused", "failed")
LARGE_FILE = 1 << 20

_chain_lock, _doc_lock, _srs_locks = threading.Lock(), threading.Lock(), {}


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def coverage():
    """script/corpus/coverage.py, pointed at $ZKINFER (imported late: it needs numpy and onnx)."""
    import coverage as cov
    cov.ZKINFER = os.environ["ZKINFER"]
    return cov


# ---------------------------------------------------------------------------------------------
# Scoring, shared by both systems.

def flat_floats(values):
    out = []
    for v in values:
        out += flat_floats(v) if isinstance(v, list) else [float(v)]
    return out


def score(got, expected):
    """{"status", "max_abs_err", "reason"?} of verified outputs against the float ones."""
    cov = coverage()
    if len(got) != len(expected):
        return {"status": "failed", "reason": f"{len(got)} outputs, expected {len(expected)}"}
    err = round(max((abs(a - b) for a, b in zip(got, expected)), default=0.0), 5)
    tol = cov.tolerance(expected)
    if err <= tol:
        return {"status": "proved", "max_abs_err": err}
    return {"status": "wrong", "max_abs_err": err, "reason": f"max abs error {err:.4f} > {tol:.4f}"}


# ---------------------------------------------------------------------------------------------
# ezkl.

def exception_line(err_text):
    """First line of the Python exception a failed ezkl child printed, or None (a crash or a kill)."""
    lines = err_text.splitlines()
    starts = [i for i, l in enumerate(lines) if l.startswith("Traceback (most recent call last):")]
    if starts:
        for line in lines[starts[-1] + 1:]:
            if line.strip() and not line.startswith(" "):
                return line.strip()
    if "returned False" in err_text:
        return ce.last_error_line(err_text)
    return None


def ezkl_failure(e, d):
    """A StepFailed of an ezkl step as {"status", "failed_step", "reason"}."""
    err_path = os.path.join(d, e.step + ".err")
    line = exception_line(open(err_path).read()) if os.path.exists(err_path) else None
    if "timed out" in e.message:
        return {"status": "failed", "failed_step": e.step, "reason": f"timeout: {e.message}"}
    if line is None or "PanicException" in line:
        return {"status": "failed", "failed_step": e.step, "reason": f"crash: {line or e.message}"[:400]}
    status = "refused" if e.step in BEFORE_PROVE else "failed"
    return {"status": status, "failed_step": e.step, "reason": line[:400]}


def cached_srs(k, d, timeout):
    """compare_ezkl's SRS cache (one generator per k at a time, within timeout s): the path."""
    with _doc_lock:
        lock = _srs_locks.setdefault(k, threading.Lock())
    with lock:
        return ce.srs_for(k, d, timeout=timeout)


def ezkl_pipeline(case, d, f, r, budget_s):
    """ezkl's steps up to verify, all within budget_s (generating a missing SRS included)."""
    deadline = time.time() + budget_s

    def left(name):
        if deadline - time.time() <= 1:
            raise ce.StepFailed(name, f"timed out: the {budget_s} s budget is spent")
        return deadline - time.time()

    def step(name, **args):
        r["steps"][name] = ce.ezkl_step(name, d, timeout=left(name), **args)

    model = os.path.abspath(case["model"])
    step("gen_settings", model=model, settings=f["settings"])
    step("calibrate_settings", data=f["data"], model=model, settings=f["settings"], target=ce.CALIBRATION_TARGET)
    step("compile_circuit", model=model, compiled=f["compiled"], settings=f["settings"])
    r.update(ce.ezkl_settings_summary(f["settings"]))
    srs = cached_srs(r["k"], d, left("gen_srs"))
    step("setup", compiled=f["compiled"], vk=f["vk"], pk=f["pk"], srs=srs)
    step("gen_witness", data=f["data"], compiled=f["compiled"], witness=f["witness"])
    step("prove", witness=f["witness"], compiled=f["compiled"], pk=f["pk"], proof=f["proof"], srs=srs)
    step("verify", proof=f["proof"], settings=f["settings"], vk=f["vk"], srs=srs)
    return srs


def run_ezkl(case, base, budget_s, anvil):
    d = os.path.join(base, "ezkl")
    os.makedirs(d)
    f = ce.ezkl_files(d)
    ce.ezkl_input(case["input"], f["data"])
    r = {"status": "failed", "steps": {}}
    try:
        srs = ezkl_pipeline(case, d, f, r, budget_s)
        proof = json.load(open(f["proof"]))
        r["outputs"] = flat_floats(proof["pretty_public_inputs"]["rescaled_outputs"])
        r.update(score(r["outputs"], case["expected"]))
        r["prove_s"] = r["steps"]["prove"]["call_s"]
        r["proof_bytes"] = len(bytes.fromhex(proof["hex_proof"].removeprefix("0x")))
    except ce.StepFailed as e:
        r.update(ezkl_failure(e, d))
        return r
    if anvil:
        with _chain_lock:
            try:
                ce.ezkl_evm_verify(d, f, srs, anvil, r["steps"], r)
            except ce.StepFailed as e:
                r["gas_error"] = f"{e.step}: {e.message}"
    return r


# ---------------------------------------------------------------------------------------------
# zkinfer.

def run_zkinfer(case, base, budget_s, gas):
    d = os.path.join(base, "zkinfer")
    os.makedirs(d)
    try:
        r = coverage().check(case, d, compile_args=ZKINFER_COMPILE_ARGS, budget_s=budget_s)
    except subprocess.TimeoutExpired as e:
        r = {"status": "failed", "reason": f"timeout: `zkinfer {e.cmd[1]}` ran past the {budget_s} s budget"}
    for key in ("name", "source", "ops"):
        r.pop(key, None)
    if "prove_s" in r:  # coverage.check's prove_s is its whole pipeline's time
        r["pipeline_s"] = r.pop("prove_s")
        r["prove_s"] = r["step_s"]["prove"]
    if gas and r["status"] in ("proved", "wrong"):
        zkinfer_gas(case, d, r)
    return r


def zkinfer_gas(case, d, r):
    """verify gas from `zkinfer bench --json` (a real verifyProof transaction on bench's own anvil)."""
    bench_dir = os.path.join(d, "bench")
    os.makedirs(bench_dir)
    try:
        scale = ["--scale-bits", str(r["scale_bits"])] if "scale_bits" in r else []  # the scale compile chose
        out, _ = ce.zkinfer_step("bench", case["model"], "--input", case["input"], "--json", *ZKINFER_COMPILE_ARGS,
                                 *scale, "--dir", bench_dir, log_dir=d)
        bench = json.loads(out.strip().splitlines()[-1])
        for key in ("verify_gas", "proof_bytes", "verifier_runtime_bytes", "k"):
            r["bench_" + key if key == "k" else key] = bench.get(key)
    except (ce.StepFailed, ValueError, KeyError) as e:
        r["gas_error"] = str(e)[:400]
        gas = bench_logged_gas(os.path.join(d, "bench.err"))
        if gas:  # bench failed after its verifyProof transaction had gone through
            r["verify_gas"], r["verify_gas_from"] = gas, "bench's log (its on-chain verify step), bench failed later"


def bench_logged_gas(err_path):
    """gasUsed of the on-chain verify step in a failed bench run's log, or None."""
    text = open(err_path).read() if os.path.exists(err_path) else ""
    step = text.split("verifying the proof on-chain (transaction)", 1)
    m = re.search(r"^\s+verify gas (\d+):", step[1], re.M) if len(step) == 2 else None
    return int(m.group(1)) if m else None


# ---------------------------------------------------------------------------------------------
# One case, the json document.

def prune(d):
    """Removes files over 1 MB (keys, SRS copies) from a finished case's work directory."""
    for dirpath, _, files in os.walk(d):
        for name in files:
            p = os.path.join(dirpath, name)
            if os.path.getsize(p) > LARGE_FILE:
                os.remove(p)


def run_case(case, args, anvil, old):
    """One case through both systems; with --zkinfer-only and an earlier record (`old`), through
    zkinfer only, the earlier ezkl result kept (marked with its run's time)."""
    base = os.path.join(WORK, case["name"].replace("/", "__"))
    keep_ezkl = args.zkinfer_only and old is not None
    shutil.rmtree(os.path.join(base, "zkinfer") if keep_ezkl else base, ignore_errors=True)
    os.makedirs(base, exist_ok=True)
    t0, load0 = time.time(), os.getloadavg()[0]
    gas = args.gas and case["name"] in GAS_MODELS
    z = run_zkinfer(case, base, args.budget, gas)
    if keep_ezkl:
        e = dict(old["ezkl"])
        e.setdefault("run_at", old.get("ezkl_run_at", old["run_at"]))
    else:
        e = run_ezkl(case, base, args.budget, anvil if gas else None)
    prune(base)
    return {"name": case["name"], "source": case["source"], "ops": case["ops"],
            "tolerance": round(coverage().tolerance(case["expected"]), 5), "n_outputs": len(case["expected"]),
            "gas_measured": gas, "run_at": now(), "wall_s": round(time.time() - t0, 1),
            "loadavg_1min": [round(load0, 2), round(os.getloadavg()[0], 2)], "zkinfer": z, "ezkl": e}


def load_doc():
    if os.path.exists(OUT_JSON):
        return json.load(open(OUT_JSON))
    return {"results": [], "runs": []}


def save_doc(doc):
    tmp = OUT_JSON + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(tmp, OUT_JSON)


def record(doc, result, order):
    """Puts result into doc (replacing an older record of that case), in case order; saves."""
    with _doc_lock:
        rest = [r for r in doc["results"] if r["name"] != result["name"]]
        doc["results"] = sorted(rest + [result], key=lambda r: order.get(r["name"], len(order)))
        save_doc(doc)


def done(doc, case, args):
    """With --resume: whether this case's record is already there (and has gas, when --gas wants it)."""
    old = next((r for r in doc["results"] if r["name"] == case["name"]), None)
    if old is None:
        return False
    return not (args.gas and case["name"] in GAS_MODELS and not old.get("gas_measured"))


def status_cell(s):
    return s["status"] + (" (timeout)" if s.get("reason", "").startswith("timeout") else "")


def log_line(i, n, r):
    z, e = r["zkinfer"], r["ezkl"]
    print(f"[{i}/{n}] {r['name']}: zkinfer {status_cell(z)} {z.get('max_abs_err', '')} | "
          f"ezkl {status_cell(e)} {e.get('max_abs_err', '')} {(e.get('reason') or '')[:100]} ({r['wall_s']} s)",
          file=sys.stderr, flush=True)


def run(args):
    cov = coverage()
    inputs = os.path.join(WORK, "onnx-inputs")
    os.makedirs(inputs, exist_ok=True)
    every = cov.corpus_cases() + cov.onnx_test_cases(inputs)
    order = {c["name"]: i for i, c in enumerate(every)}
    cases = [c for c in every if any(part in c["name"] for part in args.only.split(","))]
    os.makedirs(os.path.dirname(OUT_JSON), exist_ok=True)
    doc = load_doc()
    todo = [c for c in cases if not (args.resume and done(doc, c, args))]
    old = {r["name"]: r for r in doc["results"]}
    print(f"compare --coverage: {len(todo)} of {len(cases)} case(s) to run", file=sys.stderr)
    ce.prepare_ezkl_home()
    run_info = {"started_at": now(), "argv": sys.argv[1:], "cases": len(todo)}
    doc["runs"] = doc.get("runs", []) + [run_info]
    doc.update(machine=ce.machine(), versions=versions(), settings=settings(args))
    run_info["versions"] = doc["versions"]
    anvil = ce.Anvil() if args.gas else None
    try:
        with cf.ThreadPoolExecutor(args.jobs) as ex:
            futures = [ex.submit(run_case, c, args, anvil, old.get(c["name"])) for c in todo]
            for i, fut in enumerate(cf.as_completed(futures), 1):
                r = fut.result()
                record(doc, r, order)
                log_line(i, len(todo), r)
    finally:
        if anvil:
            anvil.stop()
        run_info["finished_at"] = now()
        with _doc_lock:
            save_doc(doc)
    write_markdown(doc)


def versions():
    import numpy
    import onnx
    v = ce.versions()
    v.update(onnx=onnx.__version__, numpy=numpy.__version__)
    return v


def settings(args):
    return {"budget_s_per_system": args.budget, "zkinfer_compile_args": list(ZKINFER_COMPILE_ARGS),
            "ezkl": {"input_visibility": ce.INPUT_VISIBILITY, "output_visibility": "public", "param_visibility": "fixed",
                     "calibration_target": ce.CALIBRATION_TARGET, "symbolic_dims": 1},
            "tolerance": "max(0.05, 0.05 * max |expected|)", "gas_models": GAS_MODELS, "jobs": args.jobs}


# ---------------------------------------------------------------------------------------------
# Report.

def cell(v, digits=None):
    if v is None:
        return "—"
    return f"{v:.{digits}f}" if digits is not None else (f"{v:,}" if isinstance(v, int) else str(v))


def has_err(s):
    return s.get("max_abs_err") is not None


def err_le(r):
    z, e = r["zkinfer"], r["ezkl"]
    if not (has_err(z) and has_err(e)):
        return "—"
    return "yes" if z["max_abs_err"] <= e["max_abs_err"] else "**no**"


def short(text):
    """A reason's first line with local paths cut (the onnx wheel's test data, this checkout)."""
    line = (text or "").splitlines()[0] if text else ""
    line = re.sub(r"\S*/onnx/backend/test/data/", "", line).replace(ROOT + "/", "")
    return line.replace("|", "/").replace("`", "'")


def note(r):
    parts = []
    for system in ("zkinfer", "ezkl"):
        s = r[system]
        reason = s.get("reason") or s.get("gas_error")
        if reason:
            where = f" at {s['failed_step']}" if s.get("failed_step") else ""
            text = short(reason)[:140]
            parts.append(f"{system}{where}: `{text}`")
    return "; ".join(parts)


def counts_table(results):
    by_source = {}
    for r in results:
        by_source.setdefault(r["source"], []).append(r)
    head = ["| source | models | zkinfer proved / wrong / refused / failed | ezkl proved / wrong / refused / failed "
            "| both proved | zkinfer err ≤ ezkl (of both verified) |", "|---|---|---|---|---|---|"]
    rows = []
    for source, rs in sorted(by_source.items()) + [("**all**", results)]:
        cnt = {sys_: [sum(r[sys_]["status"] == s for r in rs) for s in STATUSES] for sys_ in ("zkinfer", "ezkl")}
        both = sum(r["zkinfer"]["status"] == r["ezkl"]["status"] == "proved" for r in rs)
        cmp_ = [r for r in rs if has_err(r["zkinfer"]) and has_err(r["ezkl"])]
        le = sum(r["zkinfer"]["max_abs_err"] <= r["ezkl"]["max_abs_err"] for r in cmp_)
        rows.append(f"| {source} | {len(rs)} | {' / '.join(map(str, cnt['zkinfer']))} | "
                    f"{' / '.join(map(str, cnt['ezkl']))} | {both} | {le} of {len(cmp_)} |")
    return head + rows


def time_lines(results):
    both = [r for r in results if has_err(r["zkinfer"]) and has_err(r["ezkl"])
            and r["zkinfer"].get("prove_s") and r["ezkl"].get("prove_s")]
    if not both:
        return []
    ratios = sorted(r["zkinfer"]["prove_s"] / r["ezkl"]["prove_s"] for r in both)
    zt = sorted(r["zkinfer"]["prove_s"] for r in both)
    et = sorted(r["ezkl"]["prove_s"] for r in both)
    fast = sum(x <= 0.2 for x in ratios)
    le = sum(r["zkinfer"]["max_abs_err"] <= r["ezkl"]["max_abs_err"] for r in both)
    both_ok = sum(r["zkinfer"]["max_abs_err"] <= r["ezkl"]["max_abs_err"]
                  and r["zkinfer"]["prove_s"] <= 0.2 * r["ezkl"]["prove_s"] for r in both)
    errs = sorted(r["zkinfer"]["max_abs_err"] / max(r["ezkl"]["max_abs_err"], 1e-5) for r in both)
    mid = len(both) // 2
    return [f"On the {len(both)} models both verified: median prove {zt[mid]:.2f} s (zkinfer) vs {et[mid]:.2f} s (ezkl); "
            f"prove-time ratio z/e median {ratios[mid]:.3f}, largest {ratios[-1]:.2f}, at most 0.2 on {fast}; "
            f"error at most ezkl's on {le}, error ratio z/e median {errs[mid]:.1f} (errors below 1e-5 count as 1e-5); "
            f"both (error ≤ ezkl's and prove ≤ 0.2x) on {both_ok}.", ""]


def lists(results):
    worse = sorted((r for r in results if err_le(r) == "**no**"),
                   key=lambda r: -r["zkinfer"]["max_abs_err"] / r["tolerance"])
    only_e = [r for r in results if r["ezkl"]["status"] == "proved" and r["zkinfer"]["status"] != "proved"]
    only_z = [r for r in results if r["zkinfer"]["status"] == "proved" and r["ezkl"]["status"] != "proved"]
    out = ["## zkinfer's max abs error above ezkl's (to fix next)", "",
           f"{len(worse)} models, zkinfer's error as a share of the tolerance first.", ""]
    out += [f"- {r['name']}: zkinfer {r['zkinfer']['max_abs_err']} ({r['zkinfer']['status']}) vs ezkl "
            f"{r['ezkl']['max_abs_err']} ({r['ezkl']['status']}); tolerance {r['tolerance']}" for r in worse] or ["- none"]
    out += ["", "## Proved by ezkl, not by zkinfer", ""]
    out += [f"- {r['name']}: zkinfer {status_cell(r['zkinfer'])}: `{short(r['zkinfer'].get('reason'))[:160]}`"
            for r in only_e] or ["- none"]
    out += ["", "## Proved by zkinfer, not by ezkl", ""]
    out += [f"- {r['name']}: ezkl {status_cell(r['ezkl'])}"
            + (f" at {r['ezkl']['failed_step']}" if r["ezkl"].get("failed_step") else "")
            + f": `{short(r['ezkl'].get('reason'))[:160]}`" for r in only_z] or ["- none"]
    return out + [""]


def gas_table(results):
    rows = [r for r in results if r.get("gas_measured")]
    out = ["## Verify gas (the corpus' full networks)", "",
           "| model | zkinfer gas | ezkl gas | z/e | zkinfer / ezkl status |", "|---|---|---|---|---|"]
    for r in rows:
        z, e = r["zkinfer"].get("verify_gas"), r["ezkl"].get("verify_gas")
        ratio = f"{z / e:.2f}×" if z and e else "—"
        out.append(f"| {r['name']} | {cell(z)}{'*' if r['zkinfer'].get('verify_gas_from') else ''} | {cell(e)} | "
                   f"{ratio} | {status_cell(r['zkinfer'])} / {status_cell(r['ezkl'])} |")
    if any(r["zkinfer"].get("verify_gas_from") for r in rows):
        sources = sorted({r["zkinfer"]["verify_gas_from"] for r in rows if r["zkinfer"].get("verify_gas_from")})
        out += ["", "\\* Not from the main run: " + "; ".join(sources) + "."]
    return (out if rows else ["## Verify gas", "", "- not measured in these runs (`--gas`)"]) + [""]


def model_table(results):
    out = ["## Per model", "", "Cells with two values are **zkinfer / ezkl**.", "",
           "| model | source | zkinfer | ezkl | scale z/e | prove s z/e | max abs err z/e | err ≤ ezkl? | verify gas z/e | note |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        z, e = r["zkinfer"], r["ezkl"]
        zgas = cell(z.get("verify_gas")) + ("*" if z.get("verify_gas_from") else "")
        gas = f"{zgas} / {cell(e.get('verify_gas'))}" if r.get("gas_measured") else ""
        out.append("| " + " | ".join([
            r["name"], r["source"], status_cell(z), status_cell(e),
            f"{cell(z.get('scale_bits'))} / {cell((e.get('settings') or {}).get('input_scale'))}",
            f"{cell(z.get('prove_s'), 2)} / {cell(e.get('prove_s'), 2)}",
            f"{cell(z.get('max_abs_err'))} / {cell(e.get('max_abs_err'))}", err_le(r), gas, note(r)]) + " |")
    return out + [""]


def header(doc):
    m, v, runs = doc["machine"], doc["versions"], doc["runs"]
    results = doc["results"]
    loads = [x for r in results for x in r.get("loadavg_1min", [])]
    total = sum(r["wall_s"] for r in results)
    return [
        "# zkinfer vs ezkl: coverage of exporters' models",
        "",
        "Regenerated by `./script/compare --coverage` (`--report`: from the json only); raw records of both systems in "
        "`docs/compare-coverage/coverage.json`, work files in `target/compare-coverage/`. Every case runs through both "
        "systems on the same machine, one system after the other; a `--zkinfer-only` run reruns zkinfer and keeps "
        "each case's earlier ezkl record (its time in `ezkl.run_at`). The models: the corpus "
        "(`models/corpus/`, real exporters) and the ONNX project's exporter tests (`onnx/backend/test/data/"
        "{pytorch-converted,pytorch-operator,simple}` in the onnx wheel), discovered by `script/corpus/coverage.py`.",
        "",
        f"- Machine: {m['cpus']} cores ({m['cpu']}), {m['mem_gib']} GiB RAM, {m['os']}; shared with other jobs "
        + (f"(1-min load average {min(loads):.1f}–{max(loads):.1f})." if loads else "."),
        f"- Versions: ezkl {v['ezkl']} (pip), onnx {v.get('onnx')}; {v['zkinfer']} ({v['zkinfer_rev']}); "
        f"{v['anvil']}; solc {v['solc']} (as of the last run; the zkinfer binary's sha256 identifies what ran, the "
        "checkout HEAD is the one at that run's start).",
        f"- Runs: " + "; ".join(f"{x['started_at']} – {x.get('finished_at', 'interrupted')} ({x['cases']} cases, "
                                f"`{' '.join(x['argv'])}`)" for x in runs)
        + f". {len(results)} cases; per-case wall times sum to {total / 60:.0f} min (with `--jobs N`, N cases ran at once).",
        "",
    ]


def measured():
    return [
        "## How each number is measured",
        "",
        "- **status**: *proved* = the proof verified and the max abs error is within the tolerance "
        "(0.05, or 5% of the largest |expected| when larger; `coverage.tolerance`); *wrong* = verified but the error "
        "is above it; *refused* = an error before proving (zkinfer: `zkinfer compile`; ezkl: a Python exception from "
        "gen_settings, calibrate_settings, compile_circuit, setup or gen_witness; the note shows its first line); "
        "*failed* = an error in prove/verify (or zkinfer's setup), a crash (ezkl: a Rust panic or a killed process), an "
        "output count that differs from the float model's, or the per-system budget spent (*timeout*: "
        f"{BUDGET_S} s by default for all of a system's steps on one case; for ezkl this includes generating the "
        "insecure SRS of a k not yet cached, once per k, so the first case of a large k pays for it; the seconds in a "
        "timeout note are the killed step's share of the budget, the note says which step).",
        "- **zkinfer**: `zkinfer compile MODEL --calibrate INPUT --visibility input=public` (output public and weights "
        "fixed are its defaults; everything else default: `--calibrate` without `--scale-bits` chooses the scale, "
        "the balanced target, i.e. the smallest error on the sample among the scales predicted to prove within 2x "
        "the time of 2^8 or 1 s; 2^8 when the float model cannot run), then `setup`, `prove --input INPUT`, "
        "`verify`. Its outputs are the verified proof's `outputs`. **scale z/e**: zkinfer's chosen scale bits / "
        "ezkl's calibrated `input_scale`.",
        "- **ezkl**: `gen_settings` with input public, output public, params fixed (symbolic dims bound to 1), "
        "`calibrate_settings(target=\"resources\")` on the case's own input, `compile_circuit`, insecure `gen_srs` of "
        "the calibrated k (cached in `target/compare/srs/`), `setup`, `gen_witness`, `prove`, `verify`, each in its "
        "own child process. Its outputs are the proof's `pretty_public_inputs.rescaled_outputs` (all output "
        "tensors, flattened in order). Multi-input models get every input tensor in `input_data`.",
        "- **max abs err**: the largest |verified output − float output| over all outputs (rounded to 5 decimals); "
        "the float outputs are onnxruntime's (corpus) or the test's own output protobufs (ONNX tests). "
        "**err ≤ ezkl?** compares the two rounded errors whenever both systems verified a proof.",
        "- **prove s**: zkinfer: wall time of the `zkinfer prove` child process (process start, key loading, "
        "forward pass and witness included). ezkl: time of the `ezkl.prove` call inside its child "
        "(interpreter start, `import ezkl` and `gen_witness` excluded). One run each (no repeats), with other jobs "
        "on the machine: read them as rough.",
        "- **verify gas** (only the models with `--gas`, the corpus' full networks): `gasUsed` of a real `verifyProof` "
        "transaction on a local anvil, 21,000 base and calldata included. zkinfer: `zkinfer bench MODEL --input INPUT "
        "--json --visibility input=public --scale-bits S` (S: the scale compile chose); ezkl: `create_evm_verifier`, `deploy_evm`, then `cast send` of "
        "`encode_evm_calldata`'s calldata after a `cast call` returned true (as `./script/compare`).",
        "",
    ]


def write_markdown(doc):
    results = doc["results"]
    lines = header(doc) + ["## Summary", ""] + counts_table(results) + [""] + time_lines(results) + lists(results) \
        + gas_table(results) + model_table(results) + measured()
    with open(OUT_MD, "w") as f:
        f.write("\n".join(lines))


def main():
    ap = argparse.ArgumentParser(prog="compare --coverage")
    ap.add_argument("--only", default="", help="only cases whose name contains this (or one of these, comma-separated)")
    ap.add_argument("--jobs", type=int, default=1, help="cases run at once")
    ap.add_argument("--gas", action="store_true", help="verify gas for GAS_MODELS")
    ap.add_argument("--resume", action="store_true", help="skip cases already in docs/compare-coverage/coverage.json")
    ap.add_argument("--zkinfer-only", action="store_true",
                    help="rerun zkinfer only, keeping each case's earlier ezkl result (its run time in ezkl.run_at)")
    ap.add_argument("--budget", type=int, default=BUDGET_S, help="seconds per system per case")
    ap.add_argument("--report", action="store_true", help="only regenerate the markdown from the json")
    args = ap.parse_args()
    if args.report:
        if not os.path.exists(OUT_JSON):
            sys.exit("compare: no docs/compare-coverage/coverage.json yet: run ./script/compare --coverage")
        write_markdown(load_doc())
        print(open(OUT_MD).read())
        return
    if "ZKINFER" not in os.environ:
        sys.exit("compare: $ZKINFER is not set: run ./script/compare --coverage")
    run(args)


if __name__ == "__main__":
    main()
