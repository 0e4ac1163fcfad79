-- A consumption request may propose a system not yet in the catalog (name and purpose); the
-- Líder registers it at step 4, and `system_id` then names it.
ALTER TABLE requests ADD COLUMN proposed_system_name TEXT;
ALTER TABLE requests ADD COLUMN proposed_system_purpose TEXT;
