"""A local SMTP server for the tests: every message it receives becomes one JSON file
(from, to, subject, body) in a directory the test reads.

Usage: python3 tests/smtp_sink.py PORT DIRECTORY   (prints "listo" once it listens)
"""

import email
import email.policy
import json
import os
import sys
import threading
import uuid

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, directory):
        self.directory = directory

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        record = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "subject": str(message["subject"]),
            "body": message.get_body(("plain",)).get_content(),
            "message_id": str(message["message-id"] or ""),
            "auto_submitted": str(message["auto-submitted"] or ""),
            "in_reply_to": str(message["in-reply-to"] or ""),
            "references": str(message["references"] or ""),
        }
        name = uuid.uuid4().hex
        temporary = os.path.join(self.directory, f".{name}.tmp")
        with open(temporary, "w", encoding="utf-8") as out:
            json.dump(record, out, ensure_ascii=False)
        # Renamed once complete, so the test never reads half a message.
        os.rename(temporary, os.path.join(self.directory, f"{name}.json"))
        return "250 OK"


def main():
    port, directory = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Handler(directory), hostname="127.0.0.1", port=port)
    controller.start()
    print("listo", flush=True)
    # Runs until the test kills it.
    threading.Event().wait()


if __name__ == "__main__":
    main()
