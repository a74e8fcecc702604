package stdlib

import (
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

func base64Module(Env) map[string]value.Value {
	return codecModule("base64", base64.StdEncoding)
}

func base32Module(Env) map[string]value.Value {
	return codecModule("base32", base32.StdEncoding)
}

// codec is what base64 and base32 share.
type codec interface {
	EncodeToString(src []byte) string
	DecodeString(s string) ([]byte, error)
}

// codecModule has the members encode and decode of a text encoding module
// (base64.encode takes an encoding argument, which only utf-8 strings
// make moot: it is accepted and ignored).
func codecModule(module string, enc codec) map[string]value.Value {
	def := defs(module)
	text := func(c call) (string, error) {
		var s string
		dst := []any{&s, nil}[:len(c.fn.Params)]
		err := c.unpack(dst...)
		return s, err
	}
	return members(
		def("encode", func(c call) (value.Value, error) {
			s, err := text(c)
			if err != nil {
				return nil, err
			}
			return value.Str(enc.EncodeToString([]byte(s))), nil
		}),
		def("decode", func(c call) (value.Value, error) {
			s, err := text(c)
			if err != nil {
				return nil, err
			}
			b, err := enc.DecodeString(s)
			if err != nil {
				return nil, fmt.Errorf("%s.decode: %w", module, err)
			}
			return value.Str(b), nil
		}),
	)
}

func jsonModule(env Env) map[string]value.Value {
	def := defs("json")
	encode := func(withFile bool) func(call) (value.Value, error) {
		return func(c call) (value.Value, error) {
			var data value.Value
			var filename string
			var indent int64
			var sortKeys, ignorePrivate, ignoreNone bool
			var err error
			if withFile {
				err = c.unpack(&data, &filename, &sortKeys, &indent, &ignorePrivate, &ignoreNone)
			} else {
				err = c.unpack(&data, &sortKeys, &indent, &ignorePrivate, &ignoreNone)
			}
			if err != nil {
				return nil, err
			}
			budget := budgetOf(env)
			out := value.EncodeJSON(data, value.JSONOptions{
				SortKeys:      sortKeys,
				Indent:        int(indent),
				IgnorePrivate: ignorePrivate,
				IgnoreNone:    ignoreNone,
				Budget:        budget,
			})
			if err := budget.Err(); err != nil {
				return nil, err
			}
			if !withFile {
				return value.Str(out), nil
			}
			if err := writeFile(env, filename, out, false); err != nil {
				return nil, err
			}
			return value.None, nil
		}
	}
	return members(
		def("encode", encode(false)),
		def("dump_to_file", encode(true)),
		def("decode", func(c call) (value.Value, error) {
			var s string
			if err := c.unpack(&s); err != nil {
				return nil, err
			}
			return value.DecodeJSONWith([]byte(s), value.DecodeOptions{Budget: budgetOf(env)})
		}),
		def("validate", func(c call) (value.Value, error) {
			var s string
			if err := c.unpack(&s); err != nil {
				return nil, err
			}
			_, err := value.DecodeJSON([]byte(s))
			return value.Bool(err == nil), nil
		}),
		def("merge", func(c call) (value.Value, error) {
			var src, patch value.Value
			if err := c.unpack(&src, &patch); err != nil {
				return nil, err
			}
			budget := budgetOf(env)
			out := mergePatch(src, patch, budget)
			if err := budget.Err(); err != nil {
				return nil, err
			}
			return out, nil
		}),
	)
}

// mergePatch applies an RFC 7396 JSON merge patch.
func mergePatch(target, patch value.Value, budget *value.Budget) value.Value {
	pd, ok := asDict(patch)
	if !ok {
		return value.CopyCounted(patch, budget)
	}
	out := value.NewDict()
	if !budget.Charge(value.SizeOf(pd)) {
		return out
	}
	if td, ok := asDict(target); ok {
		for _, e := range td.Entries() {
			out.Set(e.Key, value.CopyCounted(e.Value, budget))
		}
	}
	for _, e := range pd.Entries() {
		if budget.Err() != nil {
			return out
		}
		if _, isNone := e.Value.(value.NoneType); isNone {
			out.Delete(e.Key)
			continue
		}
		cur, _ := out.Get(e.Key)
		if cur == nil {
			cur = value.None
		}
		out.Set(e.Key, mergePatch(cur, e.Value, budget))
	}
	return out
}

func asDict(v value.Value) (*value.Dict, bool) {
	switch x := v.(type) {
	case *value.Dict:
		return x, true
	case *value.Schema:
		if x.Attrs == nil {
			return value.NewDict(), true
		}
		return x.Attrs, true
	}
	return nil, false
}

func yamlModule(env Env) map[string]value.Value {
	def := defs("yaml")
	encode := func(all, withFile bool) func(call) (value.Value, error) {
		return func(c call) (value.Value, error) {
			var data value.Value
			var filename string
			opts := value.YAMLOptions{Budget: budgetOf(env)}
			var err error
			if withFile {
				err = c.unpack(&data, &filename, &opts.SortKeys, &opts.IgnorePrivate, &opts.IgnoreNone)
			} else {
				err = c.unpack(&data, &opts.SortKeys, &opts.IgnorePrivate, &opts.IgnoreNone)
			}
			if err != nil {
				return nil, err
			}
			name := c.fn.Name
			var out []byte
			if all {
				l, isList := data.(*value.List)
				if !isList {
					return nil, fmt.Errorf("%s() argument 'data' must be a list, not %s", name, value.TypeName(data))
				}
				items := l.Items
				// Unlike manifests.yaml_stream, encode_all keeps each
				// document's final newline before the "\n---\n" separator.
				for i, it := range items {
					if i > 0 {
						out = append(out, "\n---\n"...)
					}
					doc := value.EncodeYAML(it, opts)
					if !opts.Budget.Charge(int64(len(doc))) {
						break
					}
					out = append(out, doc...)
				}
			} else {
				out = value.EncodeYAML(data, opts)
			}
			if err := opts.Budget.Err(); err != nil {
				return nil, err
			}
			if !withFile {
				return value.Str(out), nil
			}
			if err := writeFile(env, filename, out, false); err != nil {
				return nil, err
			}
			return value.None, nil
		}
	}
	decode := func(all bool) func(call) (value.Value, error) {
		return func(c call) (value.Value, error) {
			var s string
			if err := c.unpack(&s); err != nil {
				return nil, err
			}
			opts := value.DecodeOptions{Budget: budgetOf(env)}
			if all {
				docs, err := value.DecodeYAMLAllWith([]byte(s), opts)
				if err != nil {
					return nil, err
				}
				return &value.List{Items: docs}, nil
			}
			return value.DecodeYAMLWith([]byte(s), opts)
		}
	}
	return members(
		def("encode", encode(false, false)),
		def("encode_all", encode(true, false)),
		def("dump_to_file", encode(false, true)),
		def("dump_all_to_file", encode(true, true)),
		def("decode", decode(false)),
		def("decode_all", decode(true)),
		def("validate", func(c call) (value.Value, error) {
			var s string
			if err := c.unpack(&s); err != nil {
				return nil, err
			}
			_, err := value.DecodeYAMLAll([]byte(s))
			return value.Bool(err == nil), nil
		}),
	)
}

func manifestsModule(env Env) map[string]value.Value {
	return members(def("manifests", "yaml_stream", func(c call) (value.Value, error) {
		var values, opts value.Value
		if err := c.unpack(&values, &opts); err != nil {
			return nil, err
		}
		var adjust func(*value.YAMLOptions)
		if so, ok := env.(StreamOptioner); ok {
			adjust = so.StreamOptions
		}
		budget := budgetOf(env)
		text, err := yamlStream(values, opts, adjust, budget)
		if err != nil {
			return nil, err
		}
		if err := budget.Err(); err != nil {
			return nil, err
		}
		if env != nil {
			env.SetStream(text)
		}
		return value.None, nil
	}))
}

// YAMLStream renders manifests.yaml_stream(values, opts): each item of the
// list values becomes a document (a non-list value is one document),
// documents are joined by "\n<sep>\n". opts is a dict with sort_keys,
// ignore_private (default True), ignore_none and sep (default "---"); None
// means the defaults. The text ends with a newline unless there are no
// documents.
func YAMLStream(values, opts value.Value) (string, error) {
	return yamlStream(values, opts, nil, nil)
}

func yamlStream(values, opts value.Value, adjust func(*value.YAMLOptions), budget *value.Budget) (string, error) {
	o := value.YAMLOptions{IgnorePrivate: true, Budget: budget}
	sep := "---"
	if d, ok := asDict(opts); ok {
		for _, e := range d.Entries() {
			switch e.Key {
			case "sort_keys":
				o.SortKeys = value.Truthy(e.Value)
			case "ignore_private":
				o.IgnorePrivate = value.Truthy(e.Value)
			case "ignore_none":
				o.IgnoreNone = value.Truthy(e.Value)
			case "sep":
				s, ok := e.Value.(value.Str)
				if !ok {
					return "", fmt.Errorf("yaml_stream() option 'sep' must be str, not %s", value.TypeName(e.Value))
				}
				sep = string(s)
			}
		}
	} else if _, isNone := opts.(value.NoneType); !isNone && opts != nil {
		if _, undef := opts.(value.UndefinedType); !undef {
			return "", errors.New("yaml_stream() argument 'opts' must be a dict")
		}
	}
	if adjust != nil {
		adjust(&o)
	}
	var items []value.Value
	if l, ok := values.(*value.List); ok {
		items = l.Items
	} else {
		items = []value.Value{values}
	}
	return string(value.EncodeYAMLStream(items, o, sep)), nil
}
