#!/usr/bin/env bash
# Unpack instructor's source distribution (it carries instructor's own tests) into DIR, for the cross-test in
# tests/test_instructor_integration.py, which reads it from $MIDSTREAM_INSTRUCTOR_SRC and downloads nothing itself.
#
#   bash .ci/instructor-tests.sh DIR [PYTHON]     # the instructor version installed for PYTHON (default: python)
#   export MIDSTREAM_INSTRUCTOR_SRC=DIR
#
# .ci/run does this in its install step. Safe to run again: an unpacked version is left as it is.
set -euo pipefail

dir=${1:?usage: instructor-tests.sh DIR [PYTHON]}
python=${2:-python}
version=$("$python" -c 'import instructor; print(instructor.__version__)')
if [[ -d $dir/instructor-$version/tests ]]; then
    echo "instructor $version's source already in $dir"
    exit 0
fi
mkdir -p "$dir"
"$python" -m pip download --quiet --no-deps --no-binary :all: "instructor==$version" -d "$dir"
tar -xzf "$dir/instructor-$version.tar.gz" -C "$dir"
test -d "$dir/instructor-$version/tests"
echo "instructor $version's source (with its tests) unpacked in $dir/instructor-$version"
