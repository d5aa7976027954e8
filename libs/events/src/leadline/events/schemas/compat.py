"""The compatibility guard: what changed between two JSON Schemas of one event version that breaks someone.

A change is compatible only if both sides keep working: consumers still on the old
model read events the new model writes, and consumers on the new model read events
the old one wrote (replays, dead-letter redrives). So besides removed fields and
tightened rules, *added* enum values and union variants are breaking too: an old
consumer would refuse them. Adding an optional field is the one change that is
always safe, because consumers ignore fields they do not know.

Documentation (titles, descriptions) and defaults are not compared: producers write
every field, so a default never reaches the wire in place of a value.
"""

from __future__ import annotations

import json
from typing import Any

Schema = dict[str, Any]

_CONSTRAINTS = (
    "pattern", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "multipleOf", "minItems", "maxItems", "uniqueItems",
)  # fmt: skip


def breaking_changes(old_schema: Schema, new_schema: Schema) -> list[str]:
    """Every change from ``old_schema`` to ``new_schema`` that breaks a producer or consumer.

    Each entry reads ``<field path>: <what changed>``; an empty list means compatible.
    ``$ref``s into ``$defs`` are followed, so renaming a nested model is not a change.
    """
    return _Comparison(old_schema, new_schema).run()


class _Comparison:
    def __init__(self, old_root: Schema, new_root: Schema) -> None:
        self.old_root = old_root
        self.new_root = new_root
        self.changes: list[str] = []

    def run(self) -> list[str]:
        old_type, new_type = self.old_root.get("x-event-type"), self.new_root.get("x-event-type")
        if old_type != new_type:
            self.changes.append(f"payload: event type renamed from {old_type!r} to {new_type!r}")
        self._compare(self.old_root, self.new_root, "", frozenset())
        return self.changes

    def _report(self, path: str, change: str) -> None:
        self.changes.append(f"{path or 'payload'}: {change}")

    def _compare(self, old: Schema, new: Schema, path: str, seen: frozenset[tuple[str, str]]) -> None:
        old, old_ref = _resolve(old, self.old_root)
        new, new_ref = _resolve(new, self.new_root)
        if old_ref and new_ref:
            if (old_ref, new_ref) in seen:  # a recursive model: this pair is already being compared
                return
            seen = seen | {(old_ref, new_ref)}
        if _is_union(old) or _is_union(new):
            self._compare_unions(old, new, path, seen)
        else:
            self._compare_single(old, new, path, seen)

    def _compare_unions(self, old: Schema, new: Schema, path: str, seen: frozenset[tuple[str, str]]) -> None:
        old_variants = _variants(old, self.old_root)
        new_variants = _variants(new, self.new_root)
        old_nullable = any(_is_null(variant) for variant in old_variants)
        new_nullable = any(_is_null(variant) for variant in new_variants)
        if old_nullable and not new_nullable:
            self._report(path, "no longer accepts null")
        if new_nullable and not old_nullable:
            self._report(path, "may now be null, which consumers on the old model refuse")
        old_variants = [variant for variant in old_variants if not _is_null(variant)]
        new_variants = [variant for variant in new_variants if not _is_null(variant)]
        if len(old_variants) == 1 and len(new_variants) == 1:
            self._compare(old_variants[0], new_variants[0], path, seen)
            return
        discriminator = _discriminator(old, self.old_root) or _discriminator(new, self.new_root)
        old_by_key = {_variant_key(variant, discriminator): variant for variant in old_variants}
        new_by_key = {_variant_key(variant, discriminator): variant for variant in new_variants}
        for key in old_by_key.keys() - new_by_key.keys():
            self._report(path, f"variant {key} removed")
        for key in new_by_key.keys() - old_by_key.keys():
            self._report(path, f"variant {key} added, which consumers on the old model refuse")
        for key in sorted(old_by_key.keys() & new_by_key.keys()):
            self._compare(old_by_key[key], new_by_key[key], f"{path}<{key}>", seen)

    def _compare_single(self, old: Schema, new: Schema, path: str, seen: frozenset[tuple[str, str]]) -> None:
        old_types, new_types = _types(old), _types(new)
        if old_types != new_types:
            self._report(path, f"type changed from {_show(old_types)} to {_show(new_types)}")
            return
        if old.get("const") != new.get("const"):
            self._report(path, f"constant changed from {old.get('const')!r} to {new.get('const')!r}")
        self._compare_enums(old.get("enum"), new.get("enum"), path)
        for keyword in ("format", *_CONSTRAINTS):
            if old.get(keyword) != new.get(keyword):
                self._report(path, f"{keyword} changed from {old.get(keyword)!r} to {new.get(keyword)!r}")
        if "object" in old_types:
            self._compare_objects(old, new, path, seen)
        if "array" in old_types:
            self._compare(old.get("items", {}), new.get("items", {}), f"{path}[]", seen)

    def _compare_enums(self, old: list[Any] | None, new: list[Any] | None, path: str) -> None:
        if old is None and new is None:
            return
        if old is None or new is None:
            self._report(path, "enum restriction added" if old is None else "enum restriction lifted")
            return
        removed = [value for value in old if value not in new]
        added = [value for value in new if value not in old]
        if removed:
            self._report(path, f"enum values removed: {removed}")
        if added:
            self._report(path, f"enum values added, which consumers on the old model refuse: {added}")

    def _compare_objects(self, old: Schema, new: Schema, path: str, seen: frozenset[tuple[str, str]]) -> None:
        old_fields, new_fields = old.get("properties", {}), new.get("properties", {})
        old_required, new_required = set(old.get("required", ())), set(new.get("required", ()))
        for name in old_fields:
            field_path = f"{path}.{name}" if path else name
            if name not in new_fields:
                self._report(field_path, "field removed")
                continue
            if name in new_required and name not in old_required:
                self._report(field_path, "optional field became required")
            self._compare(old_fields[name], new_fields[name], field_path, seen)
        for name in new_fields.keys() - old_fields.keys():
            if name in new_required:
                self._report(f"{path}.{name}" if path else name, "new required field")
        old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
        if isinstance(old_extra, dict) and isinstance(new_extra, dict):
            self._compare(old_extra, new_extra, f"{path}{{*}}", seen)


