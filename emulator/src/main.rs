//! The `chime-local` command: see `chime_local::tools::cli` for its commands and options.

fn main() -> std::process::ExitCode {
    chime_local::tools::cli::main()
}
