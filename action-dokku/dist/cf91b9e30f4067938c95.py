"""Read Python files with Python's own parser and print the facts detection needs, as JSON.

This is an oracle, not a decision maker: it never executes the files and never decides which
settings module wins. It parses every file named in the request and reports, per file and in
source order, the module-level statements that matter for Django settings:

  assign       NAME = value            (also annotated and chained assignments)
  update       NAME.append(x), NAME += [...], NAME["k"] = v, NAME = NAME + [...], ...
  star-import  from .base import *      (relative level and module, as written)

plus `os.environ.setdefault("DJANGO_SETTINGS_MODULE", ...)` calls anywhere in the file (also
inside `main()`), `sys.path` additions, whether `__all__` is defined, and patterns we cannot
follow statically (django-configurations classes, split_settings.include, exec, importlib).

Values are described as in model.ts: {"kind": "literal" | "env" | "expression", ...}, with
{"$expr": source} and {"$env": NAME, ...} placeholders inside containers.

Protocol: stdin = {"files": ["/abs/path.py", ...]}; stdout = {"files": [result, ...]} in the
same order. A file that does not parse gets {"error": {...}} instead of facts; the caller
decides whether that is fatal. The script itself must run on Python 3.8+.
"""

import ast
import io
import json
import sys
import tokenize

MAX_SAFE_INT = 2 ** 53

# Methods of django-environ's Env and their default variable when called without one.
ENVIRON_METHODS = {
    "str": None, "bool": None, "int": None, "float": None, "json": None, "list": None,
    "tuple": None, "dict": None, "url": None, "path": None, "bytes": None, "decimal": None,
    "parse_value": None, "get_value": None,
    "db": "DATABASE_URL", "db_url": "DATABASE_URL",
    "cache": "CACHE_URL", "cache_url": "CACHE_URL",
    "email": "EMAIL_URL", "email_url": "EMAIL_URL",
    "search_url": "SEARCH_URL",
}
# Names that read the environment when nothing in the file says otherwise: `env` is the
# conventional django-environ object and `config` python-decouple's function; in a settings
# file they usually arrive through `from .base import *`, so their import is not visible here.
DEFAULT_ENV_OBJECTS = {"env"}
DEFAULT_ENV_FUNCTIONS = {"config": "decouple.config"}
ENV_OBJECT_FACTORIES = {"environ.Env", "environ.FileAwareEnv", "environ.environ.Env"}
# Calls that raise on None: int(os.getenv("X")) fails when X is unset, bool(...) or str(...) does not.
NONE_BREAKING_CALLS = {"int", "float", "json.loads", "Path", "pathlib.Path", "Decimal", "decimal.Decimal", "urlparse", "urllib.parse.urlparse"}
LIST_METHODS = {"append", "insert", "extend", "remove", "update"}


def slice_of(node):
    """Python 3.8 wraps subscripts in ast.Index; later versions do not."""
    index_type = getattr(ast, "Index", None)
    if index_type is not None and isinstance(node, index_type):
        return node.value  # pragma: no cover - Python 3.8 only
    return node


