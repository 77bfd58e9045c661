"""LINE adapter (filled in by the LINE channel work)."""


class LineAdapter:
    name = "line"

    def parse(self, event):
        raise NotImplementedError

    def deliver(self, conversation, messages, context):
        raise NotImplementedError
