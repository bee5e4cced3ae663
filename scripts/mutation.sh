#!/usr/bin/env bash
# Mutation score of the packages whose rules matter most: gremlins switches
# each condition, comparison and arithmetic operator in turn, runs the
# package's tests, and counts the mutants they kill. Prints each surviving
# (LIVED) mutant as it is found, then the efficacy (killed / (killed +
# lived)) per package; see docs/testing.md for the target (90%), the
# survivors judged equivalent and how to raise a score.
#
#   scripts/mutation.sh                   # every package below
#   scripts/mutation.sh registry auth     # some of them
#
# It measures a copy of the working tree taken at the start, so editing
# while it runs changes nothing. CPU-heavy (one test build per mutant): it
# runs GREMLINS_WORKERS (default 1) workers, each go command with
# GOMAXPROCS=1 and one build job; GREMLINS_TIMEOUT_COEFFICIENT (default 10)
# multiplies the package's test time into each mutant's timeout.
# gremlins is installed with `go install`, not as a module dependency.
#
# Do not pass gremlins --test-cpu: v0.6.0 hands `go test` "-cpu N" as one
# argument, go test rejects it, and every mutant then counts as KILLED.
set -euo pipefail
cd "$(dirname "$0")/.."

version=v0.6.0
bin=${XDG_CACHE_HOME:-$HOME/.cache}/cloudmap-tools/gremlins-$version
gremlins=$bin/gremlins
[ -x "$gremlins" ] || GOBIN=$bin go install "github.com/go-gremlins/gremlins/cmd/gremlins@$version"

pkgs=("$@")
[ ${#pkgs[@]} -eq 0 ] && pkgs=(registry awsapi auth dnsserver health)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/src"
tar --exclude=.git -cf - . | tar -xf - -C "$tmp/src"
cd "$tmp/src"

export GOMAXPROCS=1 GOFLAGS=-p=1
for pkg in "${pkgs[@]}"; do
  echo "== $pkg"
  # Only the package's own files are mutated, never its tests.
  "$gremlins" unleash "./$pkg" \
    --workers "${GREMLINS_WORKERS:-1}" \
    --timeout-coefficient "${GREMLINS_TIMEOUT_COEFFICIENT:-10}" \
    --exclude-files '_test\.go$' \
    -S lt 2>&1 | tee "$tmp/$pkg.log" | grep --line-buffered -E '^ *(LIVED|TIMED OUT)' || true
  grep -E 'Killed:|Timed out:|Test efficacy|Mutator coverage' "$tmp/$pkg.log" | sed "s/^/$pkg: /" | tee -a "$tmp/summary"
done
echo "== summary"
cat "$tmp/summary"
