#!/usr/bin/env python3
"""Provider schemas for OpenTofu, read back from the installed cdktf provider bindings.

The Go module proxy of the project's machines refuses the provider modules (see
scripts/install-opentofu.sh), so the tests cannot always run the real kubernetes, helm and
digitalocean providers. The cdktf bindings pinned in requirements.lock were GENERATED from each
provider's schema at exactly the version we pin (``terraformGeneratorMetadata.providerVersion`` in
every class), and their JavaScript keeps that schema readable:

* ``synthesizeHclAttributes()`` of a resource/data/provider class and ``<struct>ToHclTerraform()``
  of a nested struct list every CONFIG attribute with its Terraform name, ``isBlock``, ``type``
  (``simple``/``list``/``set``/``map``/``struct``) and ``storageClassType`` (``string``,
  ``stringList``, ``anyMap``… or the nested struct's class);
* the jsii assembly (``.jsii``) says which of them are optional and whether a nested block takes
  one object (max_items 1) or a list;
* getters (``this.getStringAttribute('uid')``, ``new XList(this, "status", false)``…) without a
  config entry are the COMPUTED-ONLY attributes, with their types.

This module writes that schema in the layout of ``tofu providers schema -json`` (one provider per
file), which scripts/opentofu/schema-provider serves to OpenTofu. What the bindings cannot tell,
and so the schema does not carry: optional+computed attributes other than ``id`` (they come out
optional), ``sensitive``, provider-side validators, and list-vs-set for computed-only primitives
(list). ``tests/opentofu`` reads the result only through OpenTofu.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import re
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Nested config of providers built on terraform-plugin-framework is made of nested ATTRIBUTES
# (protocol 6), not blocks: helm >= 3 (hashicorp/terraform-provider-helm v3.1.1 helm/provider.go
# `"kubernetes": schema.SingleNestedAttribute`, helm/resource_helm_release.go `"set":
# schema.ListNestedAttribute`, `"timeouts": timeouts.Attributes`). kubernetes 2.38 and
# digitalocean 2.71 are terraform-plugin-sdk/v2 (+ the plugin-go manifest provider), whose nested
# config is blocks (digitalocean/terraform-provider-digitalocean v2.71.0 main.go `plugin.Serve`).
FRAMEWORK_PROVIDERS = frozenset({"helm"})

# Optional+computed attributes the bindings cannot tell from optional ones, where our stacks or
# OpenTofu's mocks need the computed half: every SDKv2 resource's `id`, and kubernetes_manifest
# `object` (hashicorp/terraform-provider-kubernetes v2.38.0 manifest/provider/resource.go:
# "object": Optional: true, Computed: true).
OPTIONAL_COMPUTED = {("*", "id"), ("kubernetes_manifest", "object")}

PRIMITIVES = {"string": "string", "number": "number", "boolean": "bool"}
GETTER_TYPES = {
    "String": "string",
    "Number": "number",
    "Boolean": "bool",
    "List": ["list", "string"],
    "NumberList": ["list", "number"],
    "StringMap": ["map", "string"],
    "NumberMap": ["map", "number"],
    "BooleanMap": ["map", "bool"],
    "AnyMap": "dynamic",
}
CDKTF_COMPLEX = {"StringMap": ["map", "string"], "NumberMap": ["map", "number"], "BooleanMap": ["map", "bool"]}

ATTR_RE = re.compile(
    r"^\s*(?P<name>[a-z0-9_]+): \{\s*value: (?P<value>.*?),\s*isBlock: (?P<block>true|false),\s*"
    r"type: \"(?P<type>\w+)\",\s*storageClassType: \"(?P<storage>\w+)\",\s*\}",
    re.MULTILINE | re.DOTALL,
)
GETTER_RE = re.compile(r"get (\w+)\(\) \{\s*return this\.get(\w+)Attribute\('([a-z0-9_]+)'\);")
COMPLEX_RE = re.compile(r"this\._(\w+) = new (?:cdktf\.)?(\w+)\(this, \"([a-z0-9_]+)\"(?:, (true|false))?\)")
CLASS_RE = re.compile(r"^class (\w+) extends cdktf\.(\w+) \{\n(.*?)^\}", re.MULTILINE | re.DOTALL)
FUNC_RE = re.compile(r"^function (\w+)ToHclTerraform\(struct\) \{\n(.*?)^\}", re.MULTILINE | re.DOTALL)
TYPE_RE = re.compile(r"terraformResourceType: '([a-z0-9_]+)'")
VERSION_RE = re.compile(r"providerVersion: '([^']+)'")


class SchemaError(Exception):
    pass


@dataclass
class Binding:
    """The JavaScript and the jsii assembly of one cdktf provider binding."""

    classes: dict[str, tuple[str, str]]  # class name -> (base class, body)
    functions: dict[str, str]  # struct name (CamelCase) -> body of its ToHclTerraform function
    structs: dict[str, dict[str, Any]]  # struct name -> jsii type
    framework: bool

    @classmethod
    def load(cls, package: str, framework: bool) -> Binding:
        spec = importlib.util.find_spec(package)  # locates the package without importing it (no jsii)
        if spec is None or not spec.submodule_search_locations:
            raise SchemaError(f"binding {package} is not installed (run scripts/setup.sh)")
        tgz = sorted(Path(next(iter(spec.submodule_search_locations)), "_jsii").glob("*.jsii.tgz"))
        if len(tgz) != 1:
            raise SchemaError(f"{package}: expected one jsii tarball, found {tgz}")
        js: list[str] = []
        assembly: dict[str, Any] = {}
        with tarfile.open(tgz[0]) as tar:
            for member in tar.getmembers():
                if member.name.endswith(".js") and "/lib/" in member.name:
                    js.append(tar.extractfile(member).read().decode())  # type: ignore[union-attr]
                elif member.name == "package/.jsii":
                    assembly = json.load(io.BytesIO(tar.extractfile(member).read()))  # type: ignore[union-attr]
        text = "\n".join(js)
        classes = {m[1]: (m[2], m[3]) for m in CLASS_RE.finditer(text)}
        functions = {m[1][0].upper() + m[1][1:]: m[2] for m in FUNC_RE.finditer(text)}
        structs = {t["name"]: t for t in assembly.get("types", {}).values() if t.get("datatype")}
        return cls(classes, functions, structs, framework)

    # --- one object (resource, data source, provider, or nested struct) ---------------------------

    def config_attrs(self, body: str) -> list[re.Match[str]]:
        start = body.find("const attrs = {")
        if start < 0:
            return []
        return list(ATTR_RE.finditer(body[start:]))

    def optional(self, struct: str | None, js_name: str) -> bool:
        props = {p["name"]: p for p in (self.structs.get(struct or "", {}).get("properties") or [])}
        prop = props.get(js_name)
        return True if prop is None else bool(prop.get("optional"))

    def single(self, struct: str | None, js_name: str) -> bool:
        props = {p["name"]: p for p in (self.structs.get(struct or "", {}).get("properties") or [])}
        prop = props.get(js_name)
        return prop is not None and "fqn" in prop.get("type", {})

    def block(self, config_body: str, config_struct: str | None, getters_body: str, type_name: str) -> dict[str, Any]:
        """Schema block of one object: config attributes from ``config_body``, computed-only from ``getters_body``."""
        attributes: dict[str, Any] = {}
        blocks: dict[str, Any] = {}
        for m in self.config_attrs(config_body):
            name, storage, kind = m["name"], m["storage"], m["type"]
            js = re.search(r"(?:this\._|struct\.|struct!\.)(\w+)", m["value"])
            js_name = js[1] if js else name
            optional = self.optional(config_struct, js_name)
            flags = {"required": not optional, "optional": optional}
            if (("*", name) in OPTIONAL_COMPUTED or (type_name, name) in OPTIONAL_COMPUTED) and optional:
                flags["computed"] = True
            nested = re.search(r"(?<![.\w])(\w+)ToHclTerraform\b", re.sub(r"\b\w+_1\.", "", m["value"]))
            if m["block"] == "true":
                if not nested:
                    raise SchemaError(f"{type_name}.{name}: block without a struct mapper: {m['value']}")
                struct = nested[1][0].upper() + nested[1][1:]
                inner = self.struct_block(struct, type_name)
                single = kind == "struct" or self.single(config_struct, js_name)
                if self.framework:
                    mode = "single" if kind == "struct" or single else kind
                    attributes[name] = {"nested_type": {"attributes": _as_nested(inner), "nesting_mode": mode}, **flags}
                else:
                    entry: dict[str, Any] = {"nesting_mode": "single" if kind == "struct" else kind, "block": inner}
                    if kind != "struct":
                        entry["min_items"] = 0 if optional else 1
                        if single:
                            entry["max_items"] = 1
                    blocks[name] = entry
            else:
                attributes[name] = {"type": _attr_type(kind, storage, f"{type_name}.{name}"), **flags}
        for m in GETTER_RE.finditer(getters_body):
            tf_name, kind = m[3], m[2]
            if tf_name in attributes or tf_name in blocks:
                continue
            if kind not in GETTER_TYPES:
                raise SchemaError(f"{type_name}.{tf_name}: unknown getter get{kind}Attribute")
            attributes[tf_name] = {"type": GETTER_TYPES[kind], "computed": True}
        for m in COMPLEX_RE.finditer(getters_body):
            cls_name, tf_name, wraps_set = m[2], m[3], m[4]
            if tf_name in attributes or tf_name in blocks:
                continue
            attributes[tf_name] = {"type": self.computed_type(cls_name, wraps_set, f"{type_name}.{tf_name}"), "computed": True}
        return {"attributes": attributes, "block_types": blocks}

    def struct_block(self, struct: str, type_name: str) -> dict[str, Any]:
        if struct not in self.functions:
            raise SchemaError(f"{type_name}: no ToHclTerraform function for struct {struct}")
        getters = self.classes.get(f"{struct}OutputReference", ("", ""))[1]
        return self.block(self.functions[struct], struct, getters, type_name)

    def computed_type(self, cls_name: str, wraps_set: str | None, where: str) -> Any:
        """cty type of a computed-only complex attribute (``new XList(...)``/``new XOutputReference(...)``)."""
        if cls_name in CDKTF_COMPLEX:
            return CDKTF_COMPLEX[cls_name]
        ref = cls_name[: -len("OutputReference")] if cls_name.endswith("OutputReference") else None
        if ref is None and cls_name.endswith("List"):
            ref = cls_name[: -len("List")]
        if ref is None or f"{ref}OutputReference" not in self.classes:
            raise SchemaError(f"{where}: cannot type computed attribute of class {cls_name}")
        getters = self.classes[f"{ref}OutputReference"][1]
        fields: dict[str, Any] = {}
        for m in GETTER_RE.finditer(getters):
            fields[m[3]] = GETTER_TYPES[m[2]]
        for m in COMPLEX_RE.finditer(getters):
            fields[m[3]] = self.computed_type(m[2], m[4], f"{where}.{m[3]}")
        obj = ["object", fields]
        if cls_name.endswith("OutputReference"):
            return obj
        return ["set" if wraps_set == "true" else "list", obj]


def _attr_type(kind: str, storage: str, where: str) -> Any:
    if storage in PRIMITIVES and kind == "simple":
        return PRIMITIVES[storage]
    if storage == "anyMap":
        return "dynamic"  # kubernetes_manifest manifest/object: DynamicPseudoType
    base = re.fullmatch(r"(string|number|boolean)(List|Map)", storage)
    if base and kind in ("list", "set", "map"):
        return [kind, PRIMITIVES[base[1]]]
    raise SchemaError(f"{where}: unsupported attribute type {kind}/{storage}")


def _as_nested(block: dict[str, Any]) -> dict[str, Any]:
    """A block's content as the attributes of a nested attribute (framework providers)."""
    if block["block_types"]:
        raise SchemaError(f"nested blocks inside a nested attribute: {sorted(block['block_types'])}")
    return block["attributes"]


