package kclrun

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

// errInvalidArgument is the message of a malformed -D argument.
const errInvalidArgument = "Invalid value for top level arguments"

// ParseArgument parses one `-D key=value` argument. The text must split on
// `=` into exactly two non-empty parts, else the result is an
// EvaluationError `Invalid value for top level arguments`. The value is read
// as JSON when it is JSON (numbers with an exponent stay strings), else as a
// KCL literal (True, False, None, Undefined, numbers, quoted strings), else
// it is the raw string.
func ParseArgument(arg string) (Option, error) {
	parts := strings.Split(arg, "=")
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return Option{}, &diag.Diagnostic{Kind: diag.EvaluationError,
			Messages: []diag.Message{{Text: errInvalidArgument}}}
	}
	return Option{Key: parts[0], Value: ParseArgumentValue(parts[1])}, nil
}

// ParseArgumentValue converts the value text of a -D argument (see
// ParseArgument).
func ParseArgumentValue(s string) value.Value {
	if v, err := parseJSON(s); err == nil {
		if isExponentNumber(s) {
			return value.Str(s)
		}
		return v
	}
	if v, ok := parseKCLLiteral(s); ok {
		return v
	}
	return value.Str(s)
}

// isExponentNumber reports whether s is a bare number written with an
// exponent (12e1, 1.5e-3, 2E10): such values stay strings, since they are
// usually identifiers such as image digests.
func isExponentNumber(s string) bool {
	s = strings.TrimSpace(s)
	if !strings.ContainsAny(s, "eE") {
		return false
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// parseJSON decodes a whole JSON text into a KCL value, keeping the key order
// of objects.
func parseJSON(s string) (value.Value, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	v, err := decodeJSONValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after JSON value")
	}
	return v, nil
}

func decodeJSONValue(dec *json.Decoder) (value.Value, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case nil:
		return value.None, nil
	case bool:
		return value.Bool(t), nil
	case string:
		return value.Str(t), nil
	case json.Number:
		if i, err := strconv.ParseInt(t.String(), 10, 64); err == nil {
			return value.Int(i), nil
		}
		f, err := strconv.ParseFloat(t.String(), 64)
		if err != nil {
			return nil, fmt.Errorf("json number %s: %w", t, err)
		}
		return value.Float(f), nil
	case json.Delim:
		switch t {
		case '[':
			l := &value.List{}
			for dec.More() {
				v, err := decodeJSONValue(dec)
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
			d := value.NewDict()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("json object key %v is not a string", kt)
				}
				v, err := decodeJSONValue(dec)
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
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}

// parseKCLLiteral reads s as a single KCL literal: a named constant, an
// integer (decimal, 0x, 0o, 0b, with _ separators), a float or a quoted
// string.
func parseKCLLiteral(s string) (value.Value, bool) {
	switch s {
	case "True":
		return value.Bool(true), true
	case "False":
		return value.Bool(false), true
	case "None":
		return value.None, true
	case "Undefined":
		return value.Undefined, true
	}
	if s == "" {
		return nil, false
	}
	if s[0] == '"' || s[0] == '\'' {
		return parseKCLString(s)
	}
	digits := strings.ReplaceAll(s, "_", "")
	if isDecimal(digits) && (digits == "0" || digits[0] != '0') {
		if i, err := strconv.ParseInt(digits, 10, 64); err == nil {
			return value.Int(i), true
		}
	}
	if len(digits) > 2 && digits[0] == '0' && strings.ContainsRune("xXoObB", rune(digits[1])) {
		if i, err := strconv.ParseInt(digits, 0, 64); err == nil {
			return value.Int(i), true
		}
	}
	if isKCLFloat(digits) {
		if f, err := strconv.ParseFloat(digits, 64); err == nil {
			return value.Float(f), true
		}
	}
	return nil, false
}

// isDecimal reports whether s is a non-empty run of decimal digits.
func isDecimal(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isKCLFloat reports whether s is written as a decimal float (digits with a
// point or an exponent; `.5` and `1.` included).
func isKCLFloat(s string) bool {
	seenDigit, seenDot, seenExp := false, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			seenDigit = true
		case c == '.' && !seenDot && !seenExp:
			seenDot = true
		case (c == 'e' || c == 'E') && seenDigit && !seenExp:
			seenExp = true
			if i+1 < len(s) && (s[i+1] == '+' || s[i+1] == '-') {
				i++
			}
		default:
			return false
		}
	}
	return seenDigit && (seenDot || seenExp)
}

// parseKCLString unquotes a single- or double-quoted (or triple-quoted) KCL
// string literal with the usual escapes.
func parseKCLString(s string) (value.Value, bool) {
	q := s[:1]
	if strings.HasPrefix(s, q+q+q) && len(s) >= 6 && strings.HasSuffix(s, q+q+q) {
		return value.Str(s[3 : len(s)-3]), true
	}
	if len(s) < 2 || !strings.HasSuffix(s, q) {
		return nil, false
	}
	body := s[1 : len(s)-1]
	var b bytes.Buffer
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c == q[0] {
			return nil, false // unescaped quote inside
		}
		if c != '\\' || i+1 == len(body) {
			b.WriteByte(c)
			continue
		}
		i++
		switch body[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '\\', '\'', '"':
			b.WriteByte(body[i])
		default:
			b.WriteByte('\\')
			b.WriteByte(body[i])
		}
	}
	return value.Str(b.String()), true
}
