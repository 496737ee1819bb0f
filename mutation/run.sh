#!/usr/bin/env bash
# Mutation testing with cosmic-ray, one scope at a time: mutation/run.sh SCOPE [MINUTES] [TEST_COMMAND]
#
# SCOPE names mutation/SCOPE.toml.  cosmic-ray rewrites source files in place, so the run happens in a
# copy of the committed tree (git archive HEAD) in a temporary folder, never in the working tree.
# MINUTES (default 25) bounds the run; mutants not reached are reported as pending.  TEST_COMMAND, if
# given, replaces the scope's test command (to score an older set of tests).  Prints the per-module
# score and the surviving mutants (mutation/summary.py).  Needs the `mutation` extra (pip install .[mutation]).
set -euo pipefail
scope=$1
minutes=${2:-25}
root=$(git rev-parse --show-toplevel)
work=$(mktemp -d "${TMPDIR:-/tmp}/engramsim-mutation-$scope.XXXXXX")
commit=$(git -C "$root" rev-parse HEAD)
git -C "$root" archive "$commit" | tar -x -C "$work"
cd "$work"
config="mutation/$scope.toml"
if [ $# -ge 3 ]; then
    python - "$config" "$3" <<'PY'
import re, sys
path, command = sys.argv[1:]
text = open(path).read()
open(path, "w").write(re.sub(r'^test-command = .*$', lambda _: f'test-command = "{command}"', text, flags=re.M))
PY
fi
cosmic-ray init "$config" session.sqlite
cr-filter-operators session.sqlite "$config"
cosmic-ray baseline "$config"
timeout "${minutes}m" cosmic-ray exec "$config" session.sqlite || echo "time box of $minutes min reached"
# a run stopped by the time box can leave the mutant it was testing in place: restore the sources
git -C "$root" archive "$commit" engramsim | tar -x -C "$work"
echo "sources of commit $commit in $work (run more: cosmic-ray exec $config session.sqlite;"
echo "  surviving mutants only, with other tests: python $root/mutation/rerun_survivors.py session.sqlite after.sqlite)"
python "$root/mutation/summary.py" session.sqlite
echo "session database: $work/session.sqlite"
