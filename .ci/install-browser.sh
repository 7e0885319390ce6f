#!/usr/bin/env bash
# Install Debian's Chromium and its matching chromedriver (/usr/bin/chromium,
# /usr/bin/chromedriver), plus fonts so pages render text, for the real-browser test
# tests/integration/test_report_browser.py. Idempotent: installs only what is missing.
set -euo pipefail

packages=(chromium chromium-driver fonts-dejavu-core fonts-liberation)
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q "${missing[@]}"
fi

# Debian's /usr/bin/chromium wrapper may print shell warnings on stderr; the version is on stdout.
echo "browser: $(/usr/bin/chromium --version 2>/dev/null); $(/usr/bin/chromedriver --version)"
