#!/usr/bin/env bash
# Adds Debian source (deb-src) entries for the machine's own release, copied from the
# binary (deb) entries apt already uses, so `apt-get source` fetches from the same mirror
# as `apt-get install` does. No mirror host is written here: whatever the machine's apt
# sources name (a local mirror, a proxy, a snapshot) is what the source entries name.
#
# Usage: scripts/apt-source-entries.sh   (idempotent; runs apt-get update when it adds entries)
set -euo pipefail

out=/etc/apt/sources.list.d/eventgen-deb-src.sources
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[[ -n $codename ]] || { echo "apt-source-entries: /etc/os-release names no codename" >&2; exit 1; }

if [[ -s $out ]]; then
    apt-get update -qq
    exit 0
fi

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

# deb822 files: every paragraph of Types `deb` whose Suites name this release, as deb-src.
for file in /etc/apt/sources.list.d/*.sources; do
    [[ -f $file && $file != "$out" ]] || continue
    awk -v codename="$codename" '
        function flush() {
            if (para != "" && types ~ /(^|[ \t])deb([ \t]|$)/ && suites ~ ("(^|[ \t])" codename "([ \t-]|$)")) {
                gsub(/(^|\n)Types:[^\n]*/, "\nTypes: deb-src", para)
                sub(/^\n/, "", para)
                print para "\n"
            }
            para = ""; types = ""; suites = ""
        }
        /^[ \t]*$/ { flush(); next }
        /^#/ { next }
        {
            para = para (para == "" ? "" : "\n") $0
            if ($1 == "Types:") types = $0
            if ($1 == "Suites:") suites = $0
        }
        END { flush() }
    ' "$file" >> "$tmp"
done

# One-line format (sources.list and *.list): `deb [opts] URI SUITE COMPONENTS…` for this release.
for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $file ]] || continue
    awk -v codename="$codename" '
        $1 == "deb" {
            suite = ($2 ~ /^\[/) ? $4 : $3
            if (suite == codename || index(suite, codename "-") == 1) {
                $1 = "deb-src"; print
            }
        }
    ' "$file" >> "$tmp.list"
done

if [[ ! -s $tmp && ! -s $tmp.list ]]; then
    rm -f "$tmp.list"
    echo "apt-source-entries: no apt source for $codename to copy source entries from" >&2
    exit 1
fi
if [[ -s $tmp ]]; then cp "$tmp" "$out"; fi
if [[ -s $tmp.list ]]; then cp "$tmp.list" "${out%.sources}.list"; fi
rm -f "$tmp.list"
apt-get update -qq
