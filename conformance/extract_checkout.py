#!/usr/bin/env python3
"""Extract wire facts from the official Checkout.com Python SDK (PyPI
`checkout-sdk`) into conformance/facts/checkout.json.

The SDK's request models are plain annotated classes (`amount: int`,
`items: list  # Item`), with subclasses for the variants of a member (a
sender is individual, corporate or an instrument) and `str` enums for
closed value lists. They are read here as source text, never imported or
run: for each Flow operation payclient speaks, every request field (path,
type, enum values where the SDK lists them). The SDK says nothing about
required members, so `required` is null. Only facts are kept.

    pip download --no-deps checkout-sdk==4.8.1 && unzip checkout_sdk-4.8.1-py3-none-any.whl -d package
    python3 conformance/extract_checkout.py package > conformance/facts/checkout.json

Standard library only.
"""

import ast
import json
import re
import sys
from pathlib import Path

# (SDK client method, HTTP method, path, request class).
OPERATIONS = [
    ("PaymentSessionsClient.create_payment_sessions", "POST", "/payment-sessions",
     "checkout_sdk.payments.sessions.sessions.PaymentSessionsRequest"),
    ("PaymentSessionsClient.create_payment_session_with_payment", "POST",
     "/payment-sessions/complete",
     "checkout_sdk.payments.sessions.sessions.PaymentSessionWithPaymentRequest"),
    ("PaymentSessionsClient.submit_payment_session", "POST", "/payment-sessions/{id}/submit",
     "checkout_sdk.payments.sessions.sessions.SubmitPaymentSessionRequest"),
]

SCALARS = {"int": "integer", "str": "string", "bool": "boolean", "float": "number",
           "datetime": "string", "dict": "object", "list": "array"}


class Package:
    """Every class of the package: its module, bases, annotated members (with
    the element type a `# Name` comment gives a list) and enum values."""

    def __init__(self, root):
        self.classes = {}
        self.imports = {}
        for file in sorted(root.rglob("*.py")):
            module = ".".join(file.relative_to(root.parent).with_suffix("").parts)
            text = file.read_text(encoding="utf-8")
            lines = text.splitlines()
            tree = ast.parse(text)
            names = {}
            for node in tree.body:
                if isinstance(node, ast.ImportFrom) and node.module:
                    for alias in node.names:
                        names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                if isinstance(node, ast.ClassDef):
                    names[node.name] = f"{module}.{node.name}"
            self.imports[module] = names
            for node in tree.body:
                if not isinstance(node, ast.ClassDef):
                    continue
                bases = [ast.unparse(b) for b in node.bases]
                members, values = [], []
                for item in node.body:
                    if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                        comment = re.search(r"#\s*([A-Za-z_][A-Za-z0-9_]*)", lines[item.lineno - 1])
                        members.append((item.target.id, ast.unparse(item.annotation),
                                        comment.group(1) if comment else None))
                    if (isinstance(item, ast.Assign) and isinstance(item.value, ast.Constant)
                            and isinstance(item.value.value, str)):
                        values.append(item.value.value)
                self.classes[f"{module}.{node.name}"] = {
                    "module": module, "bases": bases, "members": members, "values": values}

    def resolve(self, module, name):
        return self.imports.get(module, {}).get(name)

    def resolve_comment(self, module, name):
        """A class a `# Name` comment names: imported, or the only class of
        that name in the package (comments need no import)."""
        resolved = self.resolve(module, name)
        if resolved:
            return resolved
        matches = [q for q in self.classes if q.rsplit(".", 1)[1] == name]
        return matches[0] if len(matches) == 1 else None

    def is_enum(self, qualified):
        return "Enum" in self.classes[qualified]["bases"]

    def base_of(self, qualified):
        info = self.classes[qualified]
        for base in info["bases"]:
            resolved = self.resolve(info["module"], base)
            if resolved in self.classes:
                return resolved
        return None

    def subclasses(self, qualified):
        return sorted(q for q in self.classes if self.base_of(q) == qualified)

    def members(self, qualified):
        """Own and inherited members."""
        out, seen = [], set()
        current = qualified
        while current:
            for member in self.classes[current]["members"]:
                if member[0] not in seen:
                    seen.add(member[0])
                    out.append((current, member))
            current = self.base_of(current)
        return out


def wire_renames(root):
    """The member names the SDK's serializer writes differently
    (`three_ds` goes out as `3ds`): `JsonSerializer._KEYS_TRANSFORMATIONS`."""
    tree = ast.parse((root / "json_serializer.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign) and ast.unparse(node.target) == "_KEYS_TRANSFORMATIONS":
            return ast.literal_eval(node.value)
    raise SystemExit("json_serializer.py has no _KEYS_TRANSFORMATIONS")


RENAMES = {}


def walk(package, qualified, prefix, depth, out, seen):
    if depth > 10 or qualified in seen:
        return
    seen = seen | {qualified}
    # A member typed by a base class takes any of its variants: their
    # members are the base's too (a sender's `first_name` is individual's).
    variants = [qualified] + package.subclasses(qualified)
    records = {}
    for variant in variants:
        for owner, (name, annotation, element) in package.members(variant):
            module = package.classes[owner]["module"]
            path = f"{prefix}{RENAMES.get(name, name)}"
            if path in records:
                continue
            record = {"path": path, "required": None}
            target = None
            if annotation in SCALARS:
                record["type"] = SCALARS[annotation]
                if annotation == "list" and element:
                    resolved = package.resolve_comment(module, element)
                    if element in SCALARS:
                        record["items"] = SCALARS[element]
                    elif resolved in package.classes and package.is_enum(resolved):
                        record["items"] = "string"
                        record["enum"] = package.classes[resolved]["values"]
                    elif resolved in package.classes:
                        record["items"] = "object"
                        record["model"] = resolved.rsplit(".", 1)[1]
                        target = (resolved, path + "[].")
            else:
                resolved = package.resolve(module, annotation)
                if resolved in package.classes and package.is_enum(resolved):
                    record["type"] = "string"
                    record["enum"] = package.classes[resolved]["values"]
                elif resolved in package.classes:
                    record["type"] = "object"
                    record["model"] = resolved.rsplit(".", 1)[1]
                    target = (resolved, path + ".")
                else:
                    record["type"] = "any"
            records[path] = record
            out.append(record)
            if target:
                walk(package, target[0], target[1], depth + 1, out, seen)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: extract_checkout.py <unpacked wheel dir>")
    root = Path(sys.argv[1])
    package = Package(root / "checkout_sdk")
    RENAMES.update(wire_renames(root / "checkout_sdk"))
    metadata = (next(root.glob("checkout_sdk-*.dist-info")) / "METADATA").read_text(encoding="utf-8")
    version = re.search(r"^Version: (.+)$", metadata, re.M).group(1)
    operations = []
    for name, method, path, request in OPERATIONS:
        fields = []
        walk(package, request, "", 0, fields, frozenset())
        operations.append({
            "operation": name, "method": method, "path": path,
            "content_type": "application/json", "accept": "",
            "parameters": [], "request_model": request.rsplit(".", 1)[1],
            "request": fields, "response_model": None, "response": []})
    facts = {"source": f"PyPI checkout-sdk {version}",
             "extracted_by": "conformance/extract_checkout.py",
             "operations": operations}
    json.dump(facts, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
