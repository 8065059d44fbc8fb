"""Sends mail with Python's smtplib for server/smtp's interoperability tests.

Usage:
    smtplib_client.py starttls HOST PORT FROM TO MESSAGE_FILE [--login USER PASSWORD]
    smtplib_client.py ssl HOST PORT FROM TO MESSAGE_FILE [--login USER PASSWORD]
    smtplib_client.py refused HOST PORT FROM TO

"starttls" connects in plain text and upgrades with STARTTLS, "ssl" uses
implicit TLS (SMTP_SSL); both send MESSAGE_FILE's bytes unchanged with
sendmail(). Certificates are not verified: the test server's is
self-signed. "refused" sends a small message with send_message() and
expects the server to refuse TO: it prints the refused recipients and
exits 0, or exits 1 if the message was accepted. Any other failure raises,
which exits non-zero with a traceback.
"""

import argparse
import email.message
import smtplib
import ssl
import sys

HELO_NAME = "client.example"
TIMEOUT_SECONDS = 20


def unverified_context():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def connect(mode, host, port):
    if mode == "ssl":
        return smtplib.SMTP_SSL(host, port, local_hostname=HELO_NAME,
                                timeout=TIMEOUT_SECONDS, context=unverified_context())
    client = smtplib.SMTP(host, port, local_hostname=HELO_NAME, timeout=TIMEOUT_SECONDS)
    if mode == "starttls":
        client.starttls(context=unverified_context())
    return client


def send_file(args):
    with open(args.message_file, "rb") as f:
        message = f.read()
    with connect(args.mode, args.host, args.port) as client:
        if args.login:
            client.login(*args.login)
        refused = client.sendmail(args.sender, [args.recipient], message)
    if refused:
        print("refused:", refused)
        return 1
    return 0


def send_refused(args):
    message = email.message.EmailMessage()
    message["From"] = args.sender
    message["To"] = args.recipient
    message["Subject"] = "to a recipient the server refuses"
    message.set_content("This message should not be accepted.\n")
    with connect("plain", args.host, args.port) as client:
        try:
            client.send_message(message)
        except smtplib.SMTPRecipientsRefused as refused:
            print("SMTPRecipientsRefused:", refused.recipients)
            return 0
    print("the message was accepted")
    return 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["starttls", "ssl", "refused"])
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("sender")
    parser.add_argument("recipient")
    parser.add_argument("message_file", nargs="?")
    parser.add_argument("--login", nargs=2, metavar=("USER", "PASSWORD"))
    args = parser.parse_args()
    if args.mode == "refused":
        return send_refused(args)
    if args.message_file is None:
        parser.error("a message file is required")
    return send_file(args)


if __name__ == "__main__":
    sys.exit(main())
