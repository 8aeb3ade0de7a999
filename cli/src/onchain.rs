//! On-chain steps against the contracts of `contracts/`: deploy the set (VerifierRegistry,
//! InferenceEscrow, ModelBounty), deploy and register a generated verifier, verify in a real
//! transaction, request and fulfil a paid inference, post and claim an accuracy bounty. Works
//! against any RPC endpoint through the relayer's alloy harness; the demo and bench use a local
//! anvil they start themselves. Reverts are named from the compiled contracts' ABIs.

use alloy::primitives::{Address, Bytes, U256};
use alloy::sol;
use alloy::sol_types::{SolCall, SolValue};
use anyhow::{bail, Context, Result};
use halo2_proofs::halo2curves::bn256::Fr;
use zkinfer_relayer::{AllowedContract, Chain, CompiledContract, CompilerSettings, ContractAbis, ContractKind};

sol! {
    function VK_DIGEST() external view returns (uint256);
    function register(address verifier) external returns (uint256 circuitId);
    function request(uint256 circuitId, uint256 modelCommitment, uint256[] inputInstances, uint64 deadline, address token, uint256 fee, address host) external payable returns (uint256 id);
    function fulfil(uint256 id, bytes proof, uint256[] instances) external;
    function nextRequestId() external view returns (uint256);
    function outputsOf(uint256 id) external view returns (uint256[]);
    function post(uint256 circuitId, uint256 testSetCommitment, uint256 testSetSize, uint256 threshold, uint64 deadline, address token, uint256 amount) external payable returns (uint256 id);
    function acceptsDevSrs() external view returns (bool);
    function claim(uint256 id, bytes proof, uint256[] instances) external;
    function nextBountyId() external view returns (uint256);
}

/// The deployed contract set.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Contracts {
    pub registry: Address,
    pub escrow: Address,
    pub bounty: Address,
    /// Gas of the three creation transactions.
    pub deploy_gas: u64,
    /// Names the custom errors of the three contracts (from their compiled ABIs) and the
    /// verifier's revert codes.
    #[serde(skip)]
    decoder: zkinfer_relayer::RevertDecoder,
    /// The compiled ABIs of the escrow and the bounty contract (what a relayer derives their
    /// paying methods' selectors from).
    #[serde(skip)]
    pub abis: ContractAbis,
}

/// Chain ids of local development chains (anvil, hardhat: 31337; ganache and geth --dev:
/// 1337), where the development SRS may be used.
pub const LOCAL_DEV_CHAIN_IDS: [u64; 2] = [31337, 1337];

/// The chain's id (`eth_chainId`).
pub async fn chain_id(chain: &Chain) -> Result<u64> {
    use alloy::providers::Provider;
    chain.provider().get_chain_id().await.with_context(|| format!("reading the chain id of {}", chain.url()))
}

/// Whether the registry accepts verifiers set up with a development SRS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum DevSrsPolicy {
    /// Refused (every registry outside a local development chain).
    Refuse,
    /// Accepted (local development chains; or `zkinfer deploy --allow-unsafe-srs`).
    Accept,
}

impl Contracts {
    /// Compiles and deploys the registry (owned by `chain`'s signer; accepting development-SRS
    /// verifiers or not, `dev_srs`), the escrow and the bounty contract.
    pub async fn deploy(chain: &Chain, dev_srs: DevSrsPolicy) -> Result<Self> {
        let compiled = compile_contracts()?;
        let accepts_dev_srs = dev_srs == DevSrsPolicy::Accept;
        let registry = chain.deploy([compiled[0].bytecode.clone(), accepts_dev_srs.abi_encode()].concat()).await.context("deploying VerifierRegistry")?;
        let mut c = Self::deploy_payers(chain, registry.address, &compiled).await?;
        c.deploy_gas += registry.gas_used;
        Ok(c)
    }

    /// Deploys an escrow and a bounty contract on an existing registry.
    pub async fn deploy_payers(chain: &Chain, registry: Address, compiled: &[CompiledContract; 3]) -> Result<Self> {
        let with_registry = |code: &[u8]| [code, &registry.abi_encode()].concat();
        let escrow = chain.deploy(with_registry(&compiled[1].bytecode)).await.context("deploying InferenceEscrow")?;
        let bounty = chain.deploy(with_registry(&compiled[2].bytecode)).await.context("deploying ModelBounty")?;
        let mut c = Self::at(registry, escrow.address, bounty.address, compiled);
        c.deploy_gas = escrow.gas_used + bounty.gas_used;
        Ok(c)
    }

