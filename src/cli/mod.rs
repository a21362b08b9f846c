//! Command line: clap definitions, one file per verb, each a thin call into `ops`.

pub fn main() -> i32 {
    0
}
