//! Locating the external EVM tools.
//!
//! Lookup order for a tool `name`:
//! 1. the environment variable `ZKINFER_<NAME>` (e.g. `ZKINFER_SOLC`), which must name a file;
//! 2. `<workspace>/.tools/bin/<name>`, where the workspace is `$ZKINFER_HOME`, or else the first
//!    directory containing both `foundry.toml` and `Cargo.toml` found walking up from the current
//!    directory, then from the running executable's directory;
//! 3. the `PATH`.

use std::env;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

/// An external tool zkinfer drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tool {
    /// The Solidity compiler (native solc or `script/solc-wrapper` around solcjs).
    Solc,
    /// Foundry's local Ethereum node.
    Anvil,
    /// Foundry's build and test tool.
    Forge,
    /// Foundry's RPC command-line client.
    Cast,
}

impl Tool {
    /// All tools, in install order.
    pub const ALL: [Tool; 4] = [Tool::Forge, Tool::Anvil, Tool::Cast, Tool::Solc];

    /// The executable's file name.
    pub const fn name(self) -> &'static str {
        match self {
            Tool::Solc => "solc",
            Tool::Anvil => "anvil",
            Tool::Forge => "forge",
            Tool::Cast => "cast",
        }
    }

    /// The environment variable overriding the tool's path, e.g. `ZKINFER_SOLC`.
    pub fn env_var(self) -> String {
        format!("ZKINFER_{}", self.name().to_ascii_uppercase())
    }
}

impl fmt::Display for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Failure to locate a tool.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    /// The override variable is set but does not name an existing file.
    #[error("{var} is set to {path:?}, which is not a file; fix or unset it, or run ./script/install-tools")]
    BadOverride {
        /// The variable, e.g. `ZKINFER_SOLC`.
        var: String,
        /// Its value.
        path: PathBuf,
    },
    /// Nothing found anywhere.
    #[error("`{tool}` not found (looked at ${var}, {workspace_hint} and PATH); run ./script/install-tools")]
    NotFound {
        /// The tool.
        tool: Tool,
        /// The override variable that was checked.
        var: String,
        /// Where the workspace copy was looked for.
        workspace_hint: String,
    },
}

/// Locate `tool` (see the module docs for the lookup order).
pub fn locate(tool: Tool) -> Result<PathBuf, ToolError> {
    locate_in(
        tool,
        env::var_os(tool.env_var()),
        workspace_root().as_deref(),
        env::var_os("PATH"),
    )
}

/// [`locate`] with every input explicit (no process environment is read).
pub fn locate_in(
    tool: Tool,
    override_path: Option<OsString>,
    workspace: Option<&Path>,
    path_var: Option<OsString>,
) -> Result<PathBuf, ToolError> {
    if let Some(p) = override_path.filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(ToolError::BadOverride {
                var: tool.env_var(),
                path: p,
            })
        };
    }
    if let Some(ws) = workspace {
        let p = ws.join(".tools").join("bin").join(tool.name());
        if is_executable(&p) {
            return Ok(p);
        }
    }
    if let Some(path_var) = path_var {
        for dir in env::split_paths(&path_var) {
            let p = dir.join(tool.name());
            if is_executable(&p) {
                return Ok(p);
            }
        }
    }
    Err(ToolError::NotFound {
        tool,
        var: tool.env_var(),
        workspace_hint: match workspace {
            Some(ws) => ws
                .join(".tools/bin")
                .join(tool.name())
                .display()
                .to_string(),
            None => "<workspace>/.tools/bin (no workspace found: set ZKINFER_HOME)".to_owned(),
        },
    })
}

/// The zkinfer workspace: `$ZKINFER_HOME`, else the nearest ancestor of the current directory,
/// then of the running executable, that contains both `foundry.toml` and `Cargo.toml`.
pub fn workspace_root() -> Option<PathBuf> {
    if let Some(home) = env::var_os("ZKINFER_HOME").filter(|h| !h.is_empty()) {
        return Some(PathBuf::from(home));
    }
    let from_cwd = env::current_dir()
        .ok()
        .and_then(|d| find_workspace_from(&d));
    from_cwd.or_else(|| {
        let exe = env::current_exe().ok()?;
        find_workspace_from(exe.parent()?)
    })
}

/// The nearest ancestor of `start` (inclusive) containing `foundry.toml` and `Cargo.toml`.
pub fn find_workspace_from(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|d| d.join("foundry.toml").is_file() && d.join("Cargo.toml").is_file())
        .map(Path::to_path_buf)
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_var_names() {
        assert_eq!(Tool::Solc.env_var(), "ZKINFER_SOLC");
        assert_eq!(Tool::Anvil.env_var(), "ZKINFER_ANVIL");
    }

    #[test]
    fn bad_override_is_reported() {
        let err = locate_in(Tool::Solc, Some("/nonexistent/solc".into()), None, None);
        let msg = err.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            msg.contains("ZKINFER_SOLC") && msg.contains("install-tools"),
            "{msg}"
        );
    }

    #[test]
    fn not_found_names_tool_and_fix() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = locate_in(Tool::Anvil, None, Some(dir.path()), Some(dir.path().into()));
        let msg = err.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            msg.contains("`anvil` not found") && msg.contains("./script/install-tools"),
            "{msg}"
        );
    }

    #[test]
    fn workspace_copy_beats_path_and_override_beats_both() {
        use std::os::unix::fs::PermissionsExt;
        let ws = tempfile::tempdir().expect("tempdir");
        let on_path = tempfile::tempdir().expect("tempdir");
        let bin = ws.path().join(".tools/bin");
        std::fs::create_dir_all(&bin).expect("mkdir");
        for p in [bin.join("cast"), on_path.path().join("cast")] {
            std::fs::write(&p, "#!/bin/sh\n").expect("write");
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        let path_var: OsString = on_path.path().into();
        let found = locate_in(Tool::Cast, None, Some(ws.path()), Some(path_var.clone()));
        assert_eq!(found.ok(), Some(bin.join("cast")));
        let found = locate_in(Tool::Cast, None, None, Some(path_var.clone()));
        assert_eq!(found.ok(), Some(on_path.path().join("cast")));
        let over = on_path.path().join("cast");
        let found = locate_in(
            Tool::Cast,
            Some(over.clone().into()),
            Some(ws.path()),
            Some(path_var),
        );
        assert_eq!(found.ok(), Some(over));
    }

    #[test]
    fn finds_this_workspace() {
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        let ws = find_workspace_from(here).expect("workspace above relayer/");
        assert!(ws.join("foundry.toml").is_file());
    }
}
