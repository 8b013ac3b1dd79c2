#!/usr/bin/env bash
# Installs what irpsim needs on Debian (cmake, a C compiler, CMocka, pkg-config).
# As root it runs apt-get; otherwise it prints the exact command to run.
set -euo pipefail

irpsim_missing_packages() {
    local missing=()
    command -v cmake >/dev/null 2>&1 || missing+=(cmake)
    command -v cc >/dev/null 2>&1 || missing+=(gcc)
    command -v c++ >/dev/null 2>&1 || missing+=(g++)
    command -v make >/dev/null 2>&1 || missing+=(make)
    command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
    if ! { [ -f /usr/include/cmocka.h ] || pkg-config --exists cmocka 2>/dev/null; }; then
        missing+=(libcmocka-dev)
    fi
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "${missing[@]}"
    fi
}

irpsim_install_deps() {
    local missing
    missing="$(irpsim_missing_packages)"
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" -eq 0 ]; then
        echo "irpsim: installing: $missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        # shellcheck disable=SC2086
        apt-get install -y -qq $missing >/dev/null
    else
        echo "irpsim: missing packages: $missing"
        echo "irpsim: run:  sudo apt-get install -y $missing"
        exit 1
    fi
}
