#!/usr/bin/env bash
# Seed the fuzz corpus from the recorded provider streams carried in the repository (tests/data/streams): the OpenAI
# chat .sse files as they are, and the JSON-lines recordings framed as SSE (with `event:` lines for Anthropic and
# the Responses API), each with no cut points and its provider in the first byte.
#
#   rust/providers/fuzz/seed-corpus.sh
#
# Writes rust/providers/fuzz/corpus/providers_chunked/ (git-ignored; libFuzzer adds what it finds). Safe to rerun.
# The corpus of extract_differential (one payload per file) gets every event payload of the JSON-lines recordings and
# the JSONTestSuite documents (valid and invalid), in rust/providers/fuzz/corpus/extract_differential/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
streams="$here/../../../tests/data/streams"
corpus="$here/corpus/providers_chunked"
mkdir -p "$corpus"

# Provider numbers as in midstream_providers::Provider::ALL: 0 openai, 1 openai-responses, 2 anthropic, 3 gemini.
for path in "$streams"/openai-chat/*.sse; do
    { printf '\0'; head -c 4000 "$path"; } >"$corpus/openai-chat-$(basename "$path")"
done
for path in "$streams"/vercel-ai/*.jsonl; do
    name=$(basename "$path")
    case "$name" in
        anthropic*) provider='\2' typed=1 ;;
        google*) provider='\3' typed=0 ;;
        openai* | parallel-tool-call-wrapper*) provider='\1' typed=1 ;;
        *) provider='\0' typed=0 ;;
    esac
    framed=$(mktemp)
    {
        printf "$provider"
        while IFS= read -r line; do
            [ -n "$line" ] || continue
            if [ "$typed" = 1 ]; then
                kind=$(printf '%s' "$line" | sed -n 's/^{"type":"\([^"]*\)".*/\1/p')
                [ -z "$kind" ] || printf 'event: %s\n' "$kind"
            fi
            printf 'data: %s\n\n' "$line"
        done <"$path"
    } >"$framed"
    head -c 4000 "$framed" >"$corpus/vercel-ai-$name"
    rm -f "$framed"
done
echo "seeded $(ls "$corpus" | wc -l) files into $corpus"

payloads="$here/corpus/extract_differential"
mkdir -p "$payloads"
for path in "$streams"/vercel-ai/*.jsonl; do
    name=$(basename "$path" .jsonl)
    number=0
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        number=$((number + 1))
        printf '%s' "$line" >"$payloads/$name-$number.json"
    done <"$path"
done
cp "$here/../../../tests/data/JSONTestSuite/test_parsing/"*.json "$payloads/"
echo "seeded $(ls "$payloads" | wc -l) files into $payloads"
