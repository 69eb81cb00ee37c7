"""Ask nocontact from Kamailio's embedded Python (app_python3).

The alternative to the http_client module, kept so the choice between them
can be measured again (`nocontact bench --sip --sip-python`; see
docs/decisions.md). It reads the same connection file, nocontact-http.cfg,
keeps one keep-alive connection per Kamailio worker, and leaves the same
variables as the http_client branch: $var(status) and $var(answer).
"""

import base64
import configparser
import http.client
import urllib.parse

import KSR  # type: ignore[import-not-found]  # provided by app_python3


class Asker:
    def __init__(self) -> None:
        self.conn: http.client.HTTPConnection | None = None
        self.headers: dict[str, str] = {}
        self.where: tuple[str, int, float] = ("", 0, 1.0)

    def child_init(self, rank: int) -> int:
        return 0

    def _load(self, path: str) -> None:
        found = configparser.ConfigParser()
        found.read(path)
        section = found["nocontact"]
        url = urllib.parse.urlsplit(section["url"])
        self.where = (url.hostname or "", url.port or 80, float(section.get("timeout", "1")))
        token = f"{section['username']}:{section['password']}".encode()
        self.headers = {
            "Content-Type": "application/json",
            "Authorization": "Basic " + base64.b64encode(token).decode(),
        }

    def ask(self, msg: object, path: str) -> int:
        if not self.headers:
            self._load(path)
        body = KSR.pv.get("$var(body)")
        try:
            if self.conn is None:
                host, port, timeout = self.where
                self.conn = http.client.HTTPConnection(host, port, timeout=timeout)
            self.conn.request("POST", "/v1/phone/route", body, self.headers)
            answer = self.conn.getresponse()
            data = answer.read().decode()
            KSR.pv.seti("$var(status)", answer.status)
            KSR.pv.sets("$var(answer)", data)
        except (OSError, http.client.HTTPException):
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            KSR.pv.seti("$var(status)", -1)
        return 1


def mod_init() -> Asker:
    return Asker()
