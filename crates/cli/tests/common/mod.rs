//! Running the `jousei` binary from the command-line tests.

#![allow(dead_code)]

use std::process::{Command, Output};

/// Runs `jousei` with `args`, without the caller's database or config.
pub fn jousei(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jousei"))
        .args(args)
        .env_remove("JOUSEI_DATABASE_URL")
        .env_remove("JOUSEI_CONFIG")
        .output()
        .unwrap_or_else(|e| panic!("cannot run jousei: {e}"))
}

/// Standard output and standard error as text.
pub fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}
