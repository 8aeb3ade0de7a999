//! The flags every on-chain command shares, as `cast` and `forge` spell them: `--rpc-url` and one
//! of `--private-key`, `--keystore` (with `--password` or `--password-file`), or
//! `$ZKINFER_PRIVATE_KEY`. Connecting checks that a node answers (about a second) before anything
//! else is done.

use anyhow::{anyhow, bail, Context, Result};
use std::path::PathBuf;
use std::time::Duration;
use zkinfer_relayer::{keys, Chain, PrivateKeySigner};

/// The default endpoint (as cast's): a local node.
pub const DEFAULT_RPC_URL: &str = "http://localhost:8545";
/// The environment variable read when no key flag is given.
pub const KEY_ENV: &str = "ZKINFER_PRIVATE_KEY";
/// The environment variable read for a keystore's password when no password flag is given.
pub const PASSWORD_ENV: &str = "ZKINFER_KEYSTORE_PASSWORD";
/// How long a node has to answer `eth_chainId`.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(1500);

/// `--rpc-url`, `--private-key`, `--keystore`, `--password`, `--password-file`.
#[derive(Debug, Clone, clap::Args)]
pub struct ChainArgs {
    /// JSON-RPC endpoint (HTTP); a bare host:port such as 127.0.0.1:8545 is http://127.0.0.1:8545
    /// [default: $ETH_RPC_URL, else http://localhost:8545].
    #[arg(long, value_name = "URL")]
    pub rpc_url: Option<String>,
    /// The signer's hex private key [default: $ZKINFER_PRIVATE_KEY].
    #[arg(long, value_name = "HEX", conflicts_with = "keystore")]
    pub private_key: Option<String>,
    /// An encrypted JSON keystore (the "V3" format geth, cast and clef write) holding the signer's key.
    #[arg(long, value_name = "PATH")]
    pub keystore: Option<PathBuf>,
    /// The keystore's password [default: $ZKINFER_KEYSTORE_PASSWORD]; never prompted for.
    #[arg(long, value_name = "PASSWORD", requires = "keystore", conflicts_with = "password_file")]
    pub password: Option<String>,
    /// A file holding the keystore's password (one trailing newline ignored).
    #[arg(long, value_name = "FILE", requires = "keystore")]
    pub password_file: Option<PathBuf>,
    /// Environment variable holding the hex private key, when neither --private-key nor --keystore is given.
    #[arg(long, value_name = "VAR", default_value = KEY_ENV, hide = true)]
    pub key_env: String,
}

/// `127.0.0.1:8545` → `http://127.0.0.1:8545`; URLs with a scheme are kept.
pub fn normalise_url(url: &str) -> String {
    let u = url.trim();
    if u.contains("://") {
        u.to_string()
    } else {
        format!("http://{u}")
    }
}

impl ChainArgs {
    /// The endpoint: `--rpc-url`, `$ETH_RPC_URL`, or [`DEFAULT_RPC_URL`], with `http://` added to
    /// a bare host:port.
    pub fn url(&self) -> String {
        let given = self.rpc_url.clone().or_else(|| std::env::var("ETH_RPC_URL").ok().filter(|u| !u.trim().is_empty()));
        normalise_url(given.as_deref().unwrap_or(DEFAULT_RPC_URL))
    }

    /// The signer: `--private-key`, `--keystore`, or `$ZKINFER_PRIVATE_KEY` (`--key-env`).
    pub fn signer(&self) -> Result<PrivateKeySigner> {
        self.configured_signer()?.ok_or_else(|| {
            anyhow!("no signing key: pass --private-key HEX or --keystore PATH (with --password or --password-file), or set ${}", self.key_env)
        })
    }

    /// The signer of the first source given, or `None` when no source is.
    fn configured_signer(&self) -> Result<Option<PrivateKeySigner>> {
        if let Some(k) = &self.private_key {
            return keys::signer_from_hex(k).context("--private-key").map(Some);
        }
        if let Some(path) = &self.keystore {
            let password = match (&self.password, &self.password_file) {
                (Some(p), _) => p.clone(),
                (None, Some(f)) => {
                    let p = std::fs::read_to_string(f).with_context(|| format!("--password-file {}", f.display()))?;
                    p.strip_suffix('\n').map(|p| p.strip_suffix('\r').unwrap_or(p)).unwrap_or(&p).to_string()
                }
                (None, None) => std::env::var(PASSWORD_ENV).map_err(|_| {
                    anyhow!("--keystore {}: give its password with --password PASSWORD or --password-file FILE (or set ${PASSWORD_ENV}); zkinfer never prompts", path.display())
                })?,
            };
            return Ok(Some(keys::signer_from_keystore(path, &password)?));
        }
        match std::env::var(&self.key_env) {
            Ok(k) if !k.trim().is_empty() => keys::signer_from_hex(&k).with_context(|| format!("${}", self.key_env)).map(Some),
            _ => Ok(None),
        }
    }

    /// Connects and checks that a node answers; returns the chain and its id.
    pub async fn connect(&self) -> Result<(Chain, u64)> {
        self.connect_as(self.signer()?).await
    }

    /// [`Self::connect`] for calls that only read: the configured key if there is one, else a
    /// fresh one that signs nothing.
    pub async fn connect_reader(&self) -> Result<(Chain, u64)> {
        self.connect_as(self.configured_signer()?.unwrap_or_else(PrivateKeySigner::random)).await
    }

    async fn connect_as(&self, signer: PrivateKeySigner) -> Result<(Chain, u64)> {
        let url = self.url();
        let chain = Chain::connect(&url, &keys::secret_hex(&signer)).map_err(|e| anyhow!("--rpc-url {url}: {e}"))?;
        let id = probe(&chain).await?;
        Ok((chain, id))
    }
}

/// The chain id, asked once with a short timeout; a dead endpoint is one line naming the URL.
pub async fn probe(chain: &Chain) -> Result<u64> {
    use alloy::providers::Provider;
    let url = chain.url();
    match tokio::time::timeout(PROBE_TIMEOUT, chain.provider().get_chain_id()).await {
        Ok(Ok(id)) => Ok(id),
        Ok(Err(e)) => bail!("no node answers at {url} ({}): start anvil or pass --rpc-url", short_reason(&causes(&e))),
        Err(_) => bail!("no node answers at {url} (no answer within {:.1} s): start anvil or pass --rpc-url", PROBE_TIMEOUT.as_secs_f64()),
    }
}

/// An error and its sources, joined.
fn causes(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// The gist of a transport error (its long chain of causes repeats the URL).
fn short_reason(e: &str) -> String {
    let l = e.to_lowercase();
    if l.contains("connection refused") {
        "connection refused".into()
    } else if l.contains("dns") || l.contains("failed to lookup") || l.contains("name or service not known") {
        "host not found".into()
    } else if l.contains("timed out") || l.contains("timeout") {
        "timed out".into()
    } else {
        e.lines().next().unwrap_or(e).chars().take(160).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_host_and_port_is_http() {
        assert_eq!(normalise_url("127.0.0.1:8545"), "http://127.0.0.1:8545");
        assert_eq!(normalise_url("https://rpc.example:443/x"), "https://rpc.example:443/x");
        assert_eq!(short_reason("error sending request for url (http://127.0.0.1:9/): client error (Connect): tcp connect error: Connection refused (os error 111)"), "connection refused");
    }
}