    /// An existing set (nothing deployed), decoding reverts with the compiled ABIs.
    pub fn at(registry: Address, escrow: Address, bounty: Address, compiled: &[CompiledContract; 3]) -> Self {
        let mut decoder = zkinfer_relayer::RevertDecoder::empty();
        for c in compiled {
            decoder.add_abi(&c.abi);
        }
        let abis = ContractAbis::from_abis([(ContractKind::InferenceEscrow, compiled[1].abi.clone()), (ContractKind::ModelBounty, compiled[2].abi.clone())]);
        Self { registry, escrow, bounty, deploy_gas: 0, decoder, abis }
    }

    /// The escrow and the bounty contract as a relayer's allowlist entries.
    pub fn allowed(&self) -> Result<[AllowedContract; 2]> {
        Ok([self.abis.contract(ContractKind::InferenceEscrow, self.escrow)?, self.abis.contract(ContractKind::ModelBounty, self.bounty)?])
    }

    /// Registers a deployed verifier (the registry's owner only); returns its circuit id, the
    /// verifier's `VK_DIGEST`.
    pub async fn register(&self, chain: &Chain, verifier: Address) -> Result<U256> {
        let out = chain.call(verifier, Bytes::from(VK_DIGESTCall {}.abi_encode())).await.context("reading VK_DIGEST")?;
        let id = VK_DIGESTCall::abi_decode_returns(&out.output).context("decoding VK_DIGEST")?;
        self.send(chain, self.registry, registerCall { verifier }.abi_encode(), U256::ZERO, "registering the verifier").await?;
        Ok(id)
    }

    /// Requests one inference of the circuit with the given model commitment and input
    /// instances, escrowing `fee` wei for anyone who fulfils it; returns the request id.
    pub async fn request(&self, chain: &Chain, circuit_id: U256, model: Fr, inputs: &[Fr], deadline: u64, fee: U256) -> Result<U256> {
        let id = self.read_id(chain, self.escrow, nextRequestIdCall {}.abi_encode()).await?;
        let call = requestCall {
            circuitId: circuit_id,
            modelCommitment: u256s(&[model])[0],
            inputInstances: u256s(inputs),
            deadline,
            token: Address::ZERO,
            fee,
            host: Address::ZERO,
        };
        self.send(chain, self.escrow, call.abi_encode(), fee, "requesting the inference").await?;
        Ok(id)
    }

    /// Posts an accuracy bounty in ETH on `circuit_id`; returns its id.
    pub async fn post_bounty(&self, chain: &Chain, circuit_id: U256, terms: &BountyTerms) -> Result<U256> {
        let id = self.read_id(chain, self.bounty, nextBountyIdCall {}.abi_encode()).await?;
        let call = postCall {
            circuitId: circuit_id,
            testSetCommitment: u256s(&[terms.test_set])[0],
            testSetSize: U256::from(terms.samples),
            threshold: U256::from(terms.threshold),
            deadline: terms.deadline,
            token: Address::ZERO,
            amount: terms.amount,
        };
        self.send(chain, self.bounty, call.abi_encode(), terms.amount, "posting the bounty").await?;
        Ok(id)
    }

    /// Fulfils request `id` in a real transaction.
    pub async fn fulfil(&self, chain: &Chain, id: U256, proof: &[u8], instances: &[Fr]) -> Result<ClaimOutcome> {
        self.pay_call(chain, self.escrow, fulfil_calldata(id, proof, instances)).await
    }

    /// The outputs the escrow stored for a fulfilled request (what another contract reads).
    pub async fn outputs_of(&self, chain: &Chain, id: U256) -> Result<Vec<U256>> {
        let out = chain.call(self.escrow, Bytes::from(outputsOfCall { id }.abi_encode())).await?;
        if !out.success {
            bail!("outputsOf({id}) reverted: {}", self.revert_reason(Some(&out.output), out.revert_reason).unwrap_or_default());
        }
        outputsOfCall::abi_decode_returns(&out.output).context("decoding outputsOf")
    }

