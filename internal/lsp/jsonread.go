package lsp

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonReader reads one JSON value held in memory, for the messages whose
// params the server decodes itself because they carry a whole document
// (didOpen): one pass over the bytes, strict (RFC 8259), and the document
// text unquoted straight into the one buffer the document keeps. The
// general decoders cost several passes and copies of a 50 MB text.
type jsonReader struct {
	b []byte
	i int
}

// maxJSONDepth bounds the nesting of skipped values.
const maxJSONDepth = 512

var errJSONEnd = errors.New("unexpected end of JSON input")

func (r *jsonReader) errorf(format string, args ...any) error {
	return fmt.Errorf("JSON at offset %d: %s", r.i, fmt.Sprintf(format, args...))
}

func (r *jsonReader) space() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\r', '\n':
			r.i++
		default:
			return
		}
	}
}

// end checks that nothing but blank space follows the value.
func (r *jsonReader) end() error {
	r.space()
	if r.i != len(r.b) {
		return r.errorf("data after the value")
	}
	return nil
}

// next returns the next byte after blank space, without consuming it; 0 at
// the end.
func (r *jsonReader) next() byte {
	r.space()
	if r.i == len(r.b) {
		return 0
	}
	return r.b[r.i]
}

func (r *jsonReader) expect(c byte) error {
	if r.next() != c {
		if r.i == len(r.b) {
			return errJSONEnd
		}
		return r.errorf("want %q, have %q", c, r.b[r.i])
	}
	r.i++
	return nil
}

// null consumes a null if one is next.
func (r *jsonReader) null() bool {
	if r.next() == 'n' && len(r.b)-r.i >= 4 && string(r.b[r.i:r.i+4]) == "null" {
		r.i += 4
		return true
	}
	return false
}

// object reads an object, calling member for each key with the reader at
// the member's value, which member must consume (skip if unwanted).
func (r *jsonReader) object(member func(key string) error) error {
	if err := r.expect('{'); err != nil {
		return err
	}
	if r.next() == '}' {
		r.i++
		return nil
	}
	for {
		key, err := r.str()
		if err != nil {
			return err
		}
		if err := r.expect(':'); err != nil {
			return err
		}
		if err := member(key); err != nil {
			return err
		}
		switch r.next() {
		case ',':
			r.i++
		case '}':
			r.i++
			return nil
		case 0:
			return errJSONEnd
		default:
			return r.errorf("want , or } in an object")
		}
	}
}

// str reads a string.
func (r *jsonReader) str() (string, error) {
	b, err := r.strBytes()
	return string(b), err
}

// strBytes reads a string into a new buffer of its exact length: one pass
// to validate and measure it, one to unquote it. Invalid UTF-8 and lone
// surrogate escapes become U+FFFD, as encoding/json does.
func (r *jsonReader) strBytes() ([]byte, error) {
	if err := r.expect('"'); err != nil {
		return nil, err
	}
	n, end, err := r.measure()
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, n)
	out = unquote(out, r.b[r.i:end])
	r.i = end + 1
	return out, nil
}

// strSafe is the byte class table of a string's contents: true for the
// bytes that stand for themselves (not ", \, a control character or
// non-ASCII).
var strSafe = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// measure scans the string whose contents start at r.i: it returns the
// length of its unquoted bytes and the offset of its closing quote, or the
// error that makes it invalid.
func (r *jsonReader) measure() (n, end int, err error) {
	b := r.b
	i := r.i
	for {
		start := i
		for i < len(b) && strSafe[b[i]] {
			i++
		}
		n += i - start
		if i == len(b) {
			return 0, 0, errJSONEnd
		}
		switch c := b[i]; {
		case c == '"':
			return n, i, nil
		case c == '\\':
			if i+1 == len(b) {
				return 0, 0, errJSONEnd
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				n++
				i += 2
			case 'u':
				r1, ok := hex4(b, i+2)
				if !ok {
					r.i = i
					return 0, 0, r.errorf("bad \\u escape")
				}
				i += 6
				if utf16.IsSurrogate(r1) {
					if r2, ok := hex4(b, i+2); ok && i+1 < len(b) && b[i] == '\\' && b[i+1] == 'u' {
						if dec := utf16.DecodeRune(r1, r2); dec != utf8.RuneError {
							n += utf8.RuneLen(dec)
							i += 6
							continue
						}
					}
					r1 = utf8.RuneError
				}
				n += utf8.RuneLen(r1)
			default:
				r.i = i
				return 0, 0, r.errorf("bad escape")
			}
		case c < 0x20:
			r.i = i
			return 0, 0, r.errorf("control character in a string")
		default: // non-ASCII
			ru, size := utf8.DecodeRune(b[i:])
			if ru == utf8.RuneError && size == 1 {
				n += utf8.RuneLen(utf8.RuneError)
			} else {
				n += size
			}
			i += size
		}
	}
}

