//! Fuzz the whole loader: any bytes given as a compose file on standard input must give a
//! project or an error, never a panic, a hang or unbounded memory.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rcompose::project::load::{Options, load};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let opts = Options {
        files: vec!["-".into()],
        project_name: Some("fuzz".into()),
        cwd: std::env::temp_dir(),
        stdin: Some(text.to_string()),
        ..Options::default()
    };
    let _ = load(&opts);
});