    /// Whether the registry accepts development-SRS verifiers (its immutable `acceptsDevSrs`).
    pub async fn registry_accepts_dev_srs(&self, chain: &Chain) -> Result<bool> {
        let out = chain.call(self.registry, Bytes::from(acceptsDevSrsCall {}.abi_encode())).await?;
        acceptsDevSrsCall::abi_decode_returns(&out.output).context("decoding acceptsDevSrs")
    }

    /// Names a revert of the contracts: `ProofRejected(0)` instead of a raw selector, a verifier's
    /// code with its meaning. Small words (ids, amounts, deadlines) in decimal, large ones
    /// (commitments, bindings) as 32-byte hex.
    pub fn revert_reason(&self, data: Option<&[u8]>, fallback: Option<String>) -> Option<String> {
        data.and_then(|d| self.decoder.decode(d)).or(fallback)
    }

    async fn read_id(&self, chain: &Chain, to: Address, call: Vec<u8>) -> Result<U256> {
        let out = chain.call(to, Bytes::from(call)).await?;
        U256::abi_decode(&out.output).context("decoding the next id")
    }

    async fn send(&self, chain: &Chain, to: Address, data: Vec<u8>, value: U256, what: &str) -> Result<()> {
        let tx = chain.send(to, Bytes::from(data), value).await.with_context(|| what.to_string())?;
        if !tx.status {
            bail!("{what} reverted: {}", self.revert_reason(tx.revert_data.as_ref().map(|b| b.as_ref()), tx.revert_reason).unwrap_or_default());
        }
        Ok(())
    }

    /// A paying call (claim or fulfil); the amount paid is read from the contract's balance change.
    async fn pay_call(&self, chain: &Chain, to: Address, data: Vec<u8>) -> Result<ClaimOutcome> {
        let before = chain.balance(to).await?;
        let tx = chain.send(to, Bytes::from(data), U256::ZERO).await.context("sending the claim")?;
        let after = chain.balance(to).await?;
        let revert_reason = self.revert_reason(tx.revert_data.as_ref().map(|b| b.as_ref()), tx.revert_reason);
        Ok(ClaimOutcome { paid: tx.status, gas_used: tx.gas_used, revert_reason, reward_paid_wei: before.saturating_sub(after) })
    }
}

/// What an accuracy bounty asks for ([`Contracts::post_bounty`]).
#[derive(Debug, Clone, Copy)]
pub struct BountyTerms {
    /// The test set's commitment.
    pub test_set: Fr,
    /// Its number of samples (no claim may count more).
    pub samples: usize,
    /// Right answers required.
    pub threshold: u64,
    /// Last timestamp for claims.
    pub deadline: u64,
    /// Wei escrowed.
    pub amount: U256,
}

/// The names of the contract set, in the order [`compile_contracts`] returns them (and their
/// `abi/NAME.json` files).
pub const CONTRACT_NAMES: [&str; 3] = ["VerifierRegistry", "InferenceEscrow", "ModelBounty"];

/// Compiles VerifierRegistry, InferenceEscrow and ModelBounty.
pub fn compile_contracts() -> Result<[CompiledContract; 3]> {
    let compiled = zkinfer_relayer::compile_many(&zkinfer_relayer::allowlist::sources(), &CONTRACT_NAMES, &CompilerSettings::default())
        .context("compiling VerifierRegistry, InferenceEscrow and ModelBounty")?;
    compiled.try_into().map_err(|_| anyhow::anyhow!("solc returned another number of contracts than the 3 asked for"))
}

/// Writes `DIR/abi/NAME.json` for each `(name, abi)` (what `cast decode-error --abi` or a
/// frontend reads); returns the paths.
pub fn write_abis(dir: &std::path::Path, abis: &[(&str, &serde_json::Value)]) -> Result<Vec<std::path::PathBuf>> {
    let abi_dir = dir.join("abi");
    std::fs::create_dir_all(&abi_dir).with_context(|| format!("creating {}", abi_dir.display()))?;
    abis.iter()
        .map(|(name, abi)| {
            let path = abi_dir.join(format!("{name}.json"));
            std::fs::write(&path, serde_json::to_string_pretty(abi)? + "\n").with_context(|| format!("writing {}", path.display()))?;
            Ok(path)
        })
        .collect()
}

