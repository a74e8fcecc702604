package stdlib

import (
	"testing"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

// FuzzFormatString: str.format never panics, whatever the format string.
func FuzzFormatString(f *testing.F) {
	for _, s := range []string{"{}", "{0[1]}", "{a.b}", "{:>10}", "{:.2f}", "{:x}", "{{}}", "{", "}", "{:,d}", "{!r:^9}", "{0:{1}}"} {
		f.Add(s)
	}
	d := value.NewDict()
	d.Set("b", value.Str("x"))
	args := []value.Value{value.Int(-42), value.Float(3.5), value.Str("s"), &value.List{Items: []value.Value{value.Int(1), value.Int(2)}}}
	kwargs := []value.Entry{{Key: "a", Value: d}}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = FormatString(s, args, kwargs)
	})
}

// FuzzTemplate: template.execute never panics, whatever the template.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"{{a}}", "{{#each l}}{{@index}}{{this}}{{/each}}", "{{#if a}}x{{else}}y{{/if}}", "{{{a}}}", "{{!-- c --}}", "{{~a~}}", "{{#with d}}{{b}}{{/with}}", "{{../a}}", "\\{{a}}", "{{#each}}"} {
		f.Add(s)
	}
	data := value.NewDict()
	data.Set("a", value.Str("<x>"))
	data.Set("l", &value.List{Items: []value.Value{value.Int(1), value.Str("y")}})
	d := value.NewDict()
	d.Set("b", value.Bool(true))
	data.Set("d", d)
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ExecuteTemplate(s, data)
	})
}
