package spec

import (
	"encoding/base64"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Masked stands for a sensitive value wherever a resource is shown: hover
// previews, konfig.preview, diffs, progress, errors, logs, the state.
const Masked = "<sensitive>"

// MaskedChanged stands for a sensitive value that a change modifies: in a
// diff, the new side of a value that differs from (or is absent on) the old
// side. It tells that the value changes without showing either.
const MaskedChanged = "<sensitive, changed>"

// DefaultSensitiveAttributes returns the attribute names that are sensitive
// by default (see Matcher for how a name matches):
//
//	password passwd secret token private_key access_key api_key
//	credential connection_string
//
// A Terraform attribute such as account_password, admin_password,
// client_secret, secret_key, auth_token, ssh_private_key or
// connection_string matches. Settings add names (the language server's
// sensitiveAttributes, the CLI's --sensitive-attribute); none are removed.
func DefaultSensitiveAttributes() []string {
	return []string{"password", "passwd", "secret", "token", "private_key", "access_key", "api_key", "credential", "connection_string"}
}

// Matcher tells which attribute names are sensitive: the defaults
// (DefaultSensitiveAttributes) and the extra names it was made with. A name
// matches a listed one when, both lowercased and with every character that
// is not a letter or a digit removed, the name contains the listed one:
// "account_password", "AdminPassword" and "db.password" contain "password";
// "ssh-private-key" and "privateKey" contain "private_key". The rule errs on
// the side of masking (secret_name, token_ttl are masked too).
//
// The zero Matcher holds the defaults only.
type Matcher struct {
	extra []string // normalized, non-empty
}

// NewMatcher returns the Matcher of the defaults and the extra names (empty
// ones ignored).
func NewMatcher(extra ...string) Matcher {
	var m Matcher
	for _, e := range extra {
		if n := normalizeName(e); n != "" {
			m.extra = append(m.extra, n)
		}
	}
	return m
}

// Match reports whether an attribute name is sensitive.
func (m Matcher) Match(name string) bool {
	n := normalizeName(name)
	if n == "" {
		return false
	}
	for _, d := range normalizedDefaults() {
		if strings.Contains(n, d) {
			return true
		}
	}
	for _, e := range m.extra {
		if strings.Contains(n, e) {
			return true
		}
	}
	return false
}

// normalizedDefaults is DefaultSensitiveAttributes normalized (a test
// keeps the two in step).
func normalizedDefaults() []string {
	return []string{"password", "passwd", "secret", "token", "privatekey", "accesskey", "apikey", "credential", "connectionstring"}
}

func normalizeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// Mask returns r with its sensitive values replaced by Masked: the one
// masking rule of everything that shows a resource. What is sensitive:
//
//   - in a Kubernetes resource (type Kubernetes): the values of a Secret's
//     data and stringData (the keys stay, so the user sees what is set) and
//     of its last-applied-configuration annotation, the value of every
//     {name, value} entry whose name is sensitive (a container's env
//     variable DB_PASSWORD), and the ConfigMap data (and binaryData)
//     entries whose key is sensitive;
//   - in a resource of any other type (Terraform): the value of every
//     attribute whose name is sensitive (m.Match), at any depth: a nested
//     settings.admin_password, a token inside list items, every leaf of a
//     sensitive mapping or list;
//   - in the extensions of any resource: the values of sensitive names
//     (credentials in a Terraform providerMeta).
//
// Strings and numbers are masked; booleans and nulls are kept (they tell
// whether a thing is set, never a secret). r and its maps are not modified;
// the result shares the parts that hold nothing sensitive.
func Mask(r Resource, m Matcher) Resource {
	r.Attributes = MaskAttributes(r.Type, r.Attributes, nil, m)
	if r.Extensions != nil {
		w := masker{m: m}
		ext, _ := w.walk(r.Extensions, nil, false, place{}, false)
		r.Extensions = ext.(map[string]any)
	}
	return r
}

// MaskAttributes is Mask on the attributes of a resource of type typ, for
// diffs: when against (the unmasked other side of the change, e.g. the live
// object) is not nil, a sensitive value that differs from the value at the
// same path of against, or that against lacks, is MaskedChanged instead of
// Masked. nil attrs give nil.
func MaskAttributes(typ string, attrs, against map[string]any, m Matcher) map[string]any {
	if attrs == nil {
		return nil
	}
	w := masker{m: m, kube: typ == Kubernetes, kind: kindOf(typ, attrs), compare: against != nil}
	out, _ := w.walk(attrs, against, against != nil, place{}, false)
	return out.(map[string]any)
}

// Scrub replaces, in a message about r (a rejection, an error of the
// system that holds it), every sensitive value of r (as Mask finds them,
// also base64-encoded or decoded, and quoted as Go quotes) by Masked.
// Values shorter than 3 bytes are left alone: they would mask ordinary words.
func Scrub(msg string, r Resource, m Matcher) string {
	var vals []string
	add := func(s string) {
		if len(s) >= 3 {
			vals = append(vals, s)
		}
	}
	w := masker{m: m, kube: r.Type == Kubernetes, kind: kindOf(r.Type, r.Attributes),
		collect: func(s string) {
			add(s)
			add(base64.StdEncoding.EncodeToString([]byte(s)))
			if d, err := base64.StdEncoding.DecodeString(s); err == nil && utf8.Valid(d) {
				add(string(d))
			}
			if q := strconv.Quote(s); q[1:len(q)-1] != s {
				add(q[1 : len(q)-1])
			}
		}}
	w.walk(r.Attributes, nil, false, place{}, false)
	if r.Extensions != nil {
		we := masker{m: m, collect: w.collect}
		we.walk(r.Extensions, nil, false, place{}, false)
	}
	if len(vals) == 0 {
		return msg
	}
	// Longest first, so that a value holding another is masked whole.
	sort.Slice(vals, func(i, j int) bool { return len(vals[i]) > len(vals[j]) })
	for _, v := range vals {
		msg = strings.ReplaceAll(msg, v, Masked)
	}
	return msg
}

// lastApplied is the annotation in which kubectl keeps a copy of the object
// (a Secret's values included).
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// kindOf returns "Secret" or "ConfigMap" for a core/v1 object of those
// kinds, "" otherwise.
func kindOf(typ string, obj map[string]any) string {
	k, _ := obj["kind"].(string)
	v, _ := obj["apiVersion"].(string)
	if typ != Kubernetes || v != "v1" || (k != "Secret" && k != "ConfigMap") {
		return ""
	}
	return k
}

// masker walks a value and masks what its rules call sensitive.
type masker struct {
	m       Matcher
	kube    bool   // Kubernetes rules (else: every sensitive name)
	kind    string // kindOf the object
	compare bool   // mark values that differ from the other side
	// collect, when set, receives each sensitive string instead.
	collect func(string)
}

// place is where a value lies in the object, as far as the rules care:
// at the top, in metadata, in metadata.annotations, in data.
type place struct {
	nested      bool // not the object itself
	metadata    bool // the object's metadata
	annotations bool // the object's metadata.annotations
	data        bool // the object's data or binaryData
}

// under returns the place of the value under key k of a map at p ("" for
// a list item).
func (p place) under(k string) place {
	return place{nested: true, metadata: !p.nested && k == "metadata", annotations: p.metadata && k == "annotations",
		data: !p.nested && (k == "data" || k == "binaryData")}
}

// sensitive reports whether the value under key k of map x, at p, is
// sensitive.
func (w *masker) sensitive(x map[string]any, p place, k string) bool {
	if !w.kube {
		return w.m.Match(k)
	}
	switch w.kind {
	case "Secret":
		if !p.nested && (k == "data" || k == "stringData") || p.annotations && k == lastApplied {
			return true
		}
	case "ConfigMap":
		if p.data && w.m.Match(k) {
			return true
		}
	}
	if k == "value" {
		if n, ok := x["name"].(string); ok && w.m.Match(n) {
			return true
		}
	}
	return false
}

// walk returns v with its sensitive values masked (hidden: v lies under a
// sensitive key) and whether anything was masked; an unchanged v is
// returned as it is. other is v's counterpart on the other side of a
// change (present: it has one).
func (w *masker) walk(v, other any, present bool, p place, hidden bool) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		om, _ := other.(map[string]any)
		var out map[string]any
		for k, e := range x {
			oe, ok := om[k]
			me, changed := w.walk(e, oe, present && ok, p.under(k), hidden || w.sensitive(x, p, k))
			if changed && w.collect == nil {
				if out == nil {
					out = make(map[string]any, len(x))
					for kk, ee := range x {
						out[kk] = ee
					}
				}
				out[k] = me
			}
		}
		if out == nil {
			return x, false
		}
		return out, true
	case []any:
		ol, _ := other.([]any)
		var out []any
		item := p.under("")
		for i, e := range x {
			var oe any
			ok := i < len(ol)
			if ok {
				oe = ol[i]
			}
			me, changed := w.walk(e, oe, present && ok, item, hidden)
			if changed && w.collect == nil {
				if out == nil {
					out = append([]any(nil), x...)
				}
				out[i] = me
			}
		}
		if out == nil {
			return x, false
		}
		return out, true
	}
	if !hidden || v == nil {
		return v, false
	}
	if _, ok := v.(bool); ok {
		return v, false
	}
	if w.collect != nil {
		if s, ok := v.(string); ok {
			w.collect(s)
		} else {
			w.collect(scalarText(v))
		}
		return v, false
	}
	if w.compare && (!present || !sameValue(v, other)) {
		return MaskedChanged, true
	}
	return Masked, true
}

// scalarText is a number as messages print it.
func scalarText(v any) string {
	switch n := v.(type) {
	case int:
		return strconv.Itoa(n)
	case int64:
		return strconv.FormatInt(n, 10)
	case float64:
		return strconv.FormatFloat(n, 'g', -1, 64)
	}
	return ""
}

// sameValue compares two scalars; numbers of equal value are the same
// whatever their Go type (a live int64, a planned float64).
func sameValue(a, b any) bool {
	if fa, ok := number(a); ok {
		fb, ok := number(b)
		return ok && fa == fb
	}
	return reflect.DeepEqual(a, b)
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case float32:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}