def _resolve(schema: Schema, root: Schema) -> tuple[Schema, str | None]:
    """Follow ``$ref`` (and pydantic's single-item ``allOf`` wrapper); siblings override."""
    name = None
    while True:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            definitions = root.get("$defs") or root.get("definitions") or {}
            siblings = {key: value for key, value in schema.items() if key != "$ref"}
            schema = {**definitions[name], **siblings}
        elif len(schema.get("allOf", ())) == 1:
            siblings = {key: value for key, value in schema.items() if key != "allOf"}
            schema = {**schema["allOf"][0], **siblings}
        else:
            return schema, name


def _is_union(schema: Schema) -> bool:
    return "anyOf" in schema or "oneOf" in schema


def _variants(schema: Schema, root: Schema) -> list[Schema]:
    variants = []
    for variant in schema.get("anyOf") or schema.get("oneOf") or [schema]:
        resolved, _ = _resolve(variant, root)
        variants.extend(_variants(resolved, root) if _is_union(resolved) else [resolved])
    return variants


def _discriminator(schema: Schema, root: Schema) -> str | None:
    """The property telling a union's variants apart, also when the union is wrapped as optional."""
    if "discriminator" in schema:
        name = schema["discriminator"].get("propertyName")
        return name if isinstance(name, str) else None
    for variant in schema.get("anyOf") or schema.get("oneOf") or []:
        resolved, _ = _resolve(variant, root)
        if _is_union(resolved) and (found := _discriminator(resolved, root)):
            return found
    return None


def _is_null(schema: Schema) -> bool:
    return schema.get("type") == "null"


def _types(schema: Schema) -> frozenset[str]:
    declared = schema.get("type")
    if declared is None:
        return frozenset({"object"}) if "properties" in schema else frozenset()
    return frozenset([declared] if isinstance(declared, str) else declared)


def _variant_key(schema: Schema, discriminator: str | None) -> str:
    if discriminator and discriminator in schema.get("properties", {}):
        return str(schema["properties"][discriminator].get("const"))
    signature = {key: schema.get(key) for key in ("type", "format", "const", "enum", "title")}
    return json.dumps({key: value for key, value in signature.items() if value is not None}, sort_keys=True)


def _show(types: frozenset[str]) -> str:
    return "|".join(sorted(types)) or "any"
