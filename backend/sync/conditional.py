"""The answer "the device's copy is current" (304 Not Modified), raised by the page-version
check before a page is rendered (`backend/sync/versions.py`); the request's audit events are
still written (`web/context.get_ctx`) and the app answers 304 with the ETag."""


class NotModified(Exception):
    def __init__(self, etag: str) -> None:
        super().__init__(etag)
        self.etag = etag
