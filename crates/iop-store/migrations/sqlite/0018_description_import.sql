-- Descriptions as imported: the format read, the upload itself when the kept document is a
-- conversion (Swagger 2.0) or a bundle (an archive of several files), and the import report.
ALTER TABLE service_descriptions ADD COLUMN format TEXT;
ALTER TABLE service_descriptions ADD COLUMN original BLOB;
ALTER TABLE service_descriptions ADD COLUMN report TEXT NOT NULL DEFAULT '[]';
-- The `servers` URLs it declares (JSON array): each probe compares them with the origins.
ALTER TABLE service_descriptions ADD COLUMN servers TEXT NOT NULL DEFAULT '[]';
-- The sandbox's answer: its media type and whether it was generated from the schema.
ALTER TABLE service_operations ADD COLUMN example_type TEXT;
ALTER TABLE service_operations ADD COLUMN example_generated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE publication_stage ADD COLUMN document_format TEXT;
ALTER TABLE publication_stage ADD COLUMN document_original BLOB;
ALTER TABLE publication_stage ADD COLUMN document_report TEXT;
ALTER TABLE publication_stage ADD COLUMN document_servers TEXT;
-- A credential for the sandbox only: issued for any registered system without a PR05 request
-- (the sandbox serves fictitious examples); never lets a call through to a real service.
ALTER TABLE credentials ADD COLUMN sandbox_only INTEGER NOT NULL DEFAULT 0;
