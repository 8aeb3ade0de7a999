//! Compiling Solidity with `solc --standard-json` (input on stdin, JSON on stdout).
//!
//! Works with a native solc 0.8.x or with `script/solc-wrapper` (solcjs). Via-IR is deliberately
//! not offered: it has silently miscompiled halo2 verifiers into always-reverting contracts.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use crate::tools::{self, Tool, ToolError};

/// Compiler settings zkinfer supports (no via-IR, on purpose).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompilerSettings {
    /// Enable the optimizer.
    pub optimizer: bool,
    /// Optimizer runs.
    pub runs: u32,
    /// Enable the Yul optimizer step (off by default: "Stack too deep" on halo2 verifiers).
    pub yul_optimizer: bool,
    /// Target EVM version (e.g. "cancun"); `None` uses the compiler's default.
    pub evm_version: Option<String>,
}

impl Default for CompilerSettings {
    /// The settings `foundry.toml` uses: optimizer on, 200 runs, Yul optimizer off.
    fn default() -> Self {
        Self {
            optimizer: true,
            runs: 200,
            yul_optimizer: false,
            evm_version: None,
        }
    }
}

/// One compiled contract.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledContract {
    /// The contract's ABI (JSON array).
    pub abi: Value,
    /// Creation code (initcode), constructor arguments not included.
    pub bytecode: Vec<u8>,
    /// Runtime code.
    pub deployed_bytecode: Vec<u8>,
}

