#!/usr/bin/env bash
# A release `synshadow` that needs only the C library at run time: the Swift
# standard library and Foundation linked statically (--static-swift-stdlib),
# libbpf, libelf and zlib from Debian's -dev archives, libstdc++ and libgcc
# statically too. Prints the binary's path on its last line.
#
# Usage: scripts/package/build-static.sh
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
source scripts/setup.sh

scratch="$repo/.build-static"
multiarch="$(gcc -print-multiarch)"
for library in bpf elf z; do
    archive="/usr/lib/$multiarch/lib$library.a"
    [[ -e $archive ]] || { echo "build-static: $archive missing (Debian's lib$library-dev ships it)" >&2; exit 1; }
done
# libstdc++ (the Swift runtime's C++ parts) from its archive too: a directory
# searched before gcc's, holding only that archive.
archives="$scratch/static-libs"
mkdir -p "$archives"
ln -sf "$(gcc -print-file-name=libstdc++.a)" "$archives/libstdc++.a"

# Package.swift reads SYNSHADOW_STATIC_LINK: libbpf, libelf and zlib as -l:lib*.a.
export SYNSHADOW_STATIC_LINK=1
swift build -c release --product synshadow --scratch-path "$scratch" --static-swift-stdlib \
    -Xlinker -L"$archives" -Xswiftc -Xclang-linker -Xswiftc -static-libgcc >&2
binary="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/synshadow"

# The promise: nothing but glibc's own libraries (and the vDSO and loader).
unexpected="$(ldd "$binary" | awk '{print $1}' \
    | grep -v -E '^(linux-vdso\.so|/lib64/ld-linux-x86-64\.so|libc\.so|libm\.so|libpthread\.so|libdl\.so|librt\.so|libutil\.so)' || true)"
if [[ -n $unexpected ]]; then
    echo "build-static: $binary needs more than glibc: $unexpected" >&2
    exit 1
fi
echo "build-static: $binary ($(stat -c %s "$binary") bytes), needs only glibc" >&2
echo "$binary"
