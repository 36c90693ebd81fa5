#!/usr/bin/env bash
# The smoke gate as an on-call engineer runs it by hand today: the same probes, one curl at a time.
# It is the baseline perf/bench_smoke.py compares opsgate against (same target: the reference stack).
set -uo pipefail
BASE=https://localhost:18443
CA=.stack/pki/ca.pem
PASSWORD=${OPSGATE_DEMO_PASSWORD:-opsgate-demo-pw}
fail=0
c() { curl -sS --max-time 5 --cacert "$CA" "$@"; }
expect() {  # expect STATUS PATH [curl args...]
  local want=$1 path=$2; shift 2
  local got; got=$(c -o /dev/null -w '%{http_code}' "$@" "$BASE$path")
  [ "$got" = "$want" ] || { echo "FAIL $path: $got (expected $want)"; fail=1; }
}

for path in /health /api/v1/health /api/v1/items; do expect 200 "$path"; done
expect 404 /api/v1/items/999999
c "$BASE/api/v1/health" | grep -q '"status":"ok"' || { echo "FAIL readiness"; fail=1; }

tokens=$(c -H 'Content-Type: application/json' -d "{\"username\":\"demo\",\"password\":\"$PASSWORD\"}" \
  "$BASE/api/v1/auth/login")
access=$(sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' <<<"$tokens")
refresh=$(sed -n 's/.*"refresh_token":"\([^"]*\)".*/\1/p' <<<"$tokens")
expect 200 /api/v1/auth/me -H "Authorization: Bearer $access"
new=$(c -H 'Content-Type: application/json' -d "{\"refresh_token\":\"$refresh\"}" "$BASE/api/v1/auth/refresh" \
  | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
expect 200 /api/v1/auth/me -H "Authorization: Bearer $new"

pgrep -f uvicorn >/dev/null || { echo "FAIL app process"; fail=1; }
ss -ltn | grep -q ':18000 ' || { echo "FAIL app port"; fail=1; }

for origin in https://localhost:18443 https://app.opsgate.test https://evil.example; do
  want=200; [ "$origin" = https://evil.example ] && want=400
  expect "$want" /api/v1/items -X OPTIONS -H "Origin: $origin" -H 'Access-Control-Request-Method: GET'
done

# The page, its assets and the API calls its script makes (what the browser check loads).
for path in / /app.js /config.js /style.css; do expect 200 "$path"; done
exit $fail
