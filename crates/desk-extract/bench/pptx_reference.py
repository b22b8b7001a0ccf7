#!/usr/bin/env python3
"""python-pptx's reading of every deck in a folder, as JSON for examples/corpus_bench.rs.

    pip install python-pptx
    python3 crates/desk-extract/bench/pptx_reference.py CORPUS_DIR > pptx_reference.json

Per deck: a list of {text, notes}, or null when python-pptx cannot open it. A slide's text
is its text frames and table cells in shape order, groups recursed, joined by newlines;
python-pptx's vertical tab for <a:br> is read as a newline.
"""
import json, os, sys, time

from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE


def slide_text(slide):
    parts = []

    def walk(shapes):
        for sh in shapes:
            if sh.shape_type == MSO_SHAPE_TYPE.GROUP:
                walk(sh.shapes)
            elif sh.has_text_frame:
                parts.append(sh.text_frame.text)
            elif getattr(sh, "has_table", False) and sh.has_table:
                for row in sh.table.rows:
                    for cell in row.cells:
                        parts.append(cell.text_frame.text)

    walk(slide.shapes)
    return "\n".join(parts).replace("\v", "\n")


def main(folder):
    out = {}
    started = time.perf_counter()
    for name in sorted(os.listdir(folder)):
        if not name.lower().endswith((".pptx", ".ppsx", ".potx")):
            continue
        path = os.path.join(folder, name)
        try:
            prs = Presentation(path)
            out[path] = [{
                "text": slide_text(s),
                "notes": s.notes_slide.notes_text_frame.text
                if s.has_notes_slide and s.notes_slide.notes_text_frame is not None else None,
            } for s in prs.slides]
        except Exception:
            out[path] = None
    sys.stderr.write(f"python-pptx: {len(out)} decks in {time.perf_counter() - started:.2f} s\n")
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1])
