-- Who each request waits for, as the domain computes it (`Facts::waiting`), stored by every
-- transition in its own transaction: a role, narrowed to one user and/or one unit, less those
-- four-eyes excludes. Inboxes read it. The backfill below is `Facts::waiting` as of this migration.
ALTER TABLE requests ADD COLUMN wait_role TEXT;
ALTER TABLE requests ADD COLUMN wait_user TEXT;
ALTER TABLE requests ADD COLUMN wait_unit TEXT;
ALTER TABLE requests ADD COLUMN wait_excluded TEXT NOT NULL DEFAULT '[]';

UPDATE requests SET
    wait_role = CASE state
        WHEN 'borrador' THEN 'solicitante'
        WHEN 'presentada' THEN 'jefe_upat'
        WHEN 'nota_aprobada_adas' THEN 'jefe_upat'
        WHEN 'derivada_adas' THEN 'responsable_adas'
        WHEN 'nota_elaborada' THEN 'responsable_adas'
        WHEN 'asignada_lider' THEN CASE WHEN assignee IS NULL THEN 'responsable_adas' ELSE 'lider_adas' END
        WHEN 'habilitada' THEN CASE WHEN assignee IS NULL THEN 'responsable_adas' ELSE 'lider_adas' END
        WHEN 'nota_aprobada_upat' THEN 'solicitante'
        WHEN 'observada' THEN 'solicitante'
        ELSE NULL END,
    wait_user = CASE state
        WHEN 'borrador' THEN created_by
        WHEN 'asignada_lider' THEN assignee
        WHEN 'habilitada' THEN assignee
        ELSE NULL END,
    wait_unit = CASE WHEN state IN ('borrador', 'nota_aprobada_upat', 'observada') THEN unit_id ELSE NULL END,
    wait_excluded = CASE
        WHEN state = 'nota_elaborada' AND note_author IS NOT NULL THEN json_array(note_author)
        WHEN state = 'nota_aprobada_adas' THEN (
            SELECT COALESCE(json_group_array(u), '[]') FROM (
                SELECT note_author AS u WHERE note_author IS NOT NULL
                UNION SELECT adas_approver WHERE adas_approver IS NOT NULL))
        ELSE '[]' END;

CREATE INDEX requests_wait_role ON requests(wait_role);
