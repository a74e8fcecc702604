package value

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// DecodeYAML parses one YAML document into a Value: mappings become ordered
// dicts (keys converted with ToStr), sequences lists, and scalars None,
// Bool, Int (Float when out of the i64 range), Float or Str. Aliases are
// resolved. An empty document gives None.
func DecodeYAML(data []byte) (Value, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return nil, fmt.Errorf("decode yaml: %w", err)
	}
	if n.Kind == 0 {
		return None, nil
	}
	return yamlNodeValue(&n, 0)
}

// DecodeYAMLAll parses every document of a YAML stream.
func DecodeYAMLAll(data []byte) ([]Value, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []Value
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("decode yaml: %w", err)
		}
		v, err := yamlNodeValue(&n, 0)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
}

const decodeMaxDepth = 10000

func yamlNodeValue(n *yaml.Node, depth int) (Value, error) {
	if depth > decodeMaxDepth {
		return nil, errors.New("decode yaml: document nested too deeply")
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return None, nil
		}
		return yamlNodeValue(n.Content[0], depth+1)
	case yaml.AliasNode:
		return yamlNodeValue(n.Alias, depth+1)
	case yaml.SequenceNode:
		l := &List{Items: make([]Value, 0, len(n.Content))}
		for _, c := range n.Content {
			v, err := yamlNodeValue(c, depth+1)
			if err != nil {
				return nil, err
			}
			l.Items = append(l.Items, v)
		}
		return l, nil
	case yaml.MappingNode:
		d := NewDict()
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
				mv, err := yamlNodeValue(v, depth+1)
				if err != nil {
					return nil, err
				}
				yamlMerge(d, mv)
				continue
			}
			kv, err := yamlNodeValue(k, depth+1)
			if err != nil {
				return nil, err
			}
			vv, err := yamlNodeValue(v, depth+1)
			if err != nil {
				return nil, err
			}
			d.Set(ToStr(kv), vv)
		}
		return d, nil
	case yaml.ScalarNode:
		return yamlScalarValue(n)
	}
	return None, nil
}

// yamlMerge applies a `<<` merge key: keys already present win.
func yamlMerge(d *Dict, v Value) {
	switch x := v.(type) {
	case *Dict:
		for _, e := range x.Entries() {
			if _, ok := d.Get(e.Key); !ok {
				d.Set(e.Key, e.Value)
			}
		}
	case *List:
		for _, it := range x.Items {
			yamlMerge(d, it)
		}
	}
}

func yamlScalarValue(n *yaml.Node) (Value, error) {
	switch n.ShortTag() {
	case "!!null":
		return None, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, fmt.Errorf("decode yaml bool %q: %w", n.Value, err)
		}
		return Bool(b), nil
	case "!!int":
		var i int64
		if err := n.Decode(&i); err == nil {
			return Int(i), nil
		}
		var f float64
		if err := n.Decode(&f); err == nil {
			return Float(f), nil
		}
		return Str(n.Value), nil
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, fmt.Errorf("decode yaml float %q: %w", n.Value, err)
		}
		return Float(f), nil
	}
	return Str(n.Value), nil
}

// DecodeJSON parses one JSON value into a Value with ordered dicts; numbers
// without '.', 'e' or 'E' become Int (Float when out of the i64 range).
func DecodeJSON(data []byte) (Value, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := jsonDecodeValue(dec, 0)
	if err != nil {
		return nil, fmt.Errorf("decode json: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("decode json: trailing characters after the value")
	}
	return v, nil
}

func jsonDecodeValue(dec *json.Decoder, depth int) (Value, error) {
	if depth > decodeMaxDepth {
		return nil, errors.New("document nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '[':
			l := &List{}
			for dec.More() {
				v, err := jsonDecodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				l.Items = append(l.Items, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return l, nil
		case '{':
			d := NewDict()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := jsonDecodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				d.Set(k, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return d, nil
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case nil:
		return None, nil
	case bool:
		return Bool(t), nil
	case string:
		return Str(t), nil
	case json.Number:
		s := string(t)
		if !strings.ContainsAny(s, ".eE") {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return Int(i), nil
			}
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil && !math.IsInf(f, 0) {
			return nil, fmt.Errorf("number %s: %w", s, err)
		}
		return Float(f), nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}
