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

// DefaultMaxAliasNodes bounds the nodes that the aliases of one YAML
// document may expand to when DecodeOptions.MaxAliasNodes is 0.
const DefaultMaxAliasNodes = 1_000_000

// DecodeOptions bound the YAML and JSON decoders.
type DecodeOptions struct {
	// MaxAliasNodes bounds how many nodes the aliases (*name) of a YAML
	// document expand to: every node built by resolving an alias counts,
	// nested aliases included. 0 means DefaultMaxAliasNodes, a negative
	// value no limit. A "billion laughs" document of a few hundred bytes
	// stops here instead of expanding to billions of nodes.
	MaxAliasNodes int
	// Budget, when set, is charged for every value built; a refused charge
	// ends the decoding with the budget's error.
	Budget *Budget
}

// AliasLimitError is the error of a YAML document whose aliases expand to
// more nodes than DecodeOptions.MaxAliasNodes.
type AliasLimitError struct{ Limit int }

func (e *AliasLimitError) Error() string {
	return fmt.Sprintf("alias expansion limit exceeded: the document's aliases expand to more than %d nodes", e.Limit)
}

// DecodeYAML parses one YAML document into a Value: mappings become ordered
// dicts (keys converted with ToStr), sequences lists, and scalars None,
// Bool, Int (Float when out of the i64 range), Float or Str, typed with
// serde_yaml's rules (see yamlResolvePlain), as KCL's yaml.decode does.
// Aliases are resolved, within DefaultMaxAliasNodes; "<<" merge keys are
// kept as ordinary keys. An empty document gives None.
func DecodeYAML(data []byte) (Value, error) { return DecodeYAMLWith(data, DecodeOptions{}) }

// DecodeYAMLWith is DecodeYAML with the bounds of opts.
func DecodeYAMLWith(data []byte, opts DecodeOptions) (Value, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return nil, fmt.Errorf("decode yaml: %w", err)
	}
	if n.Kind == 0 {
		return None, nil
	}
	return newYAMLDecoder(opts).value(&n, 0, false)
}

// DecodeYAMLAll parses every document of a YAML stream.
func DecodeYAMLAll(data []byte) ([]Value, error) { return DecodeYAMLAllWith(data, DecodeOptions{}) }

// DecodeYAMLAllWith is DecodeYAMLAll with the bounds of opts; the alias
// limit applies to the stream as a whole.
func DecodeYAMLAllWith(data []byte, opts DecodeOptions) ([]Value, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	d := newYAMLDecoder(opts)
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
		v, err := d.value(&n, 0, false)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
}

const decodeMaxDepth = 10000

// yamlDecoder turns yaml.v3 nodes into values within the bounds.
type yamlDecoder struct {
	maxAlias   int // < 0: no limit
	aliasNodes int // nodes built through aliases so far
	budget     *Budget
}

func newYAMLDecoder(opts DecodeOptions) *yamlDecoder {
	d := &yamlDecoder{maxAlias: opts.MaxAliasNodes, budget: opts.Budget}
	if d.maxAlias == 0 {
		d.maxAlias = DefaultMaxAliasNodes
	}
	return d
}

// value converts n; aliased is set below an alias.
func (d *yamlDecoder) value(n *yaml.Node, depth int, aliased bool) (Value, error) {
	if depth > decodeMaxDepth {
		return nil, errors.New("decode yaml: document nested too deeply")
	}
	if aliased && n.Kind != yaml.AliasNode {
		d.aliasNodes++
		if d.maxAlias >= 0 && d.aliasNodes > d.maxAlias {
			return nil, fmt.Errorf("decode yaml: %w", &AliasLimitError{Limit: d.maxAlias})
		}
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return None, nil
		}
		return d.value(n.Content[0], depth+1, aliased)
	case yaml.AliasNode:
		return d.value(n.Alias, depth+1, true)
	case yaml.SequenceNode:
		if !d.budget.Charge(SizeList + SizeListItem*int64(len(n.Content))) {
			return nil, d.budget.Err()
		}
		l := &List{Items: make([]Value, 0, len(n.Content))}
		for _, c := range n.Content {
			v, err := d.value(c, depth+1, aliased)
			if err != nil {
				return nil, err
			}
			l.Items = append(l.Items, v)
		}
		return l, nil
	case yaml.MappingNode:
		if !d.budget.Charge(SizeDict + SizeDictEntry*int64(len(n.Content)/2)) {
			return nil, d.budget.Err()
		}
		m := NewDict()
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			kv, err := d.value(k, depth+1, aliased)
			if err != nil {
				return nil, err
			}
			vv, err := d.value(v, depth+1, aliased)
			if err != nil {
				return nil, err
			}
			m.Set(ToStr(kv), vv)
		}
		return m, nil
	case yaml.ScalarNode:
		if !d.budget.Charge(SizeStr + int64(len(n.Value))) {
			return nil, d.budget.Err()
		}
		return yamlScalarValue(n)
	}
	return None, nil
}

