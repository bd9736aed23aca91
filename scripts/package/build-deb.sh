#!/usr/bin/env bash
# Builds dist/synshadow_<version>_amd64.deb from this checkout: the static
# binary (build-static.sh), man pages and shell completions generated from
# the command's own ArgumentParser definitions, the systemd unit, the default
# configuration, the alerting rules and the Grafana dashboard. Prints the
# package's path on its last line.
#
# Usage: scripts/package/build-deb.sh [--out DIR]
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
out="$repo/dist"
while (($#)); do
    case "$1" in
        --out) out="$2"; shift 2 ;;
        *) echo "usage: ${0##*/} [--out DIR]" >&2; exit 2 ;;
    esac
done

binary="$(bash scripts/package/build-static.sh | tail -n1)"
version="$("$binary" --version)"
[[ $version =~ ^[0-9][0-9A-Za-z.+~-]*$ ]] || { echo "build-deb: '$binary --version' printed '$version'" >&2; exit 1; }

root="$(mktemp -d)"
manuals="$(mktemp -d)"
trap 'rm -rf "$root" "$manuals"' EXIT
# Man pages from the command's own definitions: ArgumentParser's
# generate-manual tool over the binary's --experimental-dump-help, one page
# per subcommand. Built in a scratch path of its own, so this runs even while
# another SwiftPM (a `swift test` running this script) holds .build.
swift build --scratch-path "$repo/.build-manual" --product generate-manual >&2
date="$(date -u -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)" +%Y-%m-%d)"
"$repo/.build-manual/debug/generate-manual" "$binary" --multi-page --date "$date" --output-directory "$manuals" >&2
[[ -e $manuals/synshadow.1 ]] || { echo "build-deb: generate-manual wrote no synshadow.1" >&2; exit 1; }
install -D -m 0755 "$binary" "$root/usr/sbin/synshadow"
strip --strip-unneeded "$root/usr/sbin/synshadow"
for page in "$manuals"/*.1; do
    # groff warns of blank lines in mdoc source; they carry nothing.
    install -d "$root/usr/share/man/man1"
    sed '/^[[:space:]]*$/d' "$page" | gzip -9n >"$root/usr/share/man/man1/$(basename "$page").gz"
done
completions="$root/usr/share"
mkdir -p "$completions/bash-completion/completions" "$completions/zsh/vendor-completions" \
    "$completions/fish/vendor_completions.d"
# bash-completion sources the file: no #! line.
"$binary" --generate-completion-script bash | sed '1{/^#!/d}' >"$completions/bash-completion/completions/synshadow"
"$binary" --generate-completion-script zsh >"$completions/zsh/vendor-completions/_synshadow"
"$binary" --generate-completion-script fish >"$completions/fish/vendor_completions.d/synshadow.fish"
install -D -m 0644 packaging/systemd/synshadow.service "$root/lib/systemd/system/synshadow.service"
install -D -m 0644 packaging/synshadow.conf "$root/etc/synshadow/synshadow.conf"
for extra in packaging/prometheus/synshadow.rules.yml packaging/grafana/synshadow-dashboard.json; do
    [[ -e $extra ]] && install -D -m 0644 "$extra" "$root/usr/share/synshadow/$(basename "$(dirname "$extra")")/$(basename "$extra")"
done
maintainer="${DEBFULLNAME:-SynShadow developers} <${DEBEMAIL:-synshadow@users.noreply.github.com}>"
doc="$root/usr/share/doc/synshadow"
install -D -m 0644 packaging/debian/copyright "$doc/copyright"
{
    echo "synshadow ($version) unstable; urgency=medium"
    echo
    echo "  * Built from commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)."
    echo
    echo " -- $maintainer  $(date -R -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)")"
} | gzip -9n >"$doc/changelog.gz"
# Linked statically on purpose (one binary that needs only the C library):
# lintian's embedded-library, with the reason, for the reader of its report.
install -D -m 0644 packaging/debian/lintian-overrides "$root/usr/share/lintian/overrides/synshadow"

# The C library version the binary needs: its newest GLIBC_ symbol version.
glibc="$(objdump -T "$root/usr/sbin/synshadow" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n1)"
mkdir -p "$root/DEBIAN"
sed -e "s/@VERSION@/$version/" -e "s/@DEPENDS@/libc6 (>= $glibc)/" -e "s/@MAINTAINER@/$maintainer/" \
    -e "s/@INSTALLED_SIZE@/$(du -sk --exclude=DEBIAN "$root" | cut -f1)/" \
    packaging/debian/control.in >"$root/DEBIAN/control"
echo /etc/synshadow/synshadow.conf >"$root/DEBIAN/conffiles"
for script in postinst prerm postrm; do
    install -m 0755 "packaging/debian/$script" "$root/DEBIAN/$script"
done
(cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"

mkdir -p "$out"
package="$out/synshadow_${version}_amd64.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$package" >&2
echo "build-deb: $package ($(stat -c %s "$package") bytes; binary $(stat -c %s "$root/usr/sbin/synshadow") bytes stripped)" >&2
echo "$package"
