-- The whole-document cap rose from 500,000 characters (Zotero's) to 10,000,000 (desk-extract's
-- `Limits::max_chars`), a 2,500-page manual. The user's files cut at the old cap are read again
-- in the background, as migration 0005 did for OCR; their first 500,000 characters stay
-- searchable meanwhile. Library files are not downloaded again for this (the link is slow and
-- paid for): those read from now on are read whole.
UPDATE blobs SET index_status = 'pending'
WHERE index_status = 'partly_indexed' AND index_message LIKE '%characters are searchable.%';
