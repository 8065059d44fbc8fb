-- 0002 for MySQL/MariaDB: as 0002_imap.sql, except that a TEXT column
-- cannot have a default on MySQL (keywords are VARCHAR here, at most 4000
-- characters, which the store enforces everywhere), and folder names
-- compare byte for byte as on PostgreSQL and SQLite (IMAP names are
-- case-sensitive; a database's default collation is not).
ALTER TABLE messages ADD keywords VARCHAR(4000) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT ''
;
ALTER TABLE imap_folders ADD change_count {bigint} NOT NULL DEFAULT 0
;
ALTER TABLE imap_folders MODIFY name VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL
;
CREATE TABLE imap_acl (
  id {id},
  folder_id {ref} NOT NULL,
  kind {int} NOT NULL,
  subject_id {ref} NOT NULL,
  rights {name} NOT NULL,
  FOREIGN KEY (folder_id) REFERENCES imap_folders (id)
)
;
CREATE UNIQUE INDEX imap_acl_unique ON imap_acl (folder_id, kind, subject_id)
