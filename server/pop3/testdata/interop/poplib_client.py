"""Drives Python's poplib against the Mailwright POP3 server under test.

Usage: poplib_client.py MODE HOST PORT USER PASSWORD
MODE is "starttls" (STLS, then USER/PASS), "ssl" (implicit TLS) or
"plain". The script lists, fetches, deletes message 1, quits, and prints
one JSON object describing what it saw, for the Go test to check.
"""
import base64
import json
import poplib
import ssl
import sys


def main():
    mode, host, port, user, password = sys.argv[1:6]
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if mode == "ssl":
        client = poplib.POP3_SSL(host, int(port), context=context, timeout=20)
    else:
        client = poplib.POP3(host, int(port), timeout=20)
    out = {"welcome": client.getwelcome().decode()}
    out["capa"] = sorted(client.capa().keys())
    if mode == "starttls":
        out["stls"] = client.stls(context=context).decode()
    out["user"] = client.user(user).decode()
    out["pass"] = client.pass_(password).decode()
    count, size = client.stat()
    out["stat"] = [count, size]
    resp, listing, _ = client.list()
    out["list"] = [line.decode() for line in listing]
    resp, uidls, _ = client.uidl()
    out["uidl"] = [line.decode() for line in uidls]
    resp, lines, octets = client.retr(1)
    out["retr_status"] = resp.decode()
    out["retr"] = base64.b64encode(b"".join(line + b"\r\n" for line in lines)).decode()
    resp, lines, _ = client.top(1, 2)
    out["top"] = base64.b64encode(b"".join(line + b"\r\n" for line in lines)).decode()
    out["dele"] = client.dele(1).decode()
    try:
        client.retr(1)
        out["retr_deleted"] = "succeeded"
    except poplib.error_proto as e:
        out["retr_deleted"] = e.args[0].decode()
    out["quit"] = client.quit().decode()
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
