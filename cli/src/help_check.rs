//! Every `--flag` a help text names exists: each subcommand's long help is scanned for `--name`
//! and checked against that subcommand's arguments (or, after `zkinfer OTHER`, OTHER's). Hidden
//! aliases do not count: help must name the flag a user sees listed.

use clap::CommandFactory;

/// The long names (not aliases) of `cmd`'s arguments, `help` included.
fn longs(cmd: &clap::Command) -> Vec<String> {
    let mut v: Vec<String> = cmd.get_arguments().filter_map(|a| a.get_long().map(str::to_string)).collect();
    v.extend(["help".to_string(), "version".to_string()]);
    v
}

/// Each `--flag` of `text` with the subcommand it belongs to: `zkinfer OTHER ... --flag` (within
/// the same backquoted or parenthesised span) names OTHER's, anything else `own`'s.
fn mentioned<'a>(text: &str, own: &'a str, names: &[&'a str]) -> Vec<(String, &'a str)> {
    let mut out = Vec::new();
    let mut owner = own;
    let words: Vec<&str> = text.split_whitespace().collect();
    for (i, w) in words.iter().enumerate() {
        let bare = w.trim_matches(|c: char| !c.is_alphanumeric() && c != '-');
        if i > 0 && words[i - 1].trim_start_matches(['`', '(', '"']) == "zkinfer" {
            owner = names.iter().copied().find(|n| *n == bare).unwrap_or(own);
        }
        if let Some(flag) = bare.strip_prefix("--") {
            let flag: String = flag.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
            if !flag.is_empty() {
                out.push((flag, owner));
            }
        }
        if w.ends_with(['`', ')', ';', '.', ',']) {
            owner = own;
        }
    }
    out
}

#[test]
fn regression_help_names_only_flags_that_exist() {
    let mut cli = crate::Cli::command();
    cli.build();
    let subs: Vec<clap::Command> = cli.get_subcommands().cloned().collect();
    let names: Vec<&str> = subs.iter().map(clap::Command::get_name).collect();
    let mut wrong = Vec::new();
    for sub in &subs {
        let help = sub.clone().render_long_help().to_string();
        for (flag, owner) in mentioned(&help, sub.get_name(), &names) {
            let of = subs.iter().find(|s| s.get_name() == owner).unwrap_or(sub);
            if !longs(of).contains(&flag) {
                wrong.push(format!("`zkinfer {} --help` names --{flag}, which `zkinfer {owner}` does not have", sub.get_name()));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_help_scanner_finds_a_flag_that_does_not_exist() {
    let names = ["compile", "prove"];
    let found = mentioned("use --nope, or `zkinfer prove --input X` (then --dir)", "compile", &names);
    assert_eq!(found, vec![("nope".to_string(), "compile"), ("input".to_string(), "prove"), ("dir".to_string(), "compile")]);
}
