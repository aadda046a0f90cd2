#!/usr/bin/env bash
# Regenerates the code from proto/ into a temp dir and fails when it differs from
# the committed src/gen (someone edited the .proto or src/gen without regenerating).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d "${TMPDIR:-/tmp}/cri-types-gen.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
buf generate --output "$tmp"
if ! diff -ru src/gen "$tmp/src/gen" >"$tmp/diff.txt"; then
  echo "check-generated: packages/cri-types/src/gen is out of date with proto/." >&2
  echo "Run 'npm run generate -w @shimkit/cri-types' and commit the result. Differences:" >&2
  head -n 50 "$tmp/diff.txt" >&2
  exit 1
fi
echo "check-generated: src/gen matches proto/"
