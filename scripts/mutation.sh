#!/usr/bin/env bash
# Mutation score of the packages whose rules matter most: gremlins switches
# each condition, comparison and arithmetic operator off in turn, runs the
# package's tests, and counts the mutants they kill. Prints the efficacy
# (killed / (killed + lived)) per package; see docs/testing.md for the
# target (90%), the survivors judged equivalent and how to raise a score.
#
#   scripts/mutation.sh                   # every package below
#   scripts/mutation.sh registry auth     # some of them
#
# CPU-heavy (one test build per mutant): it runs one worker with one CPU
# by default; GREMLINS_WORKERS and GREMLINS_TIMEOUT_COEFFICIENT change it.
# gremlins is installed with `go install`, not as a module dependency.
set -euo pipefail
cd "$(dirname "$0")/.."

version=v0.6.0
bin=${XDG_CACHE_HOME:-$HOME/.cache}/cloudmap-tools/gremlins-$version
gremlins=$bin/gremlins
[ -x "$gremlins" ] || GOBIN=$bin go install "github.com/go-gremlins/gremlins/cmd/gremlins@$version"

pkgs=("$@")
[ ${#pkgs[@]} -eq 0 ] && pkgs=(registry awsapi auth dnsserver health)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for pkg in "${pkgs[@]}"; do
  echo "== $pkg"
  # Test files and the fuzz corpus are not mutated; only the package itself.
  "$gremlins" unleash "./$pkg" \
    --workers "${GREMLINS_WORKERS:-1}" --test-cpu 1 \
    --timeout-coefficient "${GREMLINS_TIMEOUT_COEFFICIENT:-10}" \
    --exclude-files '_test\.go$' \
    --output "$out/$pkg.json" -S lt 2>&1 | tee "$out/$pkg.log" | grep -E '^ *(LIVED|TIMED OUT)' || true
  grep -E 'Killed:|Test efficacy|Mutator coverage' "$out/$pkg.log" | sed "s/^/$pkg: /" | tee -a "$out/summary"
done
echo "== summary"
cat "$out/summary"
