package sema

import "strings"

// parseAttrDocs extracts the attribute descriptions of a schema docstring's
// `Attributes` section:
//
//	Attributes
//	----------
//	name : str, default is "x", required
//	    The name of the app.
//
// It returns attribute name → description (the indented lines joined).
func parseAttrDocs(doc string) map[string]string {
	out := map[string]string{}
	sec := DocSections(doc)
	body, ok := sec["Attributes"]
	if !ok {
		return out
	}
	var cur string
	var buf []string
	flush := func() {
		if cur != "" {
			out[cur] = strings.TrimSpace(strings.Join(buf, "\n"))
		}
		buf = nil
	}
	for _, line := range strings.Split(body, "\n") {
		if strings.TrimSpace(line) == "" {
			if cur != "" {
				buf = append(buf, "")
			}
			continue
		}
		if !strings.HasPrefix(line, " ") && !strings.HasPrefix(line, "\t") {
			flush()
			name := line
			if i := strings.IndexByte(line, ':'); i >= 0 {
				name = line[:i]
			}
			cur = strings.TrimSpace(name)
			continue
		}
		buf = append(buf, strings.TrimSpace(line))
	}
	flush()
	return out
}

// DocSections splits a KCL docstring into its sections: the text before
// the first section is under "", then each `Title` followed by a line of
// dashes starts a section (Attributes, Examples, See Also, …). Each
// section's body is dedented by the common indentation.
func DocSections(doc string) map[string]string {
	lines := strings.Split(dedent(doc), "\n")
	out := map[string]string{}
	title := ""
	var buf []string
	flush := func() {
		out[title] = strings.Trim(strings.Join(buf, "\n"), "\n")
		buf = nil
	}
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if i+1 < len(lines) && isDashes(lines[i+1]) && strings.TrimSpace(l) != "" {
			flush()
			title = strings.TrimSpace(l)
			i++
			continue
		}
		buf = append(buf, l)
	}
	flush()
	for k, v := range out {
		out[k] = dedent(v)
	}
	return out
}

func isDashes(s string) bool {
	s = strings.TrimSpace(s)
	return len(s) >= 3 && strings.Trim(s, "-") == ""
}

// dedent removes the common leading whitespace of the non-blank lines.
func dedent(s string) string {
	lines := strings.Split(s, "\n")
	common := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, " \t"))
		if common < 0 || n < common {
			common = n
		}
	}
	if common <= 0 {
		return s
	}
	for i, l := range lines {
		if len(l) >= common {
			lines[i] = l[common:]
		} else {
			lines[i] = strings.TrimLeft(l, " \t")
		}
	}
	return strings.Join(lines, "\n")
}
