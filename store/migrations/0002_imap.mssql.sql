-- 0002 for SQL Server: as 0002_imap.sql, and folder names compare byte for
-- byte as on PostgreSQL and SQLite (IMAP names are case-sensitive; the
-- server's default collation is not). The unique index must go while the
-- column changes.
ALTER TABLE messages ADD keywords {text} NOT NULL DEFAULT ''
;
ALTER TABLE imap_folders ADD change_count {bigint} NOT NULL DEFAULT 0
;
DROP INDEX imap_folders_unique ON imap_folders
;
ALTER TABLE imap_folders ALTER COLUMN name NVARCHAR(255) COLLATE Latin1_General_100_BIN2 NOT NULL
;
CREATE UNIQUE INDEX imap_folders_unique ON imap_folders (account_id, parent_id, name)
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
