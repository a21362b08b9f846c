fn main() {
    std::process::exit(rcompose::cli::main());
}
