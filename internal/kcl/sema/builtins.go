package sema

import (
	"fmt"
	"strings"
)

// The builtin tables are written in a small signature notation of our own:
//
//	name(p: T, q?: T, *) -> R
//
// `q?` marks an optional parameter, a trailing `*` accepts further
// positional and keyword arguments. Types: any, None, bool, int, float, str,
// number (int | float), [T], {K:V}, A | B, fn (any function).

var globalBuiltinSigs = []string{
	"option(key: str, type?: str, required?: bool, default?: any, help?: str) -> any",
	"print(*) -> None",
	"multiplyof(a: int, b: int) -> bool",
	"isunique(inval: [any]) -> bool",
	"isnullish(inval: any) -> bool",
	"len(inval: any) -> int",
	"abs(inval: any) -> any",
	"all_true(inval: [any]) -> bool",
	"any_true(inval: [any]) -> bool",
	"hex(number: int) -> str",
	"bin(number: int) -> str",
	"oct(number: int) -> str",
	"ord(c: str) -> int",
	"sorted(inval: any, reverse?: bool) -> [any]",
	"range(start?: int, stop?: int, step?: int) -> [int]",
	"max(*) -> any",
	"min(*) -> any",
	"sum(iterable: [any], start?: any) -> any",
	"pow(x: number, y: number, z?: number) -> number",
	"round(number: number, ndigits?: int) -> number",
	"zip(*) -> [any]",
	"int(number: any, base?: int) -> int",
	"float(number: any) -> float",
	"bool(x?: any) -> bool",
	"str(x?: any) -> str",
	"list(x?: any) -> [any]",
	"dict(x?: any, *) -> {any:any}",
	"typeof(x: any, full_name?: bool) -> str",
	"reduce(reducer: fn, list: [any], initial?: any) -> any",
}

var strMethodSigs = []string{
	"capitalize() -> str",
	"chars() -> [str]",
	"count(sub: str, start?: int, end?: int) -> int",
	"endswith(val: str, start?: int, end?: int) -> bool",
	"find(sub: str, start?: int, end?: int) -> int",
	"format(*) -> str",
	"index(sub: str, start?: int, end?: int) -> int",
	"isalpha() -> bool",
	"isalnum() -> bool",
	"isdigit() -> bool",
	"islower() -> bool",
	"isspace() -> bool",
	"istitle() -> bool",
	"isupper() -> bool",
	"join(iter: [any]) -> str",
	"lower() -> str",
	"upper() -> str",
	"lstrip(chars?: str) -> str",
	"rstrip(chars?: str) -> str",
	"replace(old: str, new: str, count?: int) -> str",
	"removeprefix(prefix: str) -> str",
	"removesuffix(suffix: str) -> str",
	"rfind(sub: str, start?: int, end?: int) -> int",
	"rindex(sub: str, start?: int, end?: int) -> int",
	"rsplit(sep?: str, maxsplit?: int) -> [str]",
	"split(sep?: str, maxsplit?: int) -> [str]",
	"splitlines(keepends?: bool) -> [str]",
	"startswith(val: str, start?: int, end?: int) -> bool",
	"strip(chars?: str) -> str",
	"title() -> str",
}

var decoratorSigs = []string{
	"deprecated(version?: str, reason?: str, strict?: bool) -> any",
	"info(*) -> any",
}

const unitConvs = "to_n to_u to_m to_K to_M to_G to_T to_P to_Ki to_Mi to_Gi to_Ti to_Pi"

