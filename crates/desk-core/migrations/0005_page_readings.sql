-- Which engine read each page of a stored file ('pdf-extract', 'pdf_oxide', 'ocr') and, for a
-- page read by OCR, its mean word confidence: a search hit in such a page says "read from the
-- scan", so the focal point knows the words may be misread.
CREATE TABLE page_readings (
    sha256     TEXT NOT NULL REFERENCES blobs (sha256) ON DELETE CASCADE,
    unit       INTEGER NOT NULL CHECK (unit > 0),
    engine     TEXT NOT NULL CHECK (engine <> ''),
    confidence INTEGER CHECK (confidence BETWEEN 0 AND 100),
    PRIMARY KEY (sha256, unit)
) STRICT;

-- Files read by OCR before pages were recorded are read again in the background; their text
-- stays searchable meanwhile (it is replaced only when the new reading is recorded).
UPDATE blobs SET index_status = 'pending' WHERE engine LIKE '%ocr%';
