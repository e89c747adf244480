#!/usr/bin/env bash
# Java 17 for the Spark path (pyspark runs Spark in a JVM): Debian's openjdk-17-jre-headless,
# and procps (Spark's launch scripts call ps). Installs only what is missing.
set -euo pipefail
source "$(dirname "$0")/apt_install.sh"
need=()
java_major() { java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }
if ! command -v java >/dev/null 2>&1 || [ "$(java_major)" -lt 17 ]; then need+=(openjdk-17-jre-headless); fi
command -v ps >/dev/null 2>&1 || need+=(procps)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
# the JRE's post-install script needs the man folder that slim images leave out
APT_BEFORE_INSTALL="mkdir -p /usr/share/man/man1" apt_install "${need[@]}"
