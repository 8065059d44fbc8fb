-- 0002: what IMAP needs beyond the foundation (store/imap*.go).
-- Keywords of a message: its IMAP keywords separated by spaces ('' for none).
ALTER TABLE messages ADD keywords {text} NOT NULL DEFAULT ''
;
-- change_count grows with every change to a folder's messages or flags
-- made through store/imap*.go and POP3 deletions; with uid_next, which
-- every new message moves on, it makes the folder's version
-- (Store.FolderVersion) that sessions on every node compare.
ALTER TABLE imap_folders ADD change_count {bigint} NOT NULL DEFAULT 0
;
-- Permissions of public folders (RFC 4314 rights letters). kind 1: the
-- account subject_id, 2: the group subject_id, 3: anyone (subject_id 0).
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
