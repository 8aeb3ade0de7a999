#!/usr/bin/env python3
"""Side-by-side benchmark of zkinfer and ezkl (driven by ./script/compare; run that, not this).

    python script/compare_ezkl.py [MODEL ...]        # needs $ZKINFER and the pinned ezkl venv

For every model (default: each models/<name>.onnx with a models/<name>.input.json) it runs, one
after the other on this machine:

Both systems get the same visibility: input public (ezkl's default; set ZKINFER_COMPARE_INPUT=hashed
to compare Poseidon-hashed inputs on both sides), output public, weights fixed.

  ezkl     gen_settings (input as above, output public, params fixed) -> calibrate_settings
           (target "resources", the sample input) -> compile_circuit -> gen_srs (insecure, cached
           per k) -> setup -> gen_witness -> prove -> verify -> create_evm_verifier ->
           deploy_evm on a local anvil -> a real verifyProof transaction with encode_evm_calldata's
           calldata (gas = the receipt's gasUsed; verifier size = `cast code`).
  zkinfer  `zkinfer bench MODEL --input INPUT --json` (k, columns, proof, gas, verifier size, and its
           own in-process timings), then the steps `zkinfer compile/setup/prove/verify` again,
           measured exactly like ezkl's steps.

Every timed step runs in its own child process; its peak RSS is that child's ru_maxrss (os.wait4),
so both systems' memory is measured the same way. ezkl steps run in a Python child (this file with
--step) and their time is the ezkl call alone (interpreter start and `import ezkl` excluded); zkinfer
steps are the CLI's wall time (process start and file I/O included).

Writes docs/compare/<model>.json and regenerates docs/comparison.md from all of docs/compare/*.json
(with ZKINFER_COMPARE_INPUT=hashed: docs/compare-hashed/ and docs/comparison-hashed.md).
"""
import asyncio
import datetime
import glob
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
WORK = os.path.join(ROOT, "target", "compare")
SRS_DIR = os.path.join(WORK, "srs")
EZKL_HOME = os.path.join(WORK, "ezkl-home")  # HOME for ezkl children: its solc lookup goes here
TOOLS = os.path.join(ROOT, ".tools", "bin")
# The input's visibility on both sides (public: ezkl's default; hashed: Poseidon on both), and
# where each visibility's results go (public: docs/comparison.md; hashed: docs/comparison-hashed.md).
INPUT_VISIBILITY = os.environ.get("ZKINFER_COMPARE_INPUT", "public")
_SUFFIX = "" if INPUT_VISIBILITY == "public" else "-" + INPUT_VISIBILITY
OUT_JSON = os.path.join(ROOT, "docs", "compare" + _SUFFIX)
OUT_MD = os.path.join(ROOT, "docs", "comparison" + _SUFFIX + ".md")

CALIBRATION_TARGET = "resources"
ANVIL_KEY = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"  # anvil's account 0
STEP_TIMEOUT_S = 3600
PROVE_REPEAT = int(os.environ.get("COMPARE_PROVE_REPEAT", "3"))  # prove runs per system; median reported
EIP170_LIMIT = 24576


def gnu_time():
    """/usr/bin/time if it is GNU time (prints %M, the child's max RSS in KB), else None."""
    t = "/usr/bin/time"
    if not os.path.exists(t):
        return None
    res = subprocess.run([t, "--version"], capture_output=True, text=True)
    return t if "GNU" in res.stdout + res.stderr else None


GNU_TIME = gnu_time()
RSS_METHOD = ("ru_maxrss of the step's process, read by GNU time (/usr/bin/time -f %M)" if GNU_TIME else
              "ru_maxrss from os.wait4 (no GNU time here: includes the driver's RSS at exec as a floor)")
TARGETS = {"prove": 0.33, "memory": 0.5, "proof_bytes": 3072}


class StepFailed(Exception):
    def __init__(self, step, message):
        super().__init__(f"{step}: {message}")
        self.step, self.message = step, message


# ---------------------------------------------------------------------------------------------
# Child side: one ezkl call per process.

