"""The API's JSON body parser: a body is one JSON object, nested at most MAX_JSON_DEPTH
deep (kiosk/domain/text_input.py); anything else is ninja's 400 "Cannot parse request body"
before any recursive parser or schema sees it (`null` would otherwise pass for `{}`)."""

from __future__ import annotations

import json

from ninja.parser import Parser

from kiosk.domain.text_input import MAX_JSON_DEPTH, json_text_too_deep


class ObjectParser(Parser):
    def parse_body(self, request):
        text = request.body.decode("utf-8")
        if json_text_too_deep(text):
            raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        return data
