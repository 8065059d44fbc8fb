-- 0001: the objects of the hMailServer manual that the foundation needs.
-- One text for every engine: {type} tokens are expanded per dialect (store/dialect.go),
-- statements are separated by a line holding only ";". Times are Unix seconds (UTC),
-- booleans are 0/1, "0" in a {ref} column means "none" (no NULLs in unique keys:
-- SQL Server treats NULLs as equal there, the others do not).

CREATE TABLE settings (
  name {name} NOT NULL PRIMARY KEY,
  value {text} NOT NULL
)
;
CREATE TABLE domains (
  id {id},
  name {name} NOT NULL,
  name_lower {key} NOT NULL,
  active {bool} NOT NULL,
  catch_all_address {name} NOT NULL,
  plus_addressing {bool} NOT NULL,
  plus_addressing_char {name} NOT NULL,
  max_size_mb {int} NOT NULL,
  max_message_size_kb {int} NOT NULL,
  max_account_size_mb {int} NOT NULL,
  max_accounts {int} NOT NULL,
  max_aliases {int} NOT NULL,
  max_lists {int} NOT NULL,
  created_at {bigint} NOT NULL
)
;
CREATE UNIQUE INDEX domains_name_lower ON domains (name_lower)
;
-- Every name a domain answers to: its primary name and its aliases ("Names" tab).
-- The unique key makes a name belong to one domain only, primary or not.
CREATE TABLE domain_names (
  id {id},
  domain_id {ref} NOT NULL,
  name {name} NOT NULL,
  name_lower {key} NOT NULL,
  is_primary {bool} NOT NULL,
  FOREIGN KEY (domain_id) REFERENCES domains (id)
)
;
CREATE UNIQUE INDEX domain_names_name_lower ON domain_names (name_lower)
;
CREATE INDEX domain_names_domain ON domain_names (domain_id)
;
-- Every local address, whatever owns it: one unique key across accounts,
-- aliases and distribution lists.
CREATE TABLE addresses (
  address_lower {key} NOT NULL PRIMARY KEY,
  kind {int} NOT NULL,
  domain_id {ref} NOT NULL,
  FOREIGN KEY (domain_id) REFERENCES domains (id)
)
;
CREATE INDEX addresses_domain ON addresses (domain_id)
;
CREATE TABLE accounts (
  id {id},
  domain_id {ref} NOT NULL,
  address {name} NOT NULL,
  address_lower {key} NOT NULL,
  password {text} NOT NULL,
  active {bool} NOT NULL,
  admin_level {int} NOT NULL,
  max_size_mb {int} NOT NULL,
  first_name {name} NOT NULL,
  last_name {name} NOT NULL,
  last_logon_at {bigint} NOT NULL,
  last_logon_ip {name} NOT NULL,
  pop3_lock {name} NOT NULL,
  pop3_lock_at {bigint} NOT NULL,
  vacation_enabled {bool} NOT NULL,
  vacation_subject {text} NOT NULL,
  vacation_message {text} NOT NULL,
  vacation_expires {bool} NOT NULL,
  vacation_expires_at {bigint} NOT NULL,
  forward_enabled {bool} NOT NULL,
  forward_address {name} NOT NULL,
  forward_keep_original {bool} NOT NULL,
  signature_enabled {bool} NOT NULL,
  signature_plain {text} NOT NULL,
  signature_html {text} NOT NULL,
  created_at {bigint} NOT NULL,
  FOREIGN KEY (domain_id) REFERENCES domains (id)
)
;
CREATE UNIQUE INDEX accounts_address_lower ON accounts (address_lower)
;
CREATE INDEX accounts_domain ON accounts (domain_id, address_lower)
;
CREATE TABLE aliases (
  id {id},
  domain_id {ref} NOT NULL,
  address {name} NOT NULL,
  address_lower {key} NOT NULL,
  target {name} NOT NULL,
  active {bool} NOT NULL,
  created_at {bigint} NOT NULL,
  FOREIGN KEY (domain_id) REFERENCES domains (id)
)
;
CREATE UNIQUE INDEX aliases_address_lower ON aliases (address_lower)
;
CREATE INDEX aliases_domain ON aliases (domain_id, address_lower)
;
CREATE TABLE distribution_lists (
  id {id},
  domain_id {ref} NOT NULL,
  address {name} NOT NULL,
  address_lower {key} NOT NULL,
  active {bool} NOT NULL,
  require_smtp_auth {bool} NOT NULL,
  mode {int} NOT NULL,
  announcer_address {name} NOT NULL,
  created_at {bigint} NOT NULL,
  FOREIGN KEY (domain_id) REFERENCES domains (id)
)
;
CREATE UNIQUE INDEX distribution_lists_address_lower ON distribution_lists (address_lower)
;
CREATE INDEX distribution_lists_domain ON distribution_lists (domain_id, address_lower)
;
CREATE TABLE distribution_list_members (
  id {id},
  list_id {ref} NOT NULL,
  address {name} NOT NULL,
  address_lower {key} NOT NULL,
  FOREIGN KEY (list_id) REFERENCES distribution_lists (id)
)
;
CREATE UNIQUE INDEX distribution_list_members_unique ON distribution_list_members (list_id, address_lower)
;
CREATE TABLE account_groups (
  id {id},
  name {name} NOT NULL,
  name_lower {key} NOT NULL,
  created_at {bigint} NOT NULL
)
;
CREATE UNIQUE INDEX account_groups_name_lower ON account_groups (name_lower)
;
CREATE TABLE account_group_members (
  id {id},
  group_id {ref} NOT NULL,
  account_id {ref} NOT NULL,
  FOREIGN KEY (group_id) REFERENCES account_groups (id),
  FOREIGN KEY (account_id) REFERENCES accounts (id)
)
;
CREATE UNIQUE INDEX account_group_members_unique ON account_group_members (group_id, account_id)
;
CREATE INDEX account_group_members_account ON account_group_members (account_id)
;
-- IMAP folders; account_id 0 holds the public folders, parent_id 0 is the top level.
CREATE TABLE imap_folders (
  id {id},
  account_id {ref} NOT NULL,
  parent_id {ref} NOT NULL,
  name {name} NOT NULL,
  subscribed {bool} NOT NULL,
  uid_validity {bigint} NOT NULL,
  uid_next {bigint} NOT NULL,
  created_at {bigint} NOT NULL
)
;
CREATE UNIQUE INDEX imap_folders_unique ON imap_folders (account_id, parent_id, name)
;
-- A message is either queued (state 1, account_id 0) or stored in a folder (state 2).
CREATE TABLE messages (
  id {id},
  account_id {ref} NOT NULL,
  folder_id {ref} NOT NULL,
  uid {bigint} NOT NULL,
  state {int} NOT NULL,
  path {text} NOT NULL,
  size {bigint} NOT NULL,
  flags {int} NOT NULL,
  from_address {text} NOT NULL,
  internal_date {bigint} NOT NULL,
  created_at {bigint} NOT NULL,
  next_try_at {bigint} NOT NULL,
  try_count {int} NOT NULL,
  locked_by {name} NOT NULL,
  locked_until {bigint} NOT NULL
)
;
CREATE INDEX messages_folder_uid ON messages (folder_id, uid)
;
CREATE INDEX messages_account ON messages (account_id)
;
CREATE INDEX messages_queue ON messages (state, next_try_at)
;
CREATE TABLE message_recipients (
  id {id},
  message_id {ref} NOT NULL,
  address {name} NOT NULL,
  address_lower {key} NOT NULL,
  original_address {name} NOT NULL,
  local_account_id {ref} NOT NULL,
  status {int} NOT NULL,
  last_reply {text} NOT NULL,
  FOREIGN KEY (message_id) REFERENCES messages (id)
)
;
CREATE INDEX message_recipients_message ON message_recipients (message_id)
;
CREATE TABLE ip_ranges (
  id {id},
  name {name} NOT NULL,
  priority {int} NOT NULL,
  lower_ip {name} NOT NULL,
  upper_ip {name} NOT NULL,
  expires {bool} NOT NULL,
  expires_at {bigint} NOT NULL,
  allow_smtp {bool} NOT NULL,
  allow_pop3 {bool} NOT NULL,
  allow_imap {bool} NOT NULL,
  allow_l2l {bool} NOT NULL,
  allow_l2e {bool} NOT NULL,
  allow_e2l {bool} NOT NULL,
  allow_e2e {bool} NOT NULL,
  require_auth_l2l {bool} NOT NULL,
  require_auth_l2e {bool} NOT NULL,
  require_auth_e2l {bool} NOT NULL,
  require_auth_e2e {bool} NOT NULL,
  antispam {bool} NOT NULL,
  antivirus {bool} NOT NULL,
  created_at {bigint} NOT NULL
)
;
CREATE TABLE routes (
  id {id},
  domain_name {name} NOT NULL,
  domain_name_lower {key} NOT NULL,
  description {text} NOT NULL,
  target_host {name} NOT NULL,
  target_port {int} NOT NULL,
  connection_security {int} NOT NULL,
  tries {int} NOT NULL,
  minutes_between {int} NOT NULL,
  treat_sender_as_local {bool} NOT NULL,
  treat_recipient_as_local {bool} NOT NULL,
  requires_auth {bool} NOT NULL,
  username {name} NOT NULL,
  password {text} NOT NULL,
  all_addresses {bool} NOT NULL
)
;
CREATE UNIQUE INDEX routes_domain_name_lower ON routes (domain_name_lower)
;
CREATE TABLE route_addresses (
  id {id},
  route_id {ref} NOT NULL,
  address {name} NOT NULL,
  address_lower {key} NOT NULL,
  FOREIGN KEY (route_id) REFERENCES routes (id)
)
;
CREATE UNIQUE INDEX route_addresses_unique ON route_addresses (route_id, address_lower)
;
CREATE TABLE ssl_certificates (
  id {id},
  name {name} NOT NULL,
  name_lower {key} NOT NULL,
  certificate_file {text} NOT NULL,
  private_key_file {text} NOT NULL
)
;
CREATE UNIQUE INDEX ssl_certificates_name_lower ON ssl_certificates (name_lower)
;
-- ssl_certificate_id 0: no certificate.
CREATE TABLE tcpip_ports (
  id {id},
  protocol {name} NOT NULL,
  address {name} NOT NULL,
  port {int} NOT NULL,
  connection_security {int} NOT NULL,
  ssl_certificate_id {ref} NOT NULL
)
;
CREATE UNIQUE INDEX tcpip_ports_unique ON tcpip_ports (address, port)
;
CREATE TABLE server_messages (
  id {id},
  name {name} NOT NULL,
  body {text} NOT NULL
)
;
CREATE UNIQUE INDEX server_messages_name ON server_messages (name)
