#!/usr/bin/env bash
# Runs every benchmark of revchain against diesel_migrations and rewrites
# BENCHMARKS.md and tests/bench/chart.svg, after issue 12's deployment
# benchmarks (`revchain-bench deployments`: the startup check with each lock
# strategy, applying through PgBouncer and on a Galera cluster), which
# rewrite tests/bench/DEPLOYMENTS.md, and issue 16's stairway benchmark
# (tests/bench/STAIRWAY.md), both included in BENCHMARKS.md. About
# 22 minutes on 2 cores.
#
#   tests/bench/run.sh                      # everything
#   tests/bench/run.sh --sizes 100,1000     # fewer sizes (see tests/bench/src/cli.rs;
#                                           # the options are those of `all`)
#
# Needs the PostgreSQL and MySQL/MariaDB servers of the tests
# (REVCHAIN_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432;
# REVCHAIN_TEST_MYSQL_URL, default mysql://root@127.0.0.1:3306) and the
# sqlite3, psql and mysql clients for the raw-script baseline; what is
# missing is skipped and said so in the report (an unreachable server fails
# the run when CI is set). MySQL is measured for information only.
# Everything generated goes under target/bench/.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --quiet --release -p revchain-bench
target/release/revchain-bench deployments
# Issue 16: the stairway of `revchain test` against a plain upgrade
# (tests/bench/STAIRWAY.md, included in BENCHMARKS.md; about 7 minutes).
target/release/revchain-bench stairway
exec target/release/revchain-bench all "$@"