def provider_schema(package: str, provider: str, version: str) -> dict[str, Any]:
    """``tofu providers schema -json``-style schema of one provider, from its cdktf binding."""
    binding = Binding.load(package, framework=provider in FRAMEWORK_PROVIDERS)
    out: dict[str, Any] = {"provider": None, "resource_schemas": {}, "data_source_schemas": {}}
    for name, (base, body) in sorted(binding.classes.items()):
        if base not in ("TerraformResource", "TerraformDataSource", "TerraformProvider"):
            continue
        type_match = TYPE_RE.search(body)
        version_match = VERSION_RE.search(body)
        if not type_match or not version_match:
            raise SchemaError(f"{package}: class {name} names no terraformResourceType/providerVersion")
        if version_match[1] != version:
            raise SchemaError(f"{package} was generated for {provider} {version_match[1]}, we pin {version}")
        type_name = type_match[1]
        block = binding.block(body, f"{name}Config", body, type_name)
        entry = {"version": 0, "block": block}
        if base == "TerraformProvider":
            for attr in ("alias",):  # cdktf's meta-argument, not part of the provider's schema
                block["attributes"].pop(attr, None)
            out["provider"] = entry
        elif base == "TerraformResource":
            out["resource_schemas"][type_name] = entry
        else:
            out["data_source_schemas"][type_name] = entry
    if out["provider"] is None or not out["resource_schemas"]:
        raise SchemaError(f"{package}: found no provider class or no resources")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="provider_schema.py",
        description="Write a provider's schema (tofu providers schema -json layout) read from its cdktf binding.",
    )
    parser.add_argument("--package", required=True, help="binding package, e.g. cdktf_cdktf_provider_helm")
    parser.add_argument("--provider", required=True, help="provider type, e.g. helm")
    parser.add_argument("--version", required=True, help="the pinned provider version the binding must target")
    parser.add_argument("--out", required=True, type=Path, help="schema JSON file to write")
    args = parser.parse_args(argv)
    try:
        schema = provider_schema(args.package, args.provider, args.version)
    except SchemaError as err:
        print(f"provider_schema.py: {err}", file=sys.stderr)
        return 1
    args.out.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