var systemModuleSigs = map[string][]string{
	"base64": {"encode(value: str, encoding?: str) -> str", "decode(value: str) -> str"},
	"base32": {"encode(value: str) -> str", "decode(value: str) -> str"},
	"net": {
		"CIDR_host(cidr: str, host_num: int) -> str",
		"CIDR_netmask(cidr: str) -> str",
		"CIDR_subnet(cidr: str, additional_bits: int, net_num: int) -> str",
		"CIDR_subnets(cidr: str, additional_bits: [int]) -> [str]",
		"split_host_port(ip_end_point: str) -> [str]",
		"join_host_port(host: str, port: int | str) -> str",
		"fqdn(name?: str) -> str",
		"parse_IP(ip: str) -> str",
		"IP_string(ip: str) -> str",
		"to_IP4(ip: str) -> str",
		"to_IP6(ip: str) -> str",
		"is_IPv4(ip: str) -> bool",
		"is_IPv6(ip: str) -> bool",
		"is_IP(ip: str) -> bool",
		"is_loopback_IP(ip: str) -> bool",
		"is_multicast_IP(ip: str) -> bool",
		"is_interface_local_multicast_IP(ip: str) -> bool",
		"is_link_local_multicast_IP(ip: str) -> bool",
		"is_link_local_unicast_IP(ip: str) -> bool",
		"is_global_unicast_IP(ip: str) -> bool",
		"is_unspecified_IP(ip: str) -> bool",
		"parse_CIDR(cidr: str) -> {str:any}",
		"is_IP_in_CIDR(ip: str, cidr: str) -> bool",
	},
	"manifests": {"yaml_stream(values: any, opts?: {str:any}) -> any"},
	"math": {
		"ceil(x: number) -> int", "factorial(x: number) -> int", "floor(x: number) -> int",
		"gcd(a: int, b: int) -> int", "isfinite(x: number) -> bool", "isinf(x: number) -> bool",
		"isnan(x: number) -> bool", "modf(x: number) -> [float]", "exp(x: number) -> float",
		"expm1(x: number) -> float", "log(x: number, e?: float) -> float", "log1p(x: number) -> float",
		"log2(x: number) -> float", "log10(x: number) -> float", "pow(x: number, y: number) -> float",
		"sqrt(x: number) -> float",
	},
	"datetime": {
		"ticks() -> float", "date() -> str", "now(format?: str) -> str", "today() -> str",
		"validate(date: str, format: str) -> bool", "is_rfc3339(date: str) -> bool",
		"is_iso8601(date: str) -> bool",
	},
	"regex": {
		"replace(string: str, pattern: str, replace: str, count?: int) -> str",
		"match(string: str, pattern: str) -> bool",
		"compile(pattern: str) -> bool",
		"findall(string: str, pattern: str) -> [str]",
		"search(string: str, pattern: str) -> bool",
		"split(string: str, pattern: str, maxsplit?: int) -> [str]",
	},
	"yaml": {
		"encode(data: any, sort_keys?: bool, ignore_private?: bool, ignore_none?: bool) -> str",
		"encode_all(data: [any], sort_keys?: bool, ignore_private?: bool, ignore_none?: bool) -> str",
		"decode(value: str) -> any",
		"decode_all(value: str) -> [any]",
		"dump_to_file(data: any, filename: str, sort_keys?: bool, ignore_private?: bool, ignore_none?: bool) -> str",
		"dump_all_to_file(data: [any], filename: str, sort_keys?: bool, ignore_private?: bool, ignore_none?: bool) -> str",
		"validate(value: str) -> bool",
	},
	"json": {
		"encode(data: any, sort_keys?: bool, indent?: int, ignore_private?: bool, ignore_none?: bool) -> str",
		"decode(value: str) -> any",
		"dump_to_file(data: any, filename: str, sort_keys?: bool, indent?: int, ignore_private?: bool, ignore_none?: bool) -> str",
		"validate(value: str) -> bool",
		"merge(src: any, patch: any) -> any",
	},
	"crypto": {
		"md5(value: str, encoding?: str) -> str", "sha1(value: str, encoding?: str) -> str",
		"sha224(value: str, encoding?: str) -> str", "sha256(value: str, encoding?: str) -> str",
		"sha384(value: str, encoding?: str) -> str", "sha512(value: str, encoding?: str) -> str",
		"blake3(value: str, encoding?: str) -> str", "uuid() -> str", "filesha256(filepath: str) -> str",
	},
	"collection": {"union_all(num: [any]) -> any"},
	"file": {
		"read(filepath: str) -> str", "glob(pattern: str) -> [str]", "modpath() -> str",
		"workdir() -> str", "current() -> str", "exists(filepath: str) -> bool",
		"abs(filepath: str) -> str", "append(filepath: str, content: str) -> any",
		"mkdir(directory: str, exists?: bool) -> any", "delete(filepath: str) -> any",
		"cp(src: str, dest: str) -> any", "mv(src: str, dest: str) -> any",
		"size(filepath: str) -> int", "write(filepath: str, content: str) -> any",
		"read_env(key: str) -> str",
	},
	"template": {"execute(template: str, data?: {str:any}) -> str", "html_escape(data: str) -> str"},
	"runtime":  {"catch(func: fn) -> str"},
	"units":    nil, // filled in by newBuiltins
}

// Builtins holds the signature tables of the global builtin functions, the
// str methods, the decorators and the system modules.
type Builtins struct {
	Funcs      map[string]*Type            // global functions
	StrMethods map[string]*Type            // str methods
	Decorators map[string]*Type            // decorators
	Modules    map[string]map[string]*Type // system module members
	ModuleDocs map[string]string
}