/// Deploys a generated verifier (given its initcode).
pub async fn deploy_verifier(chain: &Chain, initcode: Vec<u8>) -> Result<zkinfer_relayer::Deployment> {
    chain.deploy(initcode).await.context("deploying the verifier")
}

/// Field elements as uint256s.
pub fn u256s(instances: &[Fr]) -> Vec<U256> {
    instances.iter().map(|f| U256::from_be_bytes(zkinfer_verifier_gen::transcript::encode_scalar(f))).collect()
}

/// Calls verifyProof in a real transaction; returns (accepted, gas used). Accepted means the
/// transaction succeeded *and* verifyProof returned true: its return value is read by an
/// `eth_call` on the same state first (a receipt carries no return data), since a verifier that
/// returns false does not revert.
pub async fn verify_tx(chain: &Chain, verifier: Address, proof: &[u8], instances: &[Fr]) -> Result<(bool, u64)> {
    let data = Bytes::from(zkinfer_verifier_gen::encode_calldata(proof, instances));
    let call = chain.call(verifier, data.clone()).await.context("calling verifyProof")?;
    let returned_true = call.success && returns_true(&call.output);
    let out = chain.send(verifier, data, U256::ZERO).await.context("sending verifyProof")?;
    Ok((out.status && returned_true, out.gas_used))
}

/// Whether `output` is the ABI encoding of `true`.
pub fn returns_true(output: &[u8]) -> bool {
    output.len() == 32 && output[..31].iter().all(|b| *b == 0) && output[31] == 1
}

/// The calldata of `ModelBounty.claim(id, proof, instances)`.
pub fn claim_calldata(id: U256, proof: &[u8], instances: &[Fr]) -> Vec<u8> {
    claimCall { id, proof: Bytes::copy_from_slice(proof), instances: u256s(instances) }.abi_encode()
}

/// The calldata of `InferenceEscrow.fulfil(id, proof, instances)`.
pub fn fulfil_calldata(id: U256, proof: &[u8], instances: &[Fr]) -> Vec<u8> {
    fulfilCall { id, proof: Bytes::copy_from_slice(proof), instances: u256s(instances) }.abi_encode()
}

/// Outcome of a claim or fulfil transaction.
#[derive(Debug, Clone)]
pub struct ClaimOutcome {
    pub paid: bool,
    pub gas_used: u64,
    pub revert_reason: Option<String>,
    pub reward_paid_wei: U256,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_abi_true_is_an_accepted_verify() {
        let mut t = [0u8; 32];
        t[31] = 1;
        assert!(returns_true(&t));
        assert!(!returns_true(&[0u8; 32]), "false");
        assert!(!returns_true(&[]), "no return data");
        assert!(!returns_true(&t[..31]), "short");
        let mut dirty = t;
        dirty[0] = 1;
        assert!(!returns_true(&dirty), "not a bool");
    }

    #[test]
    fn reverts_are_named_from_the_compiled_abis() {
        let abi = serde_json::json!([
            {"type": "error", "name": "ProofRejected", "inputs": [{"name": "id", "type": "uint256"}]},
            {"type": "function", "name": "claim", "inputs": []},
        ]);
        let c = CompiledContract { abi, bytecode: vec![], deployed_bytecode: vec![] };
        let set = Contracts::at(Address::ZERO, Address::ZERO, Address::ZERO, &[c.clone(), c.clone(), c]);
        let mut data = alloy::primitives::keccak256(b"ProofRejected(uint256)")[..4].to_vec();
        data.extend([0u8; 31]);
        data.push(7);
        assert_eq!(set.revert_reason(Some(&data), None).as_deref(), Some("ProofRejected(7)"));
        let mut code = [0u8; 32];
        code[31] = 3;
        assert!(set.revert_reason(Some(&code), None).is_some_and(|r| r.contains("code 3") && r.contains("curve")));
        assert_eq!(set.revert_reason(None, Some("x".into())).as_deref(), Some("x"));
    }
}
