#!/usr/bin/env bash
# Installs the Debian tools the test suite runs for real: promtool and Prometheus (rules, metrics
# lint, the rollout lab), a Pushgateway, Caddy and HAProxy (the lab's proxies), wrk and hyperfine
# (benchmarks), curl (a real SSE client).
# Needs root (or sudo); does nothing when everything is there already.
set -euo pipefail
need=()
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v prometheus-pushgateway >/dev/null 2>&1 || need+=(prometheus-pushgateway)
command -v caddy >/dev/null 2>&1 || need+=(caddy)
command -v haproxy >/dev/null 2>&1 || need+=(haproxy)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v hyperfine >/dev/null 2>&1 || need+=(hyperfine)
command -v curl >/dev/null 2>&1 || need+=(curl)
[ "${#need[@]}" -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# The packages start system services; the tests start their own instances on free ports.
for svc in prometheus prometheus-pushgateway caddy haproxy; do
  ($sudo service "$svc" stop >/dev/null 2>&1) || true
done
