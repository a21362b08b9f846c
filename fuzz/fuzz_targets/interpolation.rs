//! Fuzz the `${}` language and the dotenv dialect: never a panic.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use rcompose::project::load::{dotenv, template};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lookup = |name: &str| (name.len() % 2 == 0).then(|| format!("v-{name}"));
    let _ = template::substitute(text, &lookup);
    let _ = dotenv::parse(text, &Arc::from("fuzz.env"), &lookup);
});