def _child_step(name, args):
    """Runs one ezkl function; prints {"call_s": ...} as the last stdout line."""
    import ezkl

    def run_args():
        ra = ezkl.PyRunArgs()
        ra.input_visibility, ra.output_visibility, ra.param_visibility = INPUT_VISIBILITY, "public", "fixed"
        ra.variables = [(sym, 1) for sym in onnx_symbols(args["model"])] or ra.variables
        return ra

    calls = {
        "import": lambda: None,
        "gen_settings": lambda: ezkl.gen_settings(args["model"], args["settings"], py_run_args=run_args()),
        "calibrate_settings": lambda: ezkl.calibrate_settings(
            args["data"], args["model"], args["settings"], args["target"]),
        "compile_circuit": lambda: ezkl.compile_circuit(args["model"], args["compiled"], args["settings"]),
        "gen_srs": lambda: ezkl.gen_srs(args["srs"], args["k"]),
        "setup": lambda: ezkl.setup(args["compiled"], args["vk"], args["pk"], srs_path=args["srs"]),
        "gen_witness": lambda: ezkl.gen_witness(args["data"], args["compiled"], args["witness"]),
        "prove": lambda: ezkl.prove(args["witness"], args["compiled"], args["pk"], args["proof"],
                                    srs_path=args["srs"]),
        "verify": lambda: ezkl.verify(args["proof"], args["settings"], args["vk"], srs_path=args["srs"]),
        "create_evm_verifier": lambda: ezkl.create_evm_verifier(
            args["vk"], args["settings"], args["sol"], args["abi"], srs_path=args["srs"]),
        "encode_evm_calldata": lambda: ezkl.encode_evm_calldata(args["proof"], args["calldata"]),
        "deploy_evm": lambda: ezkl.deploy_evm(args["addr"], args["rpc"], args["sol"], "verifier", 1, ANVIL_KEY),
    }

    async def call():
        result = calls[name]()
        if asyncio.iscoroutine(result) or asyncio.isfuture(result):
            result = await result
        return result

    start = time.perf_counter()
    result = asyncio.run(call())
    elapsed = time.perf_counter() - start
    if result is False:
        raise SystemExit(f"ezkl.{name} returned False")
    print(json.dumps({"call_s": elapsed}), flush=True)
    # Skip interpreter teardown: ezkl 23.0.5 sometimes segfaults at exit after an async call
    # (create_evm_verifier) whose work is already done and written.
    sys.stdout.flush(), sys.stderr.flush()
    os._exit(0)


# ---------------------------------------------------------------------------------------------
# Parent side: child processes, measured.

def last_error_line(text):
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    return lines[-1][:400] if lines else "(no output)"


def run_measured(step, argv, log_path, env=None, cwd=ROOT, timeout=None):
    """Runs argv as a child (stdout/stderr kept in log_path.out/.err); returns its stdout and
    {"wall_s", "peak_rss_mb"}. Raises StepFailed with the child's last error line.

    Peak RSS is the child's ru_maxrss as reported by GNU time: Linux carries the hiwater RSS of the
    process that execs into ru_maxrss, so a child started straight from this (large) Python process
    would report at least this process's RSS; GNU time is a small launcher. Without it, os.wait4's
    figure is used and RSS_METHOD says so. The child is killed after timeout s (default STEP_TIMEOUT_S)."""
    timeout = timeout or STEP_TIMEOUT_S
    if GNU_TIME:
        argv = [GNU_TIME, "-f", "%M", "-o", log_path + ".rss", *argv]
    with open(log_path + ".out", "w+") as out_f, open(log_path + ".err", "w+") as err_f:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out_f, stderr=err_f, env=env, cwd=cwd, start_new_session=True)
        timer = threading.Timer(timeout, os.killpg, (proc.pid, signal.SIGKILL))
        timer.start()
        try:
            _, status, rusage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out_f.seek(0), err_f.seek(0)
        stdout, stderr = out_f.read(), err_f.read()
    time_report = open(log_path + ".rss").read() if GNU_TIME else ""
    if proc.returncode != 0:
        if wall >= timeout:
            why = f"timed out after {timeout:.0f} s"
        elif stderr.strip():
            why = last_error_line(stderr)
        elif "terminated by signal" in time_report:
            why = time_report.splitlines()[0]
        else:
            why = f"exit code {proc.returncode}: {last_error_line(stdout)}"
        raise StepFailed(step, why)
    max_kb = int(time_report.split()[-1]) if GNU_TIME else rusage.ru_maxrss
    return stdout, {"wall_s": round(wall, 4), "peak_rss_mb": round(max_kb / 1024, 1)}


