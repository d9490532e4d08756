#!/bin/sh
# The recording queue behind the committed tables, in order. Resumable: run it again after an
# interruption and every step skips the curves already in its table.
#
#   nohup nice -n 19 sh surrogates/record_all.sh > surrogates/record.log 2>&1 &
#
# Commit what is recorded so far (safe while this runs): sh surrogates/commit.sh
cd "$(dirname "$0")/.." || exit 1
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1
WORKERS="${WORKERS:-2}"
# Random features: every integer unit up to 12 (the double-descent region around D = n = 1,079
# features), every 5th above; the full 1..100 grid costs ~270 s a curve (see surrogates/README.md).
RF_GRID="1-12,15-100/5"

step() {
    echo "=== $(date -u +%FT%TZ) python -m hpobench surrogate record $*"
    python -m hpobench surrogate record "$@" --workers "$WORKERS" || echo "=== step failed (exit $?): $*"
}

# Small batches of every benchmark first, so that each table is usable early; then the full
# counts. Sobol designs are prefix-stable, so a later step extends an earlier one.
step kernel-ls-digits --configs 256
step kernel-ls-digits --configs 32 --seeds 3
step lenet-digits --configs 32
step random-features-digits --configs 16 --budgets "$RF_GRID"
step lenet-digits --configs 8 --seeds 3
step lenet-mnist1d --configs 16
step lenet-digits --configs 16 --seeds 3
step lenet-digits --configs 64
step random-features-digits --configs 64 --budgets "$RF_GRID"
step lenet-digits --configs 256
step lenet-digits --configs 32 --seeds 3
step random-features-digits --configs 256 --budgets "$RF_GRID"
step lenet-mnist1d --configs 128
step random-features-digits --configs 32 --seeds 3 --budgets "$RF_GRID"
step lenet-mnist1d --configs 32 --seeds 3
echo "=== $(date -u +%FT%TZ) queue done"
