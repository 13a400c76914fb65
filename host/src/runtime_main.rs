//! `/cnab/app/run`: the in-image runtime.

fn main() -> std::process::ExitCode {
    wharf::runtime::main()
}