/// Compilation failures.
#[derive(Debug, thiserror::Error)]
pub enum SolcError {
    /// The compiler could not be located.
    #[error(transparent)]
    Tool(#[from] ToolError),
    /// The compiler could not be run or talked to.
    #[error("running {path:?}: {source}")]
    Io {
        /// The compiler path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The compiler exited unsuccessfully.
    #[error("{path:?} exited with {status}: {stderr}")]
    Failed {
        /// The compiler path.
        path: PathBuf,
        /// Exit status.
        status: std::process::ExitStatus,
        /// Its stderr.
        stderr: String,
    },
    /// The compiler's output was not the expected JSON.
    #[error("unexpected solc output: {0}")]
    BadOutput(String),
    /// The sources did not compile; each entry is solc's formatted message.
    #[error("solc reported errors:\n{}", .0.join("\n"))]
    Compilation(Vec<String>),
    /// No contract by that name in the output.
    #[error("contract `{name}` not found; compiled: {available:?}")]
    ContractNotFound {
        /// The requested name.
        name: String,
        /// `file:Contract` names that were compiled.
        available: Vec<String>,
    },
    /// Several files define a contract by that name; use `file:Contract`.
    #[error("contract name `{name}` is ambiguous: {candidates:?}; use `file:Contract`")]
    Ambiguous {
        /// The requested name.
        name: String,
        /// The matching `file:Contract` names.
        candidates: Vec<String>,
    },
    /// The contract has no bytecode (interface or abstract) or needs library linking.
    #[error("contract `{name}` is not deployable: {reason}")]
    NotDeployable {
        /// The contract.
        name: String,
        /// Why.
        reason: String,
    },
}

/// Compile `sources` (file name, content) with the located `solc` and return `contract_name`
/// (either `Contract` or `file:Contract`). Every imported file must be among `sources`.
pub fn compile(
    sources: &[(String, String)],
    contract_name: &str,
    settings: &CompilerSettings,
) -> Result<CompiledContract, SolcError> {
    let solc = tools::locate(Tool::Solc)?;
    compile_with(&solc, sources, contract_name, settings)
}

/// [`compile`] with an explicit compiler path.
pub fn compile_with(
    solc: &Path,
    sources: &[(String, String)],
    contract_name: &str,
    settings: &CompilerSettings,
) -> Result<CompiledContract, SolcError> {
    let input = standard_json_input(sources, settings);
    let output = run_standard_json(solc, &input)?;
    extract_contract(&output, contract_name)
}

/// [`compile`] of several contracts of the same sources, in one `solc` run.
pub fn compile_many(
    sources: &[(String, String)],
    contract_names: &[&str],
    settings: &CompilerSettings,
) -> Result<Vec<CompiledContract>, SolcError> {
    let solc = tools::locate(Tool::Solc)?;
    let output = run_standard_json(&solc, &standard_json_input(sources, settings))?;
    contract_names.iter().map(|name| extract_contract(&output, name)).collect()
}

/// The ABIs of `contract_names` in `sources`, from one `solc` run that generates nothing else
/// (no bytecode: about a second with solcjs, against several for a full build).
pub fn compile_abis(sources: &[(String, String)], contract_names: &[&str]) -> Result<Vec<Value>, SolcError> {
    let solc = tools::locate(Tool::Solc)?;
    let mut input = standard_json_input(sources, &CompilerSettings::default());
    input["settings"]["outputSelection"] = json!({ "*": { "*": ["abi"] } });
    let output = run_standard_json(&solc, &input)?;
    check_errors(&output)?;
    contract_names
        .iter()
        .map(|name| find_contract(&output, name).map(|(_, c)| c["abi"].clone()))
        .collect()
}

/// Read workspace files as `(relative path, content)` sources, e.g. `contracts/ModelBounty.sol`.
pub fn read_sources(root: &Path, files: &[&str]) -> Result<Vec<(String, String)>, SolcError> {
    files
        .iter()
        .map(|f| {
            let path = root.join(f);
            std::fs::read_to_string(&path)
                .map(|content| ((*f).to_owned(), content))
                .map_err(|source| SolcError::Io { path, source })
        })
        .collect()
}

/// The standard-JSON input document for `sources` and `settings`.
pub fn standard_json_input(sources: &[(String, String)], settings: &CompilerSettings) -> Value {
    let sources: serde_json::Map<String, Value> = sources
        .iter()
        .map(|(name, content)| (name.clone(), json!({ "content": content })))
        .collect();
    let mut optimizer = json!({ "enabled": settings.optimizer, "runs": settings.runs });
    if settings.optimizer {
        optimizer["details"] = json!({ "yul": settings.yul_optimizer });
    }
    let mut s = json!({
        "optimizer": optimizer,
        "outputSelection": { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
    });
    if let Some(evm) = &settings.evm_version {
        s["evmVersion"] = json!(evm);
    }
    json!({ "language": "Solidity", "sources": sources, "settings": s })
}

/// Run `solc --standard-json` with `input` on stdin; parse stdout as JSON.
pub fn run_standard_json(solc: &Path, input: &Value) -> Result<Value, SolcError> {
    let io = |source| SolcError::Io {
        path: solc.to_path_buf(),
        source,
    };
    let mut child = Command::new(solc)
        .arg("--standard-json")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(io)?;
    let body = input.to_string().into_bytes();
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| SolcError::BadOutput("no stdin pipe".into()))?;
    // Write from a thread so a compiler that answers early cannot deadlock us.
    let writer = std::thread::spawn(move || stdin.write_all(&body));
    let mut stderr_pipe = child.stderr.take();
    let stderr_reader = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(p) = stderr_pipe.as_mut() {
            let _ = p.read_to_string(&mut s);
        }
        s
    });
    let mut stdout = Vec::new();
    if let Some(mut out) = child.stdout.take() {
        out.read_to_end(&mut stdout).map_err(io)?;
    }
    let status = child.wait().map_err(io)?;
    let stderr = stderr_reader.join().unwrap_or_default();
    match writer.join() {
        Ok(Ok(())) => {}
        Ok(Err(e)) if status.success() => return Err(io(e)),
        _ => {}
    }
    if !status.success() {
        return Err(SolcError::Failed {
            path: solc.to_path_buf(),
            status,
            stderr,
        });
    }
    serde_json::from_slice(&stdout).map_err(|e| {
        let head = String::from_utf8_lossy(&stdout[..stdout.len().min(200)]).into_owned();
        SolcError::BadOutput(format!("{e} ({} bytes; starts {head:?})", stdout.len()))
    })
}

