//! Shared by the relayer's integration tests and `cli/tests/relayer.rs` (included there with
//! `#[path]`): the fixture circuit and proof, RelayProbe on the real generated verifier (with a
//! real VerifierRegistry), the real payment contracts, API tokens, anvil and relayer processes
//! that die with the test, and exactly-once checks against chain state.

#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::sol;
use alloy::sol_types::SolCall;
use zkinfer_relayer::{AllowedContract, ApiToken, ApiTokens, Chain, CircuitVerifier, CompiledContract, CompilerSettings, ContractKind, JobRequest, ProofPayload};

/// anvil's default funded keys: 0 deploys, 1 is the relayer's, 2 is someone else.
pub const KEYS: [&str; 3] = [
    "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9bdbbfa4c6e2a",
];

/// The circuit name tests use.
pub const CIRCUIT: &str = "fixture";

/// RelayProbe's custom errors, for readable revert reasons.
pub const PROBE_ERRORS: [&str; 2] = ["AlreadySubmitted(uint256,uint256)", "ProofRejected(uint256)"];

sol! {
    function count() external view returns (uint256);
    function submittedAt(uint256 jobId) external view returns (uint256);
    function claim(uint256 jobId, bytes proof, uint256[] instances) external;
    function transferOwnership(address newOwner) external;
}

/// The API token tests use (and a second one, for per-token budgets).
pub const TOKENS: [&str; 2] = ["test-token-0123456789abcdef0123456789abcdef", "other-token-fedcba9876543210fedcba9876543210"];

/// Test token `i`.
pub fn token(i: usize) -> ApiToken {
    ApiToken::new(&format!("t{i}"), TOKENS[i]).unwrap()
}

/// Both test tokens.
pub fn tokens() -> ApiTokens {
    ApiTokens::new(vec![token(0), token(1)]).unwrap()
}

/// Writes both tokens to `dir/tokens` (mode 0600) for `--api-token-file`.
pub fn token_file(dir: &Path) -> PathBuf {
    let path = dir.join("tokens");
    std::fs::write(&path, format!("# test tokens\nt0 {}\nt1 {}\n", TOKENS[0], TOKENS[1])).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    path
}

/// The workspace root.
pub fn root() -> PathBuf {
    zkinfer_relayer::tools::find_workspace_from(Path::new(env!("CARGO_MANIFEST_DIR")))
        .expect("the zkinfer workspace above this crate")
}

/// The fixture circuit's artifacts directory (circuit.json, setup.json, vk.bin): mlp_small
/// compiled as `script/gen-fixtures` does (calibration input, dot width 8), keys from the dev
/// SRS; deterministic, so built once per content into the temp directory.
pub fn fixture_circuit_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        use zkinfer_prover::artifact::{self, CircuitArtifact, SetupArtifact};
        let r = root();
        let model = r.join("models/mlp_small.onnx");
        let verifier_src = std::fs::read(r.join("test/fixtures/Halo2Verifier.sol")).unwrap();
        let mut tag = std::fs::read(&model).unwrap();
        tag.extend_from_slice(&verifier_src);
        let key = hex::encode(&alloy::primitives::keccak256(&tag)[..8]);
        let dir = std::env::temp_dir().join(format!("zkinfer-relayer-fixture-{key}"));
        if dir.join("vk.bin").is_file() {
            return dir;
        }
        let input = zkinfer_prover::input::read_input(&r.join("models/mlp_small.input.json")).unwrap();
        let opts = zkinfer_prover::CompileOptions { calibration: vec![input], dot_width: Some(8), ..Default::default() };
        let c = zkinfer_prover::compile(&model, &opts).unwrap();
        let art = CircuitArtifact::new(&model, c.model, c.plan).unwrap();
        let params = zkinfer_prover::srs::dev_srs(art.plan.k).unwrap();
        let pk = zkinfer_prover::proving::keygen(&params, &art.circuit()).unwrap();
        let tmp = tempfile::tempdir_in(std::env::temp_dir()).unwrap();
        art.save(&tmp.path().join("circuit.json")).unwrap();
        SetupArtifact::new(zkinfer_prover::srs::SrsSource::DevUnsafe, art.plan.k).save(&tmp.path().join("setup.json")).unwrap();
        artifact::save_vk(&tmp.path().join("vk.bin"), pk.get_vk()).unwrap();
        let tmp = tmp.keep();
        if std::fs::rename(&tmp, &dir).is_err() {
            let _ = std::fs::remove_dir_all(&tmp); // another test process got there first
        }
        dir
    })
}

