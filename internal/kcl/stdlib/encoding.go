package stdlib

import (
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

func base64Module(Env) map[string]value.Value {
	return members(
		fn("encode", func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			a, err := bind("encode", args, kwargs, "value", "encoding")
			if err != nil {
				return nil, err
			}
			s, err := a.str(0, "value")
			if err != nil {
				return nil, err
			}
			return value.Str(base64.StdEncoding.EncodeToString([]byte(s))), nil
		}),
		fn("decode", func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			a, err := bind("decode", args, kwargs, "value", "encoding")
			if err != nil {
				return nil, err
			}
			s, err := a.str(0, "value")
			if err != nil {
				return nil, err
			}
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return nil, fmt.Errorf("base64.decode: %w", err)
			}
			return value.Str(b), nil
		}),
	)
}

func base32Module(Env) map[string]value.Value {
	return members(
		fn("encode", func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			a, err := bind("encode", args, kwargs, "value")
			if err != nil {
				return nil, err
			}
			s, err := a.str(0, "value")
			if err != nil {
				return nil, err
			}
			return value.Str(base32.StdEncoding.EncodeToString([]byte(s))), nil
		}),
		fn("decode", func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			a, err := bind("decode", args, kwargs, "value")
			if err != nil {
				return nil, err
			}
			s, err := a.str(0, "value")
			if err != nil {
				return nil, err
			}
			b, err := base32.StdEncoding.DecodeString(s)
			if err != nil {
				return nil, fmt.Errorf("base32.decode: %w", err)
			}
			return value.Str(b), nil
		}),
	)
}

func jsonModule(env Env) map[string]value.Value {
	encode := func(name string, withFile bool) func([]value.Value, []value.Entry) (value.Value, error) {
		return func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			params := []string{"data", "sort_keys", "indent", "ignore_private", "ignore_none"}
			if withFile {
				params = []string{"data", "filename", "sort_keys", "indent", "ignore_private", "ignore_none"}
			}
			a, err := bind(name, args, kwargs, params...)
			if err != nil {
				return nil, err
			}
			off := 0
			if withFile {
				off = 1
			}
			indent, err := a.optInt(2+off, "indent", 0)
			if err != nil {
				return nil, err
			}
			budget := budgetOf(env)
			out := value.EncodeJSON(a.get(0, value.None), value.JSONOptions{
				SortKeys:      a.bool(1+off, false),
				Indent:        int(indent),
				IgnorePrivate: a.bool(3+off, false),
				IgnoreNone:    a.bool(4+off, false),
				Budget:        budget,
			})
			if err := budget.Err(); err != nil {
				return nil, err
			}
			if !withFile {
				return value.Str(out), nil
			}
			filename, err := a.str(1, "filename")
			if err != nil {
				return nil, err
			}
			if err := writeFile(env, filename, out, false); err != nil {
				return nil, err
			}
			return value.None, nil
		}
	}
	return members(
		fn("encode", encode("encode", false)),
		fn("dump_to_file", encode("dump_to_file", true)),
		fn("decode", func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			a, err := bind("decode", args, kwargs, "value")
			if err != nil {
				return nil, err
			}
			s, err := a.str(0, "value")
			if err != nil {
				return nil, err
			}
			return value.DecodeJSONWith([]byte(s), value.DecodeOptions{Budget: budgetOf(env)})
		}),
		fn("validate", func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			a, err := bind("validate", args, kwargs, "value")
			if err != nil {
				return nil, err
			}
			s, err := a.str(0, "value")
			if err != nil {
				return nil, err
			}
			_, err = value.DecodeJSON([]byte(s))
			return value.Bool(err == nil), nil
		}),
		fn("merge", func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			a, err := bind("merge", args, kwargs, "src", "patch")
			if err != nil {
				return nil, err
			}
			budget := budgetOf(env)
			out := mergePatch(a.get(0, value.None), a.get(1, value.None), budget)
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
	encode := func(name string, all, withFile bool) func([]value.Value, []value.Entry) (value.Value, error) {
		return func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			params := []string{"data", "sort_keys", "ignore_private", "ignore_none"}
			off := 0
			if withFile {
				params = []string{"data", "filename", "sort_keys", "ignore_private", "ignore_none"}
				off = 1
			}
			a, err := bind(name, args, kwargs, params...)
			if err != nil {
				return nil, err
			}
			opts := value.YAMLOptions{
				SortKeys:      a.bool(1+off, false),
				IgnorePrivate: a.bool(2+off, false),
				IgnoreNone:    a.bool(3+off, false),
				Budget:        budgetOf(env),
			}
			data := a.get(0, value.None)
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
			filename, err := a.str(1, "filename")
			if err != nil {
				return nil, err
			}
			if err := writeFile(env, filename, out, false); err != nil {
				return nil, err
			}
			return value.None, nil
		}
	}
	decode := func(name string, all bool) func([]value.Value, []value.Entry) (value.Value, error) {
		return func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			a, err := bind(name, args, kwargs, "value")
			if err != nil {
				return nil, err
			}
			s, err := a.str(0, "value")
			if err != nil {
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
		fn("encode", encode("encode", false, false)),
		fn("encode_all", encode("encode_all", true, false)),
		fn("dump_to_file", encode("dump_to_file", false, true)),
		fn("dump_all_to_file", encode("dump_all_to_file", true, true)),
		fn("decode", decode("decode", false)),
		fn("decode_all", decode("decode_all", true)),
		fn("validate", func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			a, err := bind("validate", args, kwargs, "value")
			if err != nil {
				return nil, err
			}
			s, err := a.str(0, "value")
			if err != nil {
				return nil, err
			}
			_, err = value.DecodeYAMLAll([]byte(s))
			return value.Bool(err == nil), nil
		}),
	)
}

func manifestsModule(env Env) map[string]value.Value {
	return members(fn("yaml_stream", func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
		a, err := bind("yaml_stream", args, kwargs, "values", "opts")
		if err != nil {
			return nil, err
		}
		var adjust func(*value.YAMLOptions)
		if so, ok := env.(StreamOptioner); ok {
			adjust = so.StreamOptions
		}
		budget := budgetOf(env)
		text, err := yamlStream(a.get(0, value.None), a.get(1, value.None), adjust, budget)
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
