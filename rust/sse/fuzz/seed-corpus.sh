#!/usr/bin/env bash
# Seed the fuzz corpus from the recorded SSE streams carried in the repository (tests/data/streams/*/*.sse), each
# with no cut points (a leading zero byte), plus a few hand-written streams with every kind of line end.
#
#   rust/sse/fuzz/seed-corpus.sh
#
# Writes rust/sse/fuzz/corpus/sse_chunked/ (git-ignored; libFuzzer adds what it finds there). Safe to run again.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
streams="$here/../../../tests/data/streams"
corpus="$here/corpus/sse_chunked"
mkdir -p "$corpus"

for path in "$streams"/*/*.sse; do
    # The first 4 KiB: libFuzzer's -max_len in CI.
    { printf '\0'; head -c 4000 "$path"; } >"$corpus/$(basename "$(dirname "$path")")-$(basename "$path")"
done
printf '\0data: a\r\ndata: b\r\rid: 7\nretry: 0042\n\n: ping\n\n' >"$corpus/line-ends"
printf '\3\5\11\20\357\273\277event: e\ndata: \342\202\254\342\202\n\n' >"$corpus/bom-and-utf8"
echo "seeded $(ls "$corpus" | wc -l) files into $corpus"
