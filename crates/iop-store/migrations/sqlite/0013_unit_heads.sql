-- Who heads a unit, as the documents name them (issue 13): the Nota Interna is addressed to the
-- head of UPAT ("A"), through the head of ADAS ("VÍA"), with their names and titles. Both or
-- neither.
ALTER TABLE units ADD COLUMN head_name TEXT;
ALTER TABLE units ADD COLUMN head_title TEXT;
