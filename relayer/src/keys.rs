//! The relayer's signing key: from a hex string, an environment variable, or an encrypted JSON
//! keystore (the Ethereum "V3" format geth, cast and clef write). Errors never contain the key.

use std::path::Path;

use alloy::signers::local::PrivateKeySigner;

/// A key that could not be loaded. No variant carries key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The variable is not set (or not UTF-8).
    #[error("environment variable {0} is not set: set it to the relayer's hex private key, or use a keystore")]
    MissingEnv(String),
    /// The value is not a 32-byte hex secp256k1 key.
    #[error("{source_name} is not a 32-byte hex private key")]
    BadHex {
        /// Where it came from (`$VAR` or `the key`).
        source_name: String,
    },
    /// The keystore could not be read or decrypted.
    #[error("keystore {path}: {reason}")]
    Keystore {
        /// The keystore file.
        path: String,
        /// Why (wrong password, unreadable file, bad JSON…).
        reason: String,
    },
}

/// A signer from a hex private key (optional `0x`).
pub fn signer_from_hex(key: &str) -> Result<PrivateKeySigner, KeyError> {
    parse_hex(key, "the key")
}

fn parse_hex(key: &str, source_name: &str) -> Result<PrivateKeySigner, KeyError> {
    key.trim()
        .trim_start_matches("0x")
        .parse::<PrivateKeySigner>()
        .map_err(|_| KeyError::BadHex {
            source_name: source_name.to_string(),
        })
}

/// A signer from the hex private key in the environment variable `var`.
pub fn signer_from_env(var: &str) -> Result<PrivateKeySigner, KeyError> {
    let v = std::env::var(var).map_err(|_| KeyError::MissingEnv(var.to_string()))?;
    parse_hex(&v, &format!("${var}"))
}

/// A signer from an encrypted JSON keystore and its password.
pub fn signer_from_keystore(path: &Path, password: &str) -> Result<PrivateKeySigner, KeyError> {
    PrivateKeySigner::decrypt_keystore(path, password).map_err(|e| KeyError::Keystore {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

/// The hex private key of `signer` (for [`crate::Chain::connect`]); handle with care.
pub fn secret_hex(signer: &PrivateKeySigner) -> String {
    hex::encode(signer.credential().to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

    #[test]
    fn hex_and_env_keys() {
        let s = signer_from_hex(KEY).expect("valid");
        assert_eq!(s.address().to_string(), "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
        assert_eq!(format!("0x{}", secret_hex(&s)), KEY);
        let e = signer_from_hex("0x1234").expect_err("short");
        assert!(!e.to_string().contains("1234"), "the key is not echoed: {e}");
        let e = signer_from_env("ZKINFER_RELAYER_TEST_UNSET_VARIABLE").expect_err("unset");
        assert!(e.to_string().contains("ZKINFER_RELAYER_TEST_UNSET_VARIABLE"));
    }

    #[test]
    fn bad_keystore_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("ks.json");
        std::fs::write(&p, "{}").expect("write");
        let e = signer_from_keystore(&p, "pw").expect_err("not a keystore");
        assert!(e.to_string().contains("ks.json"), "{e}");
    }
}