// unquote appends the unquoted contents of a string that measure
// validated.
func unquote(out, b []byte) []byte {
	i := 0
	for i < len(b) {
		start := i
		for i < len(b) && strSafe[b[i]] {
			i++
		}
		out = append(out, b[start:i]...)
		if i == len(b) {
			break
		}
		if c := b[i]; c != '\\' {
			ru, size := utf8.DecodeRune(b[i:])
			if ru == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, b[i:i+size]...)
			}
			i += size
			continue
		}
		switch e := b[i+1]; e {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r1, _ := hex4(b, i+2)
			i += 6
			if utf16.IsSurrogate(r1) {
				if r2, ok := hex4(b, i+2); ok && i+1 < len(b) && b[i] == '\\' && b[i+1] == 'u' {
					if dec := utf16.DecodeRune(r1, r2); dec != utf8.RuneError {
						out = utf8.AppendRune(out, dec)
						i += 6
						continue
					}
				}
				r1 = utf8.RuneError
			}
			out = utf8.AppendRune(out, r1)
			continue
		default: // " \ /
			out = append(out, e)
		}
		i += 2
	}
	return out
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var v rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		v = v<<4 | rune(c)
	}
	return v, true
}

// int reads an integer number (no fraction or exponent).
func (r *jsonReader) int() (int64, error) {
	r.space()
	start := r.i
	if err := r.number(); err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(string(r.b[start:r.i]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("JSON at offset %d: not an integer: %s", start, sample(r.b[start:r.i]))
	}
	return v, nil
}

// number consumes a JSON number.
func (r *jsonReader) number() error {
	b := r.b
	i := r.i
	digits := func() int {
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i - s
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		r.i = i
		return r.errorf("bad number")
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			r.i = i
			return r.errorf("bad number")
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			r.i = i
			return r.errorf("bad number")
		}
	}
	r.i = i
	return nil
}

// skip consumes any value, validating it.
func (r *jsonReader) skip() error { return r.skipDepth(0) }

func (r *jsonReader) skipDepth(depth int) error {
	if depth > maxJSONDepth {
		return r.errorf("nested too deep")
	}
	switch c := r.next(); {
	case c == 0:
		return errJSONEnd
	case c == '"':
		r.i++
		_, end, err := r.measure()
		if err != nil {
			return err
		}
		r.i = end + 1
		return nil
	case c == '{':
		return r.object(func(string) error { return r.skipDepth(depth + 1) })
	case c == '[':
		r.i++
		if r.next() == ']' {
			r.i++
			return nil
		}
		for {
			if err := r.skipDepth(depth + 1); err != nil {
				return err
			}
			switch r.next() {
			case ',':
				r.i++
			case ']':
				r.i++
				return nil
			case 0:
				return errJSONEnd
			default:
				return r.errorf("want , or ] in an array")
			}
		}
	case c == '-' || c >= '0' && c <= '9':
		return r.number()
	}
	for _, lit := range []string{"true", "false", "null"} {
		if len(r.b)-r.i >= len(lit) && string(r.b[r.i:r.i+len(lit)]) == lit {
			r.i += len(lit)
			return nil
		}
	}
	return r.errorf("not a JSON value")
}