/// The fixture circuit's verifier (checked against the fixture proof).
pub fn circuit() -> CircuitVerifier {
    let c = CircuitVerifier::load(CIRCUIT, fixture_circuit_dir()).unwrap();
    let p = fixture_proof();
    c.verify(&p.proof, &p.instances)
        .expect("test/fixtures/proof.json does not verify against the rebuilt fixture circuit: run ./script/gen-fixtures");
    c
}

/// test/fixtures/proof.json.
pub fn fixture_proof() -> ProofPayload {
    static P: OnceLock<ProofPayload> = OnceLock::new();
    P.get_or_init(|| {
        let text = std::fs::read_to_string(root().join("test/fixtures/proof.json")).unwrap();
        ProofPayload::from_json(&serde_json::from_str(&text).unwrap()).unwrap()
    })
    .clone()
}

/// The fixture proof with one byte flipped (in the middle of the proof).
pub fn tampered_proof() -> ProofPayload {
    let mut p = fixture_proof();
    let i = p.proof.len() / 2;
    p.proof[i] ^= 0x01;
    p
}

/// `claim(jobId, proof, instances)` on the probe, with the fixture proof.
pub fn probe_job(probe: Address, job_id: u64) -> JobRequest {
    JobRequest::claim(probe, U256::from(job_id), fixture_proof(), Some(CIRCUIT.into()))
}

/// A free loopback port (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// An anvil process on a fixed port (so it can be stopped and started again), killed on drop.
#[derive(Debug)]
pub struct Anvil {
    child: Option<Child>,
    pub port: u16,
    args: Vec<String>,
}

impl Anvil {
    /// Starts anvil with `args` (e.g. `--block-time 0.5`, `--no-mining`, `--state FILE`).
    pub fn start(args: &[&str]) -> Self {
        let mut a = Self { child: None, port: free_port(), args: args.iter().map(|s| s.to_string()).collect() };
        a.spawn();
        a
    }

