#!/usr/bin/env bash
# Fetches a corpus of real documents that nobody on the project wrote, for the extraction
# benchmark of crates/desk-extract (see docs/extraction.md). Never commit what it fetches.
#
#   bench/corpus/fetch.sh [DEST]        DEST defaults to target/bench-corpus
#
# Sources, all public packages fetched with their ordinary clients:
#   Debian: TeX Live documentation (many PDFs, several scripts: Thai, Lao, Chinese, Indic …)
#   PyPI source packages: pypdf (test PDFs, encrypted and damaged ones among them),
#   python-pptx and python-docx (their test decks and documents).
# Needs: apt-get (after `apt-get update`), dpkg-deb, pip, tar.
set -euo pipefail

dest=${1:-target/bench-corpus}
mkdir -p "$dest/download" "$dest/files"
dest=$(cd "$dest" && pwd)
dl="$dest/download"

(
    cd "$dl"
    for pkg in texlive-latex-base-doc texlive-latex-recommended-doc texlive-lang-other texlive-lang-cjk; do
        ls "$pkg"_*.deb >/dev/null 2>&1 || apt-get download "$pkg"
    done
    for pkg in pypdf==7.1.1 python-pptx==1.0.2 python-docx==1.2.0; do
        pip download --quiet --no-deps --no-binary :all: -d . "$pkg"
    done
)

collect() { # collect SOURCE_DIR LABEL: copies documents, flattening their paths into names
    local src=$1 label=$2
    find "$src" -type f \( -iname '*.pdf' -o -iname '*.pptx' -o -iname '*.ppsx' -o -iname '*.potx' \
        -o -iname '*.docx' -o -iname '*.odp' -o -iname '*.odt' -o -iname '*.xlsx' -o -iname '*.ppt' \
        -o -iname '*.doc' \) -print0 |
        while IFS= read -r -d '' f; do
            rel=${f#"$src"/}
            cp "$f" "$dest/files/$label--${rel//\//_}"
        done
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for deb in "$dl"/*.deb; do
    name=$(basename "$deb" .deb)
    dpkg-deb -x "$deb" "$work/$name"
    collect "$work/$name" "${name%%_*}"
done
for sdist in "$dl"/*.tar.gz; do
    name=$(basename "$sdist" .tar.gz)
    mkdir -p "$work/$name"
    tar xzf "$sdist" -C "$work/$name"
    collect "$work/$name" "${name%%-*}"
done

# Document files only; gzip-compressed PDFs in the TeX docs are left out.
echo "corpus: $(find "$dest/files" -type f | wc -l) files in $dest/files"
find "$dest/files" -type f | sed 's/.*\.//' | tr 'A-Z' 'a-z' | sort | uniq -c
