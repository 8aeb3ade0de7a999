//! Who may use the HTTP API: bearer tokens ([`ApiTokens`]), checked in constant time, each with a
//! budget of jobs per minute ([`ApiAccess::jobs_per_minute`]).
//!
//! Every mutating route (`POST /jobs`) needs `Authorization: Bearer <token>`; so do the job reads
//! (`GET /jobs`, `GET /jobs/{id}`) unless [`ReadAccess::Open`]. `GET /health` and `GET /metrics`
//! are open. A token is compared by its keccak-256 digest, against every configured token, without
//! an early exit: the time taken does not depend on how much of a guess is right, nor on which
//! token matched.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use alloy::primitives::keccak256;
use subtle::{ConditionallySelectable, ConstantTimeEq};

/// Shortest accepted token, in characters (128 bits as hex).
pub const MIN_TOKEN_CHARS: usize = 32;

/// Default [`ApiAccess::jobs_per_minute`].
pub const DEFAULT_JOBS_PER_MINUTE: u32 = 60;

/// A token or token file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Too short to resist guessing.
    #[error("API token '{name}' has {chars} characters; at least {MIN_TOKEN_CHARS} are needed (e.g. 32 random bytes in hex: openssl rand -hex 32)")]
    TooShort {
        /// The token's name.
        name: String,
        /// Its length.
        chars: usize,
    },
    /// Characters a bearer token cannot carry.
    #[error("API token '{name}' has characters other than letters, digits and -._~+/= (RFC 6750)")]
    BadCharacters {
        /// The token's name.
        name: String,
    },
    /// A name that is empty or has odd characters.
    #[error("API token name {0:?}: use letters, digits, '-', '_' or '.'")]
    BadName(String),
    /// The same name, or the same secret, twice.
    #[error("API token '{0}' is given twice (names and tokens must be unique)")]
    Duplicate(String),
    /// No token at all.
    #[error("no API token: {0}")]
    Empty(String),
    /// The token file could not be read or has a bad line.
    #[error("API token file {}: {reason}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A budget of zero jobs.
    #[error("jobs_per_minute must be at least 1")]
    ZeroBudget,
}

/// One API token: a name (for logs) and the secret. `Debug` and `Display` show the name only.
#[derive(Clone)]
pub struct ApiToken {
    name: String,
    secret: String,
    digest: [u8; 32],
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiToken").field("name", &self.name).finish_non_exhaustive()
    }
}

impl fmt::Display for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