    fn spawn(&mut self) {
        let bin = zkinfer_relayer::locate(zkinfer_relayer::Tool::Anvil).unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let child = Command::new(&bin)
                .args(["--port", &self.port.to_string(), "--silent"])
                .args(&self.args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            self.child = Some(child);
            while Instant::now() < deadline {
                if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                    return;
                }
                if let Some(Some(_)) = self.child.as_mut().map(|c| c.try_wait().unwrap()) {
                    break; // exited (port taken?): retry
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            assert!(Instant::now() < deadline, "anvil did not start on port {}", self.port);
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Its RPC URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops it gracefully (SIGTERM: anvil dumps `--state` on exit) and waits.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill").args(["-TERM", &c.id().to_string()]).status();
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if c.try_wait().unwrap().is_some() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again, same port and arguments.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// A chain signing with key `i`.
    pub fn chain(&self, i: usize) -> Chain {
        Chain::connect(&self.url(), KEYS[i]).unwrap()
    }

    /// Stops interval mining and lets a block in progress finish. Call before [`Anvil::stop`]:
    /// anvil 1.7.1 dumps `--state` on SIGTERM even in the middle of a block, and then restarts
    /// with state that includes a block its history lacks (no receipts for transactions whose
    /// effects are there).
    pub async fn pause_mining(&self) {
        let _: serde_json::Value = self.chain(0).provider().raw_request("evm_setIntervalMining".into(), (0,)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }

    /// Mines one block (`evm_mine`).
    pub async fn mine(&self) {
        let _: serde_json::Value = self.chain(0).provider().raw_request("evm_mine".into(), ()).await.unwrap();
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn verifier_initcode() -> Vec<u8> {
    static CODE: OnceLock<Vec<u8>> = OnceLock::new();
    CODE.get_or_init(|| {
        let src = std::fs::read_to_string(root().join("test/fixtures/Halo2Verifier.sol")).unwrap();
        // verifier-gen's SOLC_SETTINGS.
        let settings = CompilerSettings { optimizer: true, runs: 1, yul_optimizer: false, evm_version: Some("cancun".into()) };
        zkinfer_relayer::compile(&[("Halo2Verifier.sol".into(), src)], "Halo2Verifier", &settings).unwrap().bytecode
    })
    .clone()
}

fn probe_compiled() -> &'static CompiledContract {
    static C: OnceLock<CompiledContract> = OnceLock::new();
    C.get_or_init(|| {
        let src = include_str!("../contracts/RelayProbe.sol");
        zkinfer_relayer::compile(&[("RelayProbe.sol".into(), src.into())], "RelayProbe", &CompilerSettings::default()).unwrap()
    })
}

/// The probe's compiled ABI.
pub fn probe_abi() -> serde_json::Value {
    probe_compiled().abi.clone()
}

/// The probe at `probe` as the relayer's allowlist entry: a ModelBounty by its ABI.
pub fn probe_contract(probe: Address) -> AllowedContract {
    AllowedContract::new(ContractKind::ModelBounty, probe, &probe_abi()).unwrap()
}

/// VerifierRegistry, InferenceEscrow and ModelBounty from `contracts/` (one solc run).
pub fn payment_contracts() -> &'static [CompiledContract] {
    static C: OnceLock<Vec<CompiledContract>> = OnceLock::new();
    C.get_or_init(|| {
        zkinfer_relayer::compile_many(&zkinfer_relayer::allowlist::sources(), &["VerifierRegistry", "InferenceEscrow", "ModelBounty"], &CompilerSettings::default()).unwrap()
    })
}

/// Real deployed payment contracts.
#[derive(Debug, Clone, Copy)]
pub struct Payments {
    pub registry: Address,
    pub escrow: Address,
    pub bounty: Address,
}

impl Payments {
    /// Their allowlist entries (ABIs from the compiled contracts).
    pub fn allowed(&self) -> [AllowedContract; 2] {
        let c = payment_contracts();
        [
            AllowedContract::new(ContractKind::InferenceEscrow, self.escrow, &c[1].abi).unwrap(),
            AllowedContract::new(ContractKind::ModelBounty, self.bounty, &c[2].abi).unwrap(),
        ]
    }
}

/// Deploys a VerifierRegistry (owned by `chain`'s key), an InferenceEscrow and a ModelBounty on it.
pub async fn deploy_payments(chain: &Chain) -> Payments {
    let c = payment_contracts();
    let registry = chain.deploy(registry_initcode(&c[0].bytecode)).await.unwrap().address;
    let with_registry = |code: &[u8]| [code, &[0u8; 12], registry.as_slice()].concat();
    let escrow = chain.deploy(with_registry(&c[1].bytecode)).await.unwrap().address;
    let bounty = chain.deploy(with_registry(&c[2].bytecode)).await.unwrap().address;
    Payments { registry, escrow, bounty }
}

/// A VerifierRegistry's init code accepting development-SRS verifiers (`acceptsDevSrs = true`:
/// the test chains are local).
pub fn registry_initcode(bytecode: &[u8]) -> Vec<u8> {
    let mut accepts_dev_srs = [0u8; 32];
    accepts_dev_srs[31] = 1;
    [bytecode, &accepts_dev_srs].concat()
}

/// Proposes `to` as the registry's next owner (`transferOwnership`, from its owner `chain`).
pub async fn propose_owner(chain: &Chain, registry: Address, to: Address) {
    let tx = chain.send(registry, transferOwnershipCall { newOwner: to }.abi_encode().into(), U256::ZERO).await.unwrap();
    assert!(tx.status, "transferOwnership: {tx:?}");
}

/// Deploys the fixture verifier, a VerifierRegistry and a RelayProbe on them (key 0); returns the
/// probe.
pub async fn deploy_probe(chain: &Chain) -> Address {
    let v = chain.deploy(verifier_initcode()).await.unwrap();
    let registry = chain.deploy(registry_initcode(&payment_contracts()[0].bytecode)).await.unwrap().address;
    let code = [&probe_compiled().bytecode[..], &[0u8; 12], v.address.as_slice(), &[0u8; 12], registry.as_slice()].concat();
    chain.deploy(code).await.unwrap().address
}

/// A deployment file (as `zkinfer deploy` writes) naming the probe as the ModelBounty, with its
/// ABI, for `--deployment`.
pub fn probe_deployment_file(dir: &Path, probe: Address) -> PathBuf {
    let path = dir.join("deployment.json");
    let v = serde_json::json!({ "chain_id": 31337, "model_bounty": probe.to_string(), "abi": { "model_bounty": probe_abi() } });
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    path
}

/// The probe's successful submissions.
pub async fn probe_count(chain: &Chain, probe: Address) -> u64 {
    let out = chain.call(probe, countCall {}.abi_encode().into()).await.unwrap();
    countCall::abi_decode_returns(&out.output).unwrap().to::<u64>()
}

/// The block job `id` was submitted in (0: never).
pub async fn submitted_at(chain: &Chain, probe: Address, id: u64) -> u64 {
    let out = chain.call(probe, submittedAtCall { jobId: U256::from(id) }.abi_encode().into()).await.unwrap();
    submittedAtCall::abi_decode_returns(&out.output).unwrap().to::<u64>()
}

/// Submits job `id` directly (not through the relayer), from `chain`'s key.
pub async fn submit_directly(chain: &Chain, probe: Address, id: u64) {
    let p = fixture_proof();
    let data = claimCall { jobId: U256::from(id), proof: p.proof.into(), instances: p.instances }.abi_encode();
    let tx = chain.send(probe, data.into(), U256::ZERO).await.unwrap();
    assert!(tx.status, "direct submit of {id}: {tx:?}");
}

/// Transactions mined from `addr`.
pub async fn tx_count(chain: &Chain, addr: Address) -> u64 {
    chain.provider().get_transaction_count(addr).await.unwrap()
}

/// The relayer's address (key 1).
pub fn relayer_address() -> Address {
    zkinfer_relayer::signer_from_hex(KEYS[1]).unwrap().address()
}

/// Chain state proves exactly once: every id submitted once, `ids.len()` successful submissions,
/// and the relayer's key sent exactly `ids.len()` transactions (a second send of any job would be
/// a reverting transaction and one more).
pub async fn assert_exactly_once(chain: &Chain, probe: Address, ids: impl IntoIterator<Item = u64>) {
    let ids: Vec<u64> = ids.into_iter().collect();
    for &id in &ids {
        assert_ne!(submitted_at(chain, probe, id).await, 0, "job {id} is not on chain");
    }
    assert_eq!(probe_count(chain, probe).await, ids.len() as u64, "successful submissions");
    assert_eq!(tx_count(chain, relayer_address()).await, ids.len() as u64, "transactions sent by the relayer");
}

/// Polls `f` every 100 ms until it returns `Some`, panicking with `what` after `timeout`.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(start.elapsed() < timeout, "timed out after {timeout:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A `zkinfer relayer` process, killed on drop; its stderr goes to a log file.
#[derive(Debug)]
pub struct RelayerProcess {
    child: Option<Child>,
    bin: PathBuf,
    args: Vec<String>,
    pub url: String,
    pub log: PathBuf,
    starts: u32,
    /// Every stdout line of the current process so far.
    pub stdout: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl RelayerProcess {
    /// Starts `bin relayer <args>` with the relayer key in `ZKINFER_PRIVATE_KEY`; waits for the
    /// printed address.
    pub fn start(bin: &Path, args: Vec<String>, log: PathBuf) -> Self {
        let mut p = Self { child: None, bin: bin.to_path_buf(), args, url: String::new(), log, starts: 0, stdout: Default::default() };
        p.spawn();
        p
    }

    fn spawn(&mut self) {
        self.starts += 1;
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log).unwrap();
        let mut child = Command::new(&self.bin)
            .arg("relayer")
            .args(&self.args)
            .env("ZKINFER_PRIVATE_KEY", KEYS[1])
            .current_dir(root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        self.child = Some(child);
        let (tx, rx) = std::sync::mpsc::channel();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        self.stdout = seen.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let first = seen.lock().map(|mut s| {
                    s.push(line.clone());
                    s.len() == 1
                });
                if first.unwrap_or(false) {
                    let _ = tx.send(line);
                }
            }
        });
        let line = rx.recv_timeout(Duration::from_secs(120)).unwrap_or_else(|_| panic!("relayer did not start; log:\n{}", self.log_tail()));
        let url = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap_or_else(|| panic!("no address in {line:?}"));
        self.url = url.to_string();
    }

    /// kill -9.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    /// Starts it again with the same arguments (same database).
    pub fn restart(&mut self) {
        self.kill9();
        self.spawn();
    }

    /// The last lines of its log.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for RelayerProcess {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if std::thread::panicking() {
            let keep = std::env::temp_dir().join(format!("zkinfer-relayer-test-{}.log", zkinfer_relayer::store::now_ms()));
            if std::fs::copy(&self.log, &keep).is_ok() {
                eprintln!("relayer log kept at {}", keep.display());
            }
        }
    }
}