class FileInspector:
    def __init__(self, source):
        self.source = source
        self.imports = {}  # local name -> dotted origin ("os.environ", "decouple.config")
        self.env_objects = set(DEFAULT_ENV_OBJECTS)
        self.events = []
        self.setdefaults = []
        self.sys_path = []
        self.unsupported = []
        self.defines_all = False
        self.condition_env = []  # environment variables the enclosing `if` tests read
        self.required_env = []  # variables read at import with nothing to fall back on
        self.scheme_defaults = set()  # environ.Env(NAME=(cast, default)): env("NAME") has a default

    # ---- helpers -------------------------------------------------------------------------

    def segment(self, node):
        text = ast.get_source_segment(self.source, node)
        return text if text is not None else "<unknown>"

    def qualified(self, node):
        """Dotted name of a Name/Attribute chain, with import aliases resolved ("os.environ.get")."""
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        parts.append(self.imports.get(node.id, node.id))
        return ".".join(reversed(parts))

    def is_environ(self, node):
        return self.qualified(node) in ("os.environ", "environ")  # `from os import environ`

    @staticmethod
    def string(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        return None

    @staticmethod
    def keyword(call, name):
        for kw in call.keywords:
            if kw.arg == name:
                return kw.value
        return None

    # ---- environment reads ---------------------------------------------------------------

    def env_read(self, node):
        """{"variable", "default"?, "cast"?} when `node` itself reads one environment variable."""
        if isinstance(node, ast.Subscript) and self.is_environ(node.value):
            name = self.string(slice_of(node.slice))
            return {"variable": name} if name is not None else None
        if not isinstance(node, ast.Call):
            return None
        func = self.qualified(node.func)
        first = node.args[0] if node.args else None
        if func in ("os.environ.get", "environ.get", "os.getenv", "getenv"):
            # os.environ.get(key, default) / os.getenv(key, default)
            return self.read(node, self.string(first if first is not None else self.keyword(node, "key")), positional_default=True)
        if func == "dj_database_url.config":
            # dj_database_url.config(env="DATABASE_URL", default=...): keyword arguments only
            env_kw = self.keyword(node, "env")
            return self.read(node, self.string(env_kw) if env_kw is not None else "DATABASE_URL", cast="db")
        is_decouple = func == "decouple.config" or (
            isinstance(node.func, ast.Name) and node.func.id in DEFAULT_ENV_FUNCTIONS and node.func.id not in self.imports
        )
        is_env_object_call = isinstance(node.func, ast.Name) and node.func.id in self.env_objects
        if is_decouple or is_env_object_call:
            # config("NAME", default=..., cast=bool) / env("NAME", default=..., cast=...)
            cast = self.keyword(node, "cast")
            return self.read(node, self.string(first), positional_default=True, cast=self.segment(cast) if cast is not None else None)
        if (
            isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in self.env_objects
            and node.func.attr in ENVIRON_METHODS
        ):
            # env.bool("NAME", default), env.db() (DATABASE_URL), env.list(var="NAME")
            method = node.func.attr
            var_node = first if first is not None else self.keyword(node, "var")
            name = self.string(var_node) if var_node is not None else ENVIRON_METHODS[method]
            return self.read(node, name, positional_default=True, cast=method)
        return None

    def read(self, call, name, positional_default=False, cast=None):
        """The description of one read: its variable, its default (second argument or default=), its cast."""
        if name is None:
            return None
        result = {"variable": name}
        default = call.args[1] if positional_default and len(call.args) > 1 else self.keyword(call, "default")
        if default is not None:
            result["default"] = self.json_value(default)
        if cast is not None:
            result["cast"] = cast
        return result

    def env_reads_inside(self, node):
        found = []
        for child in ast.walk(node):
            read = self.env_read(child)
            if read is not None:
                found.append((child, read))
        return found

    def record_required_reads(self, statement):
        """Reads in an unconditional statement that fail (or hand None to code that breaks) when unset."""
        parents = {}
        for parent in ast.walk(statement):
            for child in ast.iter_child_nodes(parent):
                parents[child] = parent
        for node in ast.walk(statement):
            if isinstance(node, (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            read = self.env_read(node)
            if read is None or "default" in read:
                continue
            if isinstance(node, ast.Subscript):
                if not isinstance(node.ctx, ast.Load):
                    continue
                how = "os.environ[...]"
            elif self.qualified(node.func) in ("os.environ.get", "environ.get", "os.getenv", "getenv"):
                if not self.none_breaks(node, parents.get(node)):
                    continue
                how = self.segment(node.func) + "() without a default, used where None fails"
            else:
                if read["variable"] in self.scheme_defaults and isinstance(node.func, ast.Name):
                    continue
                how = self.segment(node.func) + "() without default="
            if any(isinstance(parent, ast.Lambda) for parent in self.ancestors(node, parents)):
                continue
            self.required_env.append({"variable": read["variable"], "line": node.lineno, "how": how})

    @staticmethod
    def ancestors(node, parents):
        while node in parents:
            node = parents[node]
            yield node

    def none_breaks(self, node, parent):
        """True when a None from os.environ.get()/os.getenv() is used where it raises."""
        if isinstance(parent, ast.Call) and node in parent.args:
            return (self.qualified(parent.func) or "") in NONE_BREAKING_CALLS
        if isinstance(parent, ast.Attribute) and parent.value is node:
            return True  # os.getenv("X").split(",")
        if isinstance(parent, ast.BinOp) and isinstance(parent.op, (ast.Add, ast.Mod, ast.Div)):
            return True  # "prefix" + os.getenv("X"), Path / os.getenv("X")
        if isinstance(parent, ast.Subscript) and parent.value is node:
            return True
        return False

    # ---- values --------------------------------------------------------------------------

    def json_value(self, node):
        """A literal as JSON; non-literal parts as {"$expr"} / {"$env"} placeholders."""
        if isinstance(node, ast.Constant):
            value = node.value
            if value is None or isinstance(value, (bool, str)):
                return value
            if isinstance(value, int):
                return value if abs(value) <= MAX_SAFE_INT else {"$expr": self.segment(node)}
            if isinstance(value, float):
                return value if value == value and value not in (float("inf"), float("-inf")) else {"$expr": self.segment(node)}
            return {"$expr": self.segment(node)}
        if (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant)
            and isinstance(node.operand.value, (int, float))
            and not isinstance(node.operand.value, bool)
        ):
            return -node.operand.value
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            if any(isinstance(element, ast.Starred) for element in node.elts):
                return {"$expr": self.segment(node)}
            return [self.json_value(element) for element in node.elts]
        if isinstance(node, ast.Dict):
            result = {}
            for key, value in zip(node.keys, node.values):
                if key is None or not isinstance(key, ast.Constant) or isinstance(key.value, bytes):
                    return {"$expr": self.segment(node)}  # {**other} or a computed key
                result[str(key.value) if not isinstance(key.value, str) else key.value] = self.json_value(value)
            return result
        read = self.env_read(node)
        if read is not None:
            return self.env_placeholder(read)
        reads = self.env_reads_inside(node)
        if reads:
            placeholder = self.env_placeholder(reads[0][1])
            placeholder["$expr"] = self.segment(node)
            return placeholder
        return self.expr_placeholder(node)

    def expr_placeholder(self, node):
        """{"$expr": source}, plus the literal text a built string starts with ("sqlite:///")."""
        placeholder = {"$expr": self.segment(node)}
        first = node
        while isinstance(first, ast.BinOp) and isinstance(first.op, ast.Add):
            first = first.left
        if isinstance(first, ast.JoinedStr) and first.values:
            first = first.values[0]
        prefix = self.string(first) if first is not node else None
        if prefix:
            placeholder["prefix"] = prefix
        return placeholder

    @staticmethod
    def env_placeholder(read):
        placeholder = {"$env": read["variable"]}
        if "default" in read:
            placeholder["default"] = read["default"]
        if "cast" in read:
            placeholder["cast"] = read["cast"]
        return placeholder

    def setting_value(self, node):
        """The SettingValue of an assignment's right-hand side."""
        read = self.env_read(node)
        if read is not None:
            return dict(kind="env", **read)
        if isinstance(node, (ast.Constant, ast.List, ast.Tuple, ast.Set, ast.Dict, ast.UnaryOp)):
            value = self.json_value(node)
            if not (isinstance(value, dict) and "$expr" in value and len(value) == 1):
                return {"kind": "literal", "value": value}
        reads = self.env_reads_inside(node)
        if reads:
            value = dict(kind="env", **reads[0][1])
            value["expression"] = self.segment(node)
            return value
        return {"kind": "expression", "source": self.segment(node)}

    # ---- statements ----------------------------------------------------------------------

    def subscript_path(self, node):
        """NAME["a"][0] -> ("NAME", ["a", 0]); None when not rooted at a plain name."""
        keys = []
        while isinstance(node, ast.Subscript):
            keys.append(self.json_value(slice_of(node.slice)))
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        return node.id, list(reversed(keys))

    @staticmethod
    def sequence_name(node):
        """NAME or list(NAME) / tuple(NAME): the name of a sequence used as a whole."""
        if isinstance(node, ast.Name):
            return node.id
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("list", "tuple")
            and len(node.args) == 1
            and not node.keywords
            and isinstance(node.args[0], ast.Name)
        ):
            return node.args[0].id
        return None

    def concat_operands(self, node):
        """
        `A + B + ["x"]` or `["x", *A]` as operands [{"name": "A"}, {"items": [...]}], so the
        caller can compute the list from settings it already knows. None for anything else.
        """
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self.concat_operands(node.left)
            right = self.concat_operands(node.right)
            return left + right if left is not None and right is not None else None
        name = self.sequence_name(node)
        if name is not None:
            return [{"name": name}]
        if isinstance(node, (ast.List, ast.Tuple)):
            operands = []
            for element in node.elts:
                if isinstance(element, ast.Starred):
                    inner = self.concat_operands(element.value)
                    if inner is None:
                        return None
                    operands.extend(inner)
                elif operands and "items" in operands[-1]:
                    operands[-1]["items"].append(self.json_value(element))
                else:
                    operands.append({"items": [self.json_value(element)]})
            return operands
        return None

    def self_extension(self, name, value):
        """
        NAME = NAME + [...] / [...] + NAME / [*NAME, ...] / [..., *NAME] -> ("extend"|"prepend",
        items): a modification of the existing list, not a new value.
        """
        operands = self.concat_operands(value) if not isinstance(value, ast.Name) else None
        if not operands or len(operands) != 2:
            return None
        first, second = operands
        if first.get("name") == name and "items" in second:
            return "extend", second["items"]
        if second.get("name") == name and "items" in first:
            return "prepend", first["items"]
        if first.get("name") == name and "name" in second:
            return "extend", {"$expr": second["name"]}
        if second.get("name") == name and "name" in first:
            return "prepend", {"$expr": first["name"]}
        return None

    def add_event(self, event, node, conditional):
        event["line"] = node.lineno
        event["conditional"] = conditional
        if conditional and self.condition_env:
            event["dependsOn"] = sorted(set(self.condition_env))
        self.events.append(event)

    def record_assignment(self, target, value, node, conditional):
        if isinstance(target, ast.Name):
            if target.id == "__all__":
                self.defines_all = True
            if isinstance(value, ast.Call) and self.qualified(value.func) in ENV_OBJECT_FACTORIES:
                self.env_objects.add(target.id)
                for keyword in value.keywords:
                    if keyword.arg and isinstance(keyword.value, ast.Tuple) and len(keyword.value.elts) == 2:
                        self.scheme_defaults.add(keyword.arg)
            extension = self.self_extension(target.id, value)
            if extension is not None:
                op, items = extension
                self.add_event({"type": "update", "name": target.id, "op": op, "value": items}, node, conditional)
                return
            event = {"type": "assign", "name": target.id, "value": self.setting_value(value)}
            if event["value"]["kind"] == "expression":
                operands = self.concat_operands(value)
                if operands is not None and any("name" in operand for operand in operands):
                    event["concat"] = operands
            self.add_event(event, node, conditional)
        elif isinstance(target, ast.Subscript):
            path = self.subscript_path(target)
            if path is not None:
                name, keys = path
                self.add_event(
                    {"type": "update", "name": name, "op": "set-item", "keys": keys, "value": self.json_value(value)},
                    node,
                    conditional,
                )
            elif self.is_environ(target.value) and self.string(slice_of(target.slice)) == "DJANGO_SETTINGS_MODULE":
                self.record_settings_default(value, node, "assign")
        elif isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)):
            if len(target.elts) == len(value.elts) and not any(isinstance(e, ast.Starred) for e in target.elts):
                for sub_target, sub_value in zip(target.elts, value.elts):
                    self.record_assignment(sub_target, sub_value, node, conditional)

    def record_call(self, call, node, conditional):
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in LIST_METHODS:
            path = self.subscript_path(func.value)
            if path is not None and not self.is_environ(func.value):
                name, keys = path
                event = {"type": "update", "name": name, "op": func.attr, "value": None}
                if keys:
                    event["keys"] = keys
                if func.attr == "insert" and len(call.args) == 2:
                    event["index"] = self.json_value(call.args[0])
                    event["value"] = self.json_value(call.args[1])
                elif len(call.args) == 1 and not call.keywords:
                    event["value"] = self.json_value(call.args[0])
                else:
                    event["value"] = {"$expr": self.segment(call)}
                self.add_event(event, node, conditional)

    def record_settings_default(self, value_node, node, how):
        module = self.string(value_node)
        entry = {"line": node.lineno, "how": how}
        if module is not None:
            entry["module"] = module
        else:
            entry["expression"] = self.segment(value_node)
        self.setdefaults.append(entry)

    def visit_block(self, statements, conditional):
        for node in statements:
            self.visit_statement(node, conditional)

    def visit_statement(self, node, conditional):
        if not conditional and isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr)):
            self.record_required_reads(node)
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self.imports[alias.asname] = alias.name
            return
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name == "*":
                    self.add_event(
                        {"type": "star-import", "module": node.module or "", "level": node.level or 0}, node, conditional
                    )
                elif node.level == 0 and node.module:
                    self.imports[alias.asname or alias.name] = node.module + "." + alias.name
            return
        if isinstance(node, ast.Assign):
            for target in node.targets:
                self.record_assignment(target, node.value, node, conditional)
            return
        if isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self.record_assignment(node.target, node.value, node, conditional)
            return
        if isinstance(node, ast.AugAssign):
            path = self.subscript_path(node.target)
            if path is None:
                return
            name, keys = path
            if isinstance(node.op, ast.Add):
                op = "extend"
            elif isinstance(node.op, ast.BitOr):
                op = "update"  # dict |= {...}
            else:
                op = None
            if op is None:
                if not keys:
                    self.add_event(
                        {"type": "assign", "name": name, "value": {"kind": "expression", "source": self.segment(node)}},
                        node,
                        conditional,
                    )
                return
            event = {"type": "update", "name": name, "op": op, "value": self.json_value(node.value)}
            if keys:
                event["keys"] = keys
            self.add_event(event, node, conditional)
            return
        if isinstance(node, ast.Expr):
            if isinstance(node.value, ast.Call):
                self.record_call(node.value, node, conditional)
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return  # a function body does not define settings; setdefault calls are found by scan()
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                qualified = self.qualified(base) or ""
                if qualified == "Configuration" or qualified.endswith(".Configuration"):
                    self.unsupported.append(
                        {"pattern": "django-configurations", "line": node.lineno, "detail": "class " + node.name}
                    )
                    break
            return
        # Compound statements (if/try/for/while/with/match): everything inside may not run.
        tested = [read["variable"] for _, read in self.env_reads_inside(node.test)] if isinstance(node, ast.If) else []
        self.condition_env.extend(tested)
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list):
                self.visit_block(block, True)
        del self.condition_env[len(self.condition_env) - len(tested):]
        for handler in getattr(node, "handlers", None) or []:
            self.visit_block(handler.body, True)
        for case in getattr(node, "cases", None) or []:
            self.visit_block(case.body, True)

    def scan(self, tree):
        """Whole-file scan for calls that matter wherever they are (setdefault in main(), ...)."""
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = self.qualified(node.func) or ""
            if isinstance(node.func, ast.Attribute) and node.func.attr == "setdefault" and self.is_environ(node.func.value):
                if len(node.args) == 2 and self.string(node.args[0]) == "DJANGO_SETTINGS_MODULE":
                    self.record_settings_default(node.args[1], node, "setdefault")
            elif func in ("sys.path.insert", "sys.path.append") and node.args:
                value = node.args[-1]
                strings = [
                    child.value
                    for child in ast.walk(value)
                    if isinstance(child, ast.Constant) and isinstance(child.value, str)
                ]
                self.sys_path.append({"line": node.lineno, "source": self.segment(value), "strings": strings})
            elif func in ("split_settings.tools.include", "split_settings.include"):
                self.unsupported.append({"pattern": "split-settings", "line": node.lineno, "detail": self.segment(node)})
            elif func in ("exec", "execfile"):
                self.unsupported.append({"pattern": "exec", "line": node.lineno, "detail": self.segment(node)})
            elif func in ("importlib.import_module", "__import__"):
                self.unsupported.append({"pattern": "dynamic-import", "line": node.lineno, "detail": self.segment(node)})