def repeated(run, n):
    """Runs a measured step n times: median of each time, max of peak RSS, all samples kept."""
    samples = [run() for _ in range(n)]
    merged = {key: round(statistics.median(s[key] for s in samples), 4) for key in ("wall_s", "call_s")
              if key in samples[0]}
    merged["peak_rss_mb"] = max(s["peak_rss_mb"] for s in samples)
    merged["samples"] = samples
    return merged


def ezkl_step(name, workdir, timeout=None, **args):
    """One ezkl call in a child Python process: {"call_s", "wall_s", "peak_rss_mb"}."""
    env = dict(os.environ, HOME=EZKL_HOME, RUST_LOG=os.environ.get("RUST_LOG", "error"))
    argv = [sys.executable, os.path.abspath(__file__), "--step", name, json.dumps(args)]
    stdout, m = run_measured(name, argv, os.path.join(workdir, name), env=env, cwd=workdir, timeout=timeout)
    m["call_s"] = round(json.loads(stdout.strip().splitlines()[-1])["call_s"], 4)
    return m


def tool(name, *args):
    res = subprocess.run([os.path.join(TOOLS, name), *args], capture_output=True, text=True)
    if res.returncode != 0:
        raise StepFailed(name, last_error_line(res.stderr or res.stdout))
    return res.stdout.strip()


# ---------------------------------------------------------------------------------------------
# Local chain.

