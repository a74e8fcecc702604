package konfig

import (
	"encoding/json"
	"sort"
)

// canonical returns v with numbers as float64 and every list sorted by the
// JSON encoding of its (canonical) items, so that two values equal as
// multisets become deeply equal.
func canonical(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = canonical(e)
		}
		return m
	case []any:
		items := make([]any, len(x))
		keys := make([]string, len(x))
		for i, e := range x {
			items[i] = canonical(e)
		}
		idx := make([]int, len(x))
		for i := range idx {
			idx[i] = i
			b, err := json.Marshal(items[i])
			if err != nil {
				b = []byte(err.Error())
			}
			keys[i] = string(b)
		}
		sort.SliceStable(idx, func(a, b int) bool { return keys[idx[a]] < keys[idx[b]] })
		out := make([]any, len(x))
		for i, j := range idx {
			out[i] = items[j]
		}
		return out
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	}
	return v
}