// IsSystemModule reports whether name is a KCL system module.
func (b *Builtins) IsSystemModule(name string) bool {
	_, ok := b.Modules[name]
	return ok
}

func newBuiltins() *Builtins {
	b := &Builtins{
		Funcs:      map[string]*Type{},
		StrMethods: map[string]*Type{},
		Decorators: map[string]*Type{},
		Modules:    map[string]map[string]*Type{},
	}
	add := func(m map[string]*Type, sigs []string) {
		for _, s := range sigs {
			name, t := mustParseSig(s)
			m[name] = t
		}
	}
	add(b.Funcs, globalBuiltinSigs)
	add(b.StrMethods, strMethodSigs)
	add(b.Decorators, decoratorSigs)
	for mod, sigs := range systemModuleSigs {
		m := map[string]*Type{}
		add(m, sigs)
		b.Modules[mod] = m
	}
	units := b.Modules["units"]
	for _, f := range strings.Fields(unitConvs) {
		_, t := mustParseSig(f + "(num: number) -> str")
		units[f] = t
	}
	for _, c := range strings.Fields("n u m k K M G T P Ki Mi Gi Ti Pi") {
		units[c] = TInt
	}
	units["NumberMultiplier"] = &Type{Kind: KNumberMultiplier, Name: "NumberMultiplier"}
	return b
}

func mustParseSig(s string) (string, *Type) {
	name, t, err := parseSig(s)
	if err != nil {
		panic(fmt.Sprintf("builtin signature %q: %v", s, err))
	}
	return name, t
}

// parseSig parses `name(params) -> R` of the builtin notation.
func parseSig(s string) (string, *Type, error) {
	open := strings.IndexByte(s, '(')
	closeIdx := strings.LastIndex(s, ") -> ")
	if open < 0 || closeIdx < open {
		return "", nil, fmt.Errorf("malformed signature")
	}
	name := s[:open]
	ret, err := parseTypeText(s[closeIdx+len(") -> "):])
	if err != nil {
		return "", nil, fmt.Errorf("result: %w", err)
	}
	ft := &FuncType{Name: name, Result: ret}
	params := strings.TrimSpace(s[open+1 : closeIdx])
	if params != "" {
		for _, p := range splitTop(params, ',') {
			p = strings.TrimSpace(p)
			if p == "*" {
				ft.Variadic = true
				continue
			}
			colon := strings.IndexByte(p, ':')
			if colon < 0 {
				return "", nil, fmt.Errorf("parameter %q has no type", p)
			}
			pn := strings.TrimSpace(p[:colon])
			opt := strings.HasSuffix(pn, "?")
			pn = strings.TrimSuffix(pn, "?")
			pt, err := parseTypeText(strings.TrimSpace(p[colon+1:]))
			if err != nil {
				return "", nil, fmt.Errorf("parameter %s: %w", pn, err)
			}
			ft.Params = append(ft.Params, Param{Name: pn, Type: pt, Optional: opt})
		}
	}
	return name, &Type{Kind: KFunc, Func: ft}, nil
}

// splitTop splits s at sep outside brackets.
func splitTop(s string, sep byte) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[', '{', '(':
			depth++
		case ']', '}', ')':
			depth--
		case sep:
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// parseTypeText parses the type notation of the builtin tables.
func parseTypeText(s string) (*Type, error) {
	s = strings.TrimSpace(s)
	if parts := splitTop(s, '|'); len(parts) > 1 {
		var ms []*Type
		for _, p := range parts {
			t, err := parseTypeText(p)
			if err != nil {
				return nil, err
			}
			ms = append(ms, t)
		}
		return Union(ms...), nil
	}
	switch s {
	case "any":
		return TAny, nil
	case "None":
		return TNone, nil
	case "bool":
		return TBool, nil
	case "int":
		return TInt, nil
	case "float":
		return TFloat, nil
	case "str":
		return TStr, nil
	case "number":
		return Union(TInt, TFloat), nil
	case "fn":
		return &Type{Kind: KFunc}, nil
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		e, err := parseTypeText(s[1 : len(s)-1])
		if err != nil {
			return nil, err
		}
		return ListOf(e), nil
	}
	if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
		kv := splitTop(s[1:len(s)-1], ':')
		if len(kv) != 2 {
			return nil, fmt.Errorf("malformed dict type %q", s)
		}
		k, err := parseTypeText(kv[0])
		if err != nil {
			return nil, err
		}
		v, err := parseTypeText(kv[1])
		if err != nil {
			return nil, err
		}
		return DictOf(k, v), nil
	}
	return nil, fmt.Errorf("unknown type %q", s)
}
