-- A description's document kept gzip-compressed (compressed by the importer, off the serving
-- runtime): the store writes and the rebuilds read a tenth of the bytes. `document` is then
-- empty; rows written before keep their text there.
ALTER TABLE service_descriptions ADD COLUMN document_gz BLOB;
ALTER TABLE publication_stage ADD COLUMN document_gz BLOB;