class Anvil:
    def __init__(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.rpc = f"http://127.0.0.1:{self.port}"
        # No EIP-170 limit, so that a too-large ezkl verifier can still be measured (flagged in the table).
        self.proc = subprocess.Popen(
            [os.path.join(TOOLS, "anvil"), "--port", str(self.port), "--silent", "--disable-code-size-limit"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if subprocess.run([os.path.join(TOOLS, "cast"), "block-number", "--rpc-url", self.rpc],
                              capture_output=True).returncode == 0:
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"anvil did not start on port {self.port}")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def runtime_size(self, addr):
        code = tool("cast", "code", "--rpc-url", self.rpc, addr)
        return (len(code) - 2) // 2

    def verify_tx(self, addr, calldata_hex):
        """Checks verifyProof returns true in a call, then sends it: gasUsed of the receipt."""
        ret = tool("cast", "call", "--rpc-url", self.rpc, addr, calldata_hex)
        if int(ret, 16) != 1:
            raise StepFailed("verify_tx", f"verifier returned {ret}")
        receipt = json.loads(tool("cast", "send", "--json", "--rpc-url", self.rpc,
                                  "--private-key", "0x" + ANVIL_KEY, addr, calldata_hex))
        if int(receipt["status"], 16) != 1:
            raise StepFailed("verify_tx", "verifyProof transaction reverted")
        return int(receipt["gasUsed"], 16)


# ---------------------------------------------------------------------------------------------
# ezkl.

def onnx_symbols(model):
    """Symbolic input dimensions (e.g. "batch"); ezkl needs each bound, we bind them to 1."""
    import onnx
    graph = onnx.load(model).graph
    return sorted({d.dim_param for i in graph.input for d in i.type.tensor_type.shape.dim if d.dim_param})


def ezkl_input(src, dst):
    """ezkl wants {"input_data": [[...]]}; bundled inputs may also be zkinfer's {"input": [...]}."""
    data = json.load(open(src))
    if "input_data" not in data:
        data = {"input_data": [data["input"]]}
    json.dump(data, open(dst, "w"))


def srs_for(k, workdir, timeout=None):
    """Path of the cached insecure SRS for k, generated on first use (within timeout s)."""
    os.makedirs(SRS_DIR, exist_ok=True)
    path = os.path.join(SRS_DIR, f"kzg{k}.srs")
    if not os.path.exists(path):
        print(f"    ezkl gen_srs k={k} (cached in {os.path.relpath(path, ROOT)})", file=sys.stderr)
        tmp = f"{path}.{os.getpid()}.tmp"  # one per process: concurrent runs do not share a half-written file
        ezkl_step("gen_srs", workdir, timeout=timeout, srs=tmp, k=k)
        os.replace(tmp, path)
    return path


def advice_columns_from_verifier(sol_path):
    """Advice commitments the verifier reads in phase 1 (64 bytes each): ezkl's advice columns."""
    m = re.search(r"// Phase 1\s+for\s+\{ let proof_cptr_end := add\(proof_cptr, (0x[0-9a-fA-F]+)\) \}",
                  open(sol_path).read())
    return int(m.group(1), 16) // 64 if m else None


def ezkl_files(d):
    """Paths of one ezkl run's files in its work directory d."""
    return {k: os.path.join(d, v) for k, v in {
        "data": "input.json", "settings": "settings.json", "compiled": "model.compiled", "vk": "vk.key",
        "pk": "pk.key", "witness": "witness.json", "proof": "proof.json", "sol": "Verifier.sol",
        "abi": "Verifier.abi", "calldata": "calldata.bin", "addr": "verifier.addr"}.items()}


def ezkl_settings_summary(path):
    """k (logrows), the chosen run args and the circuit's size from a calibrated settings.json."""
    settings = json.load(open(path))
    ra = settings["run_args"]
    return {"k": ra["logrows"],
            "settings": {key: ra[key] for key in (
                "input_visibility", "output_visibility", "param_visibility", "input_scale", "param_scale",
                "num_inner_cols", "lookup_range", "decomp_base", "decomp_legs", "check_mode", "variables")},
            "num_rows": settings["num_rows"], "total_assignments": settings["total_assignments"],
            "required_lookups": settings["required_lookups"],
            "required_range_checks": settings["required_range_checks"]}


def ezkl_evm_verify(d, f, srs, anvil, steps, r):
    """EVM verifier of a proved ezkl run: create_evm_verifier -> deploy_evm on anvil -> a real verifyProof
    transaction; sets r's advice_columns, verifier_runtime_bytes and verify_gas."""
    steps["create_evm_verifier"] = ezkl_step("create_evm_verifier", d, vk=f["vk"], settings=f["settings"],
                                             sol=f["sol"], abi=f["abi"], srs=srs)
    r["advice_columns"] = advice_columns_from_verifier(f["sol"])
    steps["encode_evm_calldata"] = ezkl_step("encode_evm_calldata", d, proof=f["proof"], calldata=f["calldata"])
    steps["deploy_evm"] = ezkl_step("deploy_evm", d, addr=f["addr"], rpc=anvil.rpc, sol=f["sol"])
    addr = open(f["addr"]).read().strip()
    r["verifier_runtime_bytes"] = anvil.runtime_size(addr)
    r["verify_gas"] = anvil.verify_tx(addr, "0x" + open(f["calldata"], "rb").read().hex())


def run_ezkl(name, model, inp, anvil):
    d = os.path.join(WORK, name, "ezkl")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    f = ezkl_files(d)
    ezkl_input(inp, f["data"])
    r = {"status": "failed", "calibration_target": CALIBRATION_TARGET, "steps": {}}
    steps = r["steps"]
    try:
        steps["gen_settings"] = ezkl_step("gen_settings", d, model=model, settings=f["settings"])
        steps["calibrate_settings"] = ezkl_step("calibrate_settings", d, data=f["data"], model=model,
                                                settings=f["settings"], target=CALIBRATION_TARGET)
        steps["compile_circuit"] = ezkl_step("compile_circuit", d, model=model, compiled=f["compiled"],
                                             settings=f["settings"])
        r.update(ezkl_settings_summary(f["settings"]))
        srs = srs_for(r["k"], d)
        steps["setup"] = ezkl_step("setup", d, compiled=f["compiled"], vk=f["vk"], pk=f["pk"], srs=srs)
        steps["gen_witness"] = ezkl_step("gen_witness", d, data=f["data"], compiled=f["compiled"],
                                         witness=f["witness"])
        steps["prove"] = repeated(lambda: ezkl_step("prove", d, witness=f["witness"], compiled=f["compiled"],
                                                    pk=f["pk"], proof=f["proof"], srs=srs), PROVE_REPEAT)
        steps["verify"] = ezkl_step("verify", d, proof=f["proof"], settings=f["settings"], vk=f["vk"], srs=srs)
        proof = json.load(open(f["proof"]))
        r["proof_bytes"] = len(bytes.fromhex(proof["hex_proof"].removeprefix("0x")))
        r["outputs"] = proof["pretty_public_inputs"]["rescaled_outputs"]
        ezkl_evm_verify(d, f, srs, anvil, steps, r)
        r["status"] = "ok"
    except StepFailed as e:
        r.update(failed_step=e.step, error=e.message)
    finally:
        for key, step in (("setup_s", "setup"), ("prove_s", "prove"), ("witness_s", "gen_witness")):
            if step in steps:
                r[key] = steps[step]["call_s"]
        if "prove" in steps:
            r["peak_rss_mb"] = steps["prove"]["peak_rss_mb"]
    return r


# ---------------------------------------------------------------------------------------------
# zkinfer.

def zkinfer_step(step, *args, log_dir):
    return run_measured(step, [os.environ["ZKINFER"], step, *args], os.path.join(log_dir, step))


def run_zkinfer(name, model, inp):
    base = os.path.join(WORK, name, "zkinfer")
    shutil.rmtree(base, ignore_errors=True)
    bench_dir, step_dir = os.path.join(base, "bench"), os.path.join(base, "steps")
    os.makedirs(bench_dir), os.makedirs(step_dir)
    r = {"status": "failed", "steps": {}}
    steps = r["steps"]
    try:
        visibility = ("--visibility", f"input={INPUT_VISIBILITY}")
        # compile --calibrate chooses the scale (its default); bench then runs at that scale.
        _, steps["compile"] = zkinfer_step("compile", model, "--calibrate", inp, *visibility, "--dir", step_dir,
                                           log_dir=base)
        scale = json.load(open(os.path.join(step_dir, "circuit.json")))["model"]["params"]["scale_bits"]
        r["scale_bits"] = scale
        out, steps["bench"] = zkinfer_step("bench", model, "--input", inp, "--json", *visibility,
                                           "--scale-bits", str(scale), "--dir", bench_dir, log_dir=base)
        bench = json.loads(out.strip().splitlines()[-1])
        r["bench"] = bench
        for key in ("k", "rows", "advice_columns", "proof_bytes", "verify_gas", "verifier_runtime_bytes"):
            r[key] = bench[key]
        r["bench_peak_rss_mb"] = bench["peak_rss_mb"]
        _, steps["setup"] = zkinfer_step("setup", "--dir", step_dir, log_dir=base)
        steps["prove"] = repeated(lambda: zkinfer_step("prove", "--input", inp, "--dir", step_dir, log_dir=base)[1],
                                  PROVE_REPEAT)
        _, steps["verify"] = zkinfer_step("verify", "--dir", step_dir, log_dir=base)
        r["setup_s"] = steps["setup"]["wall_s"]
        r["prove_s"] = steps["prove"]["wall_s"]
        r["peak_rss_mb"] = steps["prove"]["peak_rss_mb"]
        r["status"] = "ok"
    except StepFailed as e:
        r.update(failed_step=e.step, error=e.message)
    return r


# ---------------------------------------------------------------------------------------------
# Environment description.

def sh(*argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, cwd=ROOT).stdout.strip()
    except OSError:
        return ""


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem_kb = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
    return {"cpus": os.cpu_count(), "cpu": cpu, "mem_gib": round(mem_kb / 2**20, 1),
            "os": f"{platform.system()} {platform.release()} {platform.machine()}"}


def versions():
    from importlib.metadata import version
    zk = os.environ["ZKINFER"]
    rev = os.environ.get("ZKINFER_REV") or (
        f"prebuilt binary, sha256 {hashlib.sha256(open(zk, 'rb').read()).hexdigest()[:12]}; "
        f"checkout HEAD {sh('git', 'rev-parse', '--short', 'HEAD')}")
    return {"ezkl": version("ezkl"), "zkinfer": sh(zk, "--version"), "zkinfer_rev": rev,
            "zkinfer_binary": os.path.relpath(zk, ROOT) if zk.startswith(ROOT) else zk,
            "anvil": sh(os.path.join(TOOLS, "anvil"), "--version").splitlines()[0].replace("Version: ", ""),
            "solc": next((l.replace("Version: ", "") for l in sh(os.path.join(TOOLS, "solc"), "--version").splitlines()
                          if l.startswith("Version")), "?")}


def prepare_ezkl_home():
    """ezkl looks for solc only at $HOME/.svm/0.8.20/solc-0.8.20: point it at our solc."""
    d = os.path.join(EZKL_HOME, ".svm", "0.8.20")
    os.makedirs(d, exist_ok=True)
    link = os.path.join(d, "solc-0.8.20")
    if os.path.lexists(link):
        os.remove(link)
    os.symlink(os.path.join(TOOLS, "solc"), link)


# ---------------------------------------------------------------------------------------------
# Report.

def fmt(v, digits=None):
    if v is None:
        return "—"
    if digits is not None:
        return f"{v:.{digits}f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def pair(z, e, key, digits=None):
    return f"{fmt(z.get(key), digits)} / {fmt(e.get(key), digits)}"


def ratio(z, e, key, target=None):
    if z.get(key) is None or not e.get(key):
        return "—"
    x = z[key] / e[key]
    mark = "" if target is None else (" ✓" if x <= target else " ✗")
    return f"{x:.3f}×{mark}" if x < 0.1 else f"{x:.2f}×{mark}"


def notes(r):
    out = []
    zs, es = r["zkinfer"].get("scale_bits"), (r["ezkl"].get("settings") or {}).get("input_scale")
    if zs is not None or es is not None:
        out.append(f"scale 2^{zs if zs is not None else '?'} / 2^{es if es is not None else '?'}")
    for system in ("zkinfer", "ezkl"):
        s = r[system]
        if s["status"] != "ok":
            out.append(f"{system} failed at {s.get('failed_step')}: `{s.get('error', '').replace('|', '/')}`")
        if (s.get("verifier_runtime_bytes") or 0) > EIP170_LIMIT:
            out.append(f"{system} verifier exceeds EIP-170 (24,576 B)")
    return "; ".join(out)


def load_line(results, cpus):
    loads = [x for r in results for x in r.get("loadavg_1min", [])]
    if not loads:
        return "- Machine load: not recorded."
    busy = " (above the core count: other jobs shared the CPU, so times are noisy)" if max(loads) > cpus else ""
    return f"- Machine load: 1-min load average {min(loads):.1f}–{max(loads):.1f} during these runs{busy}."


def write_markdown(results):
    first = results[0]
    m, v = first["machine"], first["versions"]
    ezkl_rss_base = first.get("ezkl_import_rss_mb")
    vis = first.get("input_visibility", "public")
    lines = [
        "# zkinfer vs ezkl",
        "",
        "Regenerated by `./script/compare` (subset: `./script/compare MODEL...`); raw numbers of both systems in "
        f"`docs/{os.path.basename(OUT_JSON)}/<model>.json`, work files in `target/compare/<model>/`. Both systems run one after the "
        "other in the same run on the same machine.",
        "",
        "Which system proves which models (every corpus model and ONNX exporter test, with status, prove time and "
        "max abs error of both): [comparison-coverage.md](comparison-coverage.md) (`./script/compare --coverage`).",
        "",
        f"- Machine: {m['cpus']} cores ({m['cpu']}), {m['mem_gib']} GiB RAM, {m['os']}; "
        f"run {min(r['run_at'] for r in results)} – {max(r['run_at'] for r in results)}.",
        f"- Versions: ezkl {v['ezkl']} (pip); {v['zkinfer']} ({v['zkinfer_rev']}); {v['anvil']}; "
        f"solc {v['solc']} (solcjs wrapper, used by both).",
        load_line(results, m["cpus"]),
        f"- ezkl settings: `gen_settings` defaults with input **{vis}**, output **public**, params **fixed** "
        f"(symbolic batch dims bound to 1), then `calibrate_settings(target=\"{CALIBRATION_TARGET}\")` on the sample "
        "input; insecure `gen_srs` SRS of exactly the calibrated k (cached; not timed); single (non-reusable) "
        "EVM verifier deployed by `ezkl.deploy_evm` (optimizer runs 1).",
        f"- zkinfer settings: `--visibility input={vis}` (output public, weights fixed), otherwise defaults "
        "(the scale chosen by `compile --calibrate`, its balanced target; bench at that scale; the layout chosen by the cost model within the 3 KB proof and "
        "350k verify-gas budgets), calibrated on the same sample input; dev (unsafe) SRS, SHPLONK; every proof also "
        "carries zkinfer's claimant binding instance.",
        "- Targets (zkinfer vs ezkl): prove ≤ 0.33×, peak memory ≤ 0.5×, proof ≤ 3 KB (3,072 B); ✓/✗ marks them.",
        "",
        "Cells are **zkinfer / ezkl**.",
        "",
        "| model | k | advice cols | prove s | setup s | peak MB (prove) | proof B | verify gas | verifier B "
        "| prove z/e | peak MB z/e | proof B z/e | notes |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        z, e = r["zkinfer"], r["ezkl"]
        proof_mark = "" if z.get("proof_bytes") is None else (
            " ✓" if z["proof_bytes"] <= TARGETS["proof_bytes"] else " ✗")
        proof_ratio = ratio(z, e, "proof_bytes")
        lines.append("| " + " | ".join([
            r["model"], pair(z, e, "k"), pair(z, e, "advice_columns"), pair(z, e, "prove_s", 2),
            pair(z, e, "setup_s", 2), pair(z, e, "peak_rss_mb", 0), pair(z, e, "proof_bytes") + proof_mark,
            pair(z, e, "verify_gas"), pair(z, e, "verifier_runtime_bytes"),
            ratio(z, e, "prove_s", TARGETS["prove"]), ratio(z, e, "peak_rss_mb", TARGETS["memory"]),
            proof_ratio, notes(r)]) + " |")
    lines += [
        "",
        "## How each number is measured",
        "",
        "- **k**: zkinfer's circuit k; ezkl's calibrated `logrows`.",
        "- **advice cols**: zkinfer's `advice_columns`; for ezkl the advice commitments its generated verifier reads "
        "in phase 1 (its settings hold `num_inner_cols`, recorded in the JSON).",
        "- **prove s / setup s**: zkinfer: wall time of a `zkinfer prove` / `zkinfer setup` child process (includes "
        "process start, reading keys, the forward pass and witness generation; the dev SRS comes from zkinfer's "
        "cache `~/.cache/zkinfer/srs`, filled by the `bench` run just before). ezkl: time of the `ezkl.prove` / `ezkl.setup` call inside a child Python process (includes "
        "reading keys; excludes interpreter start, `import ezkl`, `gen_witness` (its own `witness_s` in the JSON) "
        "and `gen_srs`). Both choices favour ezkl. Prove is run "
        f"{first.get('prove_repeat', 1)} times per system (median shown, every sample in the JSON); setup once.",
        f"- **peak MB**: {first['rss_method']}, for the prove step (max over its runs), the same for both. The ezkl child is a "
        "Python interpreter with ezkl imported"
        + (f" (that alone peaks at {ezkl_rss_base:.0f} MB here)" if ezkl_rss_base else "")
        + ". zkinfer's own `bench` figure (whole pipeline in one process) is `bench_peak_rss_mb` in the JSON.",
        "- **proof B**: bytes of the proof itself (zkinfer `proof_bytes`; ezkl the decoded `hex_proof`), not the JSON file.",
        "- **verify gas**: `gasUsed` of a real `verifyProof` transaction on a local anvil (zkinfer: inside `zkinfer "
        "bench`; ezkl: `cast send` of `encode_evm_calldata`'s calldata to the contract `ezkl.deploy_evm` deployed, "
        "after a `cast call` returned true). Includes the 21,000 base and calldata gas.",
        "- **verifier B**: deployed runtime bytecode (`cast code` for ezkl).",
        "",
    ]
    with open(OUT_MD, "w") as f:
        f.write("\n".join(lines))


# ---------------------------------------------------------------------------------------------

def models_to_run(args):
    names = args or sorted(os.path.basename(p)[:-len(".input.json")]
                           for p in glob.glob(os.path.join(ROOT, "models", "*.input.json")))
    for n in names:
        for suffix in (".onnx", ".input.json"):
            if not os.path.exists(os.path.join(ROOT, "models", n + suffix)):
                sys.exit(f"compare: models/{n}{suffix} not found")
    return names


def ezkl_import_rss():
    os.makedirs(WORK, exist_ok=True)
    return ezkl_step("import", WORK)["peak_rss_mb"]


def report():
    results = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(OUT_JSON, "*.json")))]
    if not results:
        sys.exit("compare: no docs/compare/*.json yet: run ./script/compare")
    write_markdown(results)
    print(open(OUT_MD).read())


