package stdlib

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

func datetimeModule(Env) map[string]value.Value {
	def := defs("datetime")
	noArgs := func(name string, f func() value.Value) *value.Func {
		return def(name, func(c call) (value.Value, error) {
			if err := c.unpack(); err != nil {
				return nil, err
			}
			return f(), nil
		})
	}
	return members(
		noArgs("ticks", func() value.Value {
			return value.Float(float64(time.Now().UnixNano()) / 1e9)
		}),
		noArgs("date", func() value.Value { return value.Str(strftime(time.Now(), "%Y-%m-%d %H:%M:%S")) }),
		noArgs("today", func() value.Value { return value.Str(strftime(time.Now(), "%Y-%m-%d %H:%M:%S.%f")) }),
		def("now", func(c call) (value.Value, error) {
			var f string
			if err := c.unpack(&f); err != nil {
				return nil, err
			}
			return value.Str(strftime(time.Now(), f)), nil
		}),
		def("validate", func(c call) (value.Value, error) {
			var d, f string
			if err := c.unpack(&d, &f); err != nil {
				return nil, err
			}
			return value.Bool(strptimeValid(d, f)), nil
		}),
		def("is_rfc3339", func(c call) (value.Value, error) {
			var d string
			if err := c.unpack(&d); err != nil {
				return nil, err
			}
			_, perr := time.Parse(time.RFC3339Nano, d)
			return value.Bool(perr == nil), nil
		}),
		def("is_iso8601", func(c call) (value.Value, error) {
			var d string
			if err := c.unpack(&d); err != nil {
				return nil, err
			}
			return value.Bool(isISO8601(d)), nil
		}),
	)
}

func shortDays() []string { return []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"} }

func shortMonths() []string {
	return []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
}

// strftime formats t with C strftime directives.
func strftime(t time.Time, f string) string {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 >= len(f) {
			b.WriteByte(f[i])
			continue
		}
		i++
		switch f[i] {
		case 'Y':
			fmt.Fprintf(&b, "%04d", t.Year())
		case 'y':
			fmt.Fprintf(&b, "%02d", t.Year()%100)
		case 'm':
			fmt.Fprintf(&b, "%02d", int(t.Month()))
		case 'd':
			fmt.Fprintf(&b, "%02d", t.Day())
		case 'e':
			fmt.Fprintf(&b, "%2d", t.Day())
		case 'H':
			fmt.Fprintf(&b, "%02d", t.Hour())
		case 'I':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			fmt.Fprintf(&b, "%02d", h)
		case 'M':
			fmt.Fprintf(&b, "%02d", t.Minute())
		case 'S':
			fmt.Fprintf(&b, "%02d", t.Second())
		case 'f':
			fmt.Fprintf(&b, "%06d", t.Nanosecond()/1000)
		case 'p':
			if t.Hour() < 12 {
				b.WriteString("AM")
			} else {
				b.WriteString("PM")
			}
		case 'a':
			b.WriteString(shortDays()[t.Weekday()])
		case 'A':
			b.WriteString(t.Weekday().String())
		case 'b', 'h':
			b.WriteString(shortMonths()[t.Month()-1])
		case 'B':
			b.WriteString(t.Month().String())
		case 'j':
			fmt.Fprintf(&b, "%03d", t.YearDay())
		case 'z':
			b.WriteString(t.Format("-0700"))
		case 'Z':
			b.WriteString(t.Format("MST"))
		case 'T':
			b.WriteString(strftime(t, "%H:%M:%S"))
		case 'D':
			b.WriteString(strftime(t, "%m/%d/%y"))
		case 'F':
			b.WriteString(strftime(t, "%Y-%m-%d"))
		case 'c':
			b.WriteString(strftime(t, "%a %b %e %H:%M:%S %Y"))
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(f[i])
		}
	}
	return b.String()
}