fn valid_name(n: &str) -> bool {
    !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl ApiToken {
    /// A token named `name` with `secret` (at least [`MIN_TOKEN_CHARS`] characters of
    /// `A-Za-z0-9-._~+/=`).
    pub fn new(name: &str, secret: &str) -> Result<Self, AuthError> {
        if !valid_name(name) {
            return Err(AuthError::BadName(name.to_string()));
        }
        let chars = secret.chars().count();
        if chars < MIN_TOKEN_CHARS {
            return Err(AuthError::TooShort { name: name.to_string(), chars });
        }
        if !secret.chars().all(|c| c.is_ascii_alphanumeric() || "-._~+/=".contains(c)) {
            return Err(AuthError::BadCharacters { name: name.to_string() });
        }
        Ok(Self { name: name.to_string(), secret: secret.to_string(), digest: keccak256(secret.as_bytes()).0 })
    }

    /// A new random token (32 bytes from the OS, hex).
    pub fn generate(name: &str) -> Result<Self, AuthError> {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self::new(name, &hex::encode(bytes))
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The secret, for a client's `Authorization` header.
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

/// The configured tokens (at least one).
#[derive(Debug, Clone)]
pub struct ApiTokens {
    tokens: Vec<ApiToken>,
}

/// A token file as read.
#[derive(Debug, Clone)]
pub struct TokenFile {
    /// Its tokens.
    pub tokens: ApiTokens,
    /// Whether the file is readable by group or others (unix): the caller should warn.
    pub loose_permissions: bool,
}

impl ApiTokens {
    /// From a list; names and secrets must be unique.
    pub fn new(tokens: Vec<ApiToken>) -> Result<Self, AuthError> {
        if tokens.is_empty() {
            return Err(AuthError::Empty("give at least one".into()));
        }
        for (i, t) in tokens.iter().enumerate() {
            if tokens[..i].iter().any(|o| o.name == t.name || o.digest == t.digest) {
                return Err(AuthError::Duplicate(t.name.clone()));
            }
        }
        Ok(Self { tokens })
    }

    /// One token.
    pub fn single(token: ApiToken) -> Self {
        Self { tokens: vec![token] }
    }

    /// Parses a token file: one token per line, either `TOKEN` (named `token-N` after its line
    /// number) or `NAME TOKEN`; blank lines and lines starting with `#` are skipped.
    pub fn parse(text: &str) -> Result<Self, AuthError> {
        let mut tokens = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            let t = match fields.as_slice() {
                [secret] => ApiToken::new(&format!("token-{}", i + 1), secret),
                [name, secret] => ApiToken::new(name, secret),
                _ => return Err(AuthError::Empty(format!("line {}: expected TOKEN or NAME TOKEN", i + 1))),
            };
            tokens.push(t.map_err(|e| match e {
                AuthError::TooShort { chars, .. } => AuthError::Empty(format!("line {}: the token has {chars} characters, at least {MIN_TOKEN_CHARS} are needed", i + 1)),
                other => other,
            })?);
        }
        if tokens.is_empty() {
            return Err(AuthError::Empty("the file lists none (one token per line: TOKEN or NAME TOKEN)".into()));
        }
        Self::new(tokens)
    }

    /// Reads a token file ([`ApiTokens::parse`]). Errors never contain a token.
    pub fn read_file(path: &Path) -> Result<TokenFile, AuthError> {
        let err = |reason: String| AuthError::File { path: path.to_path_buf(), reason };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let tokens = Self::parse(&text).map_err(|e| err(e.to_string()))?;
        #[cfg(unix)]
        let loose_permissions = {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(path).map(|m| m.permissions().mode() & 0o077 != 0).unwrap_or(false)
        };
        #[cfg(not(unix))]
        let loose_permissions = false;
        Ok(TokenFile { tokens, loose_permissions })
    }

    /// The tokens.
    pub fn iter(&self) -> impl Iterator<Item = &ApiToken> {
        self.tokens.iter()
    }

    /// The index of the token `presented` is, compared in constant time with every token.
    pub fn check(&self, presented: &str) -> Option<usize> {
        let digest = keccak256(presented.as_bytes());
        let mut found = 0u64;
        let mut any = subtle::Choice::from(0);
        for (i, t) in self.tokens.iter().enumerate() {
            let eq = t.digest.ct_eq(&digest.0);
            found = u64::conditional_select(&found, &(i as u64), eq);
            any |= eq;
        }
        bool::from(any).then_some(found as usize)
    }

    /// The name of token `index`.
    pub fn name(&self, index: usize) -> &str {
        self.tokens.get(index).map(|t| t.name.as_str()).unwrap_or("?")
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Never true (there is at least one token).
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}

/// Whether reading jobs needs a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReadAccess {
    /// `GET /jobs` and `GET /jobs/{id}` need a token, like `POST /jobs` (the default).
    #[default]
    Token,
    /// Anyone who reaches the API may read jobs (their contract, id, state and transactions;
    /// never a proof). Submitting still needs a token.
    Open,
}

/// The API's access rules.
#[derive(Debug, Clone)]
pub struct ApiAccess {
    /// The tokens that may use it.
    pub tokens: ApiTokens,
    /// Whether reads need a token. Default [`ReadAccess::Token`].
    pub reads: ReadAccess,
    /// New jobs each token may submit per minute (a token bucket: up to this many at once, then
    /// one every `60 s / jobs_per_minute`). Submissions answered from an existing job (200) and
    /// refusals before the proof is checked (400, 401, 403) are not counted. Default 60.
    pub jobs_per_minute: u32,
}

impl ApiAccess {
    /// `tokens`, reads needing a token, the default budget.
    pub fn new(tokens: ApiTokens) -> Self {
        Self { tokens, reads: ReadAccess::Token, jobs_per_minute: DEFAULT_JOBS_PER_MINUTE }
    }
}

/// Per-token token buckets.
#[derive(Debug)]
pub(crate) struct Budgets {
    per_minute: u32,
    buckets: Mutex<Vec<(f64, Instant)>>,
}

impl Budgets {
    pub(crate) fn new(tokens: usize, per_minute: u32) -> Result<Self, AuthError> {
        if per_minute == 0 {
            return Err(AuthError::ZeroBudget);
        }
        let now = Instant::now();
        Ok(Self { per_minute, buckets: Mutex::new(vec![(f64::from(per_minute), now); tokens]) })
    }

    /// Takes one job from token `index`'s budget, or says how long until one is available.
    pub(crate) fn take(&self, index: usize) -> Result<(), Duration> {
        let mut b = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some((level, last)) = b.get_mut(index) else { return Err(Duration::from_secs(60)) };
        let now = Instant::now();
        let cap = f64::from(self.per_minute);
        let rate = cap / 60.0;
        *level = (*level + now.duration_since(*last).as_secs_f64() * rate).min(cap);
        *last = now;
        if *level >= 1.0 {
            *level -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *level) / rate))
        }
    }

    /// The budget.
    pub(crate) fn per_minute(&self) -> u32 {
        self.per_minute
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "0123456789abcdef0123456789abcdef";
    const B: &str = "fedcba9876543210fedcba9876543210";

    #[test]
    fn tokens_are_checked_and_never_shown() {
        let t = ApiTokens::new(vec![ApiToken::new("host", A).expect("ok"), ApiToken::new("dapp", B).expect("ok")]).expect("ok");
        assert_eq!(t.check(A), Some(0));
        assert_eq!(t.check(B), Some(1));
        assert_eq!(t.check(&A[..31]), None);
        assert_eq!(t.check(&format!("{A}0")), None);
        assert_eq!(t.check(""), None);
        assert!(!format!("{t:?}").contains(A), "Debug shows no secret");
        assert!(matches!(ApiToken::new("x", "short"), Err(AuthError::TooShort { chars: 5, .. })));
        assert!(matches!(ApiToken::new("x", &format!("{A} ")), Err(AuthError::BadCharacters { .. })));
        assert!(matches!(ApiToken::new("", A), Err(AuthError::BadName(_))));
        assert!(matches!(ApiTokens::new(vec![ApiToken::new("a", A).expect("ok"), ApiToken::new("b", A).expect("ok")]), Err(AuthError::Duplicate(_))));
        let g = ApiToken::generate("gen").expect("ok");
        assert_eq!(g.secret().len(), 64);
        assert_ne!(g.secret(), ApiToken::generate("gen").expect("ok").secret());
    }

    #[test]
    fn token_files_parse() {
        let t = ApiTokens::parse(&format!("# tokens\n\n{A}\nmonitor {B}\n")).expect("parses");
        assert_eq!((t.len(), t.name(0), t.name(1)), (2, "token-3", "monitor"));
        for bad in ["", "# only a comment\n", "a b c\n", "short\n"] {
            let e = ApiTokens::parse(bad).expect_err(bad);
            assert!(!e.to_string().contains(A));
        }
    }

    #[test]
    fn budgets_refill_per_token() {
        let b = Budgets::new(2, 2).expect("ok");
        assert!(b.take(0).is_ok() && b.take(0).is_ok());
        let wait = b.take(0).expect_err("empty");
        assert!(wait > Duration::from_secs(25) && wait <= Duration::from_secs(30), "{wait:?}");
        assert!(b.take(1).is_ok(), "another token has its own budget");
        assert!(Budgets::new(1, 0).is_err());
    }
}