def main(args):
    if args == ["--report"]:
        return report()
    names = models_to_run(args)
    os.makedirs(OUT_JSON, exist_ok=True)
    prepare_ezkl_home()
    env = {"machine": machine(), "versions": versions(), "rss_method": RSS_METHOD, "prove_repeat": PROVE_REPEAT,
           "input_visibility": INPUT_VISIBILITY,
           "ezkl_import_rss_mb": ezkl_import_rss()}
    started = time.time()
    anvil = Anvil()
    try:
        for name in names:
            model = os.path.join("models", name + ".onnx")
            inp = os.path.join("models", name + ".input.json")
            t0, load_before = time.time(), os.getloadavg()[0]
            print(f"==> {name}: ezkl", file=sys.stderr)
            e = run_ezkl(name, os.path.join(ROOT, model), os.path.join(ROOT, inp), anvil)
            print(f"==> {name}: zkinfer", file=sys.stderr)
            z = run_zkinfer(name, model, inp)
            result = {"model": name, "onnx": model, "input": inp,
                      "run_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                      "wall_s": round(time.time() - t0, 1),
                      "loadavg_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
                      **env, "zkinfer": z, "ezkl": e}
            with open(os.path.join(OUT_JSON, name + ".json"), "w") as f:
                json.dump(result, f, indent=1)
                f.write("\n")
            for system, r in (("zkinfer", z), ("ezkl", e)):
                status = "ok" if r["status"] == "ok" else f"FAILED at {r['failed_step']}: {r['error']}"
                print(f"    {system}: {status}", file=sys.stderr)
            print(f"    {time.time() - t0:.0f} s", file=sys.stderr)
    finally:
        anvil.stop()
    report()
    print(f"compare: {len(names)} model(s) in {time.time() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "--step":
        _child_step(sys.argv[2], json.loads(sys.argv[3]))
    else:
        if "ZKINFER" not in os.environ and sys.argv[1:] != ["--report"]:
            sys.exit("compare: $ZKINFER is not set: run ./script/compare")
        main(sys.argv[1:])