func yamlScalarValue(n *yaml.Node) (Value, error) {
	if n.Style&yaml.TaggedStyle == 0 {
		if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			return Str(n.Value), nil
		}
		// "<<" is an ordinary key: serde_yaml does not apply merge keys.
		return yamlResolvePlain(n.Value), nil
	}
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
		return nil, fmt.Errorf("decode yaml int %q: invalid value", n.Value)
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, fmt.Errorf("decode yaml float %q: %w", n.Value, err)
		}
		return Float(f), nil
	}
	return Str(n.Value), nil
}

// yamlResolvePlain gives a plain (unquoted, untagged) scalar its type the
// way serde_yaml does for KCL's yaml.decode: null (~, null, Null, NULL,
// empty), bool (true/True/TRUE, false/False/FALSE), int (decimal, 0x, 0o,
// 0b, optional sign; a leading zero makes a string), float (Rust's float
// syntax and the .inf/.nan spellings), otherwise a string.
func yamlResolvePlain(s string) Value {
	switch s {
	case "", "~", "null", "Null", "NULL":
		return None
	case "true", "True", "TRUE":
		return Bool(true)
	case "false", "False", "FALSE":
		return Bool(false)
	}
	if yamlLeadingZeroDigits(s) {
		return Str(s)
	}
	if yamlParsesAsInt(s) {
		if v, ok := yamlParseInt(s); ok {
			return v
		}
	}
	if yamlParsesAsFloat(s) {
		u := strings.TrimPrefix(s, "+")
		switch u {
		case ".inf", ".Inf", ".INF":
			return Float(math.Inf(1))
		case "-.inf", "-.Inf", "-.INF":
			return Float(math.Inf(-1))
		case ".nan", ".NaN", ".NAN":
			return Float(math.NaN())
		}
		if f, err := strconv.ParseFloat(u, 64); err == nil {
			return Float(f)
		}
	}
	return Str(s)
}

// yamlParseInt parses an int that yamlParsesAsInt accepted; values beyond
// i64 become floats.
func yamlParseInt(s string) (Value, bool) {
	neg := false
	u := s
	switch {
	case strings.HasPrefix(u, "+"):
		u = u[1:]
	case strings.HasPrefix(u, "-"):
		neg, u = true, u[1:]
	}
	base := 10
	switch {
	case strings.HasPrefix(u, "0x"):
		base, u = 16, u[2:]
	case strings.HasPrefix(u, "0o"):
		base, u = 8, u[2:]
	case strings.HasPrefix(u, "0b"):
		base, u = 2, u[2:]
	}
	if neg {
		u = "-" + u
	}
	if i, err := strconv.ParseInt(u, base, 64); err == nil {
		return Int(i), true
	}
	if base == 10 {
		if f, err := strconv.ParseFloat(u, 64); err == nil {
			return Float(f), true
		}
	}
	return nil, false
}

// DecodeJSON parses one JSON value into a Value with ordered dicts; numbers
// without '.', 'e' or 'E' become Int (Float when out of the i64 range).
func DecodeJSON(data []byte) (Value, error) { return DecodeJSONWith(data, DecodeOptions{}) }

// DecodeJSONWith is DecodeJSON charging opts.Budget for the values built
// (JSON has no aliases: MaxAliasNodes does not apply).
func DecodeJSONWith(data []byte, opts DecodeOptions) (Value, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := jsonDecodeValue(dec, 0, opts.Budget)
	if err != nil {
		return nil, fmt.Errorf("decode json: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("decode json: trailing characters after the value")
	}
	return v, nil
}

func jsonDecodeValue(dec *json.Decoder, depth int, b *Budget) (Value, error) {
	if depth > decodeMaxDepth {
		return nil, errors.New("document nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	n := int64(SizeDictEntry) // a list item or dict entry, and its value
	if s, ok := tok.(string); ok {
		n += int64(len(s))
	}
	if !b.Charge(n) {
		return nil, b.Err()
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '[':
			l := &List{}
			for dec.More() {
				v, err := jsonDecodeValue(dec, depth+1, b)
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
				v, err := jsonDecodeValue(dec, depth+1, b)
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
