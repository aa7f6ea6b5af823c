"""Google's published discovery documents (Sheets v4, Drive v3) as request checkers.

The fake Sheets API runs every request body and query through this before acting
on it, so a request the real API would reject (an unknown field, a wrong type, two
kinds in one ``Request``) fails the test instead of passing against a lenient fake.
The document is loaded from the ``google-api-python-client`` package, which ships
it, so the tests need no network and no file outside the project.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

# Unions the discovery format cannot express: the proto says exactly one of these.
ONE_OF = {
    "Request": None,  # every property of Request is one kind
    "ExtendedValue": None,
}
_INT_FORMATS = ("int32", "uint32")
_INT64_FORMATS = ("int64", "uint64")


class SchemaViolation(AssertionError):
    """What the real API would answer with a 400 INVALID_ARGUMENT."""


@cache
def load_document(name: str = "sheets.v4") -> dict[str, Any]:
    import googleapiclient

    path = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


class Discovery:
    def __init__(self, document: dict[str, Any] | None = None, name: str = "sheets.v4") -> None:
        self.doc = document or load_document(name)
        self.schemas: dict[str, Any] = self.doc["schemas"]
        self.methods: dict[str, dict[str, Any]] = {}
        self._collect(self.doc.get("resources", {}))

    def _collect(self, resources: dict[str, Any]) -> None:
        for resource in resources.values():
            for method in resource.get("methods", {}).values():
                self.methods[method["id"]] = method
            self._collect(resource.get("resources", {}))

    # --- bodies ---------------------------------------------------------------------

    def check_body(self, method_id: str, body: Any) -> None:
        """Raise ``SchemaViolation`` if ``body`` is not a valid request for the method."""
        method = self.methods[method_id]
        ref = method.get("request", {}).get("$ref")
        if ref is None:
            if body not in (None, {}, b"", ""):
                raise SchemaViolation(f"{method_id} takes no request body")
            return
        self.check(body, {"$ref": ref}, ref)

    def check(self, value: Any, schema: dict[str, Any], path: str) -> None:
        if "$ref" in schema:
            name = schema["$ref"]
            self._check_object(value, self.schemas[name], name, path)
            return
        kind = schema.get("type")
        fmt = schema.get("format")
        if kind == "object":
            self._check_object(value, schema, None, path)
        elif kind == "array":
            if not isinstance(value, list):
                raise SchemaViolation(f"{path}: expected a list, got {type(value).__name__}")
            for i, item in enumerate(value):
                self.check(item, schema["items"], f"{path}[{i}]")
        elif kind == "string":
            if fmt in _INT64_FORMATS and isinstance(value, int) and not isinstance(value, bool):
                return  # proto3 JSON accepts int64 as a number or a string
            if not isinstance(value, str):
                raise SchemaViolation(f"{path}: expected a string, got {value!r}")
            if "enum" in schema and value not in schema["enum"]:
                raise SchemaViolation(f"{path}: '{value}' is not one of {schema['enum']}")
        elif kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                raise SchemaViolation(f"{path}: expected an integer, got {value!r}")
            if fmt in _INT_FORMATS and not -(2**31) <= value < 2**32:
                raise SchemaViolation(f"{path}: {value} out of range for {fmt}")
        elif kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise SchemaViolation(f"{path}: expected a number, got {value!r}")
        elif kind == "boolean":
            if not isinstance(value, bool):
                raise SchemaViolation(f"{path}: expected true or false, got {value!r}")
        elif kind == "any":
            return
        else:
            raise SchemaViolation(f"{path}: schema type {kind!r} not understood")

    def _check_object(
        self, value: Any, schema: dict[str, Any], name: str | None, path: str
    ) -> None:
        if not isinstance(value, dict):
            raise SchemaViolation(f"{path}: expected an object, got {type(value).__name__}")
        props: dict[str, Any] = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if item is None and key in props:
                continue  # proto3 JSON: null is accepted and means the default
            if key in props:
                self.check(item, props[key], f"{path}.{key}")
            elif extra is not None:
                self.check(item, extra, f"{path}.{key}")
            else:
                where = name or path
                raise SchemaViolation(f'{path}: unknown name "{key}" in {where}')
        if name in ONE_OF:
            kinds = [k for k, v in value.items() if k in props and v is not None]
            if len(kinds) != 1:
                raise SchemaViolation(
                    f"{path}: {name} must set exactly one kind, got {kinds or 'none'}"
                )

    # --- query parameters -------------------------------------------------------------

    def check_query(self, method_id: str, query: dict[str, list[str]]) -> None:
        """Unknown parameters, bad enum values and bad booleans in a query string."""
        method = self.methods[method_id]
        params = {**self.doc.get("parameters", {}), **method.get("parameters", {})}
        for key, values in query.items():
            spec = params.get(key)
            if spec is None or spec.get("location") == "path":
                raise SchemaViolation(f"{method_id}: unknown query parameter '{key}'")
            if len(values) > 1 and not spec.get("repeated"):
                raise SchemaViolation(f"{method_id}: '{key}' given {len(values)} times")
            for v in values:
                if "enum" in spec and v not in spec["enum"]:
                    raise SchemaViolation(f"{method_id}: {key}='{v}' is not one of {spec['enum']}")
                # Google reads booleans in any case: gspread sends ``False``
                # (WorksheetTest.test_format in the recordings, answered 200)
                if spec.get("type") == "boolean" and v.lower() not in ("true", "false"):
                    raise SchemaViolation(f"{method_id}: {key}='{v}' is not true or false")
