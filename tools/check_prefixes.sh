#!/usr/bin/env bash
# check_prefixes.sh BUILD_DIR — every symbol the core library defines and
# exports must carry its module's prefix (CONVENTIONS 2). Statics are exempt.
# Allowed: aug_ (errors, allocator), util_, log_, store_, wire_, ingest_, fc_,
# decide_, export_, http_, cfg_, metrics_, server_, predict_.
set -euo pipefail
lib="${1:-build}/libaugur_core.a"
bad=$(nm -g --defined-only "$lib" | awk 'NF == 3 && $2 ~ /[TDBRCV]/ {print $3}' |
      grep -vE '^(aug_|util_|log_|store_|wire_|ingest_|fc_|predict_|decide_|export_|http_|cfg_|metrics_|server_)' || true)
if [ -n "$bad" ]; then
  echo "check_prefixes: symbols without a module prefix in $lib:" >&2
  echo "$bad" >&2
  exit 1
fi
echo "check_prefixes: ok ($(nm -g --defined-only "$lib" | awk 'NF == 3 && $2 ~ /[TDBRCV]/' | wc -l) exported symbols)"
