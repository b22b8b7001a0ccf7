#!/usr/bin/env python3
"""Writes the seed inputs of each fuzz target into fuzz/corpus/<target>/ from the test fixtures.

Run once from the repository root; the fuzzers then grow the corpora, which `cargo fuzz cmin`
keeps small (docs/fuzzing.md). Zip-based documents are written in the parts encoding of
stable_fuzz::parts (`name NUL content NUL ...`), keeping only the parts the readers look at.
"""
import hashlib
import io
import json
import re
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "crates/desk-extract/tests/fixtures"
CORPUS = ROOT / "fuzz/corpus"


def write(target, name, data):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def parts(entries):
    return b"\0".join(name.encode() + b"\0" + content for name, content in entries)


def parts_of(fixture, keep):
    with zipfile.ZipFile(FIXTURES / fixture) as z:
        return parts(
            (i.filename, z.read(i))
            for i in z.infolist()
            if not i.is_dir() and re.search(keep, i.filename)
        )


# Type detection: every fixture as it is.
for f in sorted(FIXTURES.iterdir()):
    if f.suffix in {".pptx", ".docx", ".xlsx", ".odt", ".odp", ".doc", ".pdf"}:
        write("detect", "seed-" + f.name, f.read_bytes())

write("pptx", "seed-order_notes_scripts", parts_of(
    "order_notes_scripts.pptx",
    r"^(\[Content_Types\]\.xml|_rels/\.rels|ppt/presentation\.xml|ppt/_rels/presentation\.xml\.rels"
    r"|ppt/slides/.*|ppt/notesSlides/notesSlide\d\.xml|ppt/notesSlides/_rels/.*)$"))
write("docx", "seed-two_pages", parts_of(
    "two_pages.docx", r"^(\[Content_Types\]\.xml|_rels/\.rels|word/document\.xml)$"))
write("xlsx", "seed-two_sheets", parts_of(
    "two_sheets.xlsx", r"^(\[Content_Types\]\.xml|_rels/\.rels|xl/workbook\.xml|xl/_rels/.*|xl/worksheets/.*|xl/sharedStrings\.xml)$"))
write("xlsx", "seed-shared_strings", parts([
    ("_rels/.rels", b'<Relationships><Relationship Id="rId1" Type="x/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    ("xl/workbook.xml", b'<workbook xmlns:r="r"><sheets><sheet name="A" sheetId="1" r:id="rId1"/><sheet name="B" sheetId="2" r:id="rId9"/></sheets></workbook>'),
    ("xl/_rels/workbook.xml.rels", b'<Relationships><Relationship Id="rId1" Type="x/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="x/sharedStrings" Target="sharedStrings.xml"/></Relationships>'),
    ("xl/sharedStrings.xml", b'<sst><si><t>Vientiane</t><rPh><t>reading</t></rPh></si><si/><si><r><t>Lao &amp; </t></r><r><t>&#x41;</t></r></si></sst>'),
    ("xl/worksheets/sheet1.xml", b'<worksheet><sheetData><row><c t="s"><v>0</v></c><c t="s"><v>2</v></c><c t="b"><v>1</v></c><c><v>3.5</v></c></row><row><c t="inlineStr"><is><t>inline</t></is></c><c t="s"><v>99</v></c></row></sheetData></worksheet>'),
]))
odf_parts = r"^(mimetype|content\.xml|META-INF/manifest\.xml)$"
write("odf", "seed-two_pages_odt", parts_of("two_pages.odt", odf_parts))
write("odf", "seed-deck_odp", parts_of("deck.odp", odf_parts))

for f in sorted(FIXTURES.glob("*.pdf")):
    write("pdf", "seed-" + f.name, f.read_bytes())

submission = (ROOT / "crates/paks-server/tests/fixtures/submission.json").read_bytes()
write("submission_json", "seed-submission.json", submission)
write("submission_request", "seed-submission.json", submission)
case = json.loads(submission)["case"]
case_json = json.dumps(case, ensure_ascii=False).encode()
write("case_json", "seed-case.json", case_json)

# A valid bag, as parts and as a zip.
attachment = b"%PDF-1.4 deck"
payload = [("data/case.json", case_json), ("data/attachments/deck.pdf", attachment)]
manifest = "".join(f"{hashlib.sha256(c).hexdigest()}  {n}\n" for n, c in payload).encode()
bagit = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
oxum = f"{sum(len(c) for _, c in payload)}.{len(payload)}"
info = f"Contact-Name: Souphanh K.\nPayload-Oxum: {oxum}\nPAKS-Idempotency-Key: 7d0d3a52\n".encode()
tags = [("bagit.txt", bagit), ("bag-info.txt", info), ("manifest-sha256.txt", manifest)]
tagmanifest = "".join(f"{hashlib.sha256(c).hexdigest()}  {n}\n" for n, c in tags).encode()
entries = [("bag/" + n, c) for n, c in tags + [("tagmanifest-sha256.txt", tagmanifest)] + payload]
write("bag", "seed-valid-parts", parts(entries))
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
    for n, c in entries:
        z.writestr(n, c)
write("bag", "seed-valid.zip", buf.getvalue())

write("tus_headers", "seed-create", "Tus-Resumable: 1.0.0\nUpload-Length: 1048576\n"
      "Upload-Metadata: filename ZGVjay5wZGY=,filetype YXBwbGljYXRpb24vcGRm,empty\n")
write("tus_headers", "seed-patch", "Tus-Resumable: 1.0.0\nUpload-Offset: 65536\nContent-Length: 4\n"
      "Upload-Checksum: sha256 n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=\n")
write("tus_headers", "seed-sha1", "Tus-Resumable: 1.0.0\nUpload-Checksum: sha1 qZk+NkcGgWq6PiVxeFDCbJzQ2J0=\n")

write("search_query", "seed-word", "portal")
write("search_query", "seed-scripts", "ລັດຖະບານ 政务 บริการ")
write("search_query", "seed-syntax", 'NEAR("e-gov* col: ^x')
write("search_query", "seed-with-text", "census\0The census forms go online in Vientiane.")