// strptimeValid reports whether s matches format f exactly and names a
// real date and time.
func strptimeValid(s, f string) bool {
	year, month, day := 1970, 1, 1
	hour, minute, sec := 0, 0, 0
	pm, hasPM := false, false
	num := func(minLen, maxLen int) (int, bool) {
		j := 0
		if j < len(s) && (s[j] == '+' || s[j] == '-') && maxLen > 2 {
			j++
		}
		for j < len(s) && j < maxLen && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j < minLen {
			return 0, false
		}
		n, err := strconv.Atoi(s[:j])
		if err != nil {
			return 0, false
		}
		s = s[j:]
		return n, true
	}
	word := func(names []string, full bool) (int, bool) {
		for i, n := range names {
			cand := n
			if full {
				cand = time.Month(i + 1).String()
				if len(names) == 7 {
					cand = time.Weekday(i).String()
				}
			}
			if len(s) >= len(cand) && strings.EqualFold(s[:len(cand)], cand) {
				s = s[len(cand):]
				return i, true
			}
		}
		return 0, false
	}
	var ok bool
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 >= len(f) {
			if f[i] == ' ' {
				trimmed := strings.TrimLeft(s, " ")
				if len(trimmed) == len(s) {
					return false
				}
				s = trimmed
				continue
			}
			if s == "" || s[0] != f[i] {
				return false
			}
			s = s[1:]
			continue
		}
		i++
		switch f[i] {
		case 'Y':
			year, ok = num(1, 4)
		case 'y':
			year, ok = num(1, 2)
			year += 2000
			if year >= 2069 {
				year -= 100
			}
		case 'm':
			month, ok = num(1, 2)
		case 'd', 'e':
			day, ok = num(1, 2)
		case 'H':
			hour, ok = num(1, 2)
		case 'I':
			hour, ok = num(1, 2)
			hasPM = true
		case 'M':
			minute, ok = num(1, 2)
		case 'S':
			sec, ok = num(1, 2)
		case 'f':
			_, ok = num(1, 9)
		case 'j':
			_, ok = num(1, 3)
		case 'p':
			switch {
			case len(s) >= 2 && strings.EqualFold(s[:2], "AM"):
				s, ok = s[2:], true
			case len(s) >= 2 && strings.EqualFold(s[:2], "PM"):
				s, ok, pm = s[2:], true, true
			default:
				ok = false
			}
		case 'a':
			_, ok = word(shortDays(), false)
		case 'A':
			_, ok = word(shortDays(), true)
		case 'b', 'h':
			var m int
			m, ok = word(shortMonths(), false)
			month = m + 1
		case 'B':
			var m int
			m, ok = word(shortMonths(), true)
			month = m + 1
		case 'z':
			ok = len(s) >= 5 && (s[0] == '+' || s[0] == '-')
			if ok {
				s = s[5:]
			}
		case 'Z':
			j := 0
			for j < len(s) && s[j] >= 'A' && s[j] <= 'Z' {
				j++
			}
			ok = j > 0
			s = s[j:]
		case '%':
			ok = s != "" && s[0] == '%'
			if ok {
				s = s[1:]
			}
		default:
			return false
		}
		if !ok {
			return false
		}
	}
	if s != "" {
		return false
	}
	if hasPM {
		if hour < 1 || hour > 12 {
			return false
		}
		hour %= 12
		if pm {
			hour += 12
		}
	}
	if month < 1 || month > 12 || hour > 23 || minute > 59 || sec > 60 {
		return false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	return t.Year() == year && int(t.Month()) == month && t.Day() == day
}

var iso8601Re = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?|P(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?)$`)

func isISO8601(s string) bool {
	if !iso8601Re.MatchString(s) || s == "P" || strings.HasSuffix(s, "T") {
		return false
	}
	if len(s) >= 10 && s[0] != 'P' {
		if _, err := time.Parse("2006-01-02", s[:10]); err != nil {
			return false
		}
	}
	return true
}
