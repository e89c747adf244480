#!/usr/bin/env bash
# apt_install PACKAGE...: install Debian packages quietly, as root or through sudo (sourced by the install_*_deps.sh
# scripts, which work out what is missing first). APT_BEFORE_INSTALL: a command run between update and install.
apt_install() {
    echo "installing $* (apt-get)"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    if [ -n "${APT_BEFORE_INSTALL:-}" ]; then $sudo sh -c "$APT_BEFORE_INSTALL"; fi
    $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
