#!/usr/bin/env bash
# Java 17 for the Spark path (pyspark runs Spark in a JVM): Debian's openjdk-17-jre-headless,
# and procps (Spark's launch scripts call ps). Installs only what is missing.
set -euo pipefail
need=()
java_major() { java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }
if ! command -v java >/dev/null 2>&1 || [ "$(java_major)" -lt 17 ]; then need+=(openjdk-17-jre-headless); fi
command -v ps >/dev/null 2>&1 || need+=(procps)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
echo "installing ${need[*]} (apt-get)"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# the JRE's post-install script needs the man folder that slim images leave out
$SUDO mkdir -p /usr/share/man/man1
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
