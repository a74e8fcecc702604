package eval

import (
	"strconv"
	"strings"
)

// jaroWinkler returns the Jaro-Winkler similarity of a and b in [0, 1].
func jaroWinkler(a, b string) float64 {
	ra, rb := []rune(a), []rune(b)
	la, lb := len(ra), len(rb)
	if la == 0 && lb == 0 {
		return 1
	}
	if la == 0 || lb == 0 {
		return 0
	}
	window := max(la, lb)/2 - 1
	if window < 0 {
		window = 0
	}
	ma := make([]bool, la)
	mb := make([]bool, lb)
	matches := 0
	for i := 0; i < la; i++ {
		lo, hi := max(0, i-window), min(lb-1, i+window)
		for j := lo; j <= hi; j++ {
			if !mb[j] && ra[i] == rb[j] {
				ma[i], mb[j] = true, true
				matches++
				break
			}
		}
	}
	if matches == 0 {
		return 0
	}
	trans, k := 0, 0
	for i := 0; i < la; i++ {
		if !ma[i] {
			continue
		}
		for !mb[k] {
			k++
		}
		if ra[i] != rb[k] {
			trans++
		}
		k++
	}
	m := float64(matches)
	jaro := (m/float64(la) + m/float64(lb) + (m-float64(trans)/2)/m) / 3
	prefix := 0
	for i := 0; i < min(4, la, lb) && ra[i] == rb[i]; i++ {
		prefix++
	}
	return jaro + float64(prefix)*0.1*(1-jaro)
}

// suggestion returns `, did you mean '["a", "b"]'?` for the candidates
// similar to name, or "".
func suggestion(name string, candidates []string) string {
	var close []string
	for _, c := range candidates {
		if c != name && jaroWinkler(name, c) > 0.8 {
			close = append(close, strconv.Quote(c))
		}
	}
	if len(close) == 0 {
		return ""
	}
	return ", did you mean '[" + strings.Join(close, ", ") + "]'?"
}