/// Fails on any error-severity message of a standard-JSON output.
fn check_errors(output: &Value) -> Result<(), SolcError> {
    let errors: Vec<String> = output["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["severity"].as_str() == Some("error"))
        .map(|e| {
            e["formattedMessage"]
                .as_str()
                .or_else(|| e["message"].as_str())
                .unwrap_or("unknown error")
                .trim_end()
                .to_owned()
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(SolcError::Compilation(errors))
    }
}

/// The output entry of `contract_name` (`Contract` or `file:Contract`) and its full name.
fn find_contract<'a>(output: &'a Value, contract_name: &str) -> Result<(String, &'a Value), SolcError> {
    let contracts = output["contracts"]
        .as_object()
        .ok_or_else(|| SolcError::BadOutput("no `contracts` object".into()))?;
    let (want_file, want_name) = match contract_name.rsplit_once(':') {
        Some((f, n)) => (Some(f), n),
        None => (None, contract_name),
    };
    let mut available = Vec::new();
    let mut matches = Vec::new();
    for (file, by_name) in contracts {
        for (name, c) in by_name.as_object().into_iter().flatten() {
            available.push(format!("{file}:{name}"));
            if name == want_name && want_file.is_none_or(|f| f == file) {
                matches.push((format!("{file}:{name}"), c));
            }
        }
    }
    match matches.len() {
        0 => Err(SolcError::ContractNotFound {
            name: contract_name.to_owned(),
            available,
        }),
        1 => Ok(matches.remove(0)),
        _ => Err(SolcError::Ambiguous {
            name: contract_name.to_owned(),
            candidates: matches.into_iter().map(|(n, _)| n).collect(),
        }),
    }
}

/// Pick `contract_name` out of a standard-JSON output, failing on any error-severity message.
pub fn extract_contract(
    output: &Value,
    contract_name: &str,
) -> Result<CompiledContract, SolcError> {
    check_errors(output)?;
    let (full, c) = find_contract(output, contract_name)?;
    let code = |key: &str| -> Result<Vec<u8>, SolcError> {
        let hex_str = c["evm"][key]["object"].as_str().unwrap_or_default();
        if hex_str.contains("__$") {
            return Err(SolcError::NotDeployable {
                name: full.clone(),
                reason: "needs library linking".into(),
            });
        }
        hex::decode(hex_str.trim_start_matches("0x"))
            .map_err(|e| SolcError::BadOutput(format!("{full}: {key} is not hex: {e}")))
    };
    let bytecode = code("bytecode")?;
    if bytecode.is_empty() {
        return Err(SolcError::NotDeployable {
            name: full,
            reason: "no bytecode (interface or abstract contract)".into(),
        });
    }
    Ok(CompiledContract {
        abi: c["abi"].clone(),
        bytecode,
        deployed_bytecode: code("deployedBytecode")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_map_to_standard_json() {
        let s = CompilerSettings {
            evm_version: Some("cancun".into()),
            ..CompilerSettings::default()
        };
        let v = standard_json_input(&[("a.sol".into(), "x".into())], &s);
        assert_eq!(v["settings"]["optimizer"]["details"]["yul"], json!(false));
        assert_eq!(v["settings"]["evmVersion"], json!("cancun"));
        assert_eq!(v["sources"]["a.sol"]["content"], json!("x"));
        assert!(v["settings"].get("viaIR").is_none());
    }

    #[test]
    fn errors_are_reported_with_formatted_message() {
        let out = json!({ "errors": [
            { "severity": "warning", "formattedMessage": "Warning: meh" },
            { "severity": "error", "formattedMessage": "ParserError: Expected ';'\n --> a.sol:1:1:\n" },
        ]});
        let err = extract_contract(&out, "A")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("ParserError: Expected ';'") && !err.contains("meh"),
            "{err}"
        );
    }

    #[test]
    fn ambiguous_and_missing_names() {
        let c = json!({ "abi": [], "evm": { "bytecode": { "object": "6000" }, "deployedBytecode": { "object": "" } } });
        let out = json!({ "contracts": { "a.sol": { "A": c.clone() }, "b.sol": { "A": c } } });
        assert!(matches!(
            extract_contract(&out, "A"),
            Err(SolcError::Ambiguous { .. })
        ));
        assert_eq!(
            extract_contract(&out, "b.sol:A").ok().map(|c| c.bytecode),
            Some(vec![0x60, 0])
        );
        assert!(matches!(
            extract_contract(&out, "B"),
            Err(SolcError::ContractNotFound { .. })
        ));
    }
}