def read_source(path):
    with open(path, "rb") as handle:
        data = handle.read()
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding)


def inspect_file(path):
    try:
        source = read_source(path)
        tree = ast.parse(source, filename=path)
    except SyntaxError as error:
        text = (error.text or "").rstrip("\r\n")
        return {
            "error": {
                "type": type(error).__name__,
                "message": error.msg,
                "line": error.lineno,
                "column": error.offset,
                "text": text,
            }
        }
    except (OSError, UnicodeDecodeError, ValueError, LookupError) as error:
        return {"error": {"type": type(error).__name__, "message": str(error)}}
    inspector = FileInspector(source)
    # Imports first, so `from decouple import config` anywhere at module level is known before use.
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                if alias.name != "*":
                    inspector.imports[alias.asname or alias.name] = node.module + "." + alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    inspector.imports[alias.asname] = alias.name
    inspector.visit_block(tree.body, False)
    inspector.scan(tree)
    return {
        "events": inspector.events,
        "settingsDefaults": sorted(inspector.setdefaults, key=lambda entry: entry["line"]),
        "sysPath": sorted(inspector.sys_path, key=lambda entry: entry["line"]),
        "unsupported": sorted(inspector.unsupported, key=lambda entry: entry["line"]),
        "definesAll": inspector.defines_all,
        "requiredEnv": inspector.required_env,
    }


def main():
    # Bytes in, ASCII out: the locale's encoding (C, POSIX, cp1252) never matters.
    request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    results = [inspect_file(path) for path in request["files"]]
    sys.stdout.write(json.dumps({"files": results}, ensure_ascii=True))


if __name__ == "__main__":
    main()
