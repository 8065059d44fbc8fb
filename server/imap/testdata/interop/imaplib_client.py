"""Drives Python's imaplib against the Mailwright IMAP server under test.

Usage: imaplib_client.py HOST PORT USER PASSWORD MESSAGE_FILE

The server's INBOX holds two messages when the script starts. The script
logs in, lists, selects INBOX, searches, fetches message 1 (RFC822),
stores flags, creates a folder, copies to it, expunges, renames and
deletes folders, appends MESSAGE_FILE, fetches it back by UID and logs
out. It prints one JSON object: for each step the status and the data
imaplib returned (bytes as Latin-1 text, literals as base64), for the Go
test to check.
"""
import base64
import imaplib
import json
import sys


def plain(data):
    """Makes imaplib's response data JSON-friendly."""
    out = []
    for item in data:
        if item is None:
            out.append(None)
        elif isinstance(item, tuple):
            out.append([item[0].decode("latin-1"), base64.b64encode(item[1]).decode()])
        else:
            out.append(item.decode("latin-1"))
    return out


def main():
    host, port, user, password, message_file = sys.argv[1:6]
    with open(message_file, "rb") as f:
        message = f.read()
    out = {}

    def step(name, result):
        typ, data = result
        out[name] = [typ, plain(data)]
        return data

    client = imaplib.IMAP4(host, int(port), timeout=20)
    out["welcome"] = client.welcome.decode("latin-1")
    out["capabilities"] = sorted(client.capabilities)
    step("login", client.login(user, password))
    step("list", client.list())
    step("select", client.select("INBOX"))
    out["select_uidvalidity"] = plain(client.response("UIDVALIDITY")[1])
    out["select_flags"] = plain(client.response("FLAGS")[1])
    step("search", client.search(None, "SUBJECT", '"second"'))
    step("search_all", client.search(None, "ALL"))
    step("fetch", client.fetch("1", "(RFC822)"))
    step("store", client.store("1", "+FLAGS", "(\\Flagged)"))
    step("create", client.create("Archive"))
    step("create_sub", client.create("Archive.2026"))
    step("copy", client.copy("1:2", "Archive"))
    step("store_deleted", client.store("2", "+FLAGS.SILENT", "(\\Deleted)"))
    step("expunge", client.expunge())
    step("rename", client.rename("Archive", "Old"))
    step("list_old", client.list('""', "Old*"))
    step("delete_sub", client.delete("Old.2026"))
    step("append", client.append("INBOX", "(\\Seen)", '"25-Nov-2026 10:11:12 +0100"', message))
    step("uid_search", client.uid("SEARCH", None, "SEEN"))
    uid = out["uid_search"][1][0].split()[-1]
    step("uid_fetch", client.uid("FETCH", uid, "(FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])"))
    step("status", client.status("Old", "(MESSAGES UNSEEN)"))
    step("close", client.close())
    step("logout", client.logout())
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
