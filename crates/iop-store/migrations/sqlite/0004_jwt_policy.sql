-- What a JWT credential demands of its tokens besides the signature. Credentials issued before
-- this migration keep accepting tokens without `exp` (0); new ones require it by default.
ALTER TABLE credentials ADD COLUMN jwt_exige_exp INTEGER NOT NULL DEFAULT 0;
ALTER TABLE credentials ADD COLUMN jwt_vigencia_max_s INTEGER;
