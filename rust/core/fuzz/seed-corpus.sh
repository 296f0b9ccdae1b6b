#!/usr/bin/env bash
# Seed the fuzz corpora from JSONTestSuite (y_, n_ and i_ files) plus a few hand-written documents.
#
#   rust/core/fuzz/seed-corpus.sh [TEST_PARSING_DIR]
#
# TEST_PARSING_DIR defaults to the copy carried in the repository, tests/data/JSONTestSuite/test_parsing. Writes rust/core/fuzz/corpus/{chunked,truncated}/ (git-ignored; libFuzzer adds what it
# finds there). Safe to run again: it only (re)writes the seed files.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
suite="${1:-$here/../../../tests/data/JSONTestSuite/test_parsing}"
if [[ ! -d $suite ]]; then
    echo "seed-corpus.sh: JSONTestSuite not found at $suite" >&2
    exit 1
fi

chunked="$here/corpus/chunked"
truncated="$here/corpus/truncated"
mkdir -p "$chunked" "$truncated"

# A `chunked` input is a control byte, 0-8 chunk-size bytes, then the document (see split_chunked in src/lib.rs):
#   \000             one byte at a time, default options
#   \002\003\021     chunks of 3 and 17 bytes in turn
#   \003\001\007\000 chunks of 1 and 7 bytes and an empty chunk in turn
#   \261\001         one byte at a time with allow_nan and max_depth(2) (0xB1: 1 size byte, bits 4-5 = 3, bit 7)
seed() { # NAME DOCUMENT_FILE
    local name=$1 file=$2
    { printf '\000'; cat "$file"; } >"$chunked/$name.bytes"
    { printf '\002\003\021'; cat "$file"; } >"$chunked/$name.cut-3-17"
    { printf '\003\001\007\000'; cat "$file"; } >"$chunked/$name.cut-1-7-0"
    cp "$file" "$truncated/$name"
}

count=0
for file in "$suite"/[yni]_*.json; do
    seed "$(basename "$file" .json)" "$file"
    count=$((count + 1))
done

# Documents the suite lacks: NaN/Infinity (for allow_nan), lone and paired surrogates cut mid-escape, long strings.
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
extra=(
    '[NaN, Infinity, -Infinity, -0, 1E400, 0.5e-3]'
    '{"a": {"b": [1, {"c": "\ud83d\ude00\ud800x\udc00"}]}, "a": 2}'
    '{"text": "caf\u00e9 \u2603 \ud834\udd1e", "n": [1e1, -1.5E+2, 12345678901234567890123]}'
    '[[[[[[]]]]], {"": {"": {"": null}}}, true, false]'
)
k=0
for doc in "${extra[@]}"; do
    printf '%s' "$doc" >"$tmp"
    seed "extra-$k" "$tmp"
    { printf '\261\001'; cat "$tmp"; } >"$chunked/extra-$k.nan-depth2"
    { printf '\200'; cat "$tmp"; } >"$chunked/extra-$k.nan"
    k=$((k + 1))
done

echo "seeded $count JSONTestSuite files and ${#extra[@]} extra documents into $here/corpus/{chunked,truncated}"
