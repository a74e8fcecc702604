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
	// inPlace: b is the reader's own, and bigStrBytes may unquote into it
	// (it returns a part of b).
	inPlace bool
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

// strBytes reads a string. Invalid UTF-8 and lone surrogate escapes become
// U+FFFD, as encoding/json does.
func (r *jsonReader) strBytes() ([]byte, error) {
	if err := r.expect('"'); err != nil {
		return nil, err
	}
	return r.unquote(nil)
}

// bigStrBytes reads a string that makes up most of what is left of the
// input (a document's text) in one pass, into a buffer of the size of what
// is left; when escapes made the string much shorter than that, it is
// copied to a buffer of its size.
func (r *jsonReader) bigStrBytes() ([]byte, error) {
	if err := r.expect('"'); err != nil {
		return nil, err
	}
	var out []byte
	var err error
	if r.inPlace {
		// Unquoted text is never longer than its JSON (but for invalid
		// UTF-8, where unquote stops writing in place), so it is written
		// over the string's own bytes, behind the reading.
		out, err = r.unquote(r.b[r.i:r.i:len(r.b)])
	} else {
		out, err = r.unquote(make([]byte, 0, len(r.b)-r.i))
	}
	if err != nil {
		return nil, err
	}
	if cap(out)-len(out) > cap(out)/8 {
		out = append(make([]byte, 0, len(out)), out...)
	}
	return out[:len(out):len(out)], nil
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

// unquote appends the contents of the string that starts at r.i (after its
// opening quote) to out, unquoted, and consumes its closing quote.
func (r *jsonReader) unquote(out []byte) ([]byte, error) {
	b := r.b
	i := r.i
	for {
		start := i
		for i < len(b) && strSafe[b[i]] {
			i++
		}
		out = append(out, b[start:i]...)
		if i == len(b) {
			return nil, errJSONEnd
		}
		c := b[i]
		if c == '"' {
			r.i = i + 1
			return out, nil
		}
		if c >= 0x80 {
			ru, size := utf8.DecodeRune(b[i:])
			if ru == utf8.RuneError && size == 1 {
				if cap(out) > 0 && &out[:cap(out)][cap(out)-1] == &b[len(b)-1] {
					// Writing in place: U+FFFD is longer than the byte it
					// replaces; go on in a buffer of its own.
					out = append(make([]byte, 0, len(out)+len(b)-i+8), out...)
				}
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, b[i:i+size]...)
			}
			i += size
			continue
		}
		if c != '\\' {
			r.i = i
			return nil, r.errorf("control character in a string")
		}
		if i+1 == len(b) {
			return nil, errJSONEnd
		}
		var ru rune
		switch e := b[i+1]; e {
		case '"', '\\', '/':
			out = append(out, e)
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
			var n int
			ru, n = r.escapedRune(i)
			if n == 0 {
				return nil, r.errorf("bad \\u escape")
			}
			out = utf8.AppendRune(out, ru)
			i += n
			continue
		default:
			r.i = i
			return nil, r.errorf("bad escape")
		}
		i += 2
	}
}

// escapedRune decodes the \u escape at b[i], with the low half of a
// surrogate pair that follows it: the rune (U+FFFD for a lone surrogate)
// and the bytes taken, 0 when the escape is malformed (r.i is then i).
func (r *jsonReader) escapedRune(i int) (rune, int) {
	b := r.b
	r1, ok := hex4(b, i+2)
	if !ok {
		r.i = i
		return 0, 0
	}
	if !utf16.IsSurrogate(r1) {
		return r1, 6
	}
	if r2, ok := hex4(b, i+8); ok && b[i+6] == '\\' && b[i+7] == 'u' {
		if dec := utf16.DecodeRune(r1, r2); dec != utf8.RuneError {
			return dec, 12
		}
	}
	return utf8.RuneError, 6
}

// skipStr validates the string that starts at r.i (after its opening
// quote) and consumes it.
func (r *jsonReader) skipStr() error {
	b := r.b
	i := r.i
	for {
		for i < len(b) && (strSafe[b[i]] || b[i] >= 0x80) {
			i++ // UTF-8 need not be valid: it would become U+FFFD
		}
		if i == len(b) {
			return errJSONEnd
		}
		switch c := b[i]; {
		case c == '"':
			r.i = i + 1
			return nil
		case c != '\\':
			r.i = i
			return r.errorf("control character in a string")
		case i+1 == len(b):
			return errJSONEnd
		}
		switch b[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i += 2
		case 'u':
			_, n := r.escapedRune(i)
			if n == 0 {
				return r.errorf("bad \\u escape")
			}
			i += n
		default:
			r.i = i
			return r.errorf("bad escape")
		}
	}
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
		return r.skipStr()
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
