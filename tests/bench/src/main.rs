//! `revchain-bench`: see `tests/bench/run.sh` and [`revchain_bench::cli`].

fn main() -> std::process::ExitCode {
    revchain_bench::cli::main()
}
