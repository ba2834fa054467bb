//! docs/security.md E.28: `portcullis::fuzz_targets::token_request` under libFuzzer.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use portcullis::fuzz_targets::{self, Fixture};

static FIXTURE: OnceLock<Fixture> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let fx = FIXTURE.get_or_init(|| Fixture::blocking().expect("fuzz fixture"));
    fuzz_targets::token_request(fx, data);
});
